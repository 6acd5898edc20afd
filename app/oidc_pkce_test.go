package app

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/markbates/goth"
	"github.com/markbates/goth/providers/openidConnect"
	"github.com/oauth2-proxy/mockoidc"
)

func TestOIDCSendsPKCEAndNonce(t *testing.T) {
	ta, p := newOIDCTestApp(t)
	first := ta.newClient().oidcBegin().Query()
	if got, want := first.Get("code_challenge_method"), "S256"; got != want {
		t.Fatalf("code_challenge_method %q, want %q", got, want)
	}
	if got := first.Get("code_challenge"); len(got) != 43 {
		t.Fatalf("code_challenge %q is not a base64url SHA-256", got)
	}
	if got := first.Get("nonce"); len(got) < 32 {
		t.Fatalf("nonce %q is too short to be unguessable", got)
	}
	second := ta.newClient().oidcBegin().Query()
	if first.Get("code_challenge") == second.Get("code_challenge") || first.Get("nonce") == second.Get("nonce") {
		t.Fatalf("two sign-ins share a challenge or a nonce")
	}

	// The whole flow works: mockoidc checks the verifier against the challenge, and
	// puts the nonce in the ID token, which Haven checks.
	c := ta.newClient()
	c.oidcSignIn(p, &mockoidc.MockUser{Subject: "pkce-subject"})
	if got, want := c.me().Role, "member"; got != want {
		t.Fatalf("signed in as %q, want %q", got, want)
	}
}

func TestOIDCStolenCodeIsUseless(t *testing.T) {
	// A code issued to one sign-in (say, leaked from the victim's browser history or
	// a proxy log) cannot be redeemed by another, which holds a different verifier.
	ta, _ := newOIDCTestApp(t)
	victim, attacker := ta.newClient(), ta.newClient()
	victimBack := victim.oidcAuthorize(victim.oidcBegin())
	attackerBack := attacker.oidcAuthorize(attacker.oidcBegin())
	q := attackerBack.Query()
	q.Set("code", victimBack.Query().Get("code"))
	attackerBack.RawQuery = q.Encode()
	res := attacker.fetchAbsolute(attackerBack.String())
	res.mustStatus(http.StatusBadRequest)
	mustNotStartSession(t, attacker, res)
}

// unsignedJWT makes a JWT with claims; goth reads ID tokens from the back channel
// without their signature.
func unsignedJWT(t *testing.T, claims map[string]any) string {
	t.Helper()
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc(b) + "." + enc([]byte("sig"))
}

func TestOIDCNonceIsChecked(t *testing.T) {
	mp := startMockProvider(t)
	mc := mp.Config()
	inner, err := openidConnect.New(mc.ClientID, mc.ClientSecret, "http://127.0.0.1/auth/oidc/callback",
		mc.Issuer+"/.well-known/openid-configuration", "openid")
	if err != nil {
		t.Fatal(err)
	}
	p := newPKCEProvider(inner)
	sess, err := p.BeginAuth("state-123")
	if err != nil {
		t.Fatal(err)
	}
	// The session survives gothic's cookie.
	restored, err := p.UnmarshalSession(sess.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	s := restored.(*pkceSession)
	if s.Nonce == "" || s.Verifier == "" {
		t.Fatalf("nonce or verifier lost in the cookie: %+v", s)
	}
	authURL, _ := s.GetAuthURL()
	sum := sha256.Sum256([]byte(s.Verifier))
	if !strings.Contains(authURL, "code_challenge="+base64.RawURLEncoding.EncodeToString(sum[:])) {
		t.Fatalf("the authorization URL does not carry the verifier's S256 challenge: %s", authURL)
	}

	exp := float64(time.Now().Add(time.Hour).Unix())
	claims := func(nonce any) map[string]any {
		c := map[string]any{"iss": mc.Issuer, "aud": mc.ClientID, "sub": "someone", "exp": exp}
		if nonce != nil {
			c["nonce"] = nonce
		}
		return c
	}
	tests := []struct {
		name   string
		claims map[string]any
		ok     bool
	}{
		{"the nonce sent", claims(s.Nonce), true},
		{"another sign-in's nonce", claims("another-nonce-0123456789abcdef"), false},
		{"no nonce", claims(nil), false},
		{"an empty nonce", claims(""), false},
		{"a nonce that is not a string", claims(42), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := *s
			s.IDToken = unsignedJWT(t, tt.claims)
			s.AccessToken = ""
			_, err := p.FetchUser(&s)
			if tt.ok {
				// goth goes on to the userinfo endpoint, which refuses an empty access
				// token: what matters is that the nonce check passed.
				if err != nil && strings.Contains(err.Error(), "nonce") {
					t.Fatalf("FetchUser refused the right nonce: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "nonce") {
				t.Fatalf("FetchUser error %v, want a nonce error", err)
			}
		})
	}
	if err := checkNonce("not-a-jwt", s.Nonce); err == nil {
		t.Fatalf("checkNonce accepts a malformed token")
	}
	var _ goth.Provider = p
}
