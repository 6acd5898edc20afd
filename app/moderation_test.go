package app

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// modWorld is an open group A with two moderators and two members (alice wrote a
// post in it), an open group B with its own moderator and member, and a closed
// group C with a moderator.
type modWorld struct {
	ta                  *testApp
	admin               *client
	modA, modA2, modB   *client
	modC                *client
	alice, bob, carol   *client
	alicePseudonym      string
	modAPseudonym       string
	threadID, postID    int64
	bPostID             int64
	bobPostID, aliceTwo int64
}

// modJoin joins c to the group (accepting its rules) and returns the pseudonym.
func modJoin(t *testing.T, c *client, slug string) (pseudonym, status string) {
	t.Helper()
	var out struct {
		Membership membershipJSON `json:"membership"`
	}
	c.do("POST", "/groups/"+slug+"/join", map[string]any{"accept_rules": true}).mustStatus(200).decode(&out)
	return out.Membership.Pseudonym, out.Membership.Status
}

// modAppoint has the admin make the member with the pseudonym a moderator.
func modAppoint(t *testing.T, admin *client, slug, pseudonym string) {
	t.Helper()
	admin.do("POST", "/groups/"+slug+"/moderators", map[string]any{"pseudonym": pseudonym, "role": "moderator"}).mustStatus(200)
}

// modThread opens a thread as c and returns the thread and post ids.
func modThread(t *testing.T, c *client, slug, title, body string) (int64, int64) {
	t.Helper()
	var out struct {
		Thread threadJSON `json:"thread"`
		Post   postJSON   `json:"post"`
	}
	c.do("POST", "/groups/"+slug+"/threads", map[string]any{"title": title, "body": body}).mustStatus(201).decode(&out)
	return out.Thread.ID, out.Post.ID
}

// modReply posts a reply as c and returns its id.
func modReply(t *testing.T, c *client, threadID int64, body string) int64 {
	t.Helper()
	var out struct {
		Post postJSON `json:"post"`
	}
	c.do("POST", fmt.Sprintf("/threads/%d/posts", threadID), map[string]any{"body": body}).mustStatus(201).decode(&out)
	return out.Post.ID
}

// modQueue is c's queue as JSON.
func modQueue(t *testing.T, c *client, query string) queueView {
	t.Helper()
	var qv queueView
	c.get("/moderation/queue" + query).mustStatus(200).decode(&qv)
	return qv
}

// modItem finds the open item about a target in c's queue.
func modItem(t *testing.T, c *client, targetType string, targetID int64) itemJSON {
	t.Helper()
	for _, it := range modQueue(t, c, "").Items {
		if it.Target.Type == targetType && it.Target.ID == targetID {
			return it
		}
	}
	t.Fatalf("no open %s %d item in the queue", targetType, targetID)
	return itemJSON{}
}

