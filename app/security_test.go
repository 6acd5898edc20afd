package app

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"haven/models"
	"haven/static"
)

// The security review, as tests: every route × every role, session fixation, open
// redirects on sign-in, the CSP header and cookie flags.

// publicRoutes answer visitors. Every other route needs a signed-in member (401 for
// programs, a redirect to /signin for browsers). A new public route belongs here, on
// purpose.
var publicRoutes = map[string]bool{
	"GET /": true, "GET /healthz": true, "GET /static/*": true, "GET /signin": true, "GET /crisis": true,
	"GET /auth/local": true, "POST /auth/local": true, "GET /auth/:provider": true, "GET /auth/:provider/callback": true,
	"GET /groups": true, "GET /groups/:slug": true, "GET /threads/:id": true, "GET /groups/:slug/members/:pseudonym": true,
	"GET /invites/:token": true, "GET /search": true, "GET /threads/:id/events": true, "GET /events": true,
	"GET /announcements": true, "GET /announcements.atom": true, "POST /announcements/:id/dismiss": true,
	"GET /groups/:slug/resources": true, "GET /groups/:slug/feed.atom": true, "GET /groups/:slug/modlog": true,
	"GET /posts/:id/label": true, "GET /posts/:id": true, "GET /metrics": true,
}

// adminRoute reports whether a route is for site staff only: non-admins get 404.
func adminRoute(method, path string) bool {
	return strings.HasPrefix(path, "/admin/") || (method == "GET" && path == "/groups/new") || (method == "POST" && path == "/groups")
}

// secWorld is a forum with one of each role.
type secWorld struct {
	ta                       *testApp
	threadID, postID, itemID int64
	memberPseudonym          string
	roles                    []string
	signIn                   func(role string) *client
}

func setupSecurityWorld(t *testing.T) *secWorld {
	t.Helper()
	ta := newTestApp(t)
	w := &secWorld{ta: ta, roles: []string{"visitor", "member", "other-group member", "group moderator", "clinician", "admin"}}
	admin := ta.signIn("sec-admin", "admin")
	for _, slug := range []string{"g", "other"} {
		admin.do("POST", "/groups", map[string]any{"slug": slug, "name": "Group " + slug, "visibility": "open"}).mustStatus(http.StatusCreated)
	}
	member := ta.signIn("sec-member", "member")
	w.memberPseudonym = member.do("POST", "/groups/g/join", nil).mustStatus(http.StatusOK).json()["membership"].(map[string]any)["pseudonym"].(string)
	ta.signIn("sec-other", "member").do("POST", "/groups/other/join", nil).mustStatus(http.StatusOK)
	mod := ta.signIn("sec-mod", "member")
	modName := mod.do("POST", "/groups/g/join", nil).mustStatus(http.StatusOK).json()["membership"].(map[string]any)["pseudonym"].(string)
	admin.do("POST", "/groups/g/moderators", map[string]any{"pseudonym": modName, "role": "moderator"}).mustStatus(http.StatusOK)
	ta.signIn("sec-clinician", "clinician")

	var created struct {
		Thread struct{ ID int64 } `json:"thread"`
		Post   struct{ ID int64 } `json:"post"`
	}
	member.do("POST", "/groups/g/threads", map[string]any{"title": "Night sweats", "body": "Anyone else?", "kind": "question"}).
		mustStatus(http.StatusCreated).decode(&created)
	w.threadID, w.postID = created.Thread.ID, created.Post.ID
	admin.do("POST", "/groups/g/join", nil).mustStatus(http.StatusOK)
	admin.do("POST", fmt.Sprintf("/posts/%d/reports", w.postID), map[string]any{"reason": "other", "note": "check"}).mustStatus(http.StatusCreated)
	var queue struct {
		Items []struct{ ID int64 } `json:"items"`
	}
	admin.get("/moderation/queue").mustStatus(http.StatusOK).decode(&queue)
	if len(queue.Items) == 0 {
		t.Fatalf("no queue item to test with")
	}
	w.itemID = queue.Items[0].ID
	names := map[string][2]string{
		"member": {"sec-member", "member"}, "other-group member": {"sec-other", "member"},
		"group moderator": {"sec-mod", "member"}, "clinician": {"sec-clinician", "clinician"}, "admin": {"sec-admin", "admin"},
	}
	w.signIn = func(role string) *client {
		if role == "visitor" {
			c := ta.newClient()
			c.fetchCSRF()
			return c
		}
		n := names[role]
		return ta.signIn(n[0], n[1])
	}
	return w
}

