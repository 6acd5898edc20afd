package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/markbates/goth/gothic"
	"github.com/oauth2-proxy/mockoidc"

	"haven/models"
)

// These tests drive the real OpenID Connect flow against mockoidc. goth's provider
// registry and gothic.Store are process globals that app.New replaces, so none of
// these tests may call t.Parallel.

// mockProvider is a mock OpenID Connect provider. It wraps mockoidc and can make one
// of its endpoints fail.
type mockProvider struct {
	*mockoidc.MockOIDC
	mu   sync.Mutex
	fail map[string]int // endpoint path → the status it answers with
}

// startMockProvider starts a mock OpenID Connect provider for one test.
func startMockProvider(t *testing.T) *mockProvider {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatalf("mockoidc.NewServer: %v", err)
	}
	p := &mockProvider{MockOIDC: m, fail: map[string]int{}}
	err = m.AddMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p.mu.Lock()
			status := p.fail[r.URL.Path]
			p.mu.Unlock()
			if status != 0 {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				io.WriteString(w, `{"error": "server_error", "error_description": "failing on purpose"}`)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	if err != nil {
		t.Fatalf("mockoidc.AddMiddleware: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatalf("mockoidc.Start: %v", err)
	}
	t.Cleanup(func() { m.Shutdown() })
	return p
}

// failEndpoint makes the endpoint at path (e.g. mockoidc.UserinfoEndpoint) answer
// with status from now on.
func (p *mockProvider) failEndpoint(path string, status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fail[path] = status
}

// oidcConfig is a configuration with p as the only sign-in provider.
func oidcConfig(p *mockProvider) Config {
	cfg := localConfig()
	mc := p.Config()
	cfg.OIDCIssuer, cfg.OIDCClientID, cfg.OIDCClientSecret = mc.Issuer, mc.ClientID, mc.ClientSecret
	return cfg
}

// newOIDCTestApp starts a mock provider and Haven configured to sign in with it.
func newOIDCTestApp(t *testing.T) (*testApp, *mockProvider) {
	t.Helper()
	p := startMockProvider(t)
	return newTestAppWith(t, oidcConfig(p)), p
}

// profileUser is a provider user whose profile (email, name) is sent in the ID token
// and from the userinfo endpoint whatever the scopes, as some providers do.
type profileUser struct {
	subject, email, name string
}

func (u profileUser) ID() string { return u.subject }

func (u profileUser) Userinfo([]string) ([]byte, error) {
	return []byte(fmt.Sprintf(`{"sub": %q, "email": %q, "email_verified": true, "name": %q, "preferred_username": %q}`,
		u.subject, u.email, u.name, u.name)), nil
}

func (u profileUser) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	return &profileClaims{IDTokenClaims: base, Email: u.email, EmailVerified: true, Name: u.name, PreferredUsername: u.name}, nil
}

type profileClaims struct {
	*mockoidc.IDTokenClaims
	Email             string `json:"email"`
	EmailVerified     bool   `json:"email_verified"`
	Name              string `json:"name"`
	PreferredUsername string `json:"preferred_username"`
}

// oidcBegin sends c to GET /auth/oidc and returns where Haven redirects it: the
// provider's authorization URL.
func (c *client) oidcBegin() *url.URL {
	c.t.Helper()
	res := c.getHTML("/auth/oidc").mustStatus(http.StatusFound)
	to, err := url.Parse(res.Header.Get("Location"))
	if err != nil || to.Host == "" {
		c.t.Fatalf("GET /auth/oidc redirects to %q: %v", res.Header.Get("Location"), err)
	}
	return to
}

// oidcAuthorize sends c to the provider's authorization URL and returns the callback
// URL the provider sends it back to, with code and state.
func (c *client) oidcAuthorize(authURL *url.URL) *url.URL {
	c.t.Helper()
	res := c.fetchAbsolute(authURL.String()).mustStatus(http.StatusFound)
	back, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		c.t.Fatalf("provider redirects to %q: %v", res.Header.Get("Location"), err)
	}
	return back
}

// fetchAbsolute GETs an absolute URL as a browser would.
func (c *client) fetchAbsolute(u string) *response {
	c.t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	return c.roundTrip(req)
}

// oidcSignIn walks c through the whole sign-in with the provider as user (nil: the
// provider's default user) and returns the callback's response, a 303 to "/".
func (c *client) oidcSignIn(p *mockProvider, user mockoidc.User) *response {
	c.t.Helper()
	if user != nil {
		p.QueueUser(user)
	}
	back := c.oidcAuthorize(c.oidcBegin())
	res := c.fetchAbsolute(back.String()).mustStatus(http.StatusSeeOther)
	if got, want := res.Header.Get("Location"), "/"; got != want {
		c.t.Fatalf("callback redirects to %q, want %q", got, want)
	}
	c.csrf = c.jarCookie(csrfCookie)
	return res
}

// jarCookie returns the value of the named cookie the client would send to Haven.
func (c *client) jarCookie(name string) string {
	return c.jarCookieAt("/", name)
}

