package app

import (
	"fmt"
	"html"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// postsForum is an open group where alice asked a question, bob replied and mo
// moderates; carol is a member who wrote nothing.
type postsForum struct {
	ta                     *testApp
	admin, alice, bob, mo  *client
	carol                  *client
	bobName                string
	thread, opening, reply int64
}

func setupPosts(t *testing.T) *postsForum {
	t.Helper()
	ta, admin := setupForum(t)
	f := &postsForum{ta: ta, admin: admin, alice: ta.signIn("alice", "member"), bob: ta.signIn("bob", "member"),
		mo: ta.signIn("mo", "member"), carol: ta.signIn("carol", "member")}
	var names []string
	for _, c := range []*client{f.alice, f.bob, f.mo, f.carol} {
		j := c.do("POST", "/groups/type-2-diabetes/join", nil).mustStatus(200).json()
		names = append(names, j["membership"].(map[string]any)["pseudonym"].(string))
	}
	f.bobName = names[1]
	admin.do("POST", "/groups/type-2-diabetes/moderators", map[string]any{"pseudonym": names[2], "role": "moderator"}).mustStatus(200)
	var created struct {
		Thread threadJSON `json:"thread"`
		Post   postJSON   `json:"post"`
	}
	f.alice.do("POST", "/groups/type-2-diabetes/threads", map[string]any{
		"title": "Tired after lunch", "body": "Is this normal?", "kind": "question"}).mustStatus(201).decode(&created)
	f.thread, f.opening = created.Thread.ID, created.Post.ID
	var reply struct {
		Post postJSON `json:"post"`
	}
	f.bob.do("POST", fmt.Sprintf("/threads/%d/posts", f.thread), map[string]any{"body": "It was for me.\n\nIt passed after *two weeks*."}).
		mustStatus(201).decode(&reply)
	f.reply = reply.Post.ID
	return f
}

// page loads the thread as c sees it.
func (f *postsForum) page(c *client, query string) (tv struct {
	Thread   threadJSON `json:"thread"`
	Posts    []postJSON `json:"posts"`
	CanReact bool       `json:"can_react"`
	Quote    *quoteJSON `json:"quote"`
}) {
	c.get(fmt.Sprintf("/threads/%d%s", f.thread, query)).mustStatus(200).decode(&tv)
	return tv
}

func noUserIDs(t *testing.T, rs ...*response) {
	t.Helper()
	for _, r := range rs {
		if userIDPattern.MatchString(r.body) {
			t.Fatalf("%s %s leaks a user id field: %s", r.Request.Method, r.Request.URL.Path, r.body)
		}
	}
}

func TestEditPostJSON(t *testing.T) {
	f := setupPosts(t)
	path := fmt.Sprintf("/posts/%d", f.reply)

	res := f.bob.do("PATCH", path, map[string]any{"body": "It was for me, **two weeks**.", "content_warning": "fatigue", "version": 1}).mustStatus(200)
	var edited struct {
		Post postJSON `json:"post"`
	}
	res.decode(&edited)
	p := edited.Post
	if p.Version != 2 || p.EditedAt == nil || !strings.Contains(p.BodyHTML, "<strong>two weeks</strong>") || p.ContentWarning != "fatigue" {
		t.Fatalf("edited post %+v", p)
	}

	// A stale version is a conflict that carries the current text and writes nothing.
	res = f.bob.do("PATCH", path, map[string]any{"body": "An old draft", "version": 1}).mustStatus(409)
	var conflict struct {
		Error   apiError    `json:"error"`
		Current currentJSON `json:"current"`
	}
	res.decode(&conflict)
	if conflict.Error.Code != "conflict" || conflict.Current.Version != 2 || conflict.Current.Body != "It was for me, **two weeks**." || conflict.Current.ContentWarning != "fatigue" {
		t.Fatalf("conflict body %s", res.body)
	}
	if got := f.page(f.carol, "").Posts[1]; got.Version != 2 || strings.Contains(got.BodyHTML, "old draft") {
		t.Fatalf("post after a conflict %+v", got)
	}

	t.Run("bad input", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			c      *client
			method string
			path   string
			body   any
			status int
		}{
			{"non-numeric id", f.bob, "PATCH", "/posts/abc", map[string]any{"body": "x", "version": 1}, 404},
			{"unknown post", f.bob, "PATCH", "/posts/999999", map[string]any{"body": "x", "version": 1}, 404},
			{"someone else's post", f.carol, "PATCH", path, map[string]any{"body": "x", "version": 2}, 403},
			{"moderator is not the author", f.mo, "PATCH", path, map[string]any{"body": "x", "version": 2}, 403},
			{"visitor", f.ta.newClient(), "PATCH", path, map[string]any{"body": "x", "version": 2}, 401},
			{"oversized body", f.bob, "PATCH", path, map[string]any{"body": strings.Repeat("a", 20001), "version": 2}, 422},
			{"empty body", f.bob, "PATCH", path, map[string]any{"body": " ", "version": 2}, 422},
			{"body of the wrong type", f.bob, "PATCH", path, map[string]any{"body": 5, "version": 2}, 400},
			{"delete someone else's post", f.carol, "DELETE", path, nil, 403},
			{"delete a non-numeric id", f.bob, "DELETE", "/posts/1x", nil, 404},
			{"edit form of someone else's post", f.carol, "GET", path + "/edit", nil, 403},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if tc.name == "visitor" {
					tc.c.fetchCSRF()
				}
				tc.c.do(tc.method, tc.path, tc.body).mustStatus(tc.status)
			})
		}
		if got := f.page(f.carol, "").Posts[1]; got.Version != 2 || got.Status != "published" {
			t.Fatalf("post after refused requests %+v", got)
		}
	})

	t.Run("revisions", func(t *testing.T) {
		rpath := path + "/revisions"
		var rv struct {
			PostID    int64          `json:"post_id"`
			Current   revisionJSON   `json:"current"`
			Revisions []revisionJSON `json:"revisions"`
		}
		res := f.bob.get(rpath).mustStatus(200)
		res.decode(&rv)
		if rv.PostID != f.reply || len(rv.Revisions) != 1 || rv.Revisions[0].Version != 1 || rv.Revisions[0].EditedAt == nil ||
			!strings.Contains(rv.Revisions[0].BodyHTML, "<em>two weeks</em>") || rv.Current.Version != 2 {
			t.Fatalf("revisions %s", res.body)
		}
		modRes := f.mo.get(rpath).mustStatus(200)
		f.admin.get(rpath).mustStatus(200)
		f.carol.get(rpath).mustStatus(404)
		f.alice.getHTML(rpath).mustStatus(404)
		html := f.bob.getHTML(rpath).mustStatus(200)
		if !strings.Contains(html.body, "Version 1") || !strings.Contains(html.body, "<em>two weeks</em>") {
			t.Fatalf("revisions page: %s", html.body)
		}
		noUserIDs(t, res, modRes)
	})

	t.Run("delete", func(t *testing.T) {
		res := f.bob.do("DELETE", path, nil).mustStatus(200)
		var del struct {
			Post postJSON `json:"post"`
		}
		res.decode(&del)
		if del.Post.Status != "deleted" || del.Post.StatusReason != "deleted by author" || del.Post.BodyHTML != "" {
			t.Fatalf("deleted post %+v", del.Post)
		}
		tv := f.page(f.carol, "")
		if len(tv.Posts) != 2 || tv.Posts[1].Status != "deleted" || tv.Posts[1].BodyHTML != "" || tv.Thread.ReplyCount != 1 {
			t.Fatalf("thread after delete: %+v", tv)
		}
		f.bob.do("PATCH", path, map[string]any{"body": "back", "version": 3}).mustStatus(409)
		f.bob.do("DELETE", path, nil).mustStatus(409)
		f.carol.do("POST", path+"/reactions", map[string]any{"kind": "support"}).mustStatus(409)
		// Moderators still read the text in its history.
		var rv struct {
			Current revisionJSON `json:"current"`
		}
		f.mo.get(path + "/revisions").mustStatus(200).decode(&rv)
		if !strings.Contains(rv.Current.BodyHTML, "two weeks") {
			t.Fatalf("a moderator lost the deleted text: %+v", rv.Current)
		}
		// The opening post: only it becomes a tombstone.
		f.alice.postForm(fmt.Sprintf("/posts/%d/delete", f.opening), nil).mustStatus(303)
		if tv := f.page(f.carol, ""); tv.Posts[0].Status != "deleted" || tv.Thread.Title != "Tired after lunch" {
			t.Fatalf("thread after deleting its opening post: %+v", tv)
		}
	})
}

