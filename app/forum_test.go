package app

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// setupForum makes an admin, an open and a closed group, and a member in the open one.
func setupForum(t *testing.T) (*testApp, *client) {
	t.Helper()
	ta := newTestApp(t)
	admin := ta.signIn("admin", "admin")
	for _, g := range []map[string]any{
		{"slug": "type-2-diabetes", "name": "Type 2 diabetes", "description": "Living with T2D", "visibility": "open"},
		{"slug": "carers", "name": "Dementia carers", "visibility": "closed"},
		{"slug": "hidden", "name": "Hidden", "visibility": "secret"},
	} {
		admin.do("POST", "/groups", g).mustStatus(201)
	}
	return ta, admin
}

func TestGroupsJSON(t *testing.T) {
	ta, _ := setupForum(t)
	visitor := ta.newClient()
	res := visitor.get("/groups").mustStatus(200)
	var body struct {
		Groups []map[string]any `json:"groups"`
	}
	res.decode(&body)
	if got, want := len(body.Groups), 2; got != want {
		t.Fatalf("visitor sees %d groups, want %d (secret hidden): %s", got, want, res.body)
	}
	for _, k := range []string{"slug", "name", "description", "visibility", "member_count", "thread_count", "joined"} {
		if _, ok := body.Groups[0][k]; !ok {
			t.Fatalf("group lacks %q: %v", k, body.Groups[0])
		}
	}
	visitor.get("/groups/hidden").mustStatus(404)
	if code := visitor.get("/groups/hidden").errorCode(); code != "not_found" {
		t.Fatalf("error code %q, want not_found", code)
	}
	visitor.getHTML("/groups/hidden").mustStatus(404)
}

func TestMemberFlowOverJSON(t *testing.T) {
	ta, _ := setupForum(t)
	alice := ta.signIn("alice", "member")
	bob := ta.signIn("bob", "member")

	j := alice.do("POST", "/groups/type-2-diabetes/join", nil).mustStatus(200).json()
	m := j["membership"].(map[string]any)
	pa := m["pseudonym"].(string)
	if m["status"] != "active" || m["role"] != "member" || pa == "" {
		t.Fatalf("membership %v", m)
	}
	pending := alice.do("POST", "/groups/carers/join", nil).mustStatus(200).json()["membership"].(map[string]any)
	if pending["status"] != "pending" {
		t.Fatalf("closed group join: %v, want pending", pending)
	}
	if pending["pseudonym"] == pa {
		t.Fatal("same pseudonym in two groups")
	}

	res := alice.do("POST", "/groups/type-2-diabetes/threads", map[string]any{
		"title": "Tired after lunch", "body": "Is this **normal**?", "kind": "question"}).mustStatus(201)
	var created struct {
		Thread  threadJSON   `json:"thread"`
		Post    postJSON     `json:"post"`
		Notices []noticeJSON `json:"notices"`
	}
	res.decode(&created)
	if created.Thread.ID == 0 || created.Thread.Kind != "question" || *created.Thread.Author.Pseudonym != pa {
		t.Fatalf("created %+v", created.Thread)
	}
	if created.Notices == nil {
		t.Fatal("notices missing")
	}

	// Bob must join before replying.
	path := fmt.Sprintf("/threads/%d/posts", created.Thread.ID)
	if res := bob.do("POST", path, map[string]any{"body": "Same here"}); res.StatusCode != 403 {
		t.Fatalf("reply before joining: %d", res.StatusCode)
	}
	pb := bob.do("POST", "/groups/type-2-diabetes/join", nil).mustStatus(200).json()["membership"].(map[string]any)["pseudonym"]
	bob.do("POST", path, map[string]any{"body": "Same here, it passes."}).mustStatus(201)

	page := ta.newClient().get(fmt.Sprintf("/threads/%d", created.Thread.ID)).mustStatus(200)
	var tv struct {
		Thread threadJSON `json:"thread"`
		Posts  []postJSON `json:"posts"`
		Page   pageJSON   `json:"page"`
	}
	page.decode(&tv)
	if got, want := len(tv.Posts), 2; got != want {
		t.Fatalf("%d posts, want %d", got, want)
	}
	if got := *tv.Posts[1].Author.Pseudonym; got != pb {
		t.Fatalf("reply by %q, want %q", got, pb)
	}
	if tv.Posts[0].Reactions != (reactionsJSON{}) || tv.Posts[0].Version != 1 {
		t.Fatalf("post shape %+v", tv.Posts[0])
	}
	if tv.Thread.ReplyCount != 1 || tv.Page.Number != 1 || tv.Page.Size != 50 {
		t.Fatalf("thread %+v page %+v", tv.Thread, tv.Page)
	}
	for _, r := range []*response{page, res, alice.get("/groups/type-2-diabetes"), alice.get("/groups"), alice.get("/")} {
		if userIDPattern.MatchString(r.body) {
			t.Fatalf("%s leaks a user id field: %s", r.Request.URL.Path, r.body)
		}
	}

	me := alice.get("/me").mustStatus(200).json()
	if ms := me["memberships"].([]any); len(ms) != 2 {
		t.Fatalf("/me memberships %v", ms)
	}
	if me["csrf_token"] == "" || me["role"] != "member" {
		t.Fatalf("/me %v", me)
	}
}