// jarCookieAt returns the value of the named cookie the client would send with a
// request for path.
func (c *client) jarCookieAt(path, name string) string {
	u, _ := url.Parse(c.app.srv.URL + path)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

func mustParseURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// setCookieNamed returns the cookie named name that the response sets (the last one
// when it is set twice), or nil.
func setCookieNamed(res *response, name string) *http.Cookie {
	var found *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == name {
			found = ck
		}
	}
	return found
}

// mustNotStartSession fails the test when res sets a session cookie or when the
// client holds one.
func mustNotStartSession(t *testing.T, c *client, res *response) {
	t.Helper()
	if ck := setCookieNamed(res, sessionCookie); ck != nil && ck.Value != "" {
		t.Fatalf("%s %s set a session cookie on failure", res.Request.Method, res.Request.URL.Path)
	}
	if v := c.jarCookie(sessionCookie); v != "" {
		t.Fatalf("the client holds a session cookie after a failed sign-in")
	}
}

// sessionUserID decodes the user id in a haven_session cookie value, as Haven does.
func sessionUserID(ta *testApp, value string) int64 {
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: value})
	return newSessions(ta.cfg.SecretBytes(), false).userID(req)
}

// meBody is GET /me's body.
type meBody struct {
	Role      string `json:"role"`
	Clinician *struct {
		Status      string `json:"status"`
		DisplayName string `json:"display_name"`
	} `json:"clinician"`
	Memberships []struct {
		Group     string `json:"group"`
		Pseudonym string `json:"pseudonym"`
		Role      string `json:"role"`
		Status    string `json:"status"`
	} `json:"memberships"`
	CSRFToken string `json:"csrf_token"`
}

func (c *client) me() meBody {
	c.t.Helper()
	var me meBody
	c.get("/me").mustStatus(http.StatusOK).decode(&me)
	return me
}