func TestEditFormKeepsDraft(t *testing.T) {
	f := setupPosts(t)
	form := f.bob.getHTML(fmt.Sprintf("/posts/%d/edit", f.reply)).mustStatus(200)
	if !strings.Contains(form.body, `name="version" value="1"`) || !strings.Contains(form.body, "It passed after *two weeks*.") {
		t.Fatalf("edit form: %s", form.body)
	}
	// Meanwhile, in another tab, the post changes.
	f.bob.do("PATCH", fmt.Sprintf("/posts/%d", f.reply), map[string]any{"body": "Changed in another tab.", "version": 1}).mustStatus(200)

	draft := "My careful draft, with <angle> & ampersands."
	res := f.bob.postForm(fmt.Sprintf("/posts/%d/edit", f.reply), url.Values{"body": {draft}, "version": {"1"}}).mustStatus(409)
	body := html.UnescapeString(res.body)
	if !strings.Contains(body, draft) {
		t.Fatalf("the draft was lost: %s", res.body)
	}
	if !strings.Contains(body, "Changed in another tab.") || !strings.Contains(res.body, `name="version" value="2"`) {
		t.Fatalf("the current text or version is missing: %s", res.body)
	}
	if got := f.page(f.carol, "").Posts[1]; got.Version != 2 || !strings.Contains(got.BodyHTML, "another tab") {
		t.Fatalf("post after a conflicting form: %+v", got)
	}

	// A validation error keeps the draft too.
	long := strings.Repeat("b", 20001)
	res = f.bob.postForm(fmt.Sprintf("/posts/%d/edit", f.reply), url.Values{"body": {long}, "version": {"2"}}).mustStatus(422)
	if !strings.Contains(res.body, long) || !strings.Contains(res.body, "Changed in another tab.") {
		t.Fatal("a too-long draft was not shown again with the current text")
	}

	// Saving from the conflict form goes through and redirects to the post.
	res = f.bob.postForm(fmt.Sprintf("/posts/%d/edit", f.reply), url.Values{"body": {draft}, "version": {"2"}}).mustStatus(303)
	if loc := res.Header.Get("Location"); !strings.HasSuffix(loc, fmt.Sprintf("#post-%d", f.reply)) {
		t.Fatalf("redirect to %q", loc)
	}
	tv := f.page(f.carol, "")
	if got := tv.Posts[1]; got.Version != 3 || got.EditedAt == nil {
		t.Fatalf("post after saving %+v", got)
	}
	page := f.carol.getHTML(fmt.Sprintf("/threads/%d", f.thread)).mustStatus(200)
	if !strings.Contains(page.body, "edited") {
		t.Fatal("no edited marker on the thread page")
	}
}

