package app

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// announcementsForum is setupForum with a moderator of the open group (mo) and of
// the closed group (cmo), and a member of the open group (alice).
type announcementsForum struct {
	ta                    *testApp
	admin, mo, cmo, alice *client
}

func setupAnnouncements(t *testing.T) *announcementsForum {
	t.Helper()
	ta, admin := setupForum(t)
	f := &announcementsForum{ta: ta, admin: admin, mo: ta.signIn("mo", "member"), cmo: ta.signIn("cmo", "member"),
		alice: ta.signIn("alice", "member")}
	name := joinAs(t, f.mo, "type-2-diabetes", nil)
	admin.do("POST", "/groups/type-2-diabetes/moderators", map[string]any{"pseudonym": name, "role": "moderator"}).mustStatus(200)
	joinAs(t, f.alice, "type-2-diabetes", nil)
	f.cmo.do("POST", "/groups/carers/join", nil).mustStatus(200)
	var pending struct {
		Membership struct{ Pseudonym string } `json:"membership"`
	}
	// The closed group's moderator: approved, then promoted, by the admin (a member).
	admin.do("POST", "/groups/carers/join", nil).mustStatus(200)
	f.cmo.get("/groups/carers").mustStatus(200).decode(&pending)
	cname := pending.Membership.Pseudonym
	admin.do("POST", "/groups/carers/requests/"+url.PathEscape(cname)+"/approve", nil).mustStatus(200)
	admin.do("POST", "/groups/carers/moderators", map[string]any{"pseudonym": cname, "role": "moderator"}).mustStatus(200)
	return f
}

// announce posts an announcement as c and returns its JSON.
func announce(t *testing.T, c *client, body map[string]any) map[string]any {
	t.Helper()
	return c.do("POST", "/announcements", body).mustStatus(201).json()["announcement"].(map[string]any)
}

func TestAnnouncementPermissionsAndValidation(t *testing.T) {
	f := setupAnnouncements(t)
	site := map[string]any{"title": "Site news", "body": "Hello **everyone**", "severity": "info"}
	f.alice.do("POST", "/announcements", site).mustStatus(403)
	f.mo.do("POST", "/announcements", site).mustStatus(403) // a group moderator: not site-wide
	visitor := f.ta.newClient()
	visitor.fetchCSRF()
	visitor.do("POST", "/announcements", site).mustStatus(401)
	f.mo.do("POST", "/announcements", map[string]any{"group": "carers", "title": "Not mine", "body": "x"}).mustStatus(403)
	f.mo.do("POST", "/announcements", map[string]any{"group": "hidden", "title": "Not mine", "body": "x"}).mustStatus(404)
	f.alice.do("POST", "/announcements", map[string]any{"group": "type-2-diabetes", "title": "Not a mod", "body": "x"}).mustStatus(403)

	a := announce(t, f.admin, site)
	if a["official"] != true || a["severity"] != "info" || a["status"] != "current" || a["group"] != nil ||
		!strings.Contains(a["body_html"].(string), "<strong>everyone</strong>") {
		t.Fatalf("site announcement %v", a)
	}
	g := announce(t, f.mo, map[string]any{"group": "type-2-diabetes", "title": "Clinic moves", "body": "New address", "severity": "advisory"})
	if g["group"].(map[string]any)["slug"] != "type-2-diabetes" || g["thread_id"] == nil {
		t.Fatalf("group announcement %v", g)
	}
	for _, res := range []*response{f.admin.get("/announcements"), f.alice.get("/announcements")} {
		if userIDPattern.MatchString(res.body) || strings.Contains(res.body, "author") {
			t.Fatalf("announcements name their author: %s", res.body)
		}
	}

	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"severity", map[string]any{"title": "Bad", "body": "x", "severity": "panic"}, "severity"},
		{"end before start", map[string]any{"title": "Bad end", "body": "x", "starts_at": "2030-01-02T10:00:00Z", "ends_at": "2030-01-01T10:00:00Z"}, "ends_at"},
		{"start", map[string]any{"title": "Bad start", "body": "x", "starts_at": "tomorrow"}, "starts_at"},
		{"title", map[string]any{"title": "", "body": "x"}, "title"},
		{"body", map[string]any{"title": "No body", "body": "  "}, "body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := f.admin.do("POST", "/announcements", tc.body).mustStatus(422)
			if !strings.Contains(res.body, `"`+tc.field+`"`) {
				t.Fatalf("no message for %s: %s", tc.field, res.body)
			}
		})
	}
}

