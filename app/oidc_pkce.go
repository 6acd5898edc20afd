package app

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/markbates/goth"
	"github.com/markbates/goth/providers/openidConnect"
	"golang.org/x/oauth2"
)

// goth's openidConnect provider sends neither PKCE nor a nonce. pkceProvider wraps it:
// every sign-in gets a fresh code verifier (sent as an S256 challenge, then proven at
// the token endpoint, so a stolen authorization code is useless) and a fresh nonce
// (which the ID token must carry back, so a token minted for another sign-in is
// refused). Both wait for the callback in gothic's encrypted session cookie.
type pkceProvider struct {
	inner *openidConnect.Provider
}

// pkceSession is goth's OpenID Connect session with the verifier and the nonce.
type pkceSession struct {
	openidConnect.Session
	Verifier string
	Nonce    string
}

func newPKCEProvider(p *openidConnect.Provider) *pkceProvider { return &pkceProvider{inner: p} }

// Name is the provider's name in /auth/{name}.
func (p *pkceProvider) Name() string { return p.inner.Name() }

// SetName renames the provider.
func (p *pkceProvider) SetName(name string) { p.inner.SetName(name) }

// Debug is a no-op, as in goth.
func (p *pkceProvider) Debug(debug bool) { p.inner.Debug(debug) }

// RefreshTokenAvailable is the wrapped provider's answer; Haven keeps no tokens.
func (p *pkceProvider) RefreshTokenAvailable() bool { return p.inner.RefreshTokenAvailable() }

// RefreshToken is the wrapped provider's.
func (p *pkceProvider) RefreshToken(refreshToken string) (*oauth2.Token, error) {
	return p.inner.RefreshToken(refreshToken)
}

// BeginAuth builds the authorization URL with a code challenge and a nonce.
func (p *pkceProvider) BeginAuth(state string) (goth.Session, error) {
	s, err := p.inner.BeginAuth(state)
	if err != nil {
		return nil, err
	}
	inner, ok := s.(*openidConnect.Session)
	if !ok {
		return nil, fmt.Errorf("app: unexpected OpenID Connect session %T", s)
	}
	nonce, err := randomToken(24)
	if err != nil {
		return nil, err
	}
	verifier := oauth2.GenerateVerifier()
	u, err := url.Parse(inner.AuthURL)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	q.Set("code_challenge", oauth2.S256ChallengeFromVerifier(verifier))
	q.Set("code_challenge_method", "S256")
	q.Set("nonce", nonce)
	u.RawQuery = q.Encode()
	inner.AuthURL = u.String()
	return &pkceSession{Session: *inner, Verifier: verifier, Nonce: nonce}, nil
}

// UnmarshalSession reads the session back from gothic's cookie.
func (p *pkceProvider) UnmarshalSession(data string) (goth.Session, error) {
	s := &pkceSession{}
	if err := json.NewDecoder(strings.NewReader(data)).Decode(s); err != nil {
		return nil, err
	}
	return s, nil
}

// FetchUser checks the ID token's nonce, then lets goth check the rest (audience,
// issuer, expiry) and read the subject.
func (p *pkceProvider) FetchUser(session goth.Session) (goth.User, error) {
	s, ok := session.(*pkceSession)
	if !ok {
		return goth.User{}, fmt.Errorf("app: unexpected session %T", session)
	}
	if s.IDToken != "" {
		if err := checkNonce(s.IDToken, s.Nonce); err != nil {
			return goth.User{}, err
		}
	}
	return p.inner.FetchUser(&s.Session)
}

// Authorize exchanges the code, proving the verifier.
func (s *pkceSession) Authorize(provider goth.Provider, params goth.Params) (string, error) {
	p, ok := provider.(*pkceProvider)
	if !ok {
		return "", fmt.Errorf("app: unexpected provider %T", provider)
	}
	if s.Verifier == "" {
		return "", errors.New("app: sign-in session has no code verifier")
	}
	return s.Session.Authorize(p.inner, verifierParams{params, s.Verifier})
}

// Marshal writes the session for gothic's cookie.
func (s *pkceSession) Marshal() string {
	b, _ := json.Marshal(s)
	return string(b)
}

// String is Marshal.
func (s *pkceSession) String() string { return s.Marshal() }

// verifierParams are the callback's parameters, with our code verifier: never one
// from the request.
type verifierParams struct {
	goth.Params
	verifier string
}

func (v verifierParams) Get(key string) string {
	if key == "code_verifier" {
		return v.verifier
	}
	return v.Params.Get(key)
}

// checkNonce compares the ID token's nonce claim with the one sent. The token came
// straight from the token endpoint over the back channel, and goth checks its
// audience, issuer and expiry.
func checkNonce(idToken, want string) error {
	parts := strings.Split(idToken, ".")
	if len(parts) != 3 {
		return errors.New("app: the ID token is not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return fmt.Errorf("app: the ID token's claims: %w", err)
	}
	var claims struct {
		Nonce string `json:"nonce"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return fmt.Errorf("app: the ID token's claims: %w", err)
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(claims.Nonce), []byte(want)) != 1 {
		return errors.New("app: the ID token's nonce is not the one this sign-in sent")
	}
	return nil
}

// randomToken is n random bytes, base64url-encoded.
func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