func setupModeration(t *testing.T) *modWorld {
	t.Helper()
	ta := newTestApp(t)
	w := &modWorld{ta: ta, admin: ta.signIn("admin", "admin")}
	for _, g := range []map[string]any{
		{"slug": "group-a", "name": "Group A", "visibility": "open",
			"rules": "Please read these.\n\n1. Be **kind** to each other\n2. No selling\n- Keep it on topic"},
		{"slug": "group-b", "name": "Group B", "visibility": "open"},
		{"slug": "group-c", "name": "Group C", "visibility": "closed"},
	} {
		w.admin.do("POST", "/groups", g).mustStatus(201)
	}
	w.modA, w.modA2, w.modB, w.modC = ta.signIn("moda", "member"), ta.signIn("moda2", "member"), ta.signIn("modb", "member"), ta.signIn("modc", "member")
	w.alice, w.bob, w.carol = ta.signIn("alice", "member"), ta.signIn("bob", "member"), ta.signIn("carol", "member")
	w.modAPseudonym, _ = modJoin(t, w.modA, "group-a")
	modAppoint(t, w.admin, "group-a", w.modAPseudonym)
	p, _ := modJoin(t, w.modA2, "group-a")
	modAppoint(t, w.admin, "group-a", p)
	p, _ = modJoin(t, w.modB, "group-b")
	modAppoint(t, w.admin, "group-b", p)
	w.alicePseudonym, _ = modJoin(t, w.alice, "group-a")
	modJoin(t, w.bob, "group-a")
	modJoin(t, w.carol, "group-b")
	w.threadID, w.postID = modThread(t, w.alice, "group-a", "Cinnamon instead of insulin", "Stop your insulin, cinnamon is enough.")
	w.bobPostID = modReply(t, w.bob, w.threadID, "Please talk to your care team first.")
	w.aliceTwo = modReply(t, w.alice, w.threadID, "I stand by it.")
	_, w.bPostID = modThread(t, w.carol, "group-b", "Buy my supplements", "Cheap pills at my shop.")
	// Group C: modc asks to join, the admin approves through the queue and appoints them.
	pc, status := modJoin(t, w.modC, "group-c")
	if status != "pending" {
		t.Fatalf("joining a closed group: %q", status)
	}
	var q queueView
	w.admin.get("/moderation/queue?group=group-c").mustStatus(200).decode(&q)
	if len(q.Items) != 1 || q.Items[0].Target.Type != "join_request" {
		t.Fatalf("group C queue %+v", q.Items)
	}
	w.admin.do("POST", fmt.Sprintf("/moderation/items/%d/resolve", q.Items[0].ID),
		map[string]any{"action": "approve", "version": q.Items[0].Version}).mustStatus(200)
	modAppoint(t, w.admin, "group-c", pc)
	return w
}

func TestModerationScope(t *testing.T) {
	w := setupModeration(t)
	w.bob.do("POST", fmt.Sprintf("/posts/%d/reports", w.postID), map[string]any{"reason": "misinformation"}).mustStatus(201)
	w.bob.do("POST", fmt.Sprintf("/posts/%d/reports", w.bPostID), map[string]any{"reason": "spam"}).mustStatus(201)

	a := modQueue(t, w.modA, "")
	if got, want := len(a.Items), 1; got != want {
		t.Fatalf("moderator of A sees %d items, want %d: %+v", got, want, a.Items)
	}
	itemA := a.Items[0]
	if itemA.Group.Slug != "group-a" || itemA.Target.ID != w.postID || itemA.ReportCount != 1 {
		t.Fatalf("item %+v", itemA)
	}
	if got, want := len(a.Counts), 7; got != want {
		t.Fatalf("%d lane counts, want %d", got, want)
	}
	for _, c := range a.Counts {
		want := 0
		if c.Lane == "misinformation" {
			want = 1
		}
		if c.Open != want || c.Overdue != 0 {
			t.Fatalf("lane count %+v, want %d open", c, want)
		}
	}
	b := modQueue(t, w.modB, "")
	if len(b.Items) != 1 || b.Items[0].Group.Slug != "group-b" {
		t.Fatalf("moderator of B sees %+v", b.Items)
	}
	for _, c := range b.Counts {
		if c.Lane != "spam" && c.Open != 0 {
			t.Fatalf("moderator of B counts %+v", c)
		}
	}
	// Group B's moderator can do nothing with group A's item, nor filter by group A.
	w.modB.get(fmt.Sprintf("/moderation/items/%d", itemA.ID)).mustStatus(404)
	w.modB.do("POST", fmt.Sprintf("/moderation/items/%d/claim", itemA.ID), nil).mustStatus(404)
	w.modB.do("POST", fmt.Sprintf("/moderation/items/%d/resolve", itemA.ID), map[string]any{"action": "approve", "version": itemA.Version}).mustStatus(404)
	w.modB.do("POST", fmt.Sprintf("/moderation/items/%d/notes", itemA.ID), map[string]any{"body": "hm"}).mustStatus(404)
	w.modB.get("/moderation/queue?group=group-a").mustStatus(404)
	// Members get 404 on every moderation route; visitors must sign in.
	for _, c := range []*client{w.alice, w.bob} {
		c.get("/moderation/queue").mustStatus(404)
		c.get(fmt.Sprintf("/moderation/items/%d", itemA.ID)).mustStatus(404)
		c.do("POST", fmt.Sprintf("/moderation/items/%d/claim", itemA.ID), nil).mustStatus(404)
		c.do("POST", fmt.Sprintf("/moderation/items/%d/resolve", itemA.ID), map[string]any{"action": "approve", "version": itemA.Version}).mustStatus(404)
		c.getHTML("/moderation/queue").mustStatus(404)
	}
	w.ta.newClient().get("/moderation/queue").mustStatus(401)
	// The admin sees both groups.
	if all := modQueue(t, w.admin, ""); len(all.Items) != 2 {
		t.Fatalf("admin sees %d items, want 2", len(all.Items))
	}
	// No user id in what moderators see.
	for _, r := range []*response{w.modA.get("/moderation/queue"), w.modA.get(fmt.Sprintf("/moderation/items/%d", itemA.ID))} {
		r.mustStatus(200)
		if userIDPattern.MatchString(r.body) || strings.Contains(r.body, "claimed_by\"") {
			t.Fatalf("a user id in %s: %s", r.Request.URL.Path, r.body)
		}
	}
}