func TestOIDCSignIn(t *testing.T) {
	ta, p := newOIDCTestApp(t)

	t.Run("sign-in page lists the provider", func(t *testing.T) {
		var page struct {
			Providers []provider `json:"providers"`
			LocalMode bool       `json:"local_mode"`
		}
		ta.newClient().get("/signin").mustStatus(http.StatusOK).decode(&page)
		if page.LocalMode {
			t.Fatalf("local_mode is true with a provider configured")
		}
		if got, want := len(page.Providers), 1; got != want {
			t.Fatalf("%d providers, want %d: %+v", got, want, page.Providers)
		}
		if got, want := page.Providers[0], (provider{Name: "oidc", Label: "your organisation"}); got != want {
			t.Fatalf("provider %+v, want %+v", got, want)
		}
	})

	t.Run("begin redirects to the provider", func(t *testing.T) {
		c := ta.newClient()
		to := c.oidcBegin()
		if got, want := to.Scheme+"://"+to.Host+to.Path, p.AuthorizationEndpoint(); got != want {
			t.Fatalf("redirects to %q, want the authorization endpoint %q", got, want)
		}
		q := to.Query()
		if got, want := q.Get("client_id"), p.ClientID; got != want {
			t.Fatalf("client_id %q, want %q", got, want)
		}
		if got, want := q.Get("redirect_uri"), ta.srv.URL+"/auth/oidc/callback"; got != want {
			t.Fatalf("redirect_uri %q, want %q", got, want)
		}
		if got, want := q.Get("response_type"), "code"; got != want {
			t.Fatalf("response_type %q, want %q", got, want)
		}
		if got, want := q.Get("scope"), "openid"; got != want {
			t.Fatalf("scope %q, want only %q: Haven asks for nothing it does not keep", got, want)
		}
		if len(q.Get("state")) < 32 {
			t.Fatalf("state %q is too short to be unguessable", q.Get("state"))
		}
		// The state waits for the callback in a short-lived cookie scoped to /auth.
		var gothicCookie *http.Cookie
		for _, ck := range c.http.Jar.Cookies(mustParseURL(t, ta.srv.URL+"/auth/oidc/callback")) {
			if ck.Name == gothic.SessionName {
				gothicCookie = ck
			}
		}
		if gothicCookie == nil {
			t.Fatalf("no %s cookie after GET /auth/oidc", gothic.SessionName)
		}
		if v := c.jarCookie(gothic.SessionName); v != "" {
			t.Fatalf("the %s cookie is sent outside /auth", gothic.SessionName)
		}
	})

	t.Run("the caller cannot choose the state", func(t *testing.T) {
		// A state taken from the request would let an attacker plant a known state in
		// a victim's browser and complete the sign-in with the attacker's own code.
		c := ta.newClient()
		res := c.getHTML("/auth/oidc?state=chosen-by-attacker").mustStatus(http.StatusFound)
		to, _ := url.Parse(res.Header.Get("Location"))
		if got := to.Query().Get("state"); got == "chosen-by-attacker" || len(got) < 32 {
			t.Fatalf("state %q: taken from the request, not generated", got)
		}
	})

	var member *client
	var memberID int64
	t.Run("full flow signs in a member", func(t *testing.T) {
		member = ta.newClient()
		res := member.oidcSignIn(p, &mockoidc.MockUser{Subject: "subject-alpha"})
		ck := setCookieNamed(res, sessionCookie)
		if ck == nil || ck.Value == "" {
			t.Fatalf("callback sets no %s cookie: %v", sessionCookie, res.Header.Values("Set-Cookie"))
		}
		if !ck.HttpOnly {
			t.Fatalf("session cookie is not HttpOnly: %s", ck.Raw)
		}
		if got, want := ck.SameSite, http.SameSiteLaxMode; got != want {
			t.Fatalf("session cookie SameSite=%v, want Lax: %s", got, ck.Raw)
		}
		if got, want := ck.Path, "/"; got != want {
			t.Fatalf("session cookie path %q, want %q", got, want)
		}
		if ck.Secure {
			t.Fatalf("session cookie is Secure on an http:// base URL: %s", ck.Raw)
		}
		memberID = sessionUserID(ta, ck.Value)
		if memberID == 0 {
			t.Fatalf("the session cookie does not decode to a user")
		}

		me := member.me()
		if got, want := me.Role, "member"; got != want {
			t.Fatalf("role %q, want %q", got, want)
		}
		if me.Memberships == nil || len(me.Memberships) != 0 {
			t.Fatalf("memberships %v, want []", me.Memberships)
		}
		if me.Clinician != nil {
			t.Fatalf("clinician %+v, want null", me.Clinician)
		}
		if me.CSRFToken == "" {
			t.Fatalf("no csrf_token in /me")
		}
		if got, want := me.CSRFToken, member.jarCookie(csrfCookie); got != want {
			t.Fatalf("csrf_token %q, want the _csrf cookie %q", got, want)
		}
		// The gothic cookie is spent: replaying the callback does not sign in again.
		if v := member.jarCookieAt("/auth/oidc/callback", gothic.SessionName); v != "" {
			t.Fatalf("the provider session cookie outlives the callback")
		}
	})
	if member == nil {
		t.FailNow()
	}

	t.Run("the same subject is the same account", func(t *testing.T) {
		ctx := context.Background()
		if _, err := ta.store.GrantAdmin(ctx, "oidc", "subject-admin"); err != nil {
			t.Fatalf("GrantAdmin: %v", err)
		}
		admin := ta.newClient()
		admin.oidcSignIn(p, &mockoidc.MockUser{Subject: "subject-admin"})
		if got, want := admin.me().Role, "admin"; got != want {
			t.Fatalf("granted admin signs in as %q, want %q", got, want)
		}
		admin.do("POST", "/groups", map[string]any{"slug": "asthma", "name": "Asthma", "visibility": "open"}).
			mustStatus(http.StatusCreated)

		joined := member.do("POST", "/groups/asthma/join", nil).mustStatus(http.StatusOK).json()
		pseudonym, _ := joined["membership"].(map[string]any)["pseudonym"].(string)
		if pseudonym == "" {
			t.Fatalf("join: %v", joined)
		}

		again := ta.newClient()
		res := again.oidcSignIn(p, &mockoidc.MockUser{Subject: "subject-alpha", Email: "other@example.org"})
		if got, want := sessionUserID(ta, setCookieNamed(res, sessionCookie).Value), memberID; got != want {
			t.Fatalf("second sign-in is user %d, want %d", got, want)
		}
		me := again.me()
		if len(me.Memberships) != 1 || me.Memberships[0].Group != "asthma" || me.Memberships[0].Pseudonym != pseudonym {
			t.Fatalf("memberships after signing in again %+v, want asthma as %s", me.Memberships, pseudonym)
		}
		u, err := ta.store.SignIn(ctx, "oidc", "subject-alpha")
		if err != nil {
			t.Fatalf("store.SignIn: %v", err)
		}
		if got, want := u.ID, memberID; got != want {
			t.Fatalf("store finds user %d for the subject, want %d", got, want)
		}
	})

	t.Run("another subject is another account", func(t *testing.T) {
		other := ta.newClient()
		res := other.oidcSignIn(p, &mockoidc.MockUser{Subject: "subject-beta"})
		id := sessionUserID(ta, setCookieNamed(res, sessionCookie).Value)
		if id == 0 || id == memberID {
			t.Fatalf("another subject signs in as user %d (member is %d)", id, memberID)
		}
		if me := other.me(); len(me.Memberships) != 0 || me.Role != "member" {
			t.Fatalf("new account /me %+v, want a member with no memberships", me)
		}
		if _, err := ta.store.ViewerByID(context.Background(), id+1); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("user %d exists (%v): a sign-in made more than one account", id+1, err)
		}
	})

	t.Run("the same subject at another provider is another account", func(t *testing.T) {
		// Identities are keyed by provider and subject together.
		u, err := ta.store.SignIn(context.Background(), "github", "subject-alpha")
		if err != nil {
			t.Fatalf("store.SignIn: %v", err)
		}
		if u.ID == memberID {
			t.Fatalf("github and oidc subjects share user %d", u.ID)
		}
	})

	t.Run("sign out", func(t *testing.T) {
		member.do("POST", "/auth/logout", nil).mustStatus(http.StatusNoContent)
		member.get("/me").mustStatus(http.StatusUnauthorized)
	})
}

