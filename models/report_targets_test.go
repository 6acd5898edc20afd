package models

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// lastNotice is the text of the newest notification to the user's membership in g.
func lastNotice(t *testing.T, s *Store, v *Viewer) string {
	t.Helper()
	var m Membership
	if err := s.db.Where("user_id = ?", v.User.ID).First(&m).Error; err != nil {
		t.Fatal(err)
	}
	var n Notification
	if err := s.db.Where("membership_id = ?", m.ID).Order("id DESC").First(&n).Error; err != nil {
		return ""
	}
	return n.Text
}

func TestReportThreadItem(t *testing.T) {
	f := newModFixture(t, VisibilityOpen)
	s := f.s
	reply, err := s.CreatePost(ctx, f.reporters[1], f.thread.ID, PostInput{Body: "Please do not stop insulin."})
	if err != nil {
		t.Fatal(err)
	}
	// Reported from a reply: the item is about the thread, with its opening post as snapshot.
	it, err := s.ReportPost(ctx, f.reporters[0], reply.ID, ReportInput{Reason: "misinformation", About: ReportAboutThread})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := it.TargetType, TargetThread; got != want {
		t.Fatalf("target %q, want %q", got, want)
	}
	if it.TargetID != f.thread.ID {
		t.Fatalf("target id %d, want thread %d", it.TargetID, f.thread.ID)
	}
	// The thread's author cannot report it; nobody reports it twice; a bad "about" is invalid.
	_, err = s.ReportPost(ctx, f.author, reply.ID, ReportInput{Reason: "spam", About: ReportAboutThread})
	wantCode(t, err, ECONFLICT)
	_, err = s.ReportPost(ctx, f.reporters[0], f.post.ID, ReportInput{Reason: "spam", About: ReportAboutThread})
	wantCode(t, err, ECONFLICT)
	_, err = s.ReportPost(ctx, f.reporters[2], f.post.ID, ReportInput{Reason: "spam", About: "group"})
	wantField(t, err, "about")
	// Thread reports never hide the opening post, however many.
	for _, r := range f.reporters[1:] {
		if _, err := s.ReportPost(ctx, r, f.post.ID, ReportInput{Reason: "misinformation", About: ReportAboutThread}); err != nil {
			t.Fatal(err)
		}
	}
	var op Post
	s.db.First(&op, f.post.ID)
	if op.Status != PostPublished {
		t.Fatalf("opening post %q after thread reports, want published", op.Status)
	}
	q, err := s.Queue(ctx, f.mod, QueueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 1 || q[0].Item.TargetType != TargetThread || q[0].Excerpt != f.thread.Title || q[0].Item.ReportCount != 4 {
		t.Fatalf("queue %+v", q)
	}
	var r Report
	s.db.Where("queue_item_id = ?", it.ID).Order("id").First(&r)
	if !strings.Contains(r.Snapshot, "Thread: Cinnamon cures diabetes") || !strings.Contains(r.Snapshot, "Stop your insulin") {
		t.Fatalf("snapshot %q", r.Snapshot)
	}
	d, err := s.Item(ctx, f.mod, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Post == nil || d.Post.ID != f.post.ID || d.Author == nil || len(d.Context) == 0 {
		t.Fatalf("thread item detail: post %+v author %+v context %d", d.Post, d.Author, len(d.Context))
	}
	// Redacting a thread is refused and changes nothing.
	_, err = s.Resolve(ctx, f.mod, it.ID, ResolveInput{Action: ActionRedact, Body: "x", Version: q[0].Item.Version})
	wantField(t, err, "action")
	// Removing it tombstones the opening post with the reason and locks the thread.
	if _, err := s.Resolve(ctx, f.mod, it.ID, ResolveInput{Action: ActionRemove, Reason: "Dangerous advice", Version: q[0].Item.Version}); err != nil {
		t.Fatal(err)
	}
	s.db.First(&op, f.post.ID)
	var th Thread
	s.db.First(&th, f.thread.ID)
	if op.Status != PostRemoved || op.StatusReason != "Dangerous advice" || !th.Locked {
		t.Fatalf("after removal: post %q %q, locked %v", op.Status, op.StatusReason, th.Locked)
	}
	var e ModlogEntry
	s.db.Where("action = ?", ActionRemove).First(&e)
	if e.TargetType != TargetThread || strings.Contains(e.TargetLabel, "Cinnamon") || !strings.HasPrefix(e.TargetLabel, "thread by ") {
		t.Fatalf("modlog entry %+v: want the author, not the title", e)
	}
	if n := lastNotice(t, s, f.author); !strings.Contains(n, "removed your thread") || !strings.Contains(n, "Dangerous advice") {
		t.Fatalf("author told %q", n)
	}
	// The author's history on a later item shows the thread's removal.
	mi, err := s.ReportPost(ctx, f.reporters[0], f.post.ID, ReportInput{Reason: "spam", About: ReportAboutMember})
	if err != nil {
		t.Fatal(err)
	}
	md, err := s.Item(ctx, f.mod, mi.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(md.Actions) != 1 || md.Actions[0].TargetType != TargetThread || md.Actions[0].Action != ActionRemove {
		t.Fatalf("the author's earlier moderation %+v", md.Actions)
	}
}

func TestReportMemberItem(t *testing.T) {
	f := newModFixture(t, VisibilityOpen)
	s := f.s
	it, err := s.ReportPost(ctx, f.reporters[0], f.post.ID, ReportInput{Reason: "harassment", About: ReportAboutMember, Note: "does this everywhere"})
	if err != nil {
		t.Fatal(err)
	}
	var am Membership
	s.db.Where("user_id = ?", f.author.User.ID).First(&am)
	if it.TargetType != TargetMembership || it.TargetID != am.ID || it.Lane != LaneHarassment {
		t.Fatalf("item %+v, want the author's membership %d", it, am.ID)
	}
	_, err = s.ReportPost(ctx, f.author, f.post.ID, ReportInput{Reason: "spam", About: ReportAboutMember})
	wantCode(t, err, ECONFLICT) // oneself
	// A moderator sees the member with their history; the snapshot names the post.
	d, err := s.Item(ctx, f.mod, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Author == nil || d.Author.ID != am.ID || len(d.History) != 1 || d.Post != nil {
		t.Fatalf("member item detail %+v", d)
	}
	if !strings.HasPrefix(d.Reports[0].Snapshot, "Member: "+am.Pseudonym) || !strings.Contains(d.Reports[0].Snapshot, "Stop your insulin") {
		t.Fatalf("snapshot %q", d.Reports[0].Snapshot)
	}
	// Remove and lock make no sense for a member: refused, and the item stays open.
	for _, a := range []string{ActionRemove, ActionLock} {
		_, err := s.Resolve(ctx, f.mod, it.ID, ResolveInput{Action: a, Reason: "x", Version: it.Version})
		wantField(t, err, "action")
	}
	var still QueueItem
	s.db.First(&still, it.ID)
	if still.Status != ItemOpen || still.Version != it.Version {
		t.Fatalf("a refused decision changed the item: %+v", still)
	}
	// Muting the member: read-only in the group, told privately, with the reason.
	if _, err := s.Resolve(ctx, f.mod, it.ID, ResolveInput{Action: ActionMute, Hours: 2, Reason: "Cool off", Version: it.Version}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreatePost(ctx, f.author, f.thread.ID, PostInput{Body: "let me speak"}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a muted member posted: %v", err)
	}
	if n := lastNotice(t, s, f.author); !strings.Contains(n, "paused your posting") || !strings.Contains(n, "Cool off") || strings.Contains(n, "appeal once") {
		t.Fatalf("author told %q", n)
	}
	var e ModlogEntry
	s.db.Where("action = ?", ActionMute).First(&e)
	if e.TargetType != TargetMembership || e.TargetLabel != am.Pseudonym {
		t.Fatalf("modlog %+v", e)
	}
	// A dismissed report about a member tells them nothing.
	it2, err := s.ReportPost(ctx, f.reporters[1], f.post.ID, ReportInput{Reason: "other", About: ReportAboutMember})
	if err != nil {
		t.Fatal(err)
	}
	before := lastNotice(t, s, f.author)
	if _, err := s.Resolve(ctx, f.mod, it2.ID, ResolveInput{Action: ActionApprove, Version: it2.Version}); err != nil {
		t.Fatal(err)
	}
	if after := lastNotice(t, s, f.author); after != before {
		t.Fatalf("a dismissed member report notified them: %q", after)
	}
}

func TestWarnAndRemoveNotifyTheAuthor(t *testing.T) {
	for _, tc := range []struct {
		action, reason string
		status         string
		want           []string
	}{
		{ActionWarn, "Please keep advice to your own experience", PostPublished,
			[]string{"sent you a warning", "Please keep advice", "appeal once"}},
		{ActionRemove, "Rule 2: No selling", PostRemoved,
			[]string{"removed your post", "Rule 2: No selling", "appeal once"}},
		{ActionApprove, "", PostPublished, []string{"stays up"}},
	} {
		t.Run(tc.action, func(t *testing.T) {
			f := newModFixture(t, VisibilityOpen)
			s := f.s
			it, err := s.ReportPost(ctx, f.reporters[0], f.post.ID, ReportInput{Reason: "misinformation"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Resolve(ctx, f.mod, it.ID, ResolveInput{Action: tc.action, Reason: tc.reason, Version: it.Version}); err != nil {
				t.Fatal(err)
			}
			var p Post
			s.db.First(&p, f.post.ID)
			if p.Status != tc.status || (tc.action == ActionRemove && p.StatusReason != tc.reason) {
				t.Fatalf("post %q %q", p.Status, p.StatusReason)
			}
			n := lastNotice(t, s, f.author)
			for _, w := range tc.want {
				if !strings.Contains(n, w) {
					t.Fatalf("notification %q lacks %q", n, w)
				}
			}
			// The warning is private: its reason is in the staff-only audit log and the
			// modlog, and reaches no one else.
			var ml, audits int64
			s.db.Model(&ModlogEntry{}).Where("action = ?", tc.action).Count(&ml)
			s.db.Model(&AuditEntry{}).Where("action = ?", "moderation."+tc.action).Count(&audits)
			if ml != 1 || audits != 1 {
				t.Fatalf("%d modlog and %d audit entries, want 1 each", ml, audits)
			}
			var others int64
			s.db.Model(&Notification{}).Where("kind = ? AND text LIKE ?", NotifyModeration, "%"+tc.reason+"%").Count(&others)
			if others != 1 {
				t.Fatalf("%d moderation notifications carry the reason, want 1", others)
			}
		})
	}
}

func TestRedactKeepsOriginalForStaffOnly(t *testing.T) {
	f := newModFixture(t, VisibilityOpen)
	s := f.s
	// The author edits once, then a moderator redacts.
	if _, err := s.EditPost(ctx, f.author, f.post.ID, PostEdit{Body: "Stop your insulin. Call me on 07700 900123.", Version: 1, ConfirmPersonalData: true}); err != nil {
		t.Fatal(err)
	}
	q, err := s.Queue(ctx, f.mod, QueueFilter{})
	if err != nil || len(q) != 1 {
		t.Fatalf("queue %+v %v", q, err)
	}
	it := q[0].Item
	var held Post
	s.db.First(&held, f.post.ID)
	if it.Lane != LanePrivacy || held.Status != PostHeld {
		t.Fatalf("after confirming personal data in an open group: lane %q, post %q", it.Lane, held.Status)
	}
	if _, err := s.Resolve(ctx, f.mod, it.ID, ResolveInput{Action: ActionRedact, Body: "Stop your insulin. [number removed]", Version: it.Version}); err != nil {
		t.Fatal(err)
	}
	var p Post
	s.db.First(&p, f.post.ID)
	if p.Body != "Stop your insulin. [number removed]" || strings.Contains(p.BodyHTML, "07700") {
		t.Fatalf("redacted post %q", p.Body)
	}
	if p.Status != PostPublished {
		t.Fatalf("a held post redacted: status %q, want published", p.Status)
	}
	staff, err := s.PostRevisions(ctx, f.mod, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(staff.Revisions) != 2 || !strings.Contains(staff.Revisions[0].Body, "07700 900123") {
		t.Fatalf("moderator's revisions %+v", staff.Revisions)
	}
	mine, err := s.PostRevisions(ctx, f.author, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range mine.Revisions {
		if strings.Contains(r.Body, "07700") || strings.Contains(r.Body, "cinnamon") {
			t.Fatalf("the author still sees redacted text in revision %+v", r)
		}
	}
	// A later author edit is theirs to see again.
	if _, err := s.EditPost(ctx, f.author, f.post.ID, PostEdit{Body: "Talk to your care team.", Version: p.Version}); err != nil {
		t.Fatal(err)
	}
	mine, _ = s.PostRevisions(ctx, f.author, p.ID)
	if len(mine.Revisions) != 1 || mine.Revisions[0].Body != "Stop your insulin. [number removed]" {
		t.Fatalf("the author's revisions after their own edit %+v", mine.Revisions)
	}
}

func TestLaneDeadlinesConfigurable(t *testing.T) {
	f := newModFixture(t, VisibilityOpen)
	s := f.s
	now := time.Now().UTC().Truncate(time.Second)
	s.SetClock(func() time.Time { return now })
	s.SetLaneDeadlines(map[string]time.Duration{LaneCrisis: 5 * time.Minute, LaneSpam: 2 * time.Hour})
	crisis, err := s.CreatePost(ctx, f.author, f.thread.ID, PostInput{Body: "I want to end my life"})
	if err != nil {
		t.Fatal(err)
	}
	spam, _ := s.CreatePost(ctx, f.author, f.thread.ID, PostInput{Body: "buy my pills"})
	s.ReportPost(ctx, f.reporters[0], spam.ID, ReportInput{Reason: "spam"})
	s.ReportPost(ctx, f.reporters[0], f.post.ID, ReportInput{Reason: "harassment"}) // not overridden: 24h
	want := map[int64]time.Duration{crisis.ID: 5 * time.Minute, spam.ID: 2 * time.Hour, f.post.ID: 24 * time.Hour}
	q, _ := s.Queue(ctx, f.mod, QueueFilter{})
	if len(q) != 3 {
		t.Fatalf("queue %+v", q)
	}
	for _, e := range q {
		if got := e.Item.DeadlineAt.Sub(e.Item.CreatedAt); got != want[e.Item.TargetID] {
			t.Fatalf("item on post %d: deadline after %v, want %v", e.Item.TargetID, got, want[e.Item.TargetID])
		}
	}
	// Three hours on, the spam item is overdue and the harassment one is not; lanes
	// still come first.
	s.SetClock(func() time.Time { return now.Add(3 * time.Hour) })
	q, _ = s.Queue(ctx, f.mod, QueueFilter{})
	got := []string{}
	for _, e := range q {
		got = append(got, e.Item.Lane)
		if over := e.Item.Overdue(s.now()); over != (e.Item.Lane != LaneHarassment) {
			t.Fatalf("%s item overdue=%v", e.Item.Lane, over)
		}
	}
	if strings.Join(got, ",") != "crisis,harassment,spam" {
		t.Fatalf("order %v", got)
	}
	counts, _ := s.QueueCounts(ctx, f.mod, "")
	for _, c := range counts {
		if wantOver := map[string]int{LaneCrisis: 1, LaneSpam: 1}[c.Lane]; c.Overdue != wantOver {
			t.Fatalf("lane %s overdue %d, want %d", c.Lane, c.Overdue, wantOver)
		}
	}
}

func TestAutomaticFlagItems(t *testing.T) {
	type want struct {
		lane, source, status string // lane "" means no queue item
	}
	for _, tc := range []struct {
		name       string
		visibility string
		setup      func(f *modFixture)
		body       string
		confirm    bool
		want       want
	}{
		{"crisis", VisibilityOpen, nil, "I want to end my life", false, want{LaneCrisis, "crisis", PostPublished}},
		{"not crisis", VisibilityOpen, nil, "My nurse is very skilled; I'm dying to try the killer app", false, want{"", "", PostPublished}},
		{"personal data, open group", VisibilityOpen, nil, "Call me on 07700 900123", true, want{LanePrivacy, "personal_data", PostHeld}},
		{"personal data, closed group", VisibilityClosed, nil, "Call me on 07700 900123", true, want{LanePrivacy, "personal_data", PostPublished}},
		{"crisis with personal data is never held", VisibilityOpen, nil, "I want to end my life, call 07700 900123", true, want{LaneCrisis, "crisis", PostPublished}},
		{"premoderation", VisibilityOpen, func(f *modFixture) {
			f.s.db.Model(&Group{}).Where("slug = ?", "g").Update("premoderate_first_posts", 1)
		}, "Hello everyone", false, want{LaneOther, "premoderation", PostHeld}},
		{"new member's link", VisibilityOpen, nil, "see https://miracle.example", false, want{LaneSpam, "new_member_link", PostHeld}},
		{"established member's link", VisibilityOpen, func(f *modFixture) {
			f.s.db.Model(&Membership{}).Where("user_id = ?", f.reporters[0].User.ID).Update("post_count", NewMemberPosts)
		}, "see https://miracle.example", false, want{"", "", PostPublished}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newModFixture(t, tc.visibility)
			if tc.setup != nil {
				tc.setup(f)
			}
			p, err := f.s.CreatePost(ctx, f.reporters[0], f.thread.ID, PostInput{Body: tc.body, ConfirmPersonalData: tc.confirm})
			if err != nil {
				t.Fatal(err)
			}
			if p.Status != tc.want.status {
				t.Fatalf("post status %q, want %q", p.Status, tc.want.status)
			}
			var items []QueueItem
			f.s.db.Where("target_type = ? AND target_id = ?", TargetPost, p.ID).Find(&items)
			if tc.want.lane == "" {
				if len(items) != 0 {
					t.Fatalf("items %+v, want none", items)
				}
				return
			}
			if len(items) != 1 || items[0].Lane != tc.want.lane {
				t.Fatalf("items %+v, want one in lane %s", items, tc.want.lane)
			}
			var sources []string
			f.s.db.Model(&Report{}).Where("queue_item_id = ?", items[0].ID).Pluck("source", &sources)
			if !slices.Contains(sources, tc.want.source) {
				t.Fatalf("report sources %v, want %s", sources, tc.want.source)
			}
		})
	}
}

func TestReportThresholdNegative(t *testing.T) {
	f := newModFixture(t, VisibilityOpen)
	s := f.s
	// Two members' reports are below the threshold; a member cannot report twice.
	for _, r := range f.reporters[:DefaultReportThreshold-1] {
		if _, err := s.ReportPost(ctx, r, f.post.ID, ReportInput{Reason: "spam"}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.ReportPost(ctx, f.reporters[0], f.post.ID, ReportInput{Reason: "harassment"})
	wantCode(t, err, ECONFLICT)
	var p Post
	s.db.First(&p, f.post.ID)
	if p.Status != PostPublished {
		t.Fatalf("status %q after %d reports, want published", p.Status, DefaultReportThreshold-1)
	}
	// Reports about the member or the thread do not count towards hiding the post.
	s.ReportPost(ctx, f.reporters[2], f.post.ID, ReportInput{Reason: "spam", About: ReportAboutMember})
	s.ReportPost(ctx, f.reporters[3], f.post.ID, ReportInput{Reason: "spam", About: ReportAboutThread})
	s.db.First(&p, f.post.ID)
	if p.Status != PostPublished {
		t.Fatalf("status %q after member and thread reports, want published", p.Status)
	}
	// The third member's report on the post hides it.
	if _, err := s.ReportPost(ctx, f.reporters[2], f.post.ID, ReportInput{Reason: "spam"}); err != nil {
		t.Fatal(err)
	}
	s.db.First(&p, f.post.ID)
	if p.Status != PostHeld {
		t.Fatalf("status %q after %d reports, want held", p.Status, DefaultReportThreshold)
	}
}

func TestReporterWeightScore(t *testing.T) {
	f := newModFixture(t, VisibilityOpen)
	s := f.s
	post := func(body string) *Post {
		p, err := s.CreatePost(ctx, f.author, f.thread.ID, PostInput{Body: body})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	decide := func(r *Viewer, p *Post, action string) {
		it, err := s.ReportPost(ctx, r, p.ID, ReportInput{Reason: "harassment"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Resolve(ctx, f.mod, it.ID, ResolveInput{Action: action, Reason: "decided", Version: it.Version}); err != nil {
			t.Fatal(err)
		}
	}
	good, poor := f.reporters[0], f.reporters[1]
	decide(good, post("one"), ActionRemove) // upheld
	decide(good, post("two"), ActionWarn)   // upheld
	decide(poor, post("three"), ActionApprove)
	older, newer := post("older spam"), post("newer spam")
	a, err := s.ReportPost(ctx, poor, older.ID, ReportInput{Reason: "spam"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.ReportPost(ctx, good, newer.ID, ReportInput{Reason: "spam"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Score != 0.5 || b.Score != 3 {
		t.Fatalf("scores %v (one dismissed before) and %v (two upheld before), want 0.5 and 3", a.Score, b.Score)
	}
	q, _ := s.Queue(ctx, f.mod, QueueFilter{Lane: LaneSpam})
	if len(q) != 2 || q[0].Item.ID != b.ID || q[1].Item.ID != a.ID {
		t.Fatalf("the higher score should come first in its lane: %+v", q)
	}
	// A second reporter adds to the score and the count.
	c, err := s.ReportPost(ctx, f.reporters[2], older.ID, ReportInput{Reason: "spam"})
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != a.ID || c.ReportCount != 2 || c.Score != 1.5 {
		t.Fatalf("after a second report: %+v", c)
	}
}

func TestLockAndWarnThreadItem(t *testing.T) {
	for _, action := range []string{ActionLock, ActionWarn} {
		t.Run(action, func(t *testing.T) {
			f := newModFixture(t, VisibilityOpen)
			s := f.s
			it, err := s.ReportPost(ctx, f.reporters[0], f.post.ID, ReportInput{Reason: "harassment", About: ReportAboutThread})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Resolve(ctx, f.mod, it.ID, ResolveInput{Action: action, Reason: "Heated", Version: it.Version}); err != nil {
				t.Fatal(err)
			}
			var th Thread
			s.db.First(&th, f.thread.ID)
			var p Post
			s.db.First(&p, f.post.ID)
			if th.Locked != (action == ActionLock) || p.Status != PostPublished {
				t.Fatalf("thread locked %v, opening post %q", th.Locked, p.Status)
			}
			var n Notification
			s.db.Where("kind = ?", NotifyModeration).Order("id DESC").First(&n)
			if n.ThreadID == nil || *n.ThreadID != f.thread.ID || !strings.Contains(n.Text, "Heated") {
				t.Fatalf("notification %+v", n)
			}
		})
	}
}

func TestReportTombstone(t *testing.T) {
	f := newModFixture(t, VisibilityOpen)
	s := f.s
	if _, err := s.DeletePost(ctx, f.author, f.post.ID); err != nil {
		t.Fatal(err)
	}
	_, err := s.ReportPost(ctx, f.reporters[0], f.post.ID, ReportInput{Reason: "spam"})
	wantCode(t, err, ECONFLICT)
	if _, err := s.ReportPost(ctx, f.reporters[0], f.post.ID, ReportInput{Reason: "spam", About: ReportAboutThread}); err != nil {
		t.Fatalf("reporting the thread of a deleted opening post: %v", err)
	}
}

// A thread's removal is a decision about its opening post: its author appeals it once,
// another moderator decides, and upholding the appeal restores and unlocks the thread.
func TestAppealThreadRemoval(t *testing.T) {
	f := newModFixture(t, VisibilityOpen)
	s := f.s
	it, err := s.ReportPost(ctx, f.reporters[0], f.post.ID, ReportInput{Reason: "misinformation", About: ReportAboutThread})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Resolve(ctx, f.mod, it.ID, ResolveInput{Action: ActionRemove, Reason: "Dangerous advice", Version: it.Version}); err != nil {
		t.Fatal(err)
	}
	tp, err := s.ThreadPage(ctx, f.author, f.thread.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	states, err := s.AppealStates(ctx, f.author, tp)
	if err != nil {
		t.Fatal(err)
	}
	if got := states[f.post.ID]; got != AppealAvailable {
		t.Fatalf("appeal state of the opening post %q, want %q", got, AppealAvailable)
	}
	ap, err := s.Appeal(ctx, f.author, f.post.ID, AppealInput{Note: "It was a question, not advice."})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Appeal(ctx, f.author, f.post.ID, AppealInput{Note: "again"})
	wantCode(t, err, ECONFLICT)
	// The moderator who removed it may not decide the appeal.
	if _, err := s.Resolve(ctx, f.mod, ap.ID, ResolveInput{Action: ActionApprove, Version: ap.Version}); err == nil {
		t.Fatal("the deciding moderator decided the appeal of their own decision")
	}
	if _, err := s.Resolve(ctx, f.admin, ap.ID, ResolveInput{Action: ActionApprove, Reason: "Fair point", Version: ap.Version}); err != nil {
		t.Fatal(err)
	}
	var op Post
	s.db.First(&op, f.post.ID)
	var th Thread
	s.db.First(&th, f.thread.ID)
	if op.Status != PostPublished || th.Locked {
		t.Fatalf("after the upheld appeal: post %q, locked %v", op.Status, th.Locked)
	}
	if n := lastNotice(t, s, f.author); !strings.Contains(n, "restored your thread") {
		t.Fatalf("author told %q", n)
	}
}