func TestAnnouncementsOnHomeGroupAndHistory(t *testing.T) {
	f := setupAnnouncements(t)
	now := time.Now().UTC()
	announce(t, f.admin, map[string]any{"title": "Current news", "body": "now", "severity": "advisory"})
	announce(t, f.admin, map[string]any{"title": "Later news", "body": "soon", "starts_at": now.Add(time.Hour).Format(time.RFC3339)})
	announce(t, f.admin, map[string]any{"title": "Old news", "body": "was", "starts_at": now.Add(-2 * time.Hour).Format(time.RFC3339),
		"ends_at": now.Add(-time.Hour).Format(time.RFC3339)})
	announce(t, f.admin, map[string]any{"title": "Urgent news", "body": "act", "severity": "urgent"})
	announce(t, f.mo, map[string]any{"group": "type-2-diabetes", "title": "Group news", "body": "ours"})
	announce(t, f.cmo, map[string]any{"group": "carers", "title": "Carers only", "body": "private"})

	var home struct {
		Announcements []struct{ Title string } `json:"announcements"`
	}
	f.ta.newClient().get("/").mustStatus(200).decode(&home)
	if got := titles(home.Announcements); got != "Current news" {
		t.Fatalf("home shows %q, want only the current site-wide info/advisory one", got)
	}
	var group struct {
		Announcements []struct{ Title string } `json:"announcements"`
	}
	f.ta.newClient().get("/groups/type-2-diabetes").mustStatus(200).decode(&group)
	if got := titles(group.Announcements); got != "Group news" {
		t.Fatalf("group page shows %q", got)
	}

	var hist struct {
		Announcements []struct{ Title, Status string } `json:"announcements"`
	}
	f.alice.get("/announcements").mustStatus(200).decode(&hist)
	var got []string
	for _, a := range hist.Announcements {
		got = append(got, a.Title+":"+a.Status)
	}
	// Current first (newest start first), then the rest, newest start first; the closed
	// group's announcement is not alice's to see.
	if want := "Group news:current,Urgent news:current,Current news:current,Later news:scheduled,Old news:ended"; strings.Join(got, ",") != want {
		t.Fatalf("history %v, want %s", got, want)
	}
	f.cmo.get("/announcements").mustStatus(200).decode(&hist)
	if !strings.Contains(fmt.Sprint(hist.Announcements), "Carers only") {
		t.Fatalf("the closed group's member does not see its announcement: %v", hist.Announcements)
	}
	page := f.ta.newClient().getHTML("/announcements").mustStatus(200).body
	for _, want := range []string{"badge-official", "Old news", "badge-ended", "badge-scheduled"} {
		if !strings.Contains(page, want) {
			t.Fatalf("announcements page lacks %q", want)
		}
	}
}

func titles[T interface{ ~struct{ Title string } }](xs []T) string {
	var out []string
	for _, x := range xs {
		out = append(out, struct{ Title string }(x).Title)
	}
	return strings.Join(out, ",")
}

