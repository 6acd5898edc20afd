package app

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// csrfFieldPattern finds a form's CSRF token on a page.
var csrfFieldPattern = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// postStale sends a browser form with a stale CSRF token, from origin.
func (c *client) postStale(path string, form url.Values, origin string) *response {
	form.Set("csrf", "stale-token-from-an-old-page")
	req := c.request("POST", path, strings.NewReader(form.Encode()), "text/html", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	return c.roundTrip(req)
}

// TestExpiredFormKeepsDraft: a new thread, a reply and an edit sent with an expired
// CSRF token come back with what was typed and a token that works, and nothing is
// written; a form from another site gets the plain 403.
func TestExpiredFormKeepsDraft(t *testing.T) {
	ta, _ := setupForum(t)
	alice := ta.signIn("alice", "member")
	alice.do("POST", "/groups/type-2-diabetes/join", nil).mustStatus(200)
	var created struct {
		Thread threadJSON `json:"thread"`
		Post   postJSON   `json:"post"`
	}
	alice.do("POST", "/groups/type-2-diabetes/threads", map[string]any{"title": "Feet", "body": "Numb toes"}).mustStatus(201).decode(&created)
	tid, pid := created.Thread.ID, created.Post.ID
	self := ta.srv.URL
	draft := "A long reply I spent an hour on <3"
	cases := []struct {
		name, path string
		form       url.Values
	}{
		{"new thread", "/groups/type-2-diabetes/threads", url.Values{"title": {"My title"}, "body": {draft}, "content_warning": {"hospital"}}},
		{"reply", fmt.Sprintf("/threads/%d/posts", tid), url.Values{"body": {draft}, "content_warning": {"hospital"}}},
		{"edit", fmt.Sprintf("/posts/%d/edit", pid), url.Values{"body": {draft}, "content_warning": {"hospital"}, "version": {"1"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := alice.postStale(tc.path, tc.form, self).mustStatus(403)
			for _, want := range []string{"A long reply I spent an hour on &lt;3", "hospital", "This form had expired"} {
				if !strings.Contains(res.body, want) {
					t.Fatalf("the page lacks %q", want)
				}
			}
			// The page's token works: sending the same form again goes through.
			tok := csrfFieldPattern.FindStringSubmatch(res.body)
			if tok == nil {
				t.Fatal("no CSRF field on the page")
			}
			again := url.Values{}
			for k, v := range tc.form {
				again[k] = v
			}
			again.Set("csrf", tok[1])
			alice.postForm(tc.path, again).mustStatus(303)

			// From another site: the plain 403, with no draft echoed back.
			res = alice.postStale(tc.path, tc.form, "https://evil.example").mustStatus(403)
			if strings.Contains(res.body, "spent an hour") {
				t.Fatal("a cross-site form got its text shown back")
			}
			if res := alice.postStale(tc.path, tc.form, ""); res.StatusCode != 403 || strings.Contains(res.body, "spent an hour") {
				t.Fatalf("a form without Origin: %d", res.StatusCode)
			}
		})
	}
	// Nothing was written by the refused forms: one thread of ours plus one made above,
	// one reply, and the edit made once.
	var gv struct {
		Threads []threadJSON `json:"threads"`
	}
	alice.get("/groups/type-2-diabetes").mustStatus(200).decode(&gv)
	if got, want := len(gv.Threads), 2; got != want {
		t.Fatalf("%d threads, want %d", got, want)
	}
	var tv struct {
		Posts []postJSON `json:"posts"`
	}
	alice.get(fmt.Sprintf("/threads/%d", tid)).mustStatus(200).decode(&tv)
	if got, want := len(tv.Posts), 2; got != want {
		t.Fatalf("%d posts, want %d", got, want)
	}
	if tv.Posts[0].Version != 2 {
		t.Fatalf("opening post version %d, want 2 (one edit)", tv.Posts[0].Version)
	}
	// JSON clients get the JSON error, as before.
	noToken := *alice
	noToken.csrf = ""
	if res := noToken.do("POST", fmt.Sprintf("/threads/%d/posts", tid), map[string]any{"body": "x"}); res.StatusCode != 403 || res.errorCode() != "forbidden" {
		t.Fatalf("JSON without a token: %d %s", res.StatusCode, res.body)
	}
}
