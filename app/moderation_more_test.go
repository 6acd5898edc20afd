package app

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// modItemByType finds the open item of a type in c's queue.
func modItemByType(t *testing.T, c *client, targetType string) itemJSON {
	t.Helper()
	for _, it := range modQueue(t, c, "").Items {
		if it.Target.Type == targetType {
			return it
		}
	}
	t.Fatalf("no open %s item in the queue", targetType)
	return itemJSON{}
}

func TestReportThreadAndMemberHTTP(t *testing.T) {
	w := setupModeration(t)
	// Bob may report alice's reply, its thread (alice's) and alice herself.
	form := w.bob.getHTML(fmt.Sprintf("/posts/%d/report", w.aliceTwo)).mustStatus(200)
	for _, want := range []string{`name="about" value="post" checked`, `name="about" value="thread"`, `name="about" value="member"`, "The whole thread", "The member who wrote it"} {
		if !strings.Contains(form.body, want) {
			t.Fatalf("report form lacks %q", want)
		}
	}
	// Alice, reporting bob's reply in her own thread, is not offered her thread.
	var rv reportView
	w.alice.get(fmt.Sprintf("/posts/%d/report", w.bobPostID)).mustStatus(200).decode(&rv)
	if len(rv.Abouts) != 2 || rv.Abouts[0].Value != "post" || rv.Abouts[1].Value != "member" {
		t.Fatalf("alice's choices %+v", rv.Abouts)
	}
	w.alice.do("POST", fmt.Sprintf("/posts/%d/reports", w.bobPostID), map[string]any{"reason": "spam", "about": "thread"}).mustStatus(409)

	t.Run("thread", func(t *testing.T) {
		var out struct {
			Report map[string]string `json:"report"`
		}
		w.bob.do("POST", fmt.Sprintf("/posts/%d/reports", w.aliceTwo), map[string]any{"reason": "misinformation", "about": "thread"}).
			mustStatus(201).decode(&out)
		if out.Report["about"] != "thread" {
			t.Fatalf("answer %v", out.Report)
		}
		it := modItemByType(t, w.modA, "thread")
		if it.Target.ID != w.threadID || it.Target.Excerpt != "Cinnamon instead of insulin" || it.Lane != "misinformation" {
			t.Fatalf("thread item %+v", it)
		}
		var iv itemView
		w.modA.get(fmt.Sprintf("/moderation/items/%d", it.ID)).mustStatus(200).decode(&iv)
		if iv.Post == nil || iv.Post.ID != w.postID || iv.Thread == nil || iv.Thread.ID != w.threadID || iv.Author == nil {
			t.Fatalf("thread item view: post %+v thread %+v", iv.Post, iv.Thread)
		}
		page := w.modA.getHTML(fmt.Sprintf("/moderation/items/%d", it.ID)).mustStatus(200)
		if !strings.Contains(page.body, "Remove the thread") || strings.Contains(page.body, `id="action-redact"`) || !strings.Contains(page.body, `id="action-lock"`) {
			t.Fatal("the thread item's decision form offers the wrong actions")
		}
		w.modA.do("POST", fmt.Sprintf("/moderation/items/%d/resolve", it.ID),
			map[string]any{"action": "remove", "reason": "Dangerous advice", "version": it.Version}).mustStatus(200)
		var tv threadView
		w.bob.get(fmt.Sprintf("/threads/%d", w.threadID)).mustStatus(200).decode(&tv)
		if !tv.Thread.Locked || tv.Posts[0].Status != "removed" || tv.Posts[0].StatusReason != "Dangerous advice" {
			t.Fatalf("after removing the thread: locked %v, opening post %+v", tv.Thread.Locked, tv.Posts[0])
		}
		var ml modlogView
		w.ta.newClient().get("/groups/group-a/modlog").mustStatus(200).decode(&ml)
		if e := ml.Entries[0]; e.Action != "remove" || e.Target != "thread by "+w.alicePseudonym || e.Moderator != "moderator" {
			t.Fatalf("public modlog entry %+v", e)
		}
	})

	t.Run("member", func(t *testing.T) {
		w.bob.postForm(fmt.Sprintf("/posts/%d/reports", w.aliceTwo), url.Values{"reason": {"harassment"}, "about": {"member"}, "note": {"picks fights"}}).
			mustStatus(303)
		it := modItemByType(t, w.modA, "membership")
		if it.Target.Excerpt != w.alicePseudonym || it.Lane != "harassment" {
			t.Fatalf("member item %+v", it)
		}
		page := w.modA.getHTML(fmt.Sprintf("/moderation/items/%d", it.ID)).mustStatus(200)
		for _, bad := range []string{`id="action-remove"`, `id="action-redact"`, `id="action-lock"`} {
			if strings.Contains(page.body, bad) {
				t.Fatalf("the member item offers %s", bad)
			}
		}
		for _, want := range []string{`id="action-warn"`, `id="action-mute"`, `id="action-ban"`, "picks fights", "in this group", "Staff notes"} {
			if !strings.Contains(page.body, want) {
				t.Fatalf("the member item page lacks %q", want)
			}
		}
		// Group B's moderator cannot see it.
		w.modB.get(fmt.Sprintf("/moderation/items/%d", it.ID)).mustStatus(404)
		w.modA.do("POST", fmt.Sprintf("/moderation/items/%d/resolve", it.ID),
			map[string]any{"action": "remove", "reason": "x", "version": it.Version}).mustStatus(422)
		w.modA.do("POST", fmt.Sprintf("/moderation/items/%d/resolve", it.ID),
			map[string]any{"action": "ban", "reason": "Repeated harassment", "version": it.Version}).mustStatus(200)
		var me struct {
			Memberships []membershipJSON `json:"memberships"`
		}
		w.alice.get("/me").mustStatus(200).decode(&me)
		if len(me.Memberships) != 1 || me.Memberships[0].Status != "banned" {
			t.Fatalf("alice's memberships %+v", me.Memberships)
		}
	})
}

