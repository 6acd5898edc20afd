package models

import (
	"bufio"
	"bytes"
	"crypto/rand"
	_ "embed"
	"math/big"
	"strconv"
	"strings"
)

//go:embed words/adjectives.txt
var adjectivesFile []byte

//go:embed words/nouns.txt
var nounsFile []byte

var (
	adjectives = readWords(adjectivesFile)
	nouns      = readWords(nounsFile)
)

func readWords(b []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		w := strings.TrimSpace(sc.Text())
		if w == "" || strings.HasPrefix(w, "#") {
			continue
		}
		out = append(out, w)
	}
	return out
}

func randIntn(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic("models: no randomness: " + err.Error())
	}
	return int(v.Int64())
}

// NewPseudonym returns a fresh random pseudonym such as "QuietHeron27": two words from
// the lists in models/words and a number from 10 to 99. It is drawn from a
// cryptographic source and shares nothing with any other pseudonym of the same user.
func NewPseudonym() string {
	for {
		a := adjectives[randIntn(len(adjectives))]
		n := nouns[randIntn(len(nouns))]
		if a == n {
			continue
		}
		return a + n + strconv.Itoa(10+randIntn(90))
	}
}
