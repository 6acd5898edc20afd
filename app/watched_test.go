package app

import (
	"fmt"
	"html"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestWatchedWordsHTTP(t *testing.T) {
	f := setupPosts(t)
	base := "/groups/type-2-diabetes/watched-words"
	msg := "Please don't share links to sellers of unlicensed medicines"

	// Only the group's moderators and admins; a secret group stays hidden.
	f.carol.get(base).mustStatus(403)
	f.carol.do("POST", base, map[string]any{"pattern": "scam", "action": "flag"}).mustStatus(403)
	f.carol.get("/groups/hidden/watched-words").mustStatus(404)
	f.mo.get("/admin/watched-words").mustStatus(404)
	f.mo.do("POST", "/admin/watched-words", map[string]any{"pattern": "scam", "action": "flag"}).mustStatus(404)
	f.ta.newClient().get(base).mustStatus(401)

	var created struct {
		Word watchedWordJSON `json:"word"`
	}
	res := f.mo.do("POST", base, map[string]any{"pattern": "PharmaShop.example", "action": "block", "message": msg}).mustStatus(201)
	res.decode(&created)
	if w := created.Word; w.Pattern != "pharmashop.example" || w.Action != "block" || w.Message != msg || w.Scope != "group" || w.ID == 0 {
		t.Fatalf("created %+v", w)
	}
	res = f.mo.do("POST", base, map[string]any{"pattern": "bad*word*", "action": "replace"}).mustStatus(422)
	var bad struct {
		Error apiError `json:"error"`
	}
	res.decode(&bad)
	if bad.Error.Fields["pattern"] == "" || bad.Error.Fields["replacement"] == "" {
		t.Fatalf("validation %+v", bad.Error)
	}
	var site struct {
		Word watchedWordJSON `json:"word"`
	}
	f.admin.do("POST", "/admin/watched-words", map[string]any{"pattern": "idiot", "action": "replace", "replacement": "***"}).
		mustStatus(201).decode(&site)
	f.mo.do("POST", base, map[string]any{"pattern": "miracle cure", "action": "hold", "lane": "misinformation"}).mustStatus(201)

	var list struct {
		Words []map[string]any `json:"words"`
	}
	lres := f.mo.get(base).mustStatus(200)
	lres.decode(&list)
	if len(list.Words) != 3 || list.Words[0]["scope"] != "group" || list.Words[2]["scope"] != "site" {
		t.Fatalf("list %+v", list.Words)
	}
	for _, k := range []string{"id", "pattern", "action", "lane", "replacement", "message", "scope"} {
		if _, ok := list.Words[0][k]; !ok {
			t.Fatalf("word lacks %q: %v", k, list.Words[0])
		}
	}
	noUserIDs(t, res, lres, f.admin.get("/admin/watched-words").mustStatus(200))

	// Block: 422 with the word's message, the post refused.
	thread := fmt.Sprintf("/threads/%d/posts", f.thread)
	res = f.carol.do("POST", thread, map[string]any{"body": "Try pharmashop.example, much cheaper"}).mustStatus(422)
	res.decode(&bad)
	if bad.Error.Code != "invalid" || bad.Error.Message != msg || bad.Error.Fields["body"] != msg {
		t.Fatalf("blocked reply: %+v", bad.Error)
	}
	// The browser's form comes back with the draft and the message.
	hres := f.carol.postForm(thread, url.Values{"body": {"Try pharmashop.example, my draft"}}).mustStatus(422)
	if !strings.Contains(hres.body, "my draft") || !strings.Contains(html.UnescapeString(hres.body), msg) {
		t.Fatalf("blocked form lost the draft or the message: %.2000s", hres.body)
	}
	hres = f.carol.postForm("/groups/type-2-diabetes/threads", url.Values{"title": {"pharmashop.example?"}, "body": {"thread draft"}}).mustStatus(422)
	if !strings.Contains(hres.body, "thread draft") || !strings.Contains(hres.body, `id="title-error"`) {
		t.Fatalf("blocked thread form lost the draft or the title's message: %.3000s", hres.body)
	}
	// Replace: readers see the replacement; the word is not stored.
	var reply struct {
		Post postJSON `json:"post"`
	}
	f.carol.do("POST", thread, map[string]any{"body": "The receptionist was an idiot."}).mustStatus(201).decode(&reply)
	if strings.Contains(reply.Post.BodyHTML, "idiot") || !strings.Contains(reply.Post.BodyHTML, "***") {
		t.Fatalf("body_html %q", reply.Post.BodyHTML)
	}
	// Hold: published as held, with a notice.
	var held struct {
		Post    postJSON         `json:"post"`
		Notices []map[string]any `json:"notices"`
	}
	f.carol.do("POST", thread, map[string]any{"body": "Is there a miracle cure?"}).mustStatus(201).decode(&held)
	if held.Post.Status != "held" || len(held.Notices) != 1 || held.Notices[0]["kind"] != "held" {
		t.Fatalf("held reply %+v %+v", held.Post, held.Notices)
	}

	// Deleting: a site word is not the group's; the group's own goes, by JSON or form.
	f.mo.do("DELETE", fmt.Sprintf("%s/%d", base, site.Word.ID), nil).mustStatus(404)
	f.carol.do("DELETE", fmt.Sprintf("%s/%d", base, created.Word.ID), nil).mustStatus(403)
	f.mo.do("DELETE", fmt.Sprintf("%s/%d", base, created.Word.ID), nil).mustStatus(200)
	f.mo.do("DELETE", fmt.Sprintf("%s/%d", base, created.Word.ID), nil).mustStatus(404)
	res = f.admin.postForm(fmt.Sprintf("/admin/watched-words/%d/delete", site.Word.ID), nil).mustStatus(303)
	if loc := res.Header.Get("Location"); loc != "/admin/watched-words" {
		t.Fatalf("redirect to %q", loc)
	}
	f.carol.do("POST", thread, map[string]any{"body": "pharmashop.example"}).mustStatus(201)
}

func TestWatchedWordsPages(t *testing.T) {
	f := setupPosts(t)
	base := "/groups/type-2-diabetes/watched-words"
	f.mo.do("POST", base, map[string]any{"pattern": "scam", "action": "flag", "lane": "harassment"}).mustStatus(201)
	f.admin.do("POST", "/admin/watched-words", map[string]any{"pattern": "spamlink", "action": "hold"}).mustStatus(201)

	page := f.mo.getHTML(base).mustStatus(200)
	for _, want := range []string{"Watched words", "scam", "harassment lane", "spamlink", "site-wide", `action="` + base + `"`} {
		if !strings.Contains(page.body, want) {
			t.Fatalf("group page lacks %q", want)
		}
	}
	if !strings.Contains(f.mo.getHTML("/groups/type-2-diabetes").mustStatus(200).body, `href="`+base+`"`) {
		t.Fatalf("the group page does not link its moderators to the watched words")
	}
	if strings.Contains(f.carol.getHTML("/groups/type-2-diabetes").mustStatus(200).body, base) {
		t.Fatalf("the group page links a member to the watched words")
	}
	if !strings.Contains(f.admin.getHTML("/admin/watched-words").mustStatus(200).body, "Site-wide watched words") {
		t.Fatalf("admin page")
	}
	if !strings.Contains(f.admin.getHTML("/admin/groups").mustStatus(200).body, `href="/admin/watched-words"`) {
		t.Fatalf("the admin area does not link the site-wide words")
	}

	// The form: a new word redirects with a flash; a bad one comes back with the draft.
	res := f.mo.postForm(base, url.Values{"pattern": {"miracle cure"}, "action": {"hold"}, "lane": {"misinformation"}}).mustStatus(303)
	if loc := res.Header.Get("Location"); loc != base {
		t.Fatalf("redirect to %q", loc)
	}
	res = f.mo.postForm(base, url.Values{"pattern": {"kept draft"}, "action": {"block"}}).mustStatus(422)
	if !strings.Contains(res.body, `value="kept draft"`) || !strings.Contains(res.body, "message-error") {
		t.Fatalf("invalid form lost the draft: %.3000s", res.body)
	}
	f.carol.postForm(base, url.Values{"pattern": {"x"}, "action": {"flag"}}).mustStatus(403)
}

func TestSlowModeHTTP(t *testing.T) {
	f := setupPosts(t)
	path := fmt.Sprintf("/threads/%d/slow-mode", f.thread)
	posts := fmt.Sprintf("/threads/%d/posts", f.thread)

	// A thread in the secret group, which carol cannot see.
	f.admin.do("POST", "/groups/hidden/join", nil).mustStatus(200)
	var hidden struct {
		Thread threadJSON `json:"thread"`
	}
	f.admin.do("POST", "/groups/hidden/threads", map[string]any{"title": "Staff only", "body": "hi"}).mustStatus(201).decode(&hidden)
	f.carol.do("POST", fmt.Sprintf("/threads/%d/slow-mode", hidden.Thread.ID), map[string]any{"seconds": 60}).mustStatus(404)
	f.carol.do("POST", path, map[string]any{"seconds": 60}).mustStatus(403)
	f.mo.do("POST", path, map[string]any{"seconds": 86401}).mustStatus(422)

	now := time.Now().UTC().Add(time.Hour).Truncate(time.Second)
	f.ta.store.SetClock(func() time.Time { return now })
	var set struct {
		Thread map[string]any `json:"thread"`
	}
	f.mo.do("POST", path, map[string]any{"seconds": 120}).mustStatus(200).decode(&set)
	if set.Thread["slow_mode_seconds"] != float64(120) || set.Thread["id"] != float64(f.thread) {
		t.Fatalf("thread %+v", set.Thread)
	}
	if tv := f.page(f.carol, ""); tv.Thread.SlowModeSeconds != 120 {
		t.Fatalf("thread JSON slow_mode_seconds %d", tv.Thread.SlowModeSeconds)
	}

	f.carol.do("POST", posts, map[string]any{"body": "first"}).mustStatus(201)
	now = now.Add(30 * time.Second)
	res := f.carol.do("POST", posts, map[string]any{"body": "second"}).mustStatus(429)
	if res.errorCode() != "rate_limited" || res.Header.Get("Retry-After") != "90" {
		t.Fatalf("code %q Retry-After %q", res.errorCode(), res.Header.Get("Retry-After"))
	}
	if msg := res.json()["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "one post every 2 minutes") {
		t.Fatalf("message %q", msg)
	}
	// The browser's form comes back with the draft, the reason and Retry-After.
	res = f.carol.postForm(posts, url.Values{"body": {"my careful draft"}}).mustStatus(429)
	if !strings.Contains(res.body, "my careful draft") || !strings.Contains(res.body, "You can post again in 2 minutes") ||
		res.Header.Get("Retry-After") != "90" {
		t.Fatalf("slow-mode form: Retry-After %q: %.3000s", res.Header.Get("Retry-After"), res.body)
	}
	// Moderators are exempt.
	f.mo.do("POST", posts, map[string]any{"body": "one"}).mustStatus(201)
	f.mo.do("POST", posts, map[string]any{"body": "two"}).mustStatus(201)
	now = now.Add(90 * time.Second)
	f.carol.do("POST", posts, map[string]any{"body": "second, later"}).mustStatus(201)

	// The page says so, and shows moderators the form.
	page := f.carol.getHTML(fmt.Sprintf("/threads/%d", f.thread)).mustStatus(200).body
	if !strings.Contains(page, "Slow mode: one post every 2 minutes") || strings.Contains(page, `action="`+path+`"`) {
		t.Fatalf("member's page: slow-mode line missing or form shown")
	}
	page = f.mo.getHTML(fmt.Sprintf("/threads/%d", f.thread)).mustStatus(200).body
	if !strings.Contains(page, `action="`+path+`"`) || !strings.Contains(page, `<option value="120" selected>`) {
		t.Fatalf("moderator's page lacks the slow-mode form")
	}
	res = f.mo.postForm(path, url.Values{"seconds": {"0"}}).mustStatus(303)
	if loc := res.Header.Get("Location"); loc != fmt.Sprintf("/threads/%d", f.thread) {
		t.Fatalf("redirect to %q", loc)
	}
	f.carol.do("POST", posts, map[string]any{"body": "free again"}).mustStatus(201)
	f.carol.do("POST", posts, map[string]any{"body": "and again"}).mustStatus(201)
}