func TestRedactHTTP(t *testing.T) {
	w := setupModeration(t)
	w.bob.do("POST", fmt.Sprintf("/posts/%d/reports", w.postID), map[string]any{"reason": "privacy"}).mustStatus(201)
	it := modItem(t, w.modA, "post", w.postID)
	page := w.modA.getHTML(fmt.Sprintf("/moderation/items/%d", it.ID)).mustStatus(200)
	for _, want := range []string{`id="action-redact"`, `id="redact-body"`, "Stop your insulin, cinnamon is enough.</textarea>"} {
		if !strings.Contains(page.body, want) {
			t.Fatalf("the item page lacks %q", want)
		}
	}
	// An empty redaction comes back with the error beside the redaction, not the note.
	bad := w.modA.postForm(fmt.Sprintf("/moderation/items/%d/resolve", it.ID),
		url.Values{"action": {"redact"}, "body": {"  "}, "reason": {"kept words"}, "version": {fmt.Sprint(it.Version)}}).mustStatus(422)
	if !strings.Contains(bad.body, `id="redact-body-error"`) || strings.Contains(bad.body, `id="body-error"`) || !strings.Contains(bad.body, "kept words") {
		t.Fatal("the redaction's error is misplaced or the reason was lost")
	}
	w.modA.postForm(fmt.Sprintf("/moderation/items/%d/resolve", it.ID),
		url.Values{"action": {"redact"}, "body": {"[a medical claim was removed]"}, "reason": {"Medical misinformation"}, "version": {fmt.Sprint(it.Version)}}).
		mustStatus(303)
	thread := w.bob.getHTML(fmt.Sprintf("/threads/%d", w.threadID)).mustStatus(200)
	if strings.Contains(thread.body, "cinnamon is enough") || !strings.Contains(thread.body, "[a medical claim was removed]") {
		t.Fatal("the thread still shows the redacted text")
	}
	revs := fmt.Sprintf("/posts/%d/revisions", w.postID)
	if r := w.alice.get(revs).mustStatus(200); strings.Contains(r.body, "cinnamon is enough") {
		t.Fatal("the author still reads the redacted original")
	}
	if r := w.modA2.get(revs).mustStatus(200); !strings.Contains(r.body, "cinnamon is enough") || !strings.Contains(r.body, `"edited_by":"moderator"`) {
		t.Fatalf("the group's moderators lose the original: %s", r.body)
	}
	w.bob.get(revs).mustStatus(404)
}