func TestModerationClaimsAndRace(t *testing.T) {
	w := setupModeration(t)
	w.bob.do("POST", fmt.Sprintf("/posts/%d/reports", w.postID), map[string]any{"reason": "misinformation"}).mustStatus(201)
	it := modItem(t, w.modA, "post", w.postID)

	t.Run("claim conflict", func(t *testing.T) {
		var claimed struct {
			Item itemJSON `json:"item"`
		}
		w.modA.do("POST", fmt.Sprintf("/moderation/items/%d/claim", it.ID), nil).mustStatus(200).decode(&claimed)
		if !claimed.Item.ClaimedByMe || !claimed.Item.Claimed {
			t.Fatalf("claim %+v", claimed.Item)
		}
		w.modA.do("POST", fmt.Sprintf("/moderation/items/%d/claim", it.ID), nil).mustStatus(200) // renewing
		if code := w.modA2.do("POST", fmt.Sprintf("/moderation/items/%d/claim", it.ID), nil).mustStatus(409).errorCode(); code != "conflict" {
			t.Fatalf("code %q", code)
		}
		other := modItem(t, w.modA2, "post", w.postID)
		if !other.Claimed || other.ClaimedByMe {
			t.Fatalf("the other moderator sees %+v", other)
		}
		w.modA2.do("POST", fmt.Sprintf("/moderation/items/%d/resolve", it.ID),
			map[string]any{"action": "approve", "version": it.Version}).mustStatus(409)
	})

	t.Run("stale version", func(t *testing.T) {
		// A new report changes the item: a decision on the old version changes nothing.
		w.alice.do("POST", fmt.Sprintf("/posts/%d/reports", w.bobPostID), map[string]any{"reason": "other"}).mustStatus(201)
		bi := modItem(t, w.modA, "post", w.bobPostID)
		w.modA2.do("POST", fmt.Sprintf("/posts/%d/reports", w.bobPostID), map[string]any{"reason": "spam"}).mustStatus(201)
		w.modA.do("POST", fmt.Sprintf("/moderation/items/%d/resolve", bi.ID),
			map[string]any{"action": "approve", "version": bi.Version}).mustStatus(409)
		now := modItem(t, w.modA, "post", w.bobPostID)
		if now.Version == bi.Version || now.Status != "open" {
			t.Fatalf("item after a stale decision %+v", now)
		}
	})

	t.Run("race", func(t *testing.T) {
		// The claim is modA's: the race is between two requests that may both decide.
		// A second item, unclaimed, is raced by both moderators.
		p := modReply(t, w.alice, w.threadID, "Cinnamon, not insulin, again.")
		w.bob.do("POST", fmt.Sprintf("/posts/%d/reports", p), map[string]any{"reason": "misinformation"}).mustStatus(201)
		ri := modItem(t, w.modA, "post", p)
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		for i, c := range []*client{w.modA, w.modA2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res := c.do("POST", fmt.Sprintf("/moderation/items/%d/resolve", ri.ID),
					map[string]any{"action": "remove", "reason": "Medical misinformation", "version": ri.Version})
				statuses[i] = res.StatusCode
			}()
		}
		wg.Wait()
		ok, conflict := 0, 0
		for _, s := range statuses {
			switch s {
			case http.StatusOK:
				ok++
			case http.StatusConflict:
				conflict++
			}
		}
		if ok != 1 || conflict != 1 {
			t.Fatalf("statuses %v: want one 200 and one 409", statuses)
		}
		var ml modlogView
		w.modA.get("/groups/group-a/modlog").mustStatus(200).decode(&ml)
		removes := 0
		for _, e := range ml.Entries {
			if e.Action == "remove" {
				removes++
			}
		}
		if removes != 1 {
			t.Fatalf("%d remove entries in the modlog, want 1: %+v", removes, ml.Entries)
		}
	})
}