func TestReactionsOverHTTP(t *testing.T) {
	f := setupPosts(t)
	path := fmt.Sprintf("/posts/%d/reactions", f.reply)
	var st struct {
		Reactions reactionsJSON `json:"reactions"`
		Mine      []string      `json:"mine"`
	}
	res := f.carol.do("POST", path, map[string]any{"kind": "support"}).mustStatus(200)
	res.decode(&st)
	if st.Reactions.Support != 1 || !slices.Equal(st.Mine, []string{"support"}) {
		t.Fatalf("after one reaction %s", res.body)
	}
	noUserIDs(t, res)
	f.alice.do("POST", path, map[string]any{"kind": "support"}).mustStatus(200)
	f.carol.do("POST", path, map[string]any{"kind": "helpful"}).mustStatus(200).decode(&st)
	if st.Reactions.Support != 2 || st.Reactions.Helpful != 1 || !slices.Equal(st.Mine, []string{"support", "helpful"}) {
		t.Fatalf("after three reactions %+v", st)
	}
	f.carol.do("POST", path, map[string]any{"kind": "support"}).mustStatus(200).decode(&st)
	if st.Reactions.Support != 1 || !slices.Equal(st.Mine, []string{"helpful"}) {
		t.Fatalf("after toggling off %+v", st)
	}

	tv := f.page(f.carol, "")
	if !tv.CanReact || !slices.Equal(tv.Posts[1].Mine, []string{"helpful"}) || tv.Posts[0].Mine == nil || len(tv.Posts[0].Mine) != 0 {
		t.Fatalf("thread page mine: %+v", tv.Posts)
	}
	if r := tv.Posts[1].Reactions; r.Support != 1 || r.Helpful != 1 {
		t.Fatalf("thread page counts %+v", r)
	}
	if other := f.page(f.bob, ""); len(other.Posts[1].Mine) != 0 {
		t.Fatalf("bob sees carol's reactions as his: %v", other.Posts[1].Mine)
	}

	// The browser form: a button per kind with aria-pressed, redirecting to the post.
	page := f.carol.getHTML(fmt.Sprintf("/threads/%d", f.thread)).mustStatus(200)
	if !strings.Contains(page.body, `value="helpful" aria-pressed="true"`) || !strings.Contains(page.body, `value="support" aria-pressed="false"`) {
		t.Fatalf("reaction buttons: %s", page.body)
	}
	res = f.carol.postForm(path, url.Values{"kind": {"same_here"}}).mustStatus(303)
	if loc := res.Header.Get("Location"); loc != fmt.Sprintf("/threads/%d#post-%d", f.thread, f.reply) {
		t.Fatalf("redirect to %q", loc)
	}

	res = f.carol.do("POST", path, map[string]any{"kind": "love"}).mustStatus(422)
	var e struct {
		Error apiError `json:"error"`
	}
	res.decode(&e)
	if _, ok := e.Error.Fields["kind"]; !ok {
		t.Fatalf("unknown kind: %s", res.body)
	}
	stranger := f.ta.signIn("stranger", "member")
	stranger.do("POST", path, map[string]any{"kind": "support"}).mustStatus(403)
	visitor := f.ta.newClient()
	visitor.fetchCSRF()
	visitor.do("POST", path, map[string]any{"kind": "support"}).mustStatus(401)
	f.carol.do("POST", "/posts/abc/reactions", map[string]any{"kind": "support"}).mustStatus(404)
	f.carol.do("POST", "/posts/999999/reactions", map[string]any{"kind": "support"}).mustStatus(404)
}

