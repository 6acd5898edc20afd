package models

import (
	"regexp"
	"strings"
	"unicode"
)

// crisisPhrases is the maintained list of crisis language. Each phrase matches on word
// boundaries, with any run of spaces or punctuation between its words, so "skilled"
// is not "kill" and "killer app" is not "kill myself". Add phrases with care: a
// match never hides a post, it shows the author crisis resources and puts the post
// at the top of the moderators' queue.
var crisisPhrases = []string{
	"kill myself", "killing myself", "kms",
	"end my life", "ending my life", "end it all", "ending it all",
	"take my own life", "taking my own life", "took my own life",
	"suicide", "suicidal", "commit suicide",
	"want to die", "wanna die", "wish i was dead", "wish i were dead",
	"better off dead", "better off without me",
	"no reason to live", "nothing to live for", "not worth living",
	"don't want to be here anymore", "dont want to be here anymore",
	"don't want to wake up", "dont want to wake up",
	"can't go on", "cant go on", "cannot go on",
	"self harm", "self-harm", "selfharm", "harming myself", "hurt myself", "hurting myself",
	"cut myself", "cutting myself",
	"hang myself", "hanging myself",
	"overdose on purpose", "planning to overdose", "plan to overdose", "took an overdose",
	"jump off a bridge", "jump in front of a train",
	"goodbye forever", "say goodbye to everyone",
}

var crisisPattern = compilePhrases(crisisPhrases)

// compilePhrases builds one case-insensitive regexp that matches any phrase on word
// boundaries, allowing any separator between words and any apostrophe form.
func compilePhrases(phrases []string) *regexp.Regexp {
	alts := make([]string, 0, len(phrases))
	for _, p := range phrases {
		alts = append(alts, phraseAlternative(p))
	}
	return regexp.MustCompile(`(?i)(?:^|[^\p{L}\p{N}])(` + strings.Join(alts, "|") + `)(?:$|[^\p{L}\p{N}])`)
}

// phraseAlternative is the regexp (without boundaries) that matches one phrase as
// compilePhrases does: its words separated by any run of spaces or punctuation, with
// any apostrophe form.
func phraseAlternative(p string) string {
	words := strings.FieldsFunc(p, func(r rune) bool { return r == ' ' || r == '-' })
	for i, w := range words {
		w = regexp.QuoteMeta(w)
		words[i] = strings.ReplaceAll(w, "'", "['’]?")
	}
	return strings.Join(words, `[\s\-_.,]+`)
}