func TestReportFlowHTTP(t *testing.T) {
	w := setupModeration(t)
	path := fmt.Sprintf("/posts/%d/reports", w.postID)
	var out struct {
		Report map[string]string `json:"report"`
	}
	w.bob.do("POST", path, map[string]any{"reason": "misinformation", "note": "stopping insulin is dangerous"}).mustStatus(201).decode(&out)
	if out.Report["status"] != "received" || out.Report["reason"] != "misinformation" {
		t.Fatalf("report answer %v", out.Report)
	}
	if code := w.bob.do("POST", path, map[string]any{"reason": "spam"}).mustStatus(409).errorCode(); code != "conflict" {
		t.Fatalf("duplicate report: %q", code)
	}
	res := w.modA2.do("POST", path, map[string]any{"reason": "lies"}).mustStatus(422)
	if !strings.Contains(res.body, `"reason"`) {
		t.Fatalf("bad reason: %s", res.body)
	}
	w.alice.do("POST", path, map[string]any{"reason": "spam"}).mustStatus(409) // one's own post

	// The form: for readers of the post, not for its author, 404 where it cannot be read.
	form := w.bob.getHTML(fmt.Sprintf("/posts/%d/report", w.postID)).mustStatus(200)
	for _, want := range []string{`value="crisis"`, "someone may be in danger", "Shares personal details", `action="/posts/` + fmt.Sprint(w.postID) + `/reports"`} {
		if !strings.Contains(strings.ToLower(form.body), strings.ToLower(want)) {
			t.Fatalf("report form lacks %q", want)
		}
	}
	w.alice.getHTML(fmt.Sprintf("/posts/%d/report", w.postID)).mustStatus(409)
	w.bob.get("/posts/999999/report").mustStatus(404)
	if res := w.ta.newClient().getHTML(fmt.Sprintf("/posts/%d/report", w.postID)); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a visitor's report form: %d, want a redirect to sign in", res.StatusCode)
	}
	// A closed group's post: 404 for those who cannot read it.
	cThread, cPost := modThread(t, w.modC, "group-c", "Closed talk", "Only for members.")
	_ = cThread
	w.bob.get(fmt.Sprintf("/posts/%d/report", cPost)).mustStatus(404)
	w.bob.do("POST", fmt.Sprintf("/posts/%d/reports", cPost), map[string]any{"reason": "spam"}).mustStatus(404)

	// A browser's form: a bad reason comes back with the note typed; a good one goes back to the post.
	carolA := w.modA2
	bad := carolA.postForm(fmt.Sprintf("/posts/%d/reports", w.aliceTwo), url.Values{"reason": {"nonsense"}, "note": {"my careful note"}}).mustStatus(422)
	if !strings.Contains(bad.body, "my careful note") {
		t.Fatalf("the note was lost: %s", bad.body)
	}
	good := carolA.postForm(fmt.Sprintf("/posts/%d/reports", w.aliceTwo), url.Values{"reason": {"harassment"}}).mustStatus(303)
	if loc := good.Header.Get("Location"); !strings.Contains(loc, fmt.Sprintf("#post-%d", w.aliceTwo)) {
		t.Fatalf("after a report, redirected to %q", loc)
	}

	// The thread page offers Report on others' posts only.
	page := w.bob.getHTML(fmt.Sprintf("/threads/%d", w.threadID)).mustStatus(200)
	if !strings.Contains(page.body, fmt.Sprintf(`href="/posts/%d/report"`, w.postID)) {
		t.Fatal("no Report link on alice's post for bob")
	}
	if strings.Contains(page.body, fmt.Sprintf(`href="/posts/%d/report"`, w.bobPostID)) {
		t.Fatal("bob is offered to report his own post")
	}
}