func TestQueuePageClaimsAndShortcutsHTML(t *testing.T) {
	w := setupModeration(t)
	w.bob.do("POST", fmt.Sprintf("/posts/%d/reports", w.postID), map[string]any{"reason": "crisis"}).mustStatus(201)
	it := modItem(t, w.modA, "post", w.postID)
	q := w.modA.getHTML("/moderation/queue").mustStatus(200)
	claim := fmt.Sprintf(`action="/moderation/items/%d/claim" data-claim`, it.ID)
	for _, want := range []string{claim, `class="blurred-preview" aria-hidden="true"`, "claim the item and open it"} {
		if !strings.Contains(q.body, want) {
			t.Fatalf("queue page lacks %q", want)
		}
	}
	// Claiming from the queue, without JavaScript: a form that opens the item.
	res := w.modA.postForm(fmt.Sprintf("/moderation/items/%d/claim", it.ID), url.Values{}).mustStatus(303)
	if loc := res.Header.Get("Location"); loc != fmt.Sprintf("/moderation/items/%d", it.ID) {
		t.Fatalf("claim redirected to %q", loc)
	}
	// Others see it claimed, with no claim button; its claimer can renew.
	if q2 := w.modA2.getHTML("/moderation/queue").mustStatus(200); strings.Contains(q2.body, claim) || !strings.Contains(q2.body, "badge-claimed") {
		t.Fatal("another moderator is offered a claimed item's claim")
	}
	if q1 := w.modA.getHTML("/moderation/queue").mustStatus(200); !strings.Contains(q1.body, "Renew claim") {
		t.Fatal("the claimer cannot renew from the queue")
	}
	// ?action= (the queue's a and r keys) chooses the decision on the item page.
	page := w.modA.getHTML(fmt.Sprintf("/moderation/items/%d?action=remove", it.ID)).mustStatus(200)
	if !strings.Contains(page.body, `value="remove" id="action-remove" checked`) || !strings.Contains(page.body, "choose redact") {
		t.Fatal("?action=remove does not choose remove, or the shortcut list is incomplete")
	}
	if page := w.modA.getHTML(fmt.Sprintf("/moderation/items/%d?action=nonsense", it.ID)).mustStatus(200); strings.Contains(page.body, " checked>") {
		t.Fatal("an unknown ?action= chose something")
	}
	// The reported crisis post is folded with a blurred preview until revealed.
	if !strings.Contains(page.body, `<span class="blurred-preview" aria-hidden="true">Stop your insulin`) {
		t.Fatal("the item page has no blurred preview of the folded post")
	}
}