// fill turns a route pattern into a URL of things that exist.
func (w *secWorld) fill(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		prev := ""
		if i > 0 {
			prev = parts[i-1]
		}
		switch {
		case p == "*":
			parts[i] = "css/haven.css"
		case p == ":slug":
			parts[i] = "g"
		case p == ":pseudonym":
			parts[i] = w.memberPseudonym
		case p == ":token":
			parts[i] = "not-a-real-invitation-token"
		case p == ":provider":
			parts[i] = "github" // not configured here
		case p == ":id" && prev == "threads":
			parts[i] = fmt.Sprint(w.threadID)
		case p == ":id" && prev == "posts":
			parts[i] = fmt.Sprint(w.postID)
		case p == ":id" && prev == "items":
			parts[i] = fmt.Sprint(w.itemID)
		case strings.HasPrefix(p, ":"):
			parts[i] = "1"
		}
	}
	return strings.Join(parts, "/")
}

// destructive routes run last, so that they do not change what the others see.
func destructive(method, path string) bool {
	return method == "DELETE" || strings.Contains(path, "logout") || strings.Contains(path, "leave") ||
		strings.Contains(path, "delete") || strings.Contains(path, "memorialise") || strings.Contains(path, "sanction")
}

func TestEveryRouteForEveryRole(t *testing.T) {
	w := setupSecurityWorld(t)
	type route struct{ method, path string }
	var routes []route
	seen := map[string]bool{}
	for _, r := range w.ta.echo.Routes() {
		key := r.Method + " " + r.Path
		if seen[key] || r.Method == "echo_route_any" || strings.HasPrefix(r.Method, "RouteNotFound") {
			continue
		}
		seen[key] = true
		routes = append(routes, route{r.Method, r.Path})
	}
	sort.SliceStable(routes, func(i, j int) bool {
		di, dj := destructive(routes[i].method, routes[i].path), destructive(routes[j].method, routes[j].path)
		if di != dj {
			return !di
		}
		if routes[i].path != routes[j].path {
			return routes[i].path < routes[j].path
		}
		return routes[i].method < routes[j].method
	})
	if len(routes) < 50 {
		t.Fatalf("only %d routes registered", len(routes))
	}
	checked := 0
	for _, r := range routes {
		key := r.method + " " + r.path
		for _, role := range w.roles {
			c := w.signIn(role)
			target := w.fill(r.path)
			for _, accept := range []string{"application/json", "text/html"} {
				if r.method != "GET" && accept == "text/html" {
					continue
				}
				res := w.send(t, c, r.method, target, accept)
				checked++
				where := fmt.Sprintf("%s (%s) as %s, %s", key, target, role, accept)
				if res.status >= 500 {
					t.Errorf("%s: status %d: %.300s", where, res.status, res.body)
				}
				if res.header.Get("Content-Security-Policy") != contentSecurityPolicy {
					t.Errorf("%s: no Content-Security-Policy header", where)
				}
				if res.header.Get("X-Content-Type-Options") != "nosniff" {
					t.Errorf("%s: no X-Content-Type-Options: nosniff", where)
				}
				for _, ck := range res.cookies {
					if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path == "" {
						t.Errorf("%s: cookie %s lacks HttpOnly, SameSite=Lax or a path: %s", where, ck.Name, ck.Raw)
					}
				}
				switch {
				case role == "visitor" && !publicRoutes[key]:
					if accept == "application/json" && res.status != http.StatusUnauthorized {
						t.Errorf("%s: status %d, want 401 (add the route to publicRoutes only if visitors may use it)", where, res.status)
					}
					if accept == "text/html" && (res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/signin?next=")) {
						t.Errorf("%s: status %d to %q, want a 303 to /signin", where, res.status, res.header.Get("Location"))
					}
				case role != "admin" && adminRoute(r.method, r.path):
					if res.status != http.StatusNotFound && res.status != http.StatusForbidden {
						t.Errorf("%s: status %d, want 404 for non-admins", where, res.status)
					}
				}
				if role != "admin" && accept == "application/json" && userIDPattern.MatchString(res.body) {
					t.Errorf("%s: the answer carries a user id, subject or email: %.300s", where, res.body)
				}
			}
		}
	}
	t.Logf("%d routes × %d roles: %d requests checked", len(routes), len(w.roles), checked)
}