func TestModlogVisibilityHTTP(t *testing.T) {
	w := setupModeration(t)
	w.bob.do("POST", fmt.Sprintf("/posts/%d/reports", w.postID), map[string]any{"reason": "misinformation"}).mustStatus(201)
	it := modItem(t, w.modA, "post", w.postID)
	w.modA.do("POST", fmt.Sprintf("/moderation/items/%d/resolve", it.ID),
		map[string]any{"action": "remove", "reason": "A false cure claim", "version": it.Version}).mustStatus(200)

	entries := func(c *client, slug string) []modlogJSON {
		t.Helper()
		var ml modlogView
		c.get("/groups/" + slug + "/modlog").mustStatus(200).decode(&ml)
		return ml.Entries
	}
	// Open group: public, with the moderator redacted except for the group's moderators.
	for name, c := range map[string]*client{"visitor": w.ta.newClient(), "member": w.bob, "other group's moderator": w.modB} {
		es := entries(c, "group-a")
		if len(es) != 1 || es[0].Action != "remove" || es[0].Reason != "A false cure claim" || es[0].Moderator != "moderator" {
			t.Fatalf("%s sees %+v", name, es)
		}
	}
	for _, c := range []*client{w.modA, w.modA2} {
		if es := entries(c, "group-a"); es[0].Moderator != w.modAPseudonym {
			t.Fatalf("a moderator of the group sees %q, want %q", es[0].Moderator, w.modAPseudonym)
		}
	}
	// Closed group: members only (404 for others); names for its moderators.
	w.ta.newClient().get("/groups/group-c/modlog").mustStatus(404)
	w.bob.get("/groups/group-c/modlog").mustStatus(404)
	w.bob.getHTML("/groups/group-c/modlog").mustStatus(404)
	if es := entries(w.modC, "group-c"); len(es) != 1 || es[0].Action != "approve_join" || es[0].Moderator == "moderator" {
		t.Fatalf("group C's moderator sees %+v", es)
	}
	_, status := modJoin(t, w.bob, "group-c")
	if status != "pending" {
		t.Fatalf("bob's request: %q", status)
	}
	w.bob.get("/groups/group-c/modlog").mustStatus(404) // pending is not a member yet
	if page := w.ta.newClient().getHTML("/groups/group-a/modlog").mustStatus(200); !strings.Contains(page.body, "A false cure claim") {
		t.Fatal("the modlog page lacks the reason")
	}
	if page := w.ta.newClient().getHTML("/groups/group-a").mustStatus(200); !strings.Contains(page.body, `href="/groups/group-a/modlog"`) {
		t.Fatal("the group page does not link its modlog")
	}
}