func TestLaneDeadlinesConfig(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[string]time.Duration
		err  string
	}{
		{"", nil, ""},
		{"crisis=10m", map[string]time.Duration{"crisis": 10 * time.Minute}, ""},
		{" crisis = 10m , spam=96h,", map[string]time.Duration{"crisis": 10 * time.Minute, "spam": 96 * time.Hour}, ""},
		{"urgent=10m", nil, "unknown lane"},
		{"crisis", nil, "lane=duration"},
		{"crisis=soon", nil, "not a duration"},
		{"crisis=10s", nil, "from 1m"},
		{"spam=800h", nil, "from 1m"},
		{"crisis=10m,crisis=5m", nil, "twice"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseLaneDeadlines(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "HAVEN_LANE_DEADLINES") {
					t.Fatalf("error %v, want one with %q", err, tc.err)
				}
				return
			}
			if err != nil || len(got) != len(tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Fatalf("%s: %v, want %v", k, got[k], v)
				}
			}
		})
	}
	cfg := localConfig()
	cfg.LaneDeadlines = "crisis=soon"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "HAVEN_LANE_DEADLINES") {
		t.Fatalf("Validate: %v", err)
	}
	if c := ConfigFromEnv(func(k string) string {
		if k == "HAVEN_LANE_DEADLINES" {
			return "misinformation=30m"
		}
		return ""
	}); c.LaneDeadlines != "misinformation=30m" {
		t.Fatalf("ConfigFromEnv read %q", c.LaneDeadlines)
	}

	// The app applies them to new items.
	cfg = localConfig()
	cfg.LaneDeadlines = "misinformation=30m"
	ta := newTestAppWith(t, cfg)
	admin := ta.signIn("admin", "admin")
	admin.do("POST", "/groups", map[string]any{"slug": "g", "name": "G", "visibility": "open"}).mustStatus(201)
	alice, bob := ta.signIn("alice", "member"), ta.signIn("bob", "member")
	modJoin(t, alice, "g")
	modJoin(t, bob, "g")
	_, postID := modThread(t, alice, "g", "A claim", "Cinnamon cures everything.")
	bob.do("POST", fmt.Sprintf("/posts/%d/reports", postID), map[string]any{"reason": "misinformation"}).mustStatus(201)
	it := modItem(t, admin, "post", postID)
	if got := it.DeadlineAt.Sub(it.CreatedAt); got != 30*time.Minute {
		t.Fatalf("deadline %v after creation, want 30m", got)
	}
}

func TestJoinRequestDeclinedFromQueueHTML(t *testing.T) {
	w := setupModeration(t)
	dave := w.ta.signIn("dave", "member")
	dp, status := modJoin(t, dave, "group-c")
	if status != "pending" {
		t.Fatalf("dave: %q", status)
	}
	it := modFindJoin(t, w.modC, dp)
	q := w.modC.getHTML("/moderation/queue").mustStatus(200)
	if !strings.Contains(q.body, "Join request") || !strings.Contains(q.body, dp+" asks to join") {
		t.Fatal("the queue page does not list the join request")
	}
	page := w.modC.getHTML(fmt.Sprintf("/moderation/items/%d", it.ID)).mustStatus(200)
	for _, want := range []string{"let them join the group", "Decline", "they may ask again later"} {
		if !strings.Contains(page.body, want) {
			t.Fatalf("the join request's page lacks %q", want)
		}
	}
	if strings.Contains(page.body, `id="action-redact"`) || strings.Contains(page.body, `id="action-mute"`) {
		t.Fatal("a join request offers post or member actions")
	}
	// Moderators of other groups cannot see or decide it.
	w.modA.getHTML(fmt.Sprintf("/moderation/items/%d", it.ID)).mustStatus(404)
	w.modA.postForm(fmt.Sprintf("/moderation/items/%d/resolve", it.ID), url.Values{"action": {"remove"}, "version": {fmt.Sprint(it.Version)}}).mustStatus(404)
	w.modC.postForm(fmt.Sprintf("/moderation/items/%d/resolve", it.ID), url.Values{"action": {"remove"}, "version": {fmt.Sprint(it.Version)}}).mustStatus(303)
	var gp struct {
		Membership *membershipJSON `json:"membership"`
	}
	dave.get("/groups/group-c").mustStatus(200).decode(&gp)
	if gp.Membership == nil || gp.Membership.Status != "denied" {
		t.Fatalf("dave's membership %+v", gp.Membership)
	}
	dave.get("/groups/group-c/modlog").mustStatus(404)
	var ml modlogView
	w.modC.get("/groups/group-c/modlog").mustStatus(200).decode(&ml)
	if e := ml.Entries[0]; e.Action != "decline_join" || e.Target != dp {
		t.Fatalf("modlog entry %+v", e)
	}
	// Decided on the requests page instead, the request is in the modlog the same way.
	erin := w.ta.signIn("erin", "member")
	ep, _ := modJoin(t, erin, "group-c")
	w.modC.do("POST", "/groups/group-c/requests/"+url.PathEscape(ep)+"/approve", nil).mustStatus(200)
	w.modC.get("/groups/group-c/modlog").mustStatus(200).decode(&ml)
	if e := ml.Entries[0]; e.Action != "approve_join" || e.Target != ep {
		t.Fatalf("modlog entry %+v", e)
	}
	if len(modQueue(t, w.modC, "").Items) != 0 {
		t.Fatal("the request decided on the requests page stays in the queue")
	}
}

