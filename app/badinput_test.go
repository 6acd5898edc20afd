package app

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// TestBadInputEverywhere sends the member-facing write and read routes bad input, one
// row each: every answer is a clear 4xx (422 `invalid` naming the field where there is
// one), and nothing is half-written.
func TestBadInputEverywhere(t *testing.T) {
	ta, admin := setupForum(t)
	alice, bob, carol := ta.signIn("alice", "member"), ta.signIn("bob", "member"), ta.signIn("carol", "member")
	alice.do("POST", "/groups/type-2-diabetes/join", nil).mustStatus(200)
	bob.do("POST", "/groups/type-2-diabetes/join", nil).mustStatus(200)
	var created struct {
		Thread threadJSON `json:"thread"`
		Post   postJSON   `json:"post"`
	}
	alice.do("POST", "/groups/type-2-diabetes/threads", map[string]any{"title": "Feet", "body": "Numb toes", "kind": "question"}).
		mustStatus(201).decode(&created)
	tid, pid := created.Thread.ID, created.Post.ID
	var locked struct {
		Thread threadJSON `json:"thread"`
		Post   postJSON   `json:"post"`
	}
	alice.do("POST", "/groups/type-2-diabetes/threads", map[string]any{"title": "Heated", "body": "An argument"}).
		mustStatus(201).decode(&locked)
	bob.do("POST", fmt.Sprintf("/posts/%d/reports", locked.Post.ID), map[string]any{"reason": "harassment"}).mustStatus(201)
	var q struct {
		Items []struct {
			ID      int64 `json:"id"`
			Version int   `json:"version"`
		} `json:"items"`
	}
	admin.get("/moderation/queue").mustStatus(200).decode(&q)
	if len(q.Items) != 1 {
		t.Fatalf("queue has %d items", len(q.Items))
	}
	admin.do("POST", fmt.Sprintf("/moderation/items/%d/resolve", q.Items[0].ID),
		map[string]any{"action": "lock", "reason": "cooling off", "version": q.Items[0].Version}).mustStatus(200)

	// counts is what the database holds that a bad request might have half-written.
	counts := func() string {
		var gv struct {
			Threads []threadJSON `json:"threads"`
		}
		alice.get("/groups/type-2-diabetes").mustStatus(200).decode(&gv)
		var tv struct {
			Posts []postJSON `json:"posts"`
		}
		alice.get(fmt.Sprintf("/threads/%d", tid)).mustStatus(200).decode(&tv)
		out := fmt.Sprintf("threads=%d posts=%d", len(gv.Threads), len(tv.Posts))
		for _, p := range tv.Posts {
			out += fmt.Sprintf(" v%d r%d/%d/%d", p.Version, p.Reactions.Support, p.Reactions.Helpful, p.Reactions.SameHere)
		}
		return out
	}
	before := counts()

	long := func(n int) string { return strings.Repeat("a", n) }
	cases := []struct {
		name   string
		c      *client
		method string
		path   string
		body   map[string]any
		status int
		code   string
		field  string // for 422 invalid
		text   string // in the message, for other errors
	}{
		{"empty title", alice, "POST", "/groups/type-2-diabetes/threads", map[string]any{"title": " ", "body": "x"}, 422, "invalid", "title", ""},
		{"short title", alice, "POST", "/groups/type-2-diabetes/threads", map[string]any{"title": "ab", "body": "x"}, 422, "invalid", "title", ""},
		{"oversized title", alice, "POST", "/groups/type-2-diabetes/threads", map[string]any{"title": long(201), "body": "x"}, 422, "invalid", "title", ""},
		{"empty body", alice, "POST", "/groups/type-2-diabetes/threads", map[string]any{"title": "A title", "body": ""}, 422, "invalid", "body", ""},
		{"oversized body", alice, "POST", "/groups/type-2-diabetes/threads", map[string]any{"title": "A title", "body": long(20001)}, 422, "invalid", "body", ""},
		{"oversized content warning", alice, "POST", "/groups/type-2-diabetes/threads", map[string]any{"title": "A title", "body": "x", "content_warning": long(61)}, 422, "invalid", "content_warning", ""},
		{"unknown kind", alice, "POST", "/groups/type-2-diabetes/threads", map[string]any{"title": "A title", "body": "x", "kind": "poll"}, 422, "invalid", "kind", ""},
		{"oversized reply", alice, "POST", fmt.Sprintf("/threads/%d/posts", tid), map[string]any{"body": long(20001)}, 422, "invalid", "body", ""},
		{"empty reply", alice, "POST", fmt.Sprintf("/threads/%d/posts", tid), map[string]any{"body": "  "}, 422, "invalid", "body", ""},
		{"oversized edit", alice, "PATCH", fmt.Sprintf("/posts/%d", pid), map[string]any{"body": long(20001), "version": 1}, 422, "invalid", "body", ""},
		{"stale edit", alice, "PATCH", fmt.Sprintf("/posts/%d", pid), map[string]any{"body": "new", "version": 7}, 409, "conflict", "", ""},
		{"unknown reaction", bob, "POST", fmt.Sprintf("/posts/%d/reactions", pid), map[string]any{"kind": "love"}, 422, "invalid", "kind", ""},
		{"no reaction kind", bob, "POST", fmt.Sprintf("/posts/%d/reactions", pid), map[string]any{}, 422, "invalid", "kind", ""},
		{"locked thread", bob, "POST", fmt.Sprintf("/threads/%d/posts", locked.Thread.ID), map[string]any{"body": "more"}, 403, "forbidden", "", "locked"},
		{"not joined: thread", carol, "POST", "/groups/type-2-diabetes/threads", map[string]any{"title": "A title", "body": "x"}, 403, "forbidden", "", "join"},
		{"not joined: reply", carol, "POST", fmt.Sprintf("/threads/%d/posts", tid), map[string]any{"body": "x"}, 403, "forbidden", "", "join"},
		{"not joined: reaction", carol, "POST", fmt.Sprintf("/posts/%d/reactions", pid), map[string]any{"kind": "support"}, 403, "forbidden", "", ""},
		{"someone else's post: edit", bob, "PATCH", fmt.Sprintf("/posts/%d", pid), map[string]any{"body": "mine now", "version": 1}, 403, "forbidden", "", "author"},
		{"someone else's post: delete", bob, "DELETE", fmt.Sprintf("/posts/%d", pid), nil, 403, "forbidden", "", "author"},
		{"someone else's thread: accept", bob, "POST", fmt.Sprintf("/threads/%d/accept", tid), map[string]any{"post_id": pid}, 403, "forbidden", "", ""},
		{"accept the opening post", alice, "POST", fmt.Sprintf("/threads/%d/accept", tid), map[string]any{"post_id": pid}, 422, "invalid", "post_id", ""},
		{"non-numeric thread id", alice, "POST", "/threads/abc/posts", map[string]any{"body": "x"}, 404, "not_found", "", ""},
		{"non-numeric post id", alice, "PATCH", "/posts/abc", map[string]any{"body": "x", "version": 1}, 404, "not_found", "", ""},
		{"negative post id", alice, "POST", "/posts/-1/reactions", map[string]any{"kind": "support"}, 404, "not_found", "", ""},
		{"overflowing post id", alice, "POST", "/posts/99999999999999999999/delete", nil, 404, "not_found", "", ""},
		{"unknown post", alice, "POST", "/posts/987654/reactions", map[string]any{"kind": "support"}, 404, "not_found", "", ""},
		{"version not a number", alice, "PATCH", fmt.Sprintf("/posts/%d", pid), map[string]any{"body": "x", "version": "one"}, 400, "bad_request", "", "version must be a whole number"},
		{"post_id not a number", alice, "POST", fmt.Sprintf("/threads/%d/accept", tid), map[string]any{"post_id": "first"}, 400, "bad_request", "", "post_id must be a whole number"},
		{"huge page: thread", alice, "GET", fmt.Sprintf("/threads/%d?page=99999999999", tid), nil, 422, "invalid", "page", ""},
		{"huge page: group", alice, "GET", "/groups/type-2-diabetes?page=99999999999999999999", nil, 422, "invalid", "page", ""},
		{"huge page: search", alice, "GET", "/search?q=feet&page=99999999999", nil, 422, "invalid", "page", ""},
		{"huge page: notifications", alice, "GET", "/notifications?page=99999999999", nil, 422, "invalid", "page", ""},
		{"page zero", alice, "GET", fmt.Sprintf("/threads/%d?page=0", tid), nil, 422, "invalid", "page", ""},
		{"page not a number", alice, "GET", fmt.Sprintf("/threads/%d?page=two", tid), nil, 422, "invalid", "page", ""},
		{"page past the end", alice, "GET", fmt.Sprintf("/threads/%d?page=9", tid), nil, 404, "not_found", "", ""},
		{"oversized search", alice, "GET", "/search?q=" + long(201), nil, 422, "invalid", "q", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var res *response
			if tc.method == "GET" {
				res = tc.c.get(tc.path)
			} else {
				res = tc.c.do(tc.method, tc.path, tc.body)
			}
			if res.StatusCode != tc.status || res.errorCode() != tc.code {
				t.Fatalf("%s %s: %d %s, want %d %s: %.300s", tc.method, tc.path, res.StatusCode, res.errorCode(), tc.status, tc.code, res.body)
			}
			var e struct {
				Error apiError `json:"error"`
			}
			res.decode(&e)
			if tc.field != "" && e.Error.Fields[tc.field] == "" {
				t.Fatalf("no message for field %q: %s", tc.field, res.body)
			}
			if e.Error.Message == "" || !strings.Contains(strings.ToLower(e.Error.Message), strings.ToLower(tc.text)) {
				t.Fatalf("message %q, want it to mention %q", e.Error.Message, tc.text)
			}
		})
	}
	if after := counts(); after != before {
		t.Fatalf("bad input changed the database:\nbefore %s\nafter  %s", before, after)
	}

	// Browsers get their form back with the message beside the field.
	res := alice.postForm("/groups/type-2-diabetes/threads", url.Values{"title": {long(201)}, "body": {"kept text"}}).mustStatus(422)
	if !strings.Contains(res.body, "use at most 200 characters") || !strings.Contains(res.body, "kept text") {
		t.Fatal("the thread form did not come back with the field message and the draft")
	}
	res = bob.postForm(fmt.Sprintf("/posts/%d/reactions", pid), url.Values{"kind": {"love"}})
	if res.StatusCode != 422 {
		t.Fatalf("a form with an unknown reaction: %d", res.StatusCode)
	}
	if after := counts(); after != before {
		t.Fatalf("bad forms changed the database:\nbefore %s\nafter  %s", before, after)
	}
}