func TestAcceptAnswerOverHTTP(t *testing.T) {
	f := setupPosts(t)
	path := fmt.Sprintf("/threads/%d/accept", f.thread)
	f.bob.do("POST", path, map[string]any{"post_id": f.reply}).mustStatus(403)
	f.alice.do("POST", path, map[string]any{"post_id": f.opening}).mustStatus(422)
	f.alice.do("POST", path, map[string]any{"post_id": 999999}).mustStatus(422)
	f.alice.do("POST", "/threads/abc/accept", map[string]any{"post_id": f.reply}).mustStatus(404)

	// Another reply first, so that the accepted answer moves up.
	var later struct {
		Post postJSON `json:"post"`
	}
	f.carol.do("POST", fmt.Sprintf("/threads/%d/posts", f.thread), map[string]any{"body": "A walk after eating helps me."}).mustStatus(201).decode(&later)

	res := f.alice.do("POST", path, map[string]any{"post_id": later.Post.ID}).mustStatus(200)
	var out struct {
		Thread threadJSON `json:"thread"`
	}
	res.decode(&out)
	if !out.Thread.Accepted || out.Thread.AcceptedPostID == nil || *out.Thread.AcceptedPostID != later.Post.ID {
		t.Fatalf("accepted thread %s", res.body)
	}
	noUserIDs(t, res)
	tv := f.page(f.bob, "")
	if len(tv.Posts) != 3 || tv.Posts[1].ID != later.Post.ID || !tv.Posts[1].Accepted || tv.Posts[2].Accepted {
		t.Fatalf("accepted answer is not right after the question: %+v", tv.Posts)
	}
	page := f.bob.getHTML(fmt.Sprintf("/threads/%d", f.thread)).mustStatus(200)
	if !strings.Contains(page.body, "Accepted answer") {
		t.Fatal("no accepted answer marker")
	}
	group := f.bob.get("/groups/type-2-diabetes").mustStatus(200)
	if !strings.Contains(group.body, `"accepted":true`) {
		t.Fatalf("group list does not mark the thread: %s", group.body)
	}
	// The asker sees accept buttons in the page; others do not.
	if !strings.Contains(f.alice.getHTML(fmt.Sprintf("/threads/%d", f.thread)).body, "Un-accept this answer") || strings.Contains(page.body, "Accept as the answer") {
		t.Fatal("accept buttons shown to the wrong people")
	}
	// A form post un-accepts with post_id 0.
	f.alice.postForm(path, url.Values{"post_id": {"0"}}).mustStatus(303)
	if tv := f.page(f.bob, ""); tv.Thread.Accepted || tv.Posts[1].ID != f.reply {
		t.Fatalf("after un-accepting: %+v", tv)
	}
	f.alice.do("POST", path, map[string]any{"post_id": nil}).mustStatus(200)
}