func TestAppealFlowHTTP(t *testing.T) {
	w := setupModeration(t)
	w.bob.do("POST", fmt.Sprintf("/posts/%d/reports", w.postID), map[string]any{"reason": "misinformation"}).mustStatus(201)
	it := modItem(t, w.modA, "post", w.postID)
	appeal := fmt.Sprintf("/posts/%d/appeal", w.postID)
	// Nothing to appeal before a decision.
	w.alice.do("POST", appeal, map[string]any{"note": "too early"}).mustStatus(409)
	w.modA.do("POST", fmt.Sprintf("/moderation/items/%d/resolve", it.ID),
		map[string]any{"action": "remove", "reason": "Medical misinformation", "version": it.Version}).mustStatus(200)

	page := w.alice.getHTML(fmt.Sprintf("/threads/%d", w.threadID)).mustStatus(200)
	if !strings.Contains(page.body, "Appeal this decision") || !strings.Contains(page.body, `action="`+appeal+`"`) {
		t.Fatal("the author is not offered an appeal under the removed post")
	}
	if strings.Contains(w.bob.getHTML(fmt.Sprintf("/threads/%d", w.threadID)).body, "Appeal this decision") {
		t.Fatal("another member is offered an appeal")
	}
	// Only the author may appeal.
	w.bob.do("POST", appeal, map[string]any{"note": "not mine"}).mustStatus(404)
	w.modA2.do("POST", appeal, map[string]any{"note": "not mine"}).mustStatus(404)
	var out struct {
		Appeal map[string]string `json:"appeal"`
	}
	w.alice.do("POST", appeal, map[string]any{"note": "I meant it as a joke; I take insulin."}).mustStatus(201).decode(&out)
	if out.Appeal["status"] != "received" {
		t.Fatalf("appeal answer %v", out.Appeal)
	}
	w.alice.do("POST", appeal, map[string]any{"note": "again"}).mustStatus(409)

	// The moderator who decided does not see the appeal and may not decide it.
	for _, i := range modQueue(t, w.modA, "").Items {
		if i.Appeal {
			t.Fatalf("the deciding moderator sees the appeal %+v", i)
		}
	}
	ap := modItem(t, w.modA2, "post", w.postID)
	if !ap.Appeal || ap.Lane != "misinformation" || ap.ID == it.ID {
		t.Fatalf("appeal item %+v", ap)
	}
	w.modA.do("POST", fmt.Sprintf("/moderation/items/%d/resolve", ap.ID),
		map[string]any{"action": "approve", "version": ap.Version}).mustStatus(403)
	var iv itemView
	w.modA2.get(fmt.Sprintf("/moderation/items/%d", ap.ID)).mustStatus(200).decode(&iv)
	if iv.AppealOf == nil || iv.AppealOf.Resolution != "remove" || len(iv.Reports) != 1 || iv.Reports[0].Note != "I meant it as a joke; I take insulin." {
		t.Fatalf("appeal item view: appeal_of %+v reports %+v", iv.AppealOf, iv.Reports)
	}
	w.modA2.getHTML(fmt.Sprintf("/moderation/items/%d", ap.ID)).mustStatus(200)
	// Upheld: the post is published again.
	w.modA2.do("POST", fmt.Sprintf("/moderation/items/%d/resolve", ap.ID),
		map[string]any{"action": "approve", "reason": "Thanks for explaining", "version": ap.Version}).mustStatus(200)
	var tv threadView
	w.bob.get(fmt.Sprintf("/threads/%d", w.threadID)).mustStatus(200).decode(&tv)
	for _, p := range tv.Posts {
		if p.ID == w.postID && (p.Status != "published" || p.StatusReason != "" || p.BodyHTML == "") {
			t.Fatalf("the appealed post %+v, want it restored", p)
		}
	}
	w.alice.do("POST", appeal, map[string]any{"note": "once more"}).mustStatus(409)
	var nv struct {
		Notifications []notificationJSON `json:"notifications"`
	}
	w.alice.get("/notifications").mustStatus(200).decode(&nv)
	if len(nv.Notifications) == 0 || !strings.Contains(nv.Notifications[0].Text, "restored your post") {
		t.Fatalf("alice's notifications %+v", nv.Notifications)
	}

	t.Run("decision stands", func(t *testing.T) {
		w.bob.do("POST", fmt.Sprintf("/posts/%d/reports", w.aliceTwo), map[string]any{"reason": "harassment"}).mustStatus(201)
		it := modItem(t, w.modA2, "post", w.aliceTwo)
		w.modA2.do("POST", fmt.Sprintf("/moderation/items/%d/resolve", it.ID),
			map[string]any{"action": "remove", "reason": "Harassment", "version": it.Version}).mustStatus(200)
		w.alice.postForm(fmt.Sprintf("/posts/%d/appeal", w.aliceTwo), url.Values{"note": {"please"}}).mustStatus(303)
		if page := w.alice.getHTML(fmt.Sprintf("/threads/%d", w.threadID)); !strings.Contains(page.body, "You appealed this decision") {
			t.Fatal("the thread page does not say the appeal is waiting")
		}
		ap := modItem(t, w.modA, "post", w.aliceTwo)
		w.modA.do("POST", fmt.Sprintf("/moderation/items/%d/resolve", ap.ID),
			map[string]any{"action": "remove", "reason": "The rule applies", "version": ap.Version}).mustStatus(200)
		var tv threadView
		w.alice.get(fmt.Sprintf("/threads/%d", w.threadID)).mustStatus(200).decode(&tv)
		for _, p := range tv.Posts {
			if p.ID == w.aliceTwo && (p.Status != "removed" || p.StatusReason != "Harassment") {
				t.Fatalf("post after a denied appeal %+v", p)
			}
		}
	})
}

