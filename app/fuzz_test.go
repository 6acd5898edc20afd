package app

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// FuzzFormBinding sends arbitrary bodies, as JSON and as HTML forms, to the actions
// that take input, as an admin (who may reach every check). Whatever arrives, Haven
// answers with a 2xx, 3xx or 4xx, never a 500, and JSON answers are JSON. Run it with
//
//	go test ./app -run '^$' -fuzz '^FuzzFormBinding$' -fuzztime=20s
func FuzzFormBinding(f *testing.F) {
	cfg := localConfig()
	cfg.RateLimits = "off"
	ta := newTestAppWith(f, cfg)
	admin := ta.signIn("admin", "admin")
	admin.do("POST", "/groups", map[string]any{"slug": "fuzz", "name": "Fuzz", "visibility": "open"}).mustStatus(http.StatusCreated)
	admin.do("POST", "/groups/fuzz/join", nil).mustStatus(http.StatusOK)
	var created struct {
		Thread struct{ ID int64 } `json:"thread"`
		Post   struct{ ID int64 } `json:"post"`
	}
	admin.do("POST", "/groups/fuzz/threads", map[string]any{"title": "Seed", "body": "Seed post."}).
		mustStatus(http.StatusCreated).decode(&created)
	tid, pid := created.Thread.ID, created.Post.ID
	targets := []struct{ method, path string }{
		{"POST", "/groups/fuzz/threads"},
		{"POST", fmt.Sprintf("/threads/%d/posts", tid)},
		{"PATCH", fmt.Sprintf("/posts/%d", pid)},
		{"POST", fmt.Sprintf("/posts/%d/reactions", pid)},
		{"POST", fmt.Sprintf("/posts/%d/reports", pid)},
		{"POST", "/groups"},
		{"PATCH", "/groups/fuzz"},
		{"POST", "/groups/fuzz/moderators"},
		{"POST", "/groups/fuzz/invites"},
		{"POST", "/groups/fuzz/watched-words"},
		{"POST", fmt.Sprintf("/threads/%d/slow-mode", tid)},
		{"POST", "/announcements"},
		{"POST", "/moderation/items/1/resolve"},
		{"POST", "/admin/scraping/1/resolve"},
	}
	seeds := []string{
		`{}`, `{"title": "t", "body": "b"}`, `{"body": 12}`, `{"body": ["a"]}`, `{"version": "x"}`,
		`{"kind": "support"}`, `{"reason": "spam", "note": null}`, `{"slug": "a b", "name": "", "visibility": 3}`,
		`{"title": "\u0000", "body": "\ud800"}`, `[`, `null`, `[]`, `"str"`, `{"hours": 1e309}`,
		`{"as_clinician": "yes"}`, `{"confirm_personal_data": 1}`, `{"premoderate_first_posts": -1}`,
		"title=t&body=b", "body=%zz", "kind=support&kind=helpful", "a[b]=c", "title=" + strings.Repeat("x", 5000),
		`{"label": {"note": "n", "sources": [1, {}]}}`, `{"seconds": -5}`, `{"expires_at": "tomorrow"}`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), s[0] == '{' || s[0] == '[', s)
	}
	f.Fuzz(func(t *testing.T, which uint8, asJSON bool, body string) {
		target := targets[int(which)%len(targets)]
		req, err := http.NewRequest(target.method, ta.srv.URL+target.path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("X-CSRF-Token", admin.csrf)
		if asJSON {
			req.Header.Set("Content-Type", "application/json")
		} else {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		res, err := admin.http.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", target.method, target.path, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Fatalf("%s %s with %q: status %d: %s", target.method, target.path, body, res.StatusCode, b)
		}
		if len(b) > 0 && !json.Valid(b) {
			t.Fatalf("%s %s with %q: the answer is not JSON: %.300s", target.method, target.path, body, b)
		}
		// The fuzzing admin stays signed in: nothing may end the session.
		if res.StatusCode == http.StatusUnauthorized {
			t.Fatalf("%s %s with %q: signed out", target.method, target.path, body)
		}
	})
}