func TestCSRF(t *testing.T) {
	ta, _ := setupForum(t)
	alice := ta.signIn("alice", "member")
	token := alice.csrf

	alice.csrf = ""
	if res := alice.do("POST", "/groups/type-2-diabetes/join", nil); res.StatusCode != 403 && res.StatusCode != 400 {
		t.Fatalf("join without token: %d", res.StatusCode)
	}
	alice.csrf = "not-the-token"
	res := alice.do("POST", "/groups/type-2-diabetes/join", nil)
	if res.StatusCode != 403 || res.errorCode() != "forbidden" {
		t.Fatalf("join with a wrong token: %d %s", res.StatusCode, res.body)
	}
	// A cross-site browser request is refused even with the cookie.
	req := alice.request("POST", "/groups/type-2-diabetes/join", nil, "application/json", "")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if res := alice.roundTrip(req); res.StatusCode != 403 {
		t.Fatalf("cross-site post: %d", res.StatusCode)
	}
	alice.csrf = token
	alice.do("POST", "/groups/type-2-diabetes/join", nil).mustStatus(200)
	// The form field works too.
	alice.postForm("/groups/type-2-diabetes/leave", nil).mustStatus(303)
}

func TestAuthRequired(t *testing.T) {
	ta, _ := setupForum(t)
	c := ta.newClient()
	c.fetchCSRF()
	for _, path := range []string{"/groups/type-2-diabetes/join", "/groups/type-2-diabetes/threads", "/threads/1/posts"} {
		res := c.do("POST", path, map[string]any{"title": "x", "body": "y"})
		if res.StatusCode != 401 || res.errorCode() != "unauthenticated" {
			t.Fatalf("POST %s as visitor: %d %s", path, res.StatusCode, res.body)
		}
	}
	c.get("/me").mustStatus(401)
	// A browser is sent to sign in and back.
	res := c.getHTML("/me").mustStatus(303)
	if got, want := res.Header.Get("Location"), "/signin?next=%2Fme"; got != want {
		t.Fatalf("redirect to %q, want %q", got, want)
	}
	// Admin routes are not found for members.
	alice := ta.signIn("alice", "member")
	alice.do("POST", "/groups", map[string]any{"slug": "x", "name": "X"}).mustStatus(404)
	alice.get("/groups/new").mustStatus(404)
}

func TestBadInput(t *testing.T) {
	ta, admin := setupForum(t)
	alice := ta.signIn("alice", "member")
	alice.do("POST", "/groups/type-2-diabetes/join", nil).mustStatus(200)

	res := alice.do("POST", "/groups/type-2-diabetes/threads", map[string]any{"title": "", "body": "", "kind": "poll"}).mustStatus(422)
	var e struct {
		Error apiError `json:"error"`
	}
	res.decode(&e)
	if e.Error.Code != "invalid" || e.Error.Fields["title"] == "" || e.Error.Fields["body"] == "" || e.Error.Fields["kind"] == "" {
		t.Fatalf("error %+v", e.Error)
	}
	// Malformed JSON is a 400.
	req := alice.request("POST", "/groups/type-2-diabetes/threads", strings.NewReader("{not json"), "application/json", "application/json")
	req.Header.Set("X-CSRF-Token", alice.csrf)
	if res := alice.roundTrip(req); res.StatusCode != 400 || res.errorCode() != "bad_request" {
		t.Fatalf("malformed json: %d %s", res.StatusCode, res.body)
	}
	alice.get("/threads/abc").mustStatus(404)
	alice.get("/threads/999999").mustStatus(404)
	alice.get("/groups/type-2-diabetes?page=0").mustStatus(422)
	alice.get("/groups/type-2-diabetes?page=99999999999").mustStatus(422)
	alice.get("/groups/type-2-diabetes?page=7").mustStatus(404)
	admin.do("POST", "/groups", map[string]any{"slug": "Bad Slug!", "name": ""}).mustStatus(422)
	admin.do("POST", "/groups", map[string]any{"slug": "carers", "name": "Again"}).mustStatus(422)
	// An oversized body is refused before it is read.
	big := strings.Repeat("a", 2<<20)
	if res := alice.do("POST", "/groups/type-2-diabetes/threads", map[string]any{"title": "big", "body": big}); res.StatusCode != 413 {
		t.Fatalf("2 MiB body: %d", res.StatusCode)
	}
}