func TestUrgentBannerDismissalAndExpiry(t *testing.T) {
	f := setupAnnouncements(t)
	bob := f.ta.signIn("bob", "member")
	ends := time.Now().UTC().Add(time.Hour)
	a := announce(t, f.admin, map[string]any{"title": "Clinic closed today", "body": "Phone lines only", "severity": "urgent",
		"ends_at": ends.Format(time.RFC3339)})
	id := int(a["id"].(float64))
	closedOnly := announce(t, f.cmo, map[string]any{"group": "carers", "title": "Carers urgent", "body": "members only", "severity": "urgent"})
	visitor := f.ta.newClient()
	visitor.fetchCSRF()

	// On every page, for members and visitors.
	for _, c := range []*client{f.alice, bob, visitor} {
		for _, p := range []string{"/", "/groups", "/crisis", "/announcements", "/search?q=x"} {
			if body := c.getHTML(p).mustStatus(200).body; !strings.Contains(body, "Clinic closed today") || !strings.Contains(body, "urgent-banner") {
				t.Fatalf("no banner on %s", p)
			}
		}
	}
	// A closed group's urgent announcement is a banner for its members only.
	if strings.Contains(f.alice.getHTML("/").body, "Carers urgent") || strings.Contains(visitor.getHTML("/").body, "Carers urgent") {
		t.Fatal("a closed group's banner shown to non-members")
	}
	if !strings.Contains(f.cmo.getHTML("/").body, "Carers urgent") {
		t.Fatal("a closed group's banner not shown to its member")
	}
	f.alice.do("POST", fmt.Sprintf("/announcements/%d/dismiss", int(closedOnly["id"].(float64))), nil).mustStatus(404)

	// A member dismisses for good (the form redirects back); others still see it.
	res := f.alice.postForm(fmt.Sprintf("/announcements/%d/dismiss", id), url.Values{"next": {"/groups"}}).mustStatus(303)
	if loc := res.Header.Get("Location"); loc != "/groups" {
		t.Fatalf("dismiss redirects to %q", loc)
	}
	if strings.Contains(f.alice.getHTML("/").body, "Clinic closed today") {
		t.Fatal("banner still shown after dismissal")
	}
	f.alice.do("POST", fmt.Sprintf("/announcements/%d/dismiss", id), nil).mustStatus(204) // twice is harmless
	if !strings.Contains(bob.getHTML("/").body, "Clinic closed today") {
		t.Fatal("one member's dismissal hid the banner from another")
	}
	// A visitor dismisses with a cookie.
	visitor.postForm(fmt.Sprintf("/announcements/%d/dismiss", id), url.Values{"next": {"/"}}).mustStatus(303)
	if strings.Contains(visitor.getHTML("/").body, "Clinic closed today") {
		t.Fatal("visitor's banner still shown after dismissal")
	}
	if !strings.Contains(f.ta.newClient().getHTML("/").body, "Clinic closed today") {
		t.Fatal("another visitor lost the banner")
	}
	// Expired: gone for everyone, the announcement stays in the history as ended.
	later := ends.Add(time.Minute)
	f.ta.store.SetClock(func() time.Time { return later })
	for _, c := range []*client{bob, f.ta.newClient()} {
		if strings.Contains(c.getHTML("/").body, "Clinic closed today") {
			t.Fatal("banner shown after it ended")
		}
	}
	if body := bob.get("/announcements").body; !strings.Contains(body, `"status":"ended"`) {
		t.Fatalf("ended announcement not in the history as ended: %s", body)
	}
}

func TestAnnouncementThreadReplies(t *testing.T) {
	f := setupAnnouncements(t)
	open := announce(t, f.mo, map[string]any{"group": "type-2-diabetes", "title": "Let's talk", "body": "Discuss"})
	closed := announce(t, f.mo, map[string]any{"group": "type-2-diabetes", "title": "Just so you know", "body": "No replies", "replies_off": true})
	if closed["replies_off"] != true {
		t.Fatalf("replies_off not kept: %v", closed)
	}
	openThread := int(open["thread_id"].(float64))
	closedThread := int(closed["thread_id"].(float64))
	th := f.alice.get(fmt.Sprintf("/threads/%d", openThread)).mustStatus(200).json()["thread"].(map[string]any)
	if th["kind"] != "announcement" || th["official"] != true {
		t.Fatalf("announcement thread %v", th)
	}
	f.alice.do("POST", fmt.Sprintf("/threads/%d/posts", openThread), map[string]any{"body": "Thanks!"}).mustStatus(201)
	f.alice.do("POST", fmt.Sprintf("/threads/%d/posts", closedThread), map[string]any{"body": "But I want to reply"}).mustStatus(403)
	f.mo.do("POST", fmt.Sprintf("/threads/%d/posts", closedThread), map[string]any{"body": "A correction from us"}).mustStatus(201)
	// A moderator's act: in the group's modlog, the moderator not named to members.
	if log := f.alice.get("/groups/type-2-diabetes/modlog").mustStatus(200).body; !strings.Contains(log, `"action":"announce","target":"Let's talk"`) ||
		!strings.Contains(log, `"moderator":"moderator"`) {
		t.Fatalf("modlog lacks the announcement: %s", log)
	}
}