func TestQueueFiltersAndOverdueHTTP(t *testing.T) {
	w := setupModeration(t)
	// Alice's post was reported two hours ago (misinformation: due in 24 h), bob's
	// reply an hour and a half ago (privacy: due in 1 h, so overdue), and carol's post
	// in group B just now (spam).
	past := time.Now().Add(-2 * time.Hour)
	w.ta.store.SetClock(func() time.Time { return past })
	w.bob.do("POST", fmt.Sprintf("/posts/%d/reports", w.postID), map[string]any{"reason": "misinformation"}).mustStatus(201)
	w.ta.store.SetClock(func() time.Time { return past.Add(30 * time.Minute) })
	w.alice.do("POST", fmt.Sprintf("/posts/%d/reports", w.bobPostID), map[string]any{"reason": "privacy"}).mustStatus(201)
	w.ta.store.SetClock(time.Now)
	w.bob.do("POST", fmt.Sprintf("/posts/%d/reports", w.bPostID), map[string]any{"reason": "spam"}).mustStatus(201)

	all := modQueue(t, w.admin, "")
	if len(all.Items) != 3 {
		t.Fatalf("admin sees %d items", len(all.Items))
	}
	// Triage order: privacy (overdue) before misinformation before spam.
	if all.Items[0].Lane != "privacy" || !all.Items[0].Overdue || all.Items[1].Lane != "misinformation" || all.Items[1].Overdue || all.Items[2].Lane != "spam" {
		t.Fatalf("order %+v", all.Items)
	}
	for _, tc := range []struct {
		query string
		want  []string // lanes
	}{
		{"?group=group-b", []string{"spam"}},
		{"?lane=privacy", []string{"privacy"}},
		{"?group=group-a&lane=spam", nil},
		{"?claimed=me", []string{"misinformation"}},
		{"?status=resolved", []string{"privacy", "other"}}, // and the join request decided in setup
	} {
		if tc.query == "?claimed=me" {
			w.admin.do("POST", fmt.Sprintf("/moderation/items/%d/claim", all.Items[1].ID), nil).mustStatus(200)
		}
		if tc.query == "?status=resolved" {
			it := all.Items[0]
			w.admin.do("POST", fmt.Sprintf("/moderation/items/%d/resolve", it.ID), map[string]any{"action": "approve", "version": it.Version}).mustStatus(200)
		}
		var got []string
		for _, it := range modQueue(t, w.admin, tc.query).Items {
			got = append(got, it.Lane)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Fatalf("%s: lanes %v, want %v", tc.query, got, tc.want)
		}
	}
	// The claim shows to the group's moderators; claimed=me is empty for them.
	if items := modQueue(t, w.modA, "?claimed=me").Items; len(items) != 0 {
		t.Fatalf("modA's claimed items %+v", items)
	}
	if it := modItem(t, w.modA, "post", w.postID); !it.Claimed || it.ClaimedByMe {
		t.Fatalf("the admin's claim as modA sees it: %+v", it)
	}
	w.admin.get("/moderation/queue?lane=urgent").mustStatus(422)
	w.admin.get("/moderation/queue?status=closed").mustStatus(422)
	w.admin.get("/moderation/queue?group=nope").mustStatus(404)
	// The page marks overdue items and counts them per lane.
	w.ta.store.SetClock(func() time.Time { return past })
	w.modA2.do("POST", fmt.Sprintf("/posts/%d/reports", w.aliceTwo), map[string]any{"reason": "safety"}).mustStatus(201)
	w.ta.store.SetClock(time.Now)
	page := w.modA.getHTML("/moderation/queue?lane=safety").mustStatus(200)
	for _, want := range []string{"is-overdue", "overdue by", "has-overdue", "1 overdue"} {
		if !strings.Contains(page.body, want) {
			t.Fatalf("the queue page lacks %q", want)
		}
	}
}