func TestHTMLFormsKeepDrafts(t *testing.T) {
	ta, _ := setupForum(t)
	alice := ta.signIn("alice", "member")
	alice.postForm("/groups/type-2-diabetes/join", nil).mustStatus(303)
	draft := "My words that must not be lost <3"
	res := alice.postForm("/groups/type-2-diabetes/threads", url.Values{"title": {""}, "body": {draft}}).mustStatus(422)
	if !strings.Contains(res.body, "My words that must not be lost &lt;3") {
		t.Fatalf("the draft is not in the re-rendered form: %s", res.body)
	}
	res = alice.postForm("/groups/type-2-diabetes/threads", url.Values{"title": {"A real title"}, "body": {draft}, "kind": {"discussion"}}).mustStatus(303)
	loc := res.Header.Get("Location")
	if !strings.HasPrefix(loc, "/threads/") {
		t.Fatalf("redirect to %q", loc)
	}
	page := alice.getHTML(loc).mustStatus(200)
	if !strings.Contains(page.body, "My words that must not be lost &lt;3") {
		t.Fatal("the thread page lacks the post")
	}
	// Reply with an empty body: the form comes back with the content warning kept.
	res = alice.postForm(loc+"/posts", url.Values{"body": {" "}, "content_warning": {"hospital stay"}}).mustStatus(422)
	if !strings.Contains(res.body, "hospital stay") {
		t.Fatal("the reply form lost the content warning")
	}
}

func TestSecurityHeaders(t *testing.T) {
	ta := newTestApp(t)
	res := ta.newClient().getHTML("/").mustStatus(200)
	for h, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "same-origin",
	} {
		if got := res.Header.Get(h); got != want {
			t.Fatalf("%s = %q, want %q", h, got, want)
		}
	}
	csp := res.Header.Get("Content-Security-Policy")
	for _, part := range []string{"script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
		if !strings.Contains(csp, part) {
			t.Fatalf("CSP %q lacks %q", csp, part)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Fatal("CSP allows inline code")
	}
	if strings.Contains(res.body, "<script>") || strings.Contains(res.body, " style=") {
		t.Fatal("the page has inline script or style")
	}
	if !strings.Contains(res.body, "Local mode") {
		t.Fatal("no local-mode banner")
	}
	ta.newClient().get("/healthz").mustStatus(200)
}

func TestStaticAssets(t *testing.T) {
	ta := newTestApp(t)
	c := ta.newClient()
	res := c.getHTML("/static/css/haven.css?v=1").mustStatus(200)
	if got := res.Header.Get("Cache-Control"); !strings.Contains(got, "immutable") {
		t.Fatalf("cache-control %q", got)
	}
	c.getHTML("/static/static.go").mustStatus(404)
	c.getHTML("/static/../go.mod").mustStatus(404)
	c.getHTML("/static/nope.css").mustStatus(404)
}

func TestPanicIsA500WithoutStack(t *testing.T) {
	ta := newTestApp(t)
	ta.echo.GET("/boom", func(echo.Context) error { panic("secret internal detail") })
	c := ta.newClient()
	for _, res := range []*response{c.get("/boom"), c.getHTML("/boom")} {
		res.mustStatus(500)
		if strings.Contains(res.body, "secret internal detail") || strings.Contains(res.body, "goroutine") {
			t.Fatalf("the 500 response leaks the panic: %s", res.body)
		}
	}
	if got := c.get("/boom").errorCode(); got != "internal" {
		t.Fatalf("error code %q, want internal", got)
	}
}

// A request its client gave up on is not a server error: it is answered (to nobody)
// and logged as 499, not 500. A timeout is still ours.
func TestCancelledRequestIsNotA500(t *testing.T) {
	ta := newTestApp(t)
	ta.echo.GET("/gone", func(echo.Context) error { return fmt.Errorf("models: search: %w", context.Canceled) })
	ta.echo.GET("/slow", func(echo.Context) error { return fmt.Errorf("models: search: %w", context.DeadlineExceeded) })
	c := ta.newClient()
	res := c.get("/gone")
	res.mustStatus(statusClientClosed)
	if got := res.errorCode(); got != "canceled" {
		t.Fatalf("error code %q, want canceled", got)
	}
	c.get("/slow").mustStatus(500)
}
