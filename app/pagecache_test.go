package app

import (
	"fmt"
	"strings"
	"testing"
)

// cacheStats reads the page cache's counters.
func cacheStats(ta *testApp) (hits, misses uint64) {
	pc := ta.handler.pages
	pc.mu.RLock()
	defer pc.mu.RUnlock()
	return pc.hits, pc.misses
}

// mustHit fetches path as visitor c and checks that the page came from the cache.
func mustHit(t *testing.T, ta *testApp, c *client, path string) string {
	t.Helper()
	h0, _ := cacheStats(ta)
	body := c.getHTML(path).mustStatus(200).body
	if h1, _ := cacheStats(ta); h1 != h0+1 {
		t.Fatalf("GET %s was not a cache hit (hits %d → %d)", path, h0, h1)
	}
	return body
}

func TestVisitorPagesCachedAndFreshAfterWrites(t *testing.T) {
	ta, admin := setupForum(t)
	alice := ta.signIn("alice", "member")
	alice.do("POST", "/groups/type-2-diabetes/join", nil).mustStatus(200)
	th := alice.do("POST", "/groups/type-2-diabetes/threads", map[string]any{"title": "Morning readings", "body": "first post"}).mustStatus(201).json()
	id := int(th["thread"].(map[string]any)["id"].(float64))
	path := fmt.Sprintf("/threads/%d", id)

	visitor := ta.newClient()
	for _, p := range []string{path, "/groups/type-2-diabetes", "/"} {
		visitor.getHTML(p).mustStatus(200) // fills the cache
		mustHit(t, ta, visitor, p)
	}

	steps := []struct {
		name  string
		write func()
		page  string
		want  string
	}{
		{"reply", func() {
			alice.do("POST", path+"/posts", map[string]any{"body": "a reply with **news**"}).mustStatus(201)
		}, path, "<strong>news</strong>"},
		{"reply on the group page", nil, "/groups/type-2-diabetes", "1 reply"},
		{"new thread on the group page", func() {
			alice.do("POST", "/groups/type-2-diabetes/threads", map[string]any{"title": "Evening walks", "body": "who walks?"}).mustStatus(201)
		}, "/groups/type-2-diabetes", "Evening walks"},
		{"thread count on the home page", nil, "/", "2 threads"},
		{"group renamed", func() {
			admin.do("PATCH", "/groups/type-2-diabetes", map[string]any{"name": "Type 2 diabetes UK", "description": "Living with T2D",
				"visibility": "open"}).mustStatus(200)
		}, path, "Type 2 diabetes UK"},
	}
	for _, s := range steps {
		if s.write != nil {
			s.write()
		}
		// The first look after a write loads the page again; the next is a cache hit,
		// and both show the write.
		if body := visitor.getHTML(s.page).mustStatus(200).body; !strings.Contains(body, s.want) {
			t.Fatalf("%s: %s lacks %q after the write", s.name, s.page, s.want)
		}
		if body := mustHit(t, ta, visitor, s.page); !strings.Contains(body, s.want) {
			t.Fatalf("%s: cached %s lacks %q", s.name, s.page, s.want)
		}
	}

	// A group made closed stops showing its threads to visitors at once.
	admin.do("PATCH", "/groups/type-2-diabetes", map[string]any{"name": "Type 2 diabetes UK", "description": "Living with T2D",
		"visibility": "closed"}).mustStatus(200)
	if res := visitor.getHTML(path); res.StatusCode != 404 {
		t.Fatalf("closed group thread: status %d for a visitor, want 404", res.StatusCode)
	}
}

func TestCachedPageHoldsNothingPerViewer(t *testing.T) {
	ta, _ := setupForum(t)
	alice := ta.signIn("alice", "member")
	alice.do("POST", "/groups/type-2-diabetes/join", nil).mustStatus(200)
	bob := ta.signIn("bob", "member")
	bob.do("POST", "/groups/type-2-diabetes/join", nil).mustStatus(200)
	th := alice.do("POST", "/groups/type-2-diabetes/threads", map[string]any{"title": "Foot care", "body": "what do you use?"}).mustStatus(201).json()
	id := int(th["thread"].(map[string]any)["id"].(float64))
	path := fmt.Sprintf("/threads/%d", id)
	p := bob.do("POST", path+"/posts", map[string]any{"body": "cream every night"}).mustStatus(201).json()
	pid := int(p["post"].(map[string]any)["id"].(float64))
	alice.postForm(fmt.Sprintf("/posts/%d/reactions", pid), map[string][]string{"kind": {"support"}})

	// Members' pages first, then the visitor's: nothing of theirs may leak into it.
	aliceBody := alice.getHTML(path).mustStatus(200).body
	if !strings.Contains(aliceBody, `aria-pressed="true"`) || !strings.Contains(aliceBody, "reaction-form") {
		t.Fatalf("alice's page lacks her reaction form and state")
	}
	visitor := ta.newClient()
	visitor.getHTML(path).mustStatus(200)
	body := mustHit(t, ta, visitor, path)
	for _, leak := range []string{"reaction-form", `aria-pressed="true"`, alice.csrf, bob.csrf, "/delete", "/edit", "Report", "slow-mode"} {
		if leak != "" && strings.Contains(body, leak) {
			t.Fatalf("the visitor's cached page contains %q", leak)
		}
	}
	if !strings.Contains(body, "cream every night") || !strings.Contains(body, `<span class="count">1</span>`) {
		t.Fatalf("the visitor's page lacks the reply or its reaction count")
	}
	// And a member after the visitor still gets their own page, not the cached one.
	h0, _ := cacheStats(ta)
	bobBody := bob.getHTML(path).mustStatus(200).body
	if h1, _ := cacheStats(ta); h1 != h0 {
		t.Fatalf("a member's page came from the visitors' cache")
	}
	if !strings.Contains(bobBody, "reaction-form") || !strings.Contains(bobBody, bob.csrf) {
		t.Fatalf("bob's page lacks his reaction form or his own token")
	}
	if strings.Contains(bobBody, alice.csrf) {
		t.Fatalf("bob's page carries alice's token")
	}
}
