package app

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// matrixGroup is one group of the visibility matrix and what was made in it.
type matrixGroup struct {
	vis, slug, term string
	thread, post    int64
	author          string // the opening post's pseudonym, for the member page
	mod             *client
}

// TestVisibilityMatrixAllReadPaths checks every role against every visibility on every
// read path: the group list, the group page (JSON and HTML), the thread page (JSON and
// HTML), search (across groups and narrowed to the group), the member page, the Atom
// feed, and both live event streams. What a role may not see is 404, never 403, and
// never leaks into a list.
func TestVisibilityMatrixAllReadPaths(t *testing.T) {
	ta := newTestApp(t)
	admin := ta.signIn("admin", "admin")
	mod := ta.signIn("mod", "member")          // moderates the open, closed and secret groups
	promod := ta.signIn("promod", "clinician") // moderates the professional group
	member := ta.signIn("member", "member")    // a member of the open, closed and secret groups
	outsider := ta.signIn("outsider", "member")
	doc := ta.signIn("doc", "clinician")
	visitor := ta.newClient()

	join := func(c *client, slug string) map[string]any {
		t.Helper()
		return c.do("POST", "/groups/"+slug+"/join", map[string]any{"accept_rules": true}).mustStatus(200).json()["membership"].(map[string]any)
	}
	// invite lets c into a secret group through a link made by maker.
	invite := func(maker, c *client, slug string) {
		t.Helper()
		u := maker.do("POST", "/groups/"+slug+"/invites", map[string]any{}).mustStatus(201).json()["invite"].(map[string]any)["url"].(string)
		c.do("POST", u, map[string]any{"accept_rules": true}).mustStatus(200)
	}

	groups := []*matrixGroup{
		{vis: "open", slug: "m-open", term: "quokkaopen", mod: mod},
		{vis: "closed", slug: "m-closed", term: "quokkaclosed", mod: mod},
		{vis: "secret", slug: "m-secret", term: "quokkasecret", mod: mod},
		{vis: "professional", slug: "m-prof", term: "quokkaprof", mod: promod},
	}
	for _, g := range groups {
		admin.do("POST", "/groups", map[string]any{"slug": g.slug, "name": "Matrix " + g.vis, "visibility": g.vis,
			"rules": "1. Be kind"}).mustStatus(201)
		var p string
		switch g.vis {
		case "open", "professional":
			p = join(g.mod, g.slug)["pseudonym"].(string)
		case "closed":
			p = join(g.mod, g.slug)["pseudonym"].(string)
			admin.do("POST", "/groups/"+g.slug+"/requests/"+p+"/approve", nil).mustStatus(200)
		case "secret":
			invite(admin, g.mod, g.slug)
			p = g.mod.get("/groups/" + g.slug).mustStatus(200).json()["membership"].(map[string]any)["pseudonym"].(string)
		}
		admin.do("POST", "/groups/"+g.slug+"/moderators", map[string]any{"pseudonym": p, "role": "moderator"}).mustStatus(200)
		var created struct {
			Thread threadJSON `json:"thread"`
			Post   postJSON   `json:"post"`
		}
		g.mod.do("POST", "/groups/"+g.slug+"/threads", map[string]any{"title": "Topic " + g.term, "body": "About " + g.term + " today"}).
			mustStatus(201).decode(&created)
		g.thread, g.post, g.author = created.Thread.ID, created.Post.ID, p
	}
	// The member joins the open group, is let into the closed one and invited to the
	// secret one; the professional group turns them away.
	join(member, "m-open")
	mp := join(member, "m-closed")["pseudonym"].(string)
	mod.do("POST", "/groups/m-closed/requests/"+mp+"/approve", nil).mustStatus(200)
	invite(mod, member, "m-secret")
	member.do("POST", "/groups/m-prof/join", map[string]any{"accept_rules": true}).mustStatus(404)

	// Who may see the group (its name and description) and who may read its threads.
	type access struct{ see, read bool }
	all, none := access{true, true}, access{false, false}
	roles := []struct {
		name   string
		c      *client
		expect map[string]access // by visibility
	}{
		{"visitor", visitor, map[string]access{"open": all, "closed": {true, false}, "secret": none, "professional": none}},
		{"non-member", outsider, map[string]access{"open": all, "closed": {true, false}, "secret": none, "professional": none}},
		{"member", member, map[string]access{"open": all, "closed": all, "secret": all, "professional": none}},
		{"group moderator", nil, map[string]access{"open": all, "closed": all, "secret": all, "professional": all}},
		{"clinician", doc, map[string]access{"open": all, "closed": {true, false}, "secret": none, "professional": all}},
		{"admin", admin, map[string]access{"open": all, "closed": all, "secret": all, "professional": all}},
	}
	clientFor := func(role string, c *client, g *matrixGroup) *client {
		if role == "group moderator" {
			return g.mod
		}
		return c
	}

	// Live streams first, so that the replies below arrive on them: the site-wide
	// stream of every client, and each role's stream of every thread it may read.
	type streams struct {
		site   <-chan sseEvent
		thread map[string]<-chan sseEvent
	}
	live := map[string]*streams{} // by role, then by visibility
	siteOf := map[*client]<-chan sseEvent{}
	want := 0
	for _, r := range roles {
		st := &streams{thread: map[string]<-chan sseEvent{}}
		for _, g := range groups {
			c := clientFor(r.name, r.c, g)
			if _, ok := siteOf[c]; !ok {
				ch, stop := c.openStream(t, "/events", "")
				t.Cleanup(stop)
				siteOf[c] = ch
				want++
			}
			path := fmt.Sprintf("/threads/%d/events", g.thread)
			if r.expect[g.vis].read {
				ch, stop := c.openStream(t, path, "")
				t.Cleanup(stop)
				st.thread[g.vis] = ch
				want++
			} else if res := c.get(path); res.StatusCode != 404 {
				t.Errorf("%s/%s: GET %s = %d, want 404", r.name, g.vis, path, res.StatusCode)
			}
		}
		if r.name != "group moderator" {
			st.site = siteOf[r.c]
		}
		live[r.name] = st
	}
	for deadline := time.Now().Add(3 * time.Second); ta.broker().Subscribers() < want && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if got := ta.broker().Subscribers(); got < want {
		t.Fatalf("%d live subscribers, want %d", got, want)
	}
	for _, g := range groups {
		g.mod.do("POST", fmt.Sprintf("/threads/%d/posts", g.thread), map[string]any{"body": "Reply about " + g.term}).mustStatus(201)
	}
	// drain collects the threads a stream heard about within a short while.
	drain := func(ch <-chan sseEvent) map[int64]bool {
		got := map[int64]bool{}
		timeout := time.After(700 * time.Millisecond)
		for {
			select {
			case e, ok := <-ch:
				if !ok {
					return got
				}
				var d struct {
					ThreadID int64 `json:"thread_id"`
				}
				json.Unmarshal([]byte(e.data), &d)
				got[d.ThreadID] = true
			case <-timeout:
				return got
			}
		}
	}
	// Every stream listens at once.
	var wg sync.WaitGroup
	var mu sync.Mutex
	heard := map[<-chan sseEvent]map[int64]bool{}
	listen := func(ch <-chan sseEvent) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got := drain(ch)
			mu.Lock()
			heard[ch] = got
			mu.Unlock()
		}()
	}
	for _, ch := range siteOf {
		listen(ch)
	}
	for _, st := range live {
		for _, ch := range st.thread {
			listen(ch)
		}
	}
	wg.Wait()

	for _, r := range roles {
		for _, g := range groups {
			c, exp := clientFor(r.name, r.c, g), r.expect[g.vis]
			threadPath := fmt.Sprintf("/threads/%d", g.thread)
			notFound := func(t *testing.T, res *response) {
				t.Helper()
				if res.StatusCode != 404 {
					t.Fatalf("%s %s: %d, want 404: %.300s", res.Request.Method, res.Request.URL, res.StatusCode, res.body)
				}
			}
			t.Run(r.name+"/"+g.vis, func(t *testing.T) {
				t.Run("group list", func(t *testing.T) {
					body := c.get("/groups").mustStatus(200).body
					if got := strings.Contains(body, `"slug":"`+g.slug+`"`); got != exp.see {
						t.Fatalf("listed = %v, want %v", got, exp.see)
					}
				})
				t.Run("group page JSON", func(t *testing.T) {
					res := c.get("/groups/" + g.slug)
					if !exp.see {
						notFound(t, res)
						return
					}
					var gv struct {
						CanRead bool         `json:"can_read"`
						Threads []threadJSON `json:"threads"`
					}
					res.mustStatus(200).decode(&gv)
					if gv.CanRead != exp.read || (len(gv.Threads) > 0) != exp.read {
						t.Fatalf("can_read %v with %d threads, want read=%v", gv.CanRead, len(gv.Threads), exp.read)
					}
				})
				t.Run("group page HTML", func(t *testing.T) {
					res := c.getHTML("/groups/" + g.slug)
					if !exp.see {
						notFound(t, res)
						if strings.Contains(res.body, g.term) || strings.Contains(res.body, "Matrix "+g.vis) {
							t.Fatal("the 404 page names the group or its thread")
						}
						return
					}
					res.mustStatus(200)
					if got := strings.Contains(res.body, "Topic "+g.term); got != exp.read {
						t.Fatalf("thread title on the page = %v, want %v", got, exp.read)
					}
				})
				t.Run("thread page", func(t *testing.T) {
					for _, res := range []*response{c.get(threadPath), c.getHTML(threadPath), c.get(threadPath + "?page=1")} {
						if !exp.read {
							notFound(t, res)
							continue
						}
						res.mustStatus(200)
						if !strings.Contains(res.body, "About "+g.term) {
							t.Fatalf("%s lacks the opening post", threadPath)
						}
					}
				})
				t.Run("search", func(t *testing.T) {
					body := c.get("/search?q=" + g.term).mustStatus(200).body
					if got := strings.Contains(body, fmt.Sprintf(`"id":%d`, g.thread)); got != exp.read {
						t.Fatalf("found = %v, want %v: %.300s", got, exp.read, body)
					}
					res := c.get("/search?q=" + g.term + "&group=" + g.slug)
					if !exp.see {
						notFound(t, res)
						return
					}
					if got := strings.Contains(res.mustStatus(200).body, fmt.Sprintf(`"id":%d`, g.thread)); got != exp.read {
						t.Fatalf("found in the group = %v, want %v", got, exp.read)
					}
				})
				t.Run("member page", func(t *testing.T) {
					res := c.get("/groups/" + g.slug + "/members/" + url.PathEscape(g.author))
					if !exp.read {
						notFound(t, res)
						return
					}
					if !strings.Contains(res.mustStatus(200).body, g.term) {
						t.Fatal("the member page lacks the member's post")
					}
				})
				t.Run("post link", func(t *testing.T) {
					path := fmt.Sprintf("/posts/%d", g.post)
					res, page := c.getHTML(path), c.get(path)
					if !exp.read {
						notFound(t, res)
						notFound(t, page)
						return
					}
					if got, want := res.mustStatus(303).Header.Get("Location"), fmt.Sprintf("%s#post-%d", threadPath, g.post); got != want {
						t.Fatalf("redirects to %q, want %q", got, want)
					}
					if got := page.mustStatus(200).json()["url"]; got != res.Header.Get("Location") {
						t.Fatalf("JSON url %v", got)
					}
				})
				t.Run("Atom feed", func(t *testing.T) {
					// Feeds are public: open groups only, for everyone.
					res := c.getHTML("/groups/" + g.slug + "/feed.atom")
					if g.vis != "open" {
						notFound(t, res)
						return
					}
					if !strings.Contains(res.mustStatus(200).body, "Topic "+g.term) {
						t.Fatal("the feed lacks the thread")
					}
				})
				t.Run("live events", func(t *testing.T) {
					if got := heard[siteOf[c]][g.thread]; got != exp.read {
						t.Fatalf("site-wide stream heard the reply = %v, want %v", got, exp.read)
					}
					if exp.read && !heard[live[r.name].thread[g.vis]][g.thread] {
						t.Fatal("the thread's stream did not hear the reply")
					}
				})
			})
		}
	}
}