func TestQuoteReply(t *testing.T) {
	f := setupPosts(t)
	want := fmt.Sprintf("[%s wrote](/threads/%d#post-%d):\n> It was for me.\n>\n> It passed after *two weeks*.\n\n", f.bobName, f.thread, f.reply)
	tv := f.page(f.carol, fmt.Sprintf("?quote=%d", f.reply))
	if tv.Quote == nil || tv.Quote.Body != want || tv.Quote.PostID != f.reply {
		t.Fatalf("quote %+v, want body %q", tv.Quote, want)
	}
	page := f.carol.getHTML(fmt.Sprintf("/threads/%d?quote=%d", f.thread, f.reply)).mustStatus(200)
	if !strings.Contains(html.UnescapeString(page.body), ">"+want+"</textarea>") {
		t.Fatalf("the reply box is not filled in: %s", page.body)
	}
	if !strings.Contains(page.body, fmt.Sprintf(`href="/threads/%d?quote=%d#reply" data-quote`, f.thread, f.reply)) {
		t.Fatal("no quote link")
	}
	// The quote posts as a blockquote that links back.
	var reply struct {
		Post postJSON `json:"post"`
	}
	f.carol.do("POST", fmt.Sprintf("/threads/%d/posts", f.thread), map[string]any{"body": want + "Same for me."}).mustStatus(201).decode(&reply)
	if !strings.Contains(reply.Post.BodyHTML, "<blockquote>") || !strings.Contains(reply.Post.BodyHTML, fmt.Sprintf(`href="/threads/%d#post-%d"`, f.thread, f.reply)) {
		t.Fatalf("quoted reply renders as %q", reply.Post.BodyHTML)
	}
	// Nothing to quote: a junk id, a post of another thread, a visitor who cannot reply.
	for _, q := range []string{"?quote=abc", "?quote=999999"} {
		if tv := f.page(f.carol, q); tv.Quote != nil {
			t.Fatalf("%s quoted %+v", q, tv.Quote)
		}
	}
	if tv := f.page(f.ta.newClient(), fmt.Sprintf("?quote=%d", f.reply)); tv.Quote != nil {
		t.Fatal("a visitor got a quote draft")
	}
}