func TestOIDCSignInStoresNoProfile(t *testing.T) {
	// A file database, so that the test can read every table afterwards.
	path := filepath.Join(t.TempDir(), "haven.db")
	store, err := models.Open(path, models.Options{Secret: models.TestSecret})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate(); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	p := startMockProvider(t)
	ta := newTestAppOnStore(t, oidcConfig(p), store)

	const (
		subject = "248289761001"
		email   = "patient@example.org"
		name    = "Pat Example"
	)
	c := ta.newClient()
	res := c.oidcSignIn(p, profileUser{subject: subject, email: email, name: name})
	id := sessionUserID(ta, setCookieNamed(res, sessionCookie).Value)

	t.Run("the subject is stored as a keyed hash", func(t *testing.T) {
		hash := store.SubjectHash("oidc", subject)
		if hash == subject {
			t.Fatalf("the subject hash is the subject")
		}
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(hash) {
			t.Fatalf("subject hash %q is not 64 hex characters", hash)
		}
		if hash == store.SubjectHash("github", subject) {
			t.Fatalf("the hash does not depend on the provider")
		}
		other, err := models.Open(":memory:", models.Options{Secret: []byte("another-secret-0123456789abcdefgh")})
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		if hash == other.SubjectHash("oidc", subject) {
			t.Fatalf("the hash does not depend on the server secret")
		}

		db := openRawSQLite(t, path)
		var provider, stored string
		var userID int64
		if err := db.QueryRow(`SELECT provider, subject_hash, user_id FROM identities`).Scan(&provider, &stored, &userID); err != nil {
			t.Fatalf("read identities: %v", err)
		}
		if provider != "oidc" || stored != hash || userID != id {
			t.Fatalf("identity (%q, %q, user %d), want (oidc, %q, user %d)", provider, stored, userID, hash, id)
		}
	})

	t.Run("no table holds the email, name or subject", func(t *testing.T) {
		db := openRawSQLite(t, path)
		rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
		if err != nil {
			t.Fatal(err)
		}
		var tables []string
		for rows.Next() {
			var n string
			rows.Scan(&n)
			tables = append(tables, n)
		}
		rows.Close()
		if len(tables) == 0 {
			t.Fatalf("no tables found")
		}
		for _, table := range tables {
			rows, err := db.Query(`SELECT * FROM "` + table + `"`)
			if err != nil {
				t.Fatalf("read %s: %v", table, err)
			}
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatalf("scan %s: %v", table, err)
				}
				for i, v := range vals {
					s := fmt.Sprint(v)
					if b, ok := v.([]byte); ok {
						s = string(b)
					}
					s = strings.ToLower(s)
					for _, secret := range []string{email, name, "example.org", subject} {
						if strings.Contains(s, strings.ToLower(secret)) {
							t.Fatalf("%s.%s holds %q from the provider: %q", table, cols[i], secret, s)
						}
					}
				}
			}
			rows.Close()
		}
	})

	t.Run("/me shows none of it", func(t *testing.T) {
		body := c.get("/me").mustStatus(http.StatusOK).body
		for _, secret := range []string{email, name, subject, store.SubjectHash("oidc", subject)} {
			if strings.Contains(body, secret) {
				t.Fatalf("/me contains %q: %s", secret, body)
			}
		}
		if userIDPattern.MatchString(body) {
			t.Fatalf("/me has a user id field: %s", body)
		}
	})

	t.Run("the session cookie shows none of it", func(t *testing.T) {
		v := c.jarCookie(sessionCookie)
		for _, secret := range []string{email, name, subject} {
			if strings.Contains(v, secret) {
				t.Fatalf("session cookie contains %q", secret)
			}
		}
	})
}