func TestResolveRaceRoundsHTTP(t *testing.T) {
	w := setupModeration(t)
	racers := []*client{w.modA, w.modA2, w.admin}
	actions := []map[string]any{
		{"action": "remove", "reason": "Medical misinformation"},
		{"action": "approve"},
		{"action": "warn", "reason": "Please cite a source"},
	}
	for round := range 4 {
		p := modReply(t, w.alice, w.threadID, fmt.Sprintf("Cinnamon claim number %d.", round))
		w.bob.do("POST", fmt.Sprintf("/posts/%d/reports", p), map[string]any{"reason": "misinformation"}).mustStatus(201)
		it := modItem(t, w.modA, "post", p)
		// First the claims race: exactly one moderator gets the lease.
		claims := make([]int, len(racers))
		var wg sync.WaitGroup
		for i, c := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				claims[i] = c.do("POST", fmt.Sprintf("/moderation/items/%d/claim", it.ID), nil).StatusCode
			}()
		}
		wg.Wait()
		winner := -1
		for i, s := range claims {
			if s == http.StatusOK {
				if winner >= 0 {
					t.Fatalf("round %d: two claims succeeded: %v", round, claims)
				}
				winner = i
			} else if s != http.StatusConflict {
				t.Fatalf("round %d: claim statuses %v", round, claims)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no claim succeeded: %v", round, claims)
		}
		// Then all race to decide: the claim lets only its holder through.
		statuses := make([]int, len(racers))
		for i, c := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := map[string]any{"version": it.Version}
				for k, v := range actions[i] {
					body[k] = v
				}
				statuses[i] = c.do("POST", fmt.Sprintf("/moderation/items/%d/resolve", it.ID), body).StatusCode
			}()
		}
		wg.Wait()
		for i, s := range statuses {
			want := http.StatusConflict
			if i == winner {
				want = http.StatusOK
			}
			if s != want {
				t.Fatalf("round %d: resolve statuses %v, want only racer %d to succeed", round, statuses, winner)
			}
		}
		// Exactly one decision recorded, and it is the winner's.
		var ml modlogView
		w.modA.get("/groups/group-a/modlog").mustStatus(200).decode(&ml)
		n := 0
		for _, e := range ml.Entries {
			if e.Target == "post by "+w.alicePseudonym && e.CreatedAt.After(time.Now().Add(-time.Minute)) {
				n++
			}
		}
		if n != round+1 {
			t.Fatalf("round %d: %d decisions on alice's posts in the modlog, want %d", round, n, round+1)
		}
		if got, want := ml.Entries[0].Action, actions[winner]["action"]; got != want {
			t.Fatalf("round %d: the modlog's newest decision is %q, the winner's was %q", round, got, want)
		}
		var iv itemView
		w.admin.get(fmt.Sprintf("/moderation/items/%d", it.ID)).mustStatus(200).decode(&iv)
		if iv.Item.Status != "resolved" || iv.Item.Resolution != actions[winner]["action"] || iv.Item.Version != it.Version+1 {
			t.Fatalf("round %d: item after the race %+v", round, iv.Item)
		}
	}
}
