package app

// Real-browser end-to-end tests: Haven on an httptest server with the demo content,
// driven by headless Chromium through chromedp with the keyboard alone (harness in
// e2e_harness_test.go). They skip without Chromium unless HAVEN_REQUIRE_BROWSER=1.

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// newSeededApp is a test app in local mode holding the demo groups, members and
// threads (models.SeedDemo): alice, ben, dana… sign in on /auth/local and find their
// seeded memberships; dana moderates "type-2-diabetes".
func newSeededApp(t *testing.T) *testApp {
	t.Helper()
	ta := newTestApp(t)
	if _, err := ta.store.SeedDemo(context.Background()); err != nil {
		t.Fatalf("seed demo content: %v", err)
	}
	return ta
}

var threadPath = regexp.MustCompile(`^/threads/(\d+)`)

// threadID is the id of the thread the tab shows.
func (tb *tab) threadID() int64 {
	tb.t.Helper()
	m := threadPath.FindStringSubmatch(tb.path())
	if m == nil {
		tb.t.Fatalf("%s: not on a thread page: %s", tb.name, tb.path())
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// TestBrowserPatientJourney: a patient signs in, joins a group accepting its rules,
// starts a thread behind a content warning, reacts to and follows another thread,
// and is notified of a reply there; all with the keyboard.
func TestBrowserPatientJourney(t *testing.T) {
	ta := newSeededApp(t)
	b := newBrowser(t, ta)
	p := b.newTab("farah (patient)")
	p.signIn("farah", "member")

	// The group, found from the list of groups.
	p.open("/groups")
	p.tabTo(`main a[href="/groups/long-covid"]`, 60)
	p.pressNav(kb.Enter)
	if got := p.path(); got != "/groups/long-covid" {
		t.Fatalf("Enter on the group link went to %s", got)
	}
	if p.count(".thread-list a") == 0 {
		t.Fatal("the open group lists no threads")
	}

	// Join: the rules must be accepted first; Space ticks the box.
	p.tabTo("#accept_rules", 80)
	p.press(" ")
	if !eval[bool](p, `document.getElementById("accept_rules").checked`) {
		t.Fatal("Space did not tick the rules checkbox")
	}
	p.tabTo(`form[action="/groups/long-covid/join"] button[type="submit"]`, 3)
	p.pressNav(kb.Enter)
	pseudonym := p.text(".membership .pseudonym")
	if pseudonym == "" {
		t.Fatalf("no pseudonym after joining: %s", p.mainText())
	}

	// A new thread behind a content warning.
	p.tabTo(`a[href="/groups/long-covid/threads/new"]`, 40)
	p.pressNav(kb.Enter)
	p.tabTo("#title", 20)
	p.typeText("Pacing after a hospital stay")
	p.tabTo("#body", 10)
	p.typeText("Three weeks home and the fatigue comes in waves. How do you pace the good days?")
	p.tabTo("#content_warning", 5)
	p.typeText("hospital stay")
	p.tabTo(`form.post-form button[type="submit"]`, 5)
	p.pressNav(kb.Enter)
	own := p.threadID()
	if got, want := p.text("h1"), "Pacing after a hospital stay"; got != want {
		t.Fatalf("new thread title %q, want %q", got, want)
	}
	if got := p.text("article.post .post-by"); !strings.Contains(got, pseudonym) {
		t.Errorf("the opening post is by %q, want the pseudonym %q", got, pseudonym)
	}
	if got := p.text("article.post details.cw summary"); !strings.Contains(got, "Content warning: hospital stay") {
		t.Errorf("content warning summary %q", got)
	}
	if eval[bool](p, `document.querySelector("article.post details.cw").open`) {
		t.Error("the post behind a content warning is open before the reader chose to open it")
	}
	p.tabTo("article.post details.cw summary", 40)
	p.press(kb.Enter)
	p.waitFor("the content warning to open", `document.querySelector("article.post details.cw").open`)
	if got := p.text("article.post details.cw .post-body"); !strings.Contains(got, "fatigue comes in waves") {
		t.Errorf("post body behind the warning: %q", got)
	}

	// Another member's thread in the group: react, then follow.
	p.open("/groups/long-covid")
	other := eval[string](p, `[...document.querySelectorAll(".thread-list .thread-title a")].map(a => a.getAttribute("href")).find(h => h !== "/threads/`+strconv.FormatInt(own, 10)+`")`)
	if other == "" {
		t.Fatal("no other thread in the group")
	}
	p.tabTo(`.thread-list a[href="`+other+`"]`, 80)
	p.pressNav(kb.Enter)
	thread := p.threadID()
	first := p.attr("article.post", "id")
	support := `#` + first + ` button.reaction[value="support"]`
	before, _ := strconv.Atoi(p.text(support + " .count"))
	p.tabTo(support, 80)
	p.pressNav(kb.Enter)
	if got := p.attr(support, "aria-pressed"); got != "true" {
		t.Errorf("after reacting, aria-pressed = %q, want true", got)
	}
	if got, _ := strconv.Atoi(p.text(support + " .count")); got != before+1 {
		t.Errorf("support count %d after reacting, want %d", got, before+1)
	}
	p.focusTop()
	p.tabTo("form.follow-form button", 40)
	if got := p.text("form.follow-form button"); got != "Follow this thread" {
		t.Fatalf("follow button says %q", got)
	}
	p.pressNav(kb.Enter)
	if got := p.text("form.follow-form button"); got != "Stop following" {
		t.Fatalf("after following, the button says %q", got)
	}

	// alice, also in the group, replies in the followed thread.
	alice := ta.signIn("alice", "member")
	alice.do("POST", "/threads/"+strconv.FormatInt(thread, 10)+"/posts",
		map[string]any{"body": "Pacing saved me too: I plan one thing a day and rest before I feel I need to."}).mustStatus(201)

	// The bell shows it on the next page, and the notification leads to the reply.
	p.open("/groups/long-covid")
	p.tabTo("a.nav-bell", 30)
	if got := p.text("a.nav-bell .bell-count"); got == "" || got == "0" {
		t.Fatalf("bell count %q after a reply in a followed thread", got)
	}
	p.pressNav(kb.Enter)
	if got := p.path(); got != "/notifications" {
		t.Fatalf("the bell went to %s", got)
	}
	if got := p.text(".notification.is-unread .meta"); !strings.Contains(got, "Long COVID") {
		t.Errorf("notification meta %q does not name the group", got)
	}
	p.tabTo(".notification.is-unread a[href^='/notifications/']", 40)
	p.pressNav(kb.Enter)
	if got := p.threadID(); got != thread {
		t.Errorf("the notification opened thread %d, want %d", got, thread)
	}
	if got := p.text("ol.posts"); !strings.Contains(got, "I plan one thing a day") {
		t.Errorf("the reply is not on the page the notification opened")
	}

	// Search from the header finds the new thread; then sign out.
	p.focusTop()
	p.tabTo("#site-search-q", 5)
	p.typeText("pacing hospital")
	p.pressNav(kb.Enter)
	if got := p.path(); !strings.HasPrefix(got, "/search?") {
		t.Fatalf("Enter in the search box went to %s", got)
	}
	if p.count(`main a[href^="/threads/`+strconv.FormatInt(own, 10)+`"]`) == 0 {
		t.Errorf("search for the new thread's words does not list it: %s", p.mainText())
	}
	p.focusTop()
	p.tabTo(`form[action="/auth/logout"] button`, 30)
	p.pressNav(kb.Enter)
	if p.count(`form[action="/auth/logout"]`) != 0 {
		t.Error("still signed in after Enter on Sign out")
	}
}

// TestBrowserModeratorKeyboard: a member reports two posts; the group's moderator
// decides one with the queue's shortcuts (j, Enter, c, r, Ctrl+Enter) and the other
// with Tab, Space and Enter alone.
func TestBrowserModeratorKeyboard(t *testing.T) {
	ta := newSeededApp(t)
	b := newBrowser(t, ta)

	// alice reports two posts by others in "type-2-diabetes", with the keyboard.
	r := b.newTab("alice (reporter)")
	r.signIn("alice", "member")
	r.open("/groups/type-2-diabetes")
	threads := eval[[]string](r, `[...document.querySelectorAll(".thread-list .thread-title a")].map(a => a.getAttribute("href"))`)
	reported := 0
	for _, href := range threads {
		if reported == 2 {
			break
		}
		r.open(href)
		if r.count(".report-link") == 0 {
			continue
		}
		r.focusTop()
		r.tabTo(".report-link", 120)
		r.pressNav(kb.Enter)
		if !strings.HasPrefix(r.path(), "/posts/") {
			t.Fatalf("the report link went to %s", r.path())
		}
		r.tabTo(`input[name="reason"]`, 40)
		// Arrow keys move through the reasons; "spam" is one of them.
		for i := 0; i < 10 && r.attr(`input[name="reason"]:checked`, "value") != "spam"; i++ {
			r.press(kb.ArrowDown)
		}
		if got := r.attr(`input[name="reason"]:checked`, "value"); got != "spam" {
			t.Fatalf("could not choose the reason spam with the arrow keys (got %q)", got)
		}
		r.tabTo("#note", 3)
		r.typeText("Looks like an advert.")
		r.tabTo(`form[action$="/reports"] button[type="submit"]`, 3)
		r.pressNav(kb.Enter)
		reported++
	}
	if reported != 2 {
		t.Fatalf("reported %d posts, want 2", reported)
	}

	m := b.newTab("dana (moderator)")
	m.signIn("dana", "member")
	m.focusTop()
	m.tabTo("a.nav-moderation", 30)
	if got := m.text("a.nav-moderation .mod-count"); got == "" || got == "0" {
		t.Errorf("moderation count %q in the menu, want the open items", got)
	}
	m.pressNav(kb.Enter)
	if got := m.path(); got != "/moderation/queue" {
		t.Fatalf("the moderation link went to %s", got)
	}
	if n := m.count("[data-row]"); n < 2 {
		t.Fatalf("%d items in the queue, want 2 or more: %s", n, m.mainText())
	}

	// 1. Shortcuts: j focuses the first item, Enter opens it, c claims it, r chooses
	// remove; type the reason, Ctrl+Enter records the decision.
	m.focusTop()
	m.press("j")
	if f := m.focused("[data-row] a[data-open]"); !f.Matches || !f.Visible {
		t.Fatalf("j: focus on %s (visible %v), want the first item's link, visibly", f.Desc, f.Visible)
	}
	m.pressNav(kb.Enter)
	item := m.path()
	if !strings.HasPrefix(item, "/moderation/items/") {
		t.Fatalf("Enter on the item opened %s", item)
	}
	m.pressNav("c")
	if m.count(".badge-claimed-me") == 0 {
		t.Fatalf("c did not claim the item: %s", m.mainText())
	}
	m.press("r")
	if !eval[bool](m, `document.getElementById("action-remove").checked`) {
		t.Fatal("r did not choose remove")
	}
	m.tabTo("#reason", 10)
	m.typeText("Advertising is not allowed here (rule 4).")
	m.pressNav(kb.Enter, chromedp.KeyModifiers(chromedp.ModifierCtrl))
	m.open(item)
	if got := m.text(".page-header .markers"); !strings.Contains(got, "decided: remove") {
		t.Errorf("after Ctrl+Enter, the item says %q, want decided: remove: %s", got, m.mainText())
	}

	// 2. Tab, Space and Enter only, on the next open item.
	m.open("/moderation/queue")
	m.focusTop()
	m.tabTo("[data-row] a[data-open]", 60)
	m.pressNav(kb.Enter)
	second := m.path()
	if second == item {
		t.Fatal("the decided item is still first in the open queue")
	}
	m.tabTo("#claim-form button", 40)
	m.pressNav(kb.Enter)
	if m.count(".badge-claimed-me") == 0 {
		t.Fatalf("Enter on the claim button did not claim: %s", m.mainText())
	}
	m.tabTo("#action-approve", 40)
	m.press(" ")
	if !eval[bool](m, `document.getElementById("action-approve").checked`) {
		t.Fatal("Space did not choose approve")
	}
	m.tabTo(`#decision-form button[type="submit"]`, 10)
	m.pressNav(kb.Enter)
	m.open(second)
	if got := m.text(".page-header .markers"); !strings.Contains(got, "decided: approve") {
		t.Errorf("after Enter on the button, the item says %q, want decided: approve", got)
	}

	// Both are out of the open queue, and the group's modlog shows the removal.
	m.open("/moderation/queue?group=type-2-diabetes")
	if n := m.count("[data-row] .badge-claimed-me"); n != 0 {
		t.Errorf("%d decided items still in the open queue", n)
	}
	m.open("/groups/type-2-diabetes/modlog")
	if got := m.text("main"); !strings.Contains(got, "Advertising is not allowed here") {
		t.Errorf("the modlog does not show the removal's reason: %s", got)
	}
}

// TestBrowserLivePost: a reader's open thread shows a reply written in another
// browser, through server-sent events, without reloading.
func TestBrowserLivePost(t *testing.T) {
	ta := newSeededApp(t)
	b := newBrowser(t, ta)
	reader := b.newTab("ben (reader)")
	reader.signIn("ben", "member")
	writer := b.newTab("alice (writer)")
	writer.signIn("alice", "member")

	reader.open("/groups/type-2-diabetes")
	href := reader.attr(".thread-list .thread-title a", "href")
	subs := ta.broker().Subscribers()
	reader.open(href)
	// Mark this document: if the page reloaded, the mark would be gone.
	eval[chromedp.Void](reader, `window.__notReloaded = true`)
	waitUntil(t, "the reader's event stream to connect", func() bool { return ta.broker().Subscribers() > subs })
	before := reader.count("ol.posts > li")

	writer.open(href)
	writer.tabTo("#body", 200)
	writer.typeText("Arrived live: my numbers settled once I walked after dinner.")
	writer.tabTo(`form.post-form button[type="submit"]`, 5)
	writer.pressNav(kb.Enter)

	reader.waitFor("the new reply to appear", `[...document.querySelectorAll("ol.posts .post-body")].some(el => el.textContent.includes("Arrived live"))`)
	if !eval[bool](reader, `window.__notReloaded === true`) {
		t.Error("the reader's page reloaded instead of updating in place")
	}
	if got := reader.count("ol.posts > li"); got != before+1 {
		t.Errorf("%d posts after the live update, want %d", got, before+1)
	}
	reader.waitFor("the live region to announce it", `document.getElementById("live-status").textContent.includes("new reply")`)
}

// waitUntil polls cond every 10ms for up to stepTimeout.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestBrowserClinicianAnswers: a verified clinician picks a member's question from
// the question queue and answers it in the clinician voice, with the keyboard; the
// answer carries the badge and the disclaimer, never the clinician's pseudonym.
func TestBrowserClinicianAnswers(t *testing.T) {
	ta := newSeededApp(t)
	const title = "Is it normal for a new tablet to upset my stomach?"
	alice := ta.signIn("alice", "member")
	alice.do("POST", "/groups/type-2-diabetes/threads", map[string]any{"title": title, "kind": "question",
		"body": "I started a new diabetes tablet last week and my stomach has been unsettled since. Does that pass?"}).mustStatus(201)

	b := newBrowser(t, ta)
	c := b.newTab("dr-rivera (clinician)")
	c.signIn("dr-rivera", "clinician")
	c.open("/groups/type-2-diabetes")
	pseudonym := c.text(".membership .pseudonym")

	c.open("/clinicians/questions")
	href := eval[string](c, `([...document.querySelectorAll("main a")].find(a => a.textContent.trim() === `+jsString(title)+`) || {getAttribute: () => ""}).getAttribute("href")`)
	if href == "" {
		t.Fatalf("the new question is not in the queue: %s", c.mainText())
	}
	c.tabTo(`main a[href="`+href+`"]`, 80)
	c.pressNav(kb.Enter)
	thread := c.threadID()

	// A clinician who is also a member chooses the voice with the arrow keys.
	if c.count(`input[type="radio"][name="as_clinician"]`) > 0 {
		c.tabTo(`input[name="as_clinician"]:checked`, 80)
		for i := 0; i < 2 && c.attr(`input[name="as_clinician"]:checked`, "value") != "true"; i++ {
			c.press(kb.ArrowDown)
		}
		if got := c.attr(`input[name="as_clinician"]:checked`, "value"); got != "true" {
			t.Fatalf("could not choose to post as a clinician with the arrow keys (got %q)", got)
		}
	}
	c.tabTo("#body", 10)
	c.typeText("Stomach upset is common in the first weeks of some diabetes tablets and often settles. Taking it with food can help; if it does not settle, ask your prescriber about other forms.")
	c.tabTo(`form.post-form button[type="submit"]`, 10)
	c.pressNav(kb.Enter)
	if got := c.threadID(); got != thread {
		t.Fatalf("after answering, on thread %d, want %d", got, thread)
	}

	c.waitFor("the clinician's answer", `[...document.querySelectorAll("article.post-clinician .post-body")].some(b => b.textContent.includes("often settles"))`)
	text := eval[string](c, `[...document.querySelectorAll("article.post-clinician")].map(a => a.textContent).find(t => t.includes("often settles")) || ""`)
	for _, want := range []string{"Dr. A. Rivera", "Verified clinician", "not a diagnosis"} {
		if !strings.Contains(text, want) {
			t.Errorf("the answer lacks %q: %s", want, strings.Join(strings.Fields(text), " "))
		}
	}
	if pseudonym != "" && strings.Contains(text, pseudonym) {
		t.Errorf("the clinician's answer shows their pseudonym %q", pseudonym)
	}
	if got := c.text(".page-header .markers"); !strings.Contains(got, "clinician answered") {
		t.Errorf("thread markers %q after a clinician's answer, want clinician answered", got)
	}

	// The queue shows the question as answered (or no longer lists it).
	c.open("/clinicians/questions")
	still := eval[string](c, `(() => { const a = [...document.querySelectorAll("main a")].find(a => a.textContent.trim() === `+jsString(title)+`); const li = a && a.closest("li"); return li ? li.textContent : ""; })()`)
	if still != "" && !strings.Contains(still, "clinician answered") {
		t.Errorf("the queue still lists the question as unanswered: %s", strings.Join(strings.Fields(still), " "))
	}
}