// secResponse is what the route walk looks at.
type secResponse struct {
	status  int
	header  http.Header
	cookies []*http.Cookie
	body    string
}

// send makes one request with an empty JSON body for unsafe methods. Live streams
// are cut after their headers.
func (w *secWorld) send(t *testing.T, c *client, method, path, accept string) secResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var body io.Reader
	if method != "GET" {
		body = strings.NewReader("{}")
	}
	req, err := http.NewRequestWithContext(ctx, method, w.ta.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", accept)
	if method != "GET" {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	res, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	out := secResponse{status: res.StatusCode, header: res.Header, cookies: res.Cookies()}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		return out
	}
	b, _ := io.ReadAll(res.Body)
	out.body = string(b)
	return out
}

func TestUnsafeMethodsNeedCSRF(t *testing.T) {
	w := setupSecurityWorld(t)
	member := w.signIn("member")
	member.csrf = ""
	for _, r := range w.ta.echo.Routes() {
		if r.Method == "GET" || r.Method == "HEAD" || strings.HasPrefix(r.Path, "/static/") || !strings.HasPrefix(r.Path, "/") {
			continue
		}
		if r.Method != "POST" && r.Method != "PATCH" && r.Method != "DELETE" && r.Method != "PUT" {
			continue
		}
		res := w.send(t, member, r.Method, w.fill(r.Path), "application/json")
		if res.status != http.StatusForbidden {
			t.Errorf("%s %s without a CSRF token: status %d, want 403", r.Method, r.Path, res.status)
		}
	}
}

func TestSessionFixation(t *testing.T) {
	ta := newTestApp(t)
	attacker := ta.signIn("mallory", "member")
	attackerSession := attacker.jarCookie(sessionCookie)
	attackerID := sessionUserID(ta, attackerSession)

	// The victim's browser holds a session the attacker planted (or a made-up value).
	for _, planted := range []string{attackerSession, "made-up-session-value"} {
		victim := ta.newClient()
		u, _ := url.Parse(ta.srv.URL)
		victim.http.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: planted, Path: "/"}})
		victim.fetchCSRF()
		before := victim.csrf
		victim.do("POST", "/auth/local", map[string]any{"name": "victoria", "role": "member"}).mustStatus(http.StatusOK)
		after := victim.jarCookie(sessionCookie)
		if after == planted || after == "" {
			t.Fatalf("the session cookie did not change on sign-in")
		}
		if got := victim.jarCookie(csrfCookie); got == before {
			t.Fatalf("the CSRF token did not change on sign-in")
		}
		victimID := sessionUserID(ta, after)
		if victimID == 0 || victimID == attackerID {
			t.Fatalf("victim signed in as user %d (attacker %d)", victimID, attackerID)
		}
		// The planted session is still only the attacker's: signing in did not lift it
		// to the victim's account.
		if got := sessionUserID(ta, attackerSession); got != attackerID {
			t.Fatalf("the attacker's session now belongs to user %d", got)
		}
	}
	// Signing in twice gives two different session values.
	a, b := ta.signIn("victoria", "member").jarCookie(sessionCookie), ta.signIn("victoria", "member").jarCookie(sessionCookie)
	if a == b {
		t.Fatalf("two sign-ins share a session value")
	}
}