// openRawSQLite opens the SQLite file at path read-only, without GORM.
func openRawSQLite(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOIDCSessionRotation(t *testing.T) {
	ta, p := newOIDCTestApp(t)
	c := ta.newClient()
	c.fetchCSRF()
	before := c.csrf

	first := c.oidcSignIn(p, &mockoidc.MockUser{Subject: "subject-one"})
	s1 := setCookieNamed(first, sessionCookie).Value
	t1 := c.jarCookie(csrfCookie)

	t.Run("the CSRF token changes at sign-in", func(t *testing.T) {
		if t1 == "" || t1 == before {
			t.Fatalf("_csrf after sign-in %q, before %q: want a new token", t1, before)
		}
		if got, want := c.me().CSRFToken, t1; got != want {
			t.Fatalf("/me csrf_token %q, want the new cookie %q", got, want)
		}
		// The token from before sign-in no longer works.
		c.csrf = before
		if res := c.do("POST", "/auth/logout", nil); res.StatusCode != http.StatusForbidden {
			t.Fatalf("POST with the pre-sign-in token: %d, want 403", res.StatusCode)
		}
		c.csrf = t1
	})

	t.Run("signing in again gives a new session cookie", func(t *testing.T) {
		second := c.oidcSignIn(p, &mockoidc.MockUser{Subject: "subject-one"})
		s2 := setCookieNamed(second, sessionCookie).Value
		if s2 == "" || s2 == s1 {
			t.Fatalf("session cookie did not change when signing in again")
		}
		if got, want := sessionUserID(ta, s2), sessionUserID(ta, s1); got != want {
			t.Fatalf("second session is user %d, want %d", got, want)
		}
		if t2 := c.jarCookie(csrfCookie); t2 == "" || t2 == t1 {
			t.Fatalf("_csrf did not change when signing in again")
		}
	})

	t.Run("signing in as someone else replaces the session", func(t *testing.T) {
		old := sessionUserID(ta, c.jarCookie(sessionCookie))
		res := c.oidcSignIn(p, &mockoidc.MockUser{Subject: "subject-two"})
		now := sessionUserID(ta, setCookieNamed(res, sessionCookie).Value)
		if now == 0 || now == old {
			t.Fatalf("session is user %d after signing in as another subject (was %d)", now, old)
		}
		if got := sessionUserID(ta, c.jarCookie(sessionCookie)); got != now {
			t.Fatalf("client holds user %d's session, want %d", got, now)
		}
	})
}

func TestOIDCSignInFailures(t *testing.T) {
	// Each case gets its own provider and app, so that no queued error or provider
	// session leaks between cases.
	cases := []struct {
		name string
		// run walks a fresh client through a failing sign-in and returns the
		// response Haven gave.
		run        func(t *testing.T, ta *testApp, p *mockProvider, c *client) *response
		wantStatus int
		wantBody   string
	}{
		{
			name: "tampered state",
			run: func(t *testing.T, ta *testApp, p *mockProvider, c *client) *response {
				back := c.oidcAuthorize(c.oidcBegin())
				q := back.Query()
				q.Set("state", q.Get("state")+"x")
				back.RawQuery = q.Encode()
				return c.fetchAbsolute(back.String())
			},
			wantStatus: http.StatusBadRequest,
			wantBody:   "start again",
		},
		{
			name: "state from another browser",
			run: func(t *testing.T, ta *testApp, p *mockProvider, c *client) *response {
				// The attacker's own callback URL, opened in the victim's browser that
				// has begun its own sign-in.
				attacker := ta.newClient()
				back := attacker.oidcAuthorize(attacker.oidcBegin())
				c.oidcBegin()
				return c.fetchAbsolute(back.String())
			},
			wantStatus: http.StatusBadRequest,
		},
		{
			name: "provider refused",
			run: func(t *testing.T, ta *testApp, p *mockProvider, c *client) *response {
				state := c.oidcBegin().Query().Get("state")
				return c.getHTML("/auth/oidc/callback?" + url.Values{"error": {"access_denied"}, "state": {state}}.Encode())
			},
			wantStatus: http.StatusBadRequest,
			wantBody:   "did not sign you in",
		},
		{
			name: "provider error is escaped",
			run: func(t *testing.T, ta *testApp, p *mockProvider, c *client) *response {
				state := c.oidcBegin().Query().Get("state")
				res := c.getHTML("/auth/oidc/callback?" + url.Values{"error": {"<script>alert(1)</script>"}, "state": {state}}.Encode())
				if strings.Contains(res.body, "<script>alert(1)") {
					t.Fatalf("the provider's error is not escaped: %s", res.body)
				}
				return res
			},
			wantStatus: http.StatusBadRequest,
		},
		{
			name: "provider refused, as JSON",
			run: func(t *testing.T, ta *testApp, p *mockProvider, c *client) *response {
				res := c.get("/auth/oidc/callback?error=access_denied&state=x")
				if got, want := res.errorCode(), "bad_request"; got != want {
					t.Fatalf("error code %q, want %q: %s", got, want, res.body)
				}
				return res
			},
			wantStatus: http.StatusBadRequest,
			wantBody:   "did not sign you in",
		},
		{
			name: "callback without begin",
			run: func(t *testing.T, ta *testApp, p *mockProvider, c *client) *response {
				return c.getHTML("/auth/oidc/callback?code=made-up&state=made-up")
			},
			wantStatus: http.StatusBadRequest,
		},
		{
			name: "callback with a real code but without begin",
			run: func(t *testing.T, ta *testApp, p *mockProvider, c *client) *response {
				other := ta.newClient()
				back := other.oidcAuthorize(other.oidcBegin())
				return c.fetchAbsolute(back.String())
			},
			wantStatus: http.StatusBadRequest,
		},
		{
			name: "callback replayed",
			run: func(t *testing.T, ta *testApp, p *mockProvider, c *client) *response {
				other := ta.newClient()
				back := other.oidcAuthorize(other.oidcBegin())
				other.fetchAbsolute(back.String()).mustStatus(http.StatusSeeOther)
				c.oidcBegin() // a gothic session of its own, with another state
				return c.fetchAbsolute(back.String())
			},
			wantStatus: http.StatusBadRequest,
		},
		{
			name: "token endpoint fails",
			run: func(t *testing.T, ta *testApp, p *mockProvider, c *client) *response {
				back := c.oidcAuthorize(c.oidcBegin())
				// Twice: golang.org/x/oauth2 retries the exchange once with the client
				// credentials in the body when the first try fails.
				for range 2 {
					p.QueueError(&mockoidc.ServerError{Code: http.StatusInternalServerError,
						Error: mockoidc.InternalServerError, Description: "token endpoint down"})
				}
				return c.fetchAbsolute(back.String())
			},
			wantStatus: http.StatusBadRequest,
			wantBody:   "did not complete",
		},
		{
			name: "token endpoint refuses the client",
			run: func(t *testing.T, ta *testApp, p *mockProvider, c *client) *response {
				back := c.oidcAuthorize(c.oidcBegin())
				for range 2 {
					p.QueueError(&mockoidc.ServerError{Code: http.StatusUnauthorized,
						Error: mockoidc.InvalidClient, Description: "bad client"})
				}
				return c.fetchAbsolute(back.String())
			},
			wantStatus: http.StatusBadRequest,
		},
		{
			name: "userinfo endpoint fails",
			run: func(t *testing.T, ta *testApp, p *mockProvider, c *client) *response {
				back := c.oidcAuthorize(c.oidcBegin())
				p.failEndpoint(mockoidc.UserinfoEndpoint, http.StatusServiceUnavailable)
				return c.fetchAbsolute(back.String())
			},
			wantStatus: http.StatusBadRequest,
		},
		{
			name: "expired ID token",
			run: func(t *testing.T, ta *testApp, p *mockProvider, c *client) *response {
				back := c.oidcAuthorize(c.oidcBegin())
				p.FastForward(-2 * time.Hour) // the provider issues tokens that expired long ago
				return c.fetchAbsolute(back.String())
			},
			wantStatus: http.StatusBadRequest,
		},
		{
			name: "provider not configured",
			run: func(t *testing.T, ta *testApp, p *mockProvider, c *client) *response {
				c.getHTML("/auth/github/callback?code=x&state=y").mustStatus(http.StatusNotFound)
				c.getHTML("/auth/no-such-provider").mustStatus(http.StatusNotFound)
				return c.getHTML("/auth/github")
			},
			wantStatus: http.StatusNotFound,
		},
		{
			name: "local sign-in page outside local mode",
			run: func(t *testing.T, ta *testApp, p *mockProvider, c *client) *response {
				return c.getHTML("/auth/local")
			},
			wantStatus: http.StatusNotFound,
		},
		{
			name: "local sign-in outside local mode",
			run: func(t *testing.T, ta *testApp, p *mockProvider, c *client) *response {
				c.fetchCSRF()
				c.postForm("/auth/local", url.Values{"name": {"alice"}, "role": {"admin"}}).mustStatus(http.StatusNotFound)
				return c.do("POST", "/auth/local", map[string]any{"name": "alice", "role": "admin"})
			},
			wantStatus: http.StatusNotFound,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ta, p := newOIDCTestApp(t)
			c := ta.newClient()
			res := tc.run(t, ta, p, c)
			if res.StatusCode >= 500 {
				t.Fatalf("status %d, want a 4xx: %.400s", res.StatusCode, res.body)
			}
			if got, want := res.StatusCode, tc.wantStatus; got != want {
				t.Fatalf("status %d, want %d: %.400s", got, want, res.body)
			}
			if tc.wantBody != "" && !strings.Contains(res.body, tc.wantBody) {
				t.Fatalf("body does not mention %q: %.600s", tc.wantBody, res.body)
			}
			mustNotStartSession(t, c, res)
			c.get("/me").mustStatus(http.StatusUnauthorized)
		})
	}
}