func TestJoinRequestsInQueueHTTP(t *testing.T) {
	w := setupModeration(t)
	dave, erin := w.ta.signIn("dave", "member"), w.ta.signIn("erin", "member")
	dp, status := modJoin(t, dave, "group-c")
	if status != "pending" {
		t.Fatalf("dave: %q", status)
	}
	ep, _ := modJoin(t, erin, "group-c")
	it := modFindJoin(t, w.modC, dp)
	if it.Lane != "other" || !strings.Contains(it.Target.Excerpt, dp) {
		t.Fatalf("join item %+v", it)
	}
	// The group A moderator sees none of it.
	for _, i := range modQueue(t, w.modA, "").Items {
		if i.Target.Type == "join_request" {
			t.Fatalf("moderator of A sees %+v", i)
		}
	}
	w.modC.do("POST", fmt.Sprintf("/moderation/items/%d/resolve", it.ID), map[string]any{"action": "approve", "version": it.Version}).mustStatus(200)
	var me struct {
		Memberships []membershipJSON `json:"memberships"`
	}
	dave.get("/me").mustStatus(200).decode(&me)
	if len(me.Memberships) != 1 || me.Memberships[0].Status != "active" {
		t.Fatalf("dave's memberships %+v", me.Memberships)
	}
	dave.get("/groups/group-c").mustStatus(200)
	dave.get("/groups/group-c/modlog").mustStatus(200)
	// Deciding on the requests page closes the queue item too.
	w.modC.do("POST", "/groups/group-c/requests/"+url.PathEscape(ep)+"/deny", nil).mustStatus(200)
	for _, i := range modQueue(t, w.modC, "").Items {
		if i.Target.Type == "join_request" {
			t.Fatalf("a decided request stays in the queue: %+v", i)
		}
	}
	// A withdrawn request leaves the queue as well.
	frank := w.ta.signIn("frank", "member")
	fp, _ := modJoin(t, frank, "group-c")
	modFindJoin(t, w.modC, fp)
	frank.do("POST", "/groups/group-c/leave", nil).mustStatus(200)
	for _, i := range modQueue(t, w.modC, "").Items {
		if i.Target.Type == "join_request" {
			t.Fatalf("a withdrawn request stays in the queue: %+v", i)
		}
	}
}

// modFindJoin returns the open join request by pseudonym in c's queue.
func modFindJoin(t *testing.T, c *client, pseudonym string) itemJSON {
	t.Helper()
	for _, i := range modQueue(t, c, "").Items {
		if i.Target.Type == "join_request" && strings.HasPrefix(i.Target.Excerpt, pseudonym+" ") {
			return i
		}
	}
	t.Fatalf("no join request from %s in the queue", pseudonym)
	return itemJSON{}
}