func TestLiveThreadOnlyModeratorsPost(t *testing.T) {
	f := setupAnnouncements(t)
	f.alice.do("POST", "/groups/type-2-diabetes/threads", map[string]any{"title": "My live", "body": "x", "kind": "live"}).mustStatus(422)
	th := f.mo.do("POST", "/groups/type-2-diabetes/threads", map[string]any{"title": "Clinic capacity", "body": "Opening at 9", "kind": "live"}).mustStatus(201).json()
	live := th["thread"].(map[string]any)
	id := int(live["id"].(float64))
	if live["kind"] != "live" || live["discussion_thread_id"] == nil {
		t.Fatalf("live thread %v", live)
	}
	disc := int(live["discussion_thread_id"].(float64))
	res := f.alice.do("POST", fmt.Sprintf("/threads/%d/posts", id), map[string]any{"body": "Can I come?"}).mustStatus(403)
	if !strings.Contains(res.body, fmt.Sprintf("/threads/%d", disc)) {
		t.Fatalf("refusal does not link the discussion: %s", res.body)
	}
	f.alice.do("POST", fmt.Sprintf("/threads/%d/posts", disc), map[string]any{"body": "Can I come?"}).mustStatus(201)
	f.mo.do("POST", fmt.Sprintf("/threads/%d/posts", id), map[string]any{"body": "Capacity 15:30: full"}).mustStatus(201)
	f.admin.do("POST", "/groups/type-2-diabetes/join", nil).mustStatus(200)
	f.admin.do("POST", fmt.Sprintf("/threads/%d/posts", id), map[string]any{"body": "Staff update: reopening at 16:00"}).mustStatus(201)

	// Newest update first, each with its time.
	page := f.ta.newClient().getHTML(fmt.Sprintf("/threads/%d", id)).mustStatus(200).body
	newest, older := strings.Index(page, "reopening at 16:00"), strings.Index(page, "Capacity 15:30")
	if newest < 0 || older < 0 || newest > older {
		t.Fatalf("live updates not newest first (%d, %d)", newest, older)
	}
	if !strings.Contains(page, `class="live-time"`) || !strings.Contains(page, fmt.Sprintf(`href="/threads/%d"`, disc)) {
		t.Fatal("live page lacks update times or the discussion link")
	}
	if !strings.Contains(f.alice.getHTML(fmt.Sprintf("/threads/%d", disc)).body, fmt.Sprintf(`href="/threads/%d"`, id)) {
		t.Fatal("discussion does not link back to the live thread")
	}
}

func TestAnnouncementEventsRespectVisibility(t *testing.T) {
	f := setupAnnouncements(t)
	ch, stop := f.alice.openStream(t, "/events", "")
	defer stop()
	announce(t, f.cmo, map[string]any{"group": "carers", "title": "Carers only", "body": "private"})
	nothing(t, ch)
	// Not on any page until it starts, so not streamed either.
	announce(t, f.admin, map[string]any{"title": "Not yet", "body": "later",
		"starts_at": time.Now().UTC().Add(time.Hour).Format(time.RFC3339)})
	nothing(t, ch)
	a := announce(t, f.admin, map[string]any{"title": "For all", "body": "hello", "severity": "urgent"})
	e := next(t, ch)
	if e.name != "announcement" || !strings.Contains(e.data, fmt.Sprintf(`"id":%d`, int(a["id"].(float64)))) {
		t.Fatalf("event %+v", e)
	}
}