func TestPostPagesRender(t *testing.T) {
	f := setupPosts(t)
	f.bob.do("PATCH", fmt.Sprintf("/posts/%d", f.reply), map[string]any{"body": "Edited.", "version": 1}).mustStatus(200)
	for _, tc := range []struct {
		c    *client
		path string
		want []string
	}{
		{f.bob, fmt.Sprintf("/posts/%d/edit", f.reply), []string{`action="/posts/%d/edit"`, `name="csrf"`, `<label for="body">`}},
		{f.bob, fmt.Sprintf("/posts/%d/revisions", f.reply), []string{"Edit history", "Version 2 (current)", "Version 1"}},
		{f.bob, fmt.Sprintf("/threads/%d", f.thread), []string{`/posts/%d/edit`, `/posts/%d/revisions`, `/posts/%d/delete`, `data-confirm=`}},
		{f.mo, fmt.Sprintf("/threads/%d", f.thread), []string{`/posts/%d/revisions`}},
	} {
		res := tc.c.getHTML(tc.path).mustStatus(200)
		for _, w := range tc.want {
			if strings.Contains(w, "%d") {
				w = fmt.Sprintf(w, f.reply)
			}
			if !strings.Contains(res.body, w) {
				t.Fatalf("%s lacks %q", tc.path, w)
			}
		}
		if strings.Contains(res.body, "style=") || strings.Contains(res.body, "<script>") {
			t.Fatalf("%s has inline style or script", tc.path)
		}
	}
	// Carol sees neither edit nor history links for bob's post.
	res := f.carol.getHTML(fmt.Sprintf("/threads/%d", f.thread)).mustStatus(200)
	for _, w := range []string{fmt.Sprintf("/posts/%d/edit", f.reply), fmt.Sprintf("/posts/%d/revisions", f.reply), fmt.Sprintf("/posts/%d/delete", f.reply)} {
		if strings.Contains(res.body, w) {
			t.Fatalf("carol's page links %s", w)
		}
	}
}

func TestEditScreensOverHTTP(t *testing.T) {
	f := setupPosts(t)
	path := fmt.Sprintf("/posts/%d", f.reply)
	res := f.bob.do("PATCH", path, map[string]any{"body": "Ring me: +1 (555) 123-4567", "version": 1}).mustStatus(422)
	if res.errorCode() != "personal_data" {
		t.Fatalf("personal data edit: %s", res.body)
	}
	// The browser form asks with a checkbox and keeps the draft.
	res = f.bob.postForm(path+"/edit", url.Values{"body": {"Ring me: +1 (555) 123-4567"}, "version": {"1"}}).mustStatus(422)
	if !strings.Contains(res.body, `name="confirm_personal_data"`) || !strings.Contains(html.UnescapeString(res.body), "Ring me: +1 (555) 123-4567") {
		t.Fatalf("personal data form: %s", res.body)
	}
	// Crisis language: the notice for JSON, the crisis resources first for a browser.
	var out struct {
		Post    postJSON     `json:"post"`
		Notices []noticeJSON `json:"notices"`
	}
	f.bob.do("PATCH", path, map[string]any{"body": "Some days I want to die.", "version": 1}).mustStatus(200).decode(&out)
	if len(out.Notices) == 0 || out.Notices[0].Kind != "crisis" || out.Post.Status != "published" {
		t.Fatalf("crisis edit: %+v", out)
	}
	res = f.alice.postForm(fmt.Sprintf("/posts/%d/edit", f.opening), url.Values{"body": {"I can't go on like this."}, "version": {"1"}}).mustStatus(303)
	if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/crisis?") {
		t.Fatalf("crisis edit redirects to %q", loc)
	}
}

// GET /posts/{id}, the address lists of posts link to: a redirect to the post on its
// page, or where that is as JSON; a post the caller may not read is 404.
func TestPostLinkRoute(t *testing.T) {
	f := setupPosts(t)
	visitor := f.ta.newClient()
	res := visitor.getHTML(fmt.Sprintf("/posts/%d", f.reply)).mustStatus(303)
	if got, want := res.Header.Get("Location"), fmt.Sprintf("/threads/%d#post-%d", f.thread, f.reply); got != want {
		t.Fatalf("redirects to %q, want %q", got, want)
	}
	var link struct {
		PostID   int64  `json:"post_id"`
		ThreadID int64  `json:"thread_id"`
		Page     int    `json:"page"`
		URL      string `json:"url"`
	}
	visitor.get(fmt.Sprintf("/posts/%d", f.reply)).mustStatus(200).decode(&link)
	if link.PostID != f.reply || link.ThreadID != f.thread || link.Page != 1 || link.URL != res.Header.Get("Location") {
		t.Fatalf("JSON %+v", link)
	}
	for _, path := range []string{"/posts/999999", "/posts/abc", "/posts/0"} {
		visitor.get(path).mustStatus(404)
	}
}