func TestModerationPagesHTML(t *testing.T) {
	w := setupModeration(t)
	w.bob.do("POST", fmt.Sprintf("/posts/%d/reports", w.postID), map[string]any{"reason": "crisis", "note": "<b>worried</b>"}).mustStatus(201)
	it := modItem(t, w.modA, "post", w.postID)

	q := w.modA.getHTML("/moderation/queue").mustStatus(200)
	for _, want := range []string{"Moderation queue", `data-shortcuts="queue"`, "1 report", "due in", `data-deadline="`,
		fmt.Sprintf(`href="/moderation/items/%d"`, it.ID), `<details class="reveal">`, "Group A", `href="/moderation/queue"`} {
		if !strings.Contains(q.body, want) {
			t.Fatalf("queue page lacks %q", want)
		}
	}
	// The crisis excerpt is folded away until revealed.
	if i := strings.Index(q.body, `<details class="reveal">`); i < 0 || !strings.Contains(q.body[i:], "Stop your insulin") {
		t.Fatal("the crisis excerpt is not inside the reveal")
	}
	w.modA.getHTML("/moderation/queue?status=resolved&lane=crisis&claimed=me&group=group-a").mustStatus(200)

	page := w.modA.getHTML(fmt.Sprintf("/moderation/items/%d", it.ID)).mustStatus(200)
	for _, want := range []string{`data-shortcuts="item"`, "reported post", "Rule 1: Be kind to each other", "Rule 2: No selling",
		"Keep it on topic", "Medical misinformation", `name="version" value="`, `id="action-approve"`, `id="claim-form"`,
		"&lt;b&gt;worried&lt;/b&gt;", `<pre class="snapshot">`, "I stand by it.", "Add a note"} {
		if !strings.Contains(page.body, want) {
			t.Fatalf("item page lacks %q", want)
		}
	}
	if strings.Contains(page.body, "<b>worried</b>") {
		t.Fatal("a report note is not escaped")
	}
	// A decision form with an error comes back with what was typed.
	bad := w.modA.postForm(fmt.Sprintf("/moderation/items/%d/resolve", it.ID),
		url.Values{"action": {"mute"}, "hours": {"0"}, "reason": {"typed words"}, "version": {fmt.Sprint(it.Version)}}).mustStatus(422)
	if !strings.Contains(bad.body, "typed words") || !strings.Contains(bad.body, `value="mute" id="action-mute" checked`) {
		t.Fatalf("the decision form lost what was typed")
	}
	note := w.modA.postForm(fmt.Sprintf("/moderation/items/%d/notes", it.ID), url.Values{"body": {"   "}}).mustStatus(422)
	if !strings.Contains(note.body, "write a note") {
		t.Fatal("an empty note does not say what is wrong")
	}
	w.modA.postForm(fmt.Sprintf("/moderation/items/%d/notes", it.ID), url.Values{"body": {"Second time this week."}}).mustStatus(303)
	w.modA.postForm(fmt.Sprintf("/moderation/items/%d/claim", it.ID), nil).mustStatus(303)
	// A canned reason chosen without JavaScript becomes the reason.
	w.modA.postForm(fmt.Sprintf("/moderation/items/%d/resolve", it.ID),
		url.Values{"action": {"remove"}, "canned": {"Rule 2: No selling"}, "reason": {""}, "version": {fmt.Sprint(it.Version)}}).mustStatus(303)
	ml := w.modA.getHTML("/groups/group-a/modlog").mustStatus(200)
	if !strings.Contains(ml.body, "Rule 2: No selling") || !strings.Contains(ml.body, w.modAPseudonym) {
		t.Fatal("the modlog page lacks the canned reason or the moderator's name")
	}
	report := w.modA2.getHTML(fmt.Sprintf("/posts/%d/report", w.bobPostID)).mustStatus(200)

	// The header's Moderation link is for moderators only.
	if !strings.Contains(q.body, `class="nav-moderation"`) {
		t.Fatal("a moderator has no Moderation link")
	}
	if strings.Contains(w.bob.getHTML("/groups").body, `class="nav-moderation"`) {
		t.Fatal("a member has a Moderation link")
	}
	// No user ids on any moderation page.
	for _, r := range []*response{q, page, ml, report} {
		for _, bad := range []string{"user_id", "UserID", "claimed_by", "resolved_by", "exclude_user", "reporter_id"} {
			if strings.Contains(r.body, bad) {
				t.Fatalf("%s shows %q", r.Request.URL.Path, bad)
			}
		}
	}
}