func TestResources(t *testing.T) {
	f := setupAnnouncements(t)
	r := map[string]any{"title": "Eating well", "source_org": "Diabetes UK", "url": "https://www.diabetes.org.uk/eating", "description": "Plain advice"}
	f.alice.do("POST", "/groups/type-2-diabetes/resources", r).mustStatus(403)
	f.mo.do("POST", "/groups/type-2-diabetes/resources", map[string]any{"title": "Bad", "source_org": "X", "url": "javascript:alert(1)"}).mustStatus(422)
	res := f.mo.do("POST", "/groups/type-2-diabetes/resources", r).mustStatus(201).json()["resource"].(map[string]any)
	var g struct {
		Resources []struct{ Title, SourceOrg, URL string } `json:"resources"`
	}
	f.ta.newClient().get("/groups/type-2-diabetes").mustStatus(200).decode(&g)
	if len(g.Resources) != 1 || g.Resources[0].Title != "Eating well" {
		t.Fatalf("group page resources %+v", g.Resources)
	}
	if page := f.ta.newClient().getHTML("/groups/type-2-diabetes").body; !strings.Contains(page, "https://www.diabetes.org.uk/eating") {
		t.Fatal("group page does not link the resource")
	}
	f.alice.do("DELETE", fmt.Sprintf("/groups/type-2-diabetes/resources/%d", int(res["id"].(float64))), nil).mustStatus(403)
	f.mo.do("DELETE", fmt.Sprintf("/groups/type-2-diabetes/resources/%d", int(res["id"].(float64))), nil).mustStatus(200)
	f.ta.newClient().get("/groups/type-2-diabetes").mustStatus(200).decode(&g)
	if len(g.Resources) != 0 {
		t.Fatalf("removed resource still shown: %+v", g.Resources)
	}
}

func TestFeeds(t *testing.T) {
	f := setupAnnouncements(t)
	f.admin.do("POST", "/groups", map[string]any{"slug": "clinicians", "name": "Clinicians", "visibility": "professional"}).mustStatus(201)
	announce(t, f.admin, map[string]any{"title": "Site <news> & more", "body": "for *all*"})
	announce(t, f.mo, map[string]any{"group": "type-2-diabetes", "title": "Open group news", "body": "ours"})
	announce(t, f.cmo, map[string]any{"group": "carers", "title": "Carers secret news", "body": "private"})
	announce(t, f.admin, map[string]any{"title": "Not yet", "body": "later", "starts_at": time.Now().UTC().Add(time.Hour).Format(time.RFC3339)})
	f.alice.do("POST", "/groups/type-2-diabetes/threads", map[string]any{"title": "Tired after lunch", "body": "Is this normal?"}).mustStatus(201)
	f.alice.do("POST", "/groups/type-2-diabetes/threads", map[string]any{"title": "Hard topic", "body": "Details", "content_warning": "self-harm"}).mustStatus(201)
	f.cmo.do("POST", "/groups/carers/threads", map[string]any{"title": "Carers thread", "body": "private"}).mustStatus(201)

	res := f.ta.newClient().get("/announcements.atom").mustStatus(200)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/atom+xml") {
		t.Fatalf("content type %q", ct)
	}
	for _, want := range []string{`<feed xmlns="http://www.w3.org/2005/Atom">`, "Site &lt;news&gt; &amp; more", "Type 2 diabetes: Open group news", "<name>official</name>"} {
		if !strings.Contains(res.body, want) {
			t.Fatalf("announcements feed lacks %q:\n%s", want, res.body)
		}
	}
	for _, not := range []string{"Carers secret news", "Not yet"} {
		if strings.Contains(res.body, not) {
			t.Fatalf("announcements feed has %q", not)
		}
	}

	feed := f.ta.newClient().get("/groups/type-2-diabetes/feed.atom").mustStatus(200).body
	var alice struct {
		Membership struct{ Pseudonym string } `json:"membership"`
	}
	f.alice.get("/groups/type-2-diabetes").decode(&alice)
	for _, want := range []string{"Tired after lunch", "Is this normal?", "<name>" + alice.Membership.Pseudonym + "</name>", "Content warning: self-harm"} {
		if !strings.Contains(feed, want) {
			t.Fatalf("group feed lacks %q:\n%s", want, feed)
		}
	}
	if strings.Contains(feed, "Details") || userIDPattern.MatchString(feed) {
		t.Fatalf("group feed shows a warned post's text or an id:\n%s", feed)
	}
	// Never for closed, secret or professional groups, whoever asks.
	for _, slug := range []string{"carers", "hidden", "clinicians"} {
		for _, c := range []*client{f.ta.newClient(), f.cmo, f.admin} {
			c.get("/groups/" + slug + "/feed.atom").mustStatus(404)
		}
	}
	var g struct {
		FeedURL *string `json:"feed_url"`
	}
	f.cmo.get("/groups/carers").mustStatus(200).decode(&g)
	if g.FeedURL != nil {
		t.Fatalf("closed group page offers a feed: %s", *g.FeedURL)
	}
}