func TestSignInRedirectsOnlyToLocalPaths(t *testing.T) {
	evil := []string{
		"//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example", "https://evil.example",
		"http:evil.example", "javascript:alert(1)", "/\t/evil.example", "/\n/evil.example", "/\r\n//evil.example",
		" //evil.example", "%2F%2Fevil.example", "evil.example", "/%09/evil.example", "\x00//evil.example", "//evil.example/%2e%2e",
		"data:text/html,x", "/\x7f/evil.example",
	}
	for _, next := range evil {
		got := safeNext(next)
		if got != "/" && (!strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.HasPrefix(got, "/\\") ||
			strings.ContainsAny(got, "\t\r\n\x00\x7f")) {
			t.Errorf("safeNext(%q) = %q: not a local path", next, got)
		}
	}
	for _, next := range []string{"/groups/asthma", "/threads/4?page=2#p9", "/search?q=a%2Fb"} {
		if got := safeNext(next); got != next {
			t.Errorf("safeNext(%q) = %q, want it kept", next, got)
		}
	}

	// Through the sign-in form, as a browser sends it.
	ta := newTestApp(t)
	for _, next := range append(evil, "/groups") {
		c := ta.newClient()
		c.fetchCSRF()
		res := c.postForm("/auth/local", url.Values{"name": {"rita"}, "role": {"member"}, "next": {next}})
		loc := res.Header.Get("Location")
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-in with next=%q: status %d", next, res.StatusCode)
		}
		u, err := url.Parse(loc)
		if err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\") {
			t.Errorf("sign-in with next=%q redirects to %q", next, loc)
		}
	}
}

func TestCSPOnEveryPageAndAsset(t *testing.T) {
	ta := newTestApp(t)
	c := ta.newClient()
	paths := []string{"/", "/signin", "/crisis", "/groups", "/no-such-page", "/threads/999999", "/search?q=x"}
	fs.WalkDir(static.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(p, ".go") {
			paths = append(paths, "/static/"+p)
		}
		return nil
	})
	for _, p := range paths {
		for _, res := range []*response{c.getHTML(p), c.get(p)} {
			if got := res.Header.Get("Content-Security-Policy"); got != contentSecurityPolicy {
				t.Errorf("GET %s: Content-Security-Policy %q", p, got)
			}
		}
	}
	// The policy allows no inline script, no other origins, no framing.
	for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'", "form-action 'self'"} {
		if !strings.Contains(contentSecurityPolicy, want) {
			t.Errorf("the policy lacks %s", want)
		}
	}
	if strings.Contains(contentSecurityPolicy, "unsafe-inline") || strings.Contains(contentSecurityPolicy, "unsafe-eval") {
		t.Errorf("the policy allows unsafe-inline or unsafe-eval")
	}
}

func TestCookieFlagsOverHTTPS(t *testing.T) {
	cfg := localConfig()
	cfg.BaseURL = "https://haven.example.org"
	store := models.NewTestStore(t)
	_, e, err := build(cfg, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest("GET", "/signin", nil))
	if got := rec.Header().Get("Strict-Transport-Security"); !strings.Contains(got, "max-age=") {
		t.Errorf("no HSTS header over https: %q", got)
	}
	var csrf *http.Cookie
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == csrfCookie {
			csrf = ck
		}
	}
	if csrf == nil {
		t.Fatalf("no CSRF cookie")
	}
	req := httptest.NewRequest("POST", "/auth/local", strings.NewReader(`{"name": "sam", "role": "member"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", csrf.Value)
	req.AddCookie(csrf)
	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("sign-in: %d %s", rec.Code, rec.Body)
	}
	cookies := append(rec.Result().Cookies(), csrf)
	names := map[string]bool{}
	for _, ck := range cookies {
		names[ck.Name] = true
		if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
			t.Errorf("cookie %s over https lacks Secure, HttpOnly or SameSite=Lax: %s", ck.Name, ck.Raw)
		}
	}
	if !names[sessionCookie] {
		t.Fatalf("no session cookie after sign-in")
	}
}