// DetectCrisis returns the crisis phrases found in text, lower-cased, or nil.
func DetectCrisis(text string) []string {
	ms := crisisPattern.FindAllStringSubmatch(normaliseForDetection(text), -1)
	if len(ms) == 0 {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, m := range ms {
		p := strings.ToLower(m[1])
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// normaliseForDetection folds typographic apostrophes and strips Markdown emphasis
// so that "**kill** myself" is seen as "kill myself".
func normaliseForDetection(text string) string {
	r := strings.NewReplacer("’", "'", "‘", "'", "*", "", "_", " ", "~", "")
	return r.Replace(text)
}

// Personal-data kinds.
const (
	PDPhone        = "phone"
	PDEmail        = "email"
	PDAddress      = "address"
	PDDateOfBirth  = "date_of_birth"
	PDNHSNumber    = "nhs_number"
	PDRecordNumber = "record_number"
)

var (
	emailPattern = regexp.MustCompile(`(?i)\b[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}\b`)
	// A phone number: an optional +country code, then 9 to 13 digits in groups
	// separated by spaces, dots, dashes or brackets.
	phonePattern = regexp.MustCompile(`(?:^|[^\w])(\+?\(?\d[\d\s().\-]{7,18}\d)(?:$|[^\w])`)
	ukPostcode   = regexp.MustCompile(`(?i)\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b`)
	// A street line: a house number, one to four capitalised words, a street type.
	streetLine = regexp.MustCompile(`\b\d{1,5}[a-zA-Z]?\s+(?:[A-Z][\w'’]*\s+){1,4}(?i:street|st|road|rd|avenue|ave|lane|ln|drive|dr|close|way|court|ct|place|pl|boulevard|blvd|crescent|terrace|gardens|grove)\b`)
	usZip      = regexp.MustCompile(`\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b`)
	dobLabel   = regexp.MustCompile(`(?i)\b(?:d\.?o\.?b\.?|date\s+of\s+birth|born\s+on|birthday\s+is)\b[\s:]*\d`)
	dateValue  = regexp.MustCompile(`\b\d{1,2}[/.\-]\d{1,2}[/.\-](?:19|20)\d{2}\b`)
	bornDate   = regexp.MustCompile(`(?i)\bborn\b[^.\n]{0,20}\b\d{1,2}[/.\-]\d{1,2}[/.\-](?:19|20)?\d{2}\b`)
	nhsPattern = regexp.MustCompile(`\b(\d{3})[\s\-]?(\d{3})[\s\-]?(\d{4})\b`)
	mrnPattern = regexp.MustCompile(`(?i)\b(?:mrn|medical\s+record(?:\s+number)?|record\s+(?:no|number)|hospital\s+(?:no|number)|patient\s+(?:id|number)|chi\s+number)\b(?:\s+(?:is|was))?[\s:#.]*[A-Z]{0,3}\d{5,}`)
)

// DetectPersonalData returns the kinds of personal data found in text: phone numbers,
// emails, postal addresses, dates of birth, NHS numbers and medical record numbers.
func DetectPersonalData(text string) []string {
	var out []string
	add := func(kind string, found bool) {
		if found {
			out = append(out, kind)
		}
	}
	add(PDEmail, emailPattern.MatchString(text))
	nhs := hasNHSNumber(text)
	add(PDNHSNumber, nhs)
	add(PDPhone, !nhs && hasPhone(text))
	add(PDAddress, streetLine.MatchString(text) || (usZip.MatchString(text) && postcodeInContext(text)) ||
		(ukPostcode.MatchString(text) && postcodeInContext(text)))
	add(PDDateOfBirth, dobLabel.MatchString(text) || bornDate.MatchString(text) || (strings.Contains(strings.ToLower(text), "birth") && dateValue.MatchString(text)))
	add(PDRecordNumber, mrnPattern.MatchString(text))
	return out
}

// postcodeInContext reports whether a UK postcode appears as part of an address
// ("I live at", "my address", "postcode").
func postcodeInContext(text string) bool {
	l := strings.ToLower(text)
	for _, w := range []string{"live at", "address", "postcode", "post code", "zip"} {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// hasPhone reports a run of 9 to 13 digits written like a phone number. Dosages,
// years and blood-sugar readings are shorter; a lone long number with no separators
// and no + is treated as a phone number too.
func hasPhone(text string) bool {
	for _, m := range phonePattern.FindAllStringSubmatch(text, -1) {
		digits := 0
		for _, r := range m[1] {
			if unicode.IsDigit(r) {
				digits++
			}
		}
		if digits >= 9 && digits <= 13 && !dateValue.MatchString(m[1]) {
			return true
		}
	}
	return false
}

// hasNHSNumber reports a 10-digit number (optionally 3-3-4) with a valid NHS
// modulus-11 check digit.
func hasNHSNumber(text string) bool {
	for _, m := range nhsPattern.FindAllStringSubmatch(text, -1) {
		d := m[1] + m[2] + m[3]
		sum := 0
		for i := 0; i < 9; i++ {
			sum += int(d[i]-'0') * (10 - i)
		}
		check := 11 - sum%11
		if check == 11 {
			check = 0
		}
		if check != 10 && check == int(d[9]-'0') {
			return true
		}
	}
	return false
}