func TestOIDCProviderUnreachableAtStart(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now

	cfg := localConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.BaseURL = "http://127.0.0.1:1"
	cfg.OIDCIssuer, cfg.OIDCClientID, cfg.OIDCClientSecret = "http://"+addr+"/oidc", "client", "secret"
	_, err = New(cfg, models.NewTestStore(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil {
		t.Fatalf("New started with an unreachable OpenID Connect provider")
	}
	if !strings.Contains(err.Error(), "HAVEN_OIDC_ISSUER") {
		t.Fatalf("error %q does not name HAVEN_OIDC_ISSUER", err)
	}
}

func TestLocalSignIn(t *testing.T) {
	ta := newTestApp(t)

	t.Run("member", func(t *testing.T) {
		c := ta.newClient()
		c.fetchCSRF()
		res := c.do("POST", "/auth/local", map[string]any{"name": "alice", "role": "member"}).mustStatus(http.StatusOK)
		var me meBody
		res.decode(&me)
		if got, want := me.Role, "member"; got != want {
			t.Fatalf("role %q, want %q", got, want)
		}
		if me.Clinician != nil || me.Memberships == nil || me.CSRFToken == "" {
			t.Fatalf("sign-in answer %s", res.body)
		}
		ck := setCookieNamed(res, sessionCookie)
		if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
			t.Fatalf("session cookie %v, want HttpOnly and SameSite=Lax", ck)
		}
		if got, want := me.CSRFToken, c.jarCookie(csrfCookie); got != want {
			t.Fatalf("csrf_token %q, want the new _csrf cookie %q", got, want)
		}
		// The same name is the same user.
		again := ta.signIn("alice", "member")
		if a, b := sessionUserID(ta, ck.Value), sessionUserID(ta, again.jarCookie(sessionCookie)); a == 0 || a != b {
			t.Fatalf("alice signs in as users %d and %d", a, b)
		}
		if other := sessionUserID(ta, ta.signIn("bob", "member").jarCookie(sessionCookie)); other == sessionUserID(ta, ck.Value) {
			t.Fatalf("alice and bob are the same user")
		}
	})

	t.Run("clinician comes verified", func(t *testing.T) {
		me := ta.signIn("dr-rivera", "clinician").me()
		if got, want := me.Role, "clinician"; got != want {
			t.Fatalf("role %q, want %q", got, want)
		}
		if me.Clinician == nil || me.Clinician.Status != "verified" {
			t.Fatalf("clinician %+v, want status verified", me.Clinician)
		}
	})

	t.Run("admin", func(t *testing.T) {
		if got, want := ta.signIn("root", "admin").me().Role, "admin"; got != want {
			t.Fatalf("role %q, want %q", got, want)
		}
	})

	t.Run("bad role", func(t *testing.T) {
		c := ta.newClient()
		c.fetchCSRF()
		res := c.do("POST", "/auth/local", map[string]any{"name": "mallory", "role": "superuser"}).
			mustStatus(http.StatusUnprocessableEntity)
		var body struct {
			Error apiError `json:"error"`
		}
		res.decode(&body)
		if got, want := body.Error.Code, "invalid"; got != want {
			t.Fatalf("error code %q, want %q", got, want)
		}
		if body.Error.Fields["role"] == "" {
			t.Fatalf("no fields.role in %s", res.body)
		}
		mustNotStartSession(t, c, res)
		// A browser gets the form back with the error.
		html := c.postForm("/auth/local", url.Values{"name": {"mallory"}, "role": {"superuser"}}).
			mustStatus(http.StatusUnprocessableEntity)
		if !strings.Contains(html.body, "choose member, clinician or admin") {
			t.Fatalf("the form does not say what is wrong: %.600s", html.body)
		}
	})

	t.Run("missing name", func(t *testing.T) {
		c := ta.newClient()
		c.fetchCSRF()
		res := c.do("POST", "/auth/local", map[string]any{"name": "  ", "role": "member"}).
			mustStatus(http.StatusUnprocessableEntity)
		if res.errorCode() != "invalid" || !strings.Contains(res.body, `"name"`) {
			t.Fatalf("missing name: %s", res.body)
		}
	})

	t.Run("without a CSRF token", func(t *testing.T) {
		c := ta.newClient() // no _csrf cookie and no header
		res := c.do("POST", "/auth/local", map[string]any{"name": "alice", "role": "member"})
		if got, want := res.StatusCode, http.StatusForbidden; got != want {
			t.Fatalf("status %d, want %d: %s", got, want, res.body)
		}
		if got, want := res.errorCode(), "forbidden"; got != want {
			t.Fatalf("error code %q, want %q", got, want)
		}
		mustNotStartSession(t, c, res)

		c.fetchCSRF() // the cookie, but not the header
		c.csrf = ""
		res = c.do("POST", "/auth/local", map[string]any{"name": "alice", "role": "member"})
		if res.StatusCode != http.StatusForbidden || res.errorCode() != "forbidden" {
			t.Fatalf("cookie without header: %d %s", res.StatusCode, res.body)
		}
		mustNotStartSession(t, c, res)
	})

	t.Run("sign out", func(t *testing.T) {
		c := ta.signIn("carol", "member")
		c.get("/me").mustStatus(http.StatusOK)
		res := c.do("POST", "/auth/logout", nil).mustStatus(http.StatusNoContent)
		if ck := setCookieNamed(res, sessionCookie); ck == nil || ck.MaxAge >= 0 {
			t.Fatalf("logout does not delete the session cookie: %v", res.Header.Values("Set-Cookie"))
		}
		if v := c.jarCookie(csrfCookie); v != "" {
			t.Fatalf("the _csrf cookie outlives the session: %q", v)
		}
		c.get("/me").mustStatus(http.StatusUnauthorized)
		// The browser can sign in again: it gets a fresh CSRF token.
		c.fetchCSRF()
		c.postForm("/auth/local", url.Values{"name": {"carol"}, "role": {"member"}}).mustStatus(http.StatusSeeOther)
		c.get("/me").mustStatus(http.StatusOK)
	})

	t.Run("sign out needs the CSRF token", func(t *testing.T) {
		c := ta.signIn("dave", "member")
		c.csrf = ""
		c.do("POST", "/auth/logout", nil).mustStatus(http.StatusForbidden)
		c.get("/me").mustStatus(http.StatusOK)
	})

	t.Run("browser sign-out redirects home", func(t *testing.T) {
		c := ta.signIn("erin", "member")
		res := c.postForm("/auth/logout", nil).mustStatus(http.StatusSeeOther)
		if got, want := res.Header.Get("Location"), "/"; got != want {
			t.Fatalf("logout redirects to %q, want %q", got, want)
		}
		c.get("/me").mustStatus(http.StatusUnauthorized)
	})

	t.Run("local sign-in page", func(t *testing.T) {
		c := ta.newClient()
		c.getHTML("/auth/local").mustStatus(http.StatusOK)
		var page struct {
			Roles []string `json:"roles"`
		}
		c.get("/auth/local").mustStatus(http.StatusOK).decode(&page)
		if got, want := strings.Join(page.Roles, ","), "member,clinician,admin"; got != want {
			t.Fatalf("roles %q, want %q", got, want)
		}
	})
}

func TestLocalSignInRedirect(t *testing.T) {
	ta := newTestApp(t)
	cases := []struct {
		next, want string
	}{
		{"", "/"},
		{"/groups", "/groups"},
		{"/threads/12?page=2", "/threads/12?page=2"},
		{"//evil.example/x", "/"},
		{"https://evil.example", "/"},
		{"http://evil.example/groups", "/"},
		{"/\\evil.example", "/"},
		{"\\\\evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"evil.example", "/"},
		{"/groups\r\nSet-Cookie: x=y", "/"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("next=%q", tc.next), func(t *testing.T) {
			c := ta.newClient()
			c.fetchCSRF()
			res := c.postForm("/auth/local", url.Values{"name": {"alice"}, "role": {"member"}, "next": {tc.next}}).
				mustStatus(http.StatusSeeOther)
			if got := res.Header.Get("Location"); got != tc.want {
				t.Fatalf("redirects to %q, want %q", got, tc.want)
			}
			if c.jarCookie(sessionCookie) == "" {
				t.Fatalf("no session after signing in")
			}
		})
	}

	t.Run("sign-in page keeps only a local next", func(t *testing.T) {
		c := ta.newClient()
		var page struct {
			Next string `json:"next"`
		}
		c.get("/signin?next=" + url.QueryEscape("//evil.example/x")).mustStatus(http.StatusOK).decode(&page)
		if page.Next != "" && page.Next != "/" {
			t.Fatalf("sign-in page keeps next=%q", page.Next)
		}
		c.get("/signin?next=%2Fgroups").mustStatus(http.StatusOK).decode(&page)
		if got, want := page.Next, "/groups"; got != want {
			t.Fatalf("next %q, want %q", got, want)
		}
	})
}

func TestOIDCSignInRedirect(t *testing.T) {
	ta, _ := newOIDCTestApp(t)
	// signInWithNext begins with ?next=next and returns the callback's response.
	signInWithNext := func(t *testing.T, c *client, next string) *response {
		t.Helper()
		path := "/auth/oidc"
		if next != "" {
			path += "?next=" + url.QueryEscape(next)
		}
		res := c.getHTML(path).mustStatus(http.StatusFound)
		to := mustParseURL(t, res.Header.Get("Location"))
		if got := to.Query().Get("state"); len(got) < 32 {
			t.Fatalf("state %q with next=%q", got, next)
		}
		return c.fetchAbsolute(c.oidcAuthorize(to).String()).mustStatus(http.StatusSeeOther)
	}
	cases := []struct{ next, want string }{
		{"", "/"},
		{"/groups", "/groups"},
		{"/threads/12?page=2", "/threads/12?page=2"},
		{"//evil.example/x", "/"},
		{"https://evil.example", "/"},
		{"/\\evil.example", "/"},
		{"javascript:alert(1)", "/"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("next=%q", tc.next), func(t *testing.T) {
			c := ta.newClient()
			res := signInWithNext(t, c, tc.next)
			if got := res.Header.Get("Location"); got != tc.want {
				t.Fatalf("callback redirects to %q, want %q", got, tc.want)
			}
			for _, ck := range c.http.Jar.Cookies(mustParseURL(t, ta.srv.URL+"/auth/oidc/callback")) {
				if ck.Name == nextCookie {
					t.Fatalf("the %s cookie outlives the callback (value %q)", nextCookie, ck.Value)
				}
			}
			c.get("/me").mustStatus(http.StatusOK)
		})
	}

	t.Run("a next from one sign-in is not reused by the next", func(t *testing.T) {
		c := ta.newClient()
		if got, want := signInWithNext(t, c, "/groups").Header.Get("Location"), "/groups"; got != want {
			t.Fatalf("first sign-in redirects to %q, want %q", got, want)
		}
		if got, want := signInWithNext(t, c, "").Header.Get("Location"), "/"; got != want {
			t.Fatalf("second sign-in redirects to %q, want %q", got, want)
		}
	})

	t.Run("a forged next cookie is ignored", func(t *testing.T) {
		c := ta.newClient()
		c.http.Jar.SetCookies(mustParseURL(t, ta.srv.URL+"/auth"),
			[]*http.Cookie{{Name: nextCookie, Value: "https://evil.example", Path: "/auth"}})
		if got, want := signInWithNext(t, c, "").Header.Get("Location"), "/"; got != want {
			t.Fatalf("callback redirects to %q, want %q", got, want)
		}
	})
}
