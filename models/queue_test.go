package models

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// modFixture is a group with a moderator, an author with a post, and reporters.
type modFixture struct {
	s         *Store
	admin     *Viewer
	mod       *Viewer
	author    *Viewer
	reporters []*Viewer
	thread    *Thread
	post      *Post
}

func newModFixture(t *testing.T, visibility string) *modFixture {
	t.Helper()
	s := NewTestStore(t)
	f := &modFixture{s: s, admin: mustViewer(t, s, "admin", RoleAdmin), mod: mustViewer(t, s, "mod", RoleMember),
		author: mustViewer(t, s, "author", RoleMember)}
	mustGroup(t, s, f.admin, "g", visibility)
	mustJoin(t, s, f.admin, "g", MemberActive)
	mm, err := s.Join(ctx, f.mod, "g")
	if err != nil {
		t.Fatal(err)
	}
	s.db.Model(mm).Updates(map[string]any{"status": MemberActive, "role": MemberModerator})
	am, _ := s.Join(ctx, f.author, "g")
	s.db.Model(am).Update("status", MemberActive)
	for _, name := range []string{"r1", "r2", "r3", "r4"} {
		r := mustViewer(t, s, name, RoleMember)
		m, _ := s.Join(ctx, r, "g")
		s.db.Model(m).Update("status", MemberActive)
		f.reporters = append(f.reporters, r)
	}
	th, p, err := s.CreateThread(ctx, f.author, "g", ThreadInput{Title: "Cinnamon cures diabetes", Body: "Stop your insulin, cinnamon is enough."})
	if err != nil {
		t.Fatal(err)
	}
	f.thread, f.post = th, p
	return f
}

func TestReportOpensOneItemPerPost(t *testing.T) {
	f := newModFixture(t, VisibilityOpen)
	s := f.s
	it1, err := s.ReportPost(ctx, f.reporters[0], f.post.ID, ReportInput{Reason: "misinformation", Note: "dangerous"})
	if err != nil {
		t.Fatal(err)
	}
	it2, err := s.ReportPost(ctx, f.reporters[1], f.post.ID, ReportInput{Reason: "harassment"})
	if err != nil {
		t.Fatal(err)
	}
	if it1.ID != it2.ID || it2.ReportCount != 2 {
		t.Fatalf("items %d and %d, count %d: want one item with two reports", it1.ID, it2.ID, it2.ReportCount)
	}
	if _, err := s.ReportPost(ctx, f.reporters[0], f.post.ID, ReportInput{Reason: "spam"}); !errors.Is(err, ErrConflict) {
		t.Fatalf("second report by the same member: %v, want conflict", err)
	}
	if _, err := s.ReportPost(ctx, f.author, f.post.ID, ReportInput{Reason: "spam"}); !errors.Is(err, ErrConflict) {
		t.Fatalf("reporting one's own post: %v, want conflict", err)
	}
	_, err = s.ReportPost(ctx, f.reporters[2], f.post.ID, ReportInput{Reason: "lies"})
	wantField(t, err, "reason")
	// A crisis report moves the item to the crisis lane with a 15-minute deadline.
	it3, err := s.ReportPost(ctx, f.reporters[2], f.post.ID, ReportInput{Reason: "crisis"})
	if err != nil {
		t.Fatal(err)
	}
	if it3.Lane != LaneCrisis || it3.DeadlineAt.After(s.now().Add(16*time.Minute)) {
		t.Fatalf("lane %q deadline %v", it3.Lane, it3.DeadlineAt)
	}
	// The snapshot keeps what was reported even after an edit.
	s.db.Model(f.post).Update("body", "edited away")
	d, err := s.Item(ctx, f.mod, it3.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Reports) != 3 || d.Reports[0].Snapshot == "" || d.Reports[0].Snapshot == "edited away" {
		t.Fatalf("reports %+v", d.Reports)
	}
}

func TestReportThresholdHidesExceptCrisis(t *testing.T) {
	f := newModFixture(t, VisibilityOpen)
	s := f.s
	for i := range DefaultReportThreshold {
		if _, err := s.ReportPost(ctx, f.reporters[i], f.post.ID, ReportInput{Reason: "misinformation"}); err != nil {
			t.Fatal(err)
		}
	}
	var p Post
	s.db.First(&p, f.post.ID)
	if p.Status != PostHeld {
		t.Fatalf("after %d reports status %q, want held", DefaultReportThreshold, p.Status)
	}
	// Hidden from search too: out of the index, not only left out when found.
	if n := searchIndexRows(t, s, p.ID); n != 0 {
		t.Fatalf("a post hidden after reports has %d index rows", n)
	}
	// A crisis post stays up whatever the reports.
	cp, err := s.CreatePost(ctx, f.author, f.thread.ID, PostInput{Body: "I want to end my life"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range DefaultReportThreshold + 1 {
		s.ReportPost(ctx, f.reporters[i], cp.ID, ReportInput{Reason: "spam"})
	}
	var after Post
	s.db.First(&after, cp.ID)
	if after.Status != PostPublished {
		t.Fatalf("crisis post status %q after reports, want published", after.Status)
	}
}

func TestQueueOrderingAndScope(t *testing.T) {
	f := newModFixture(t, VisibilityOpen)
	s := f.s
	now := time.Now().UTC()
	s.SetClock(func() time.Time { return now })
	mk := func(body string) *Post {
		p, err := s.CreatePost(ctx, f.author, f.thread.ID, PostInput{Body: body})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	spam := mk("buy now")
	s.ReportPost(ctx, f.reporters[0], spam.ID, ReportInput{Reason: "spam"})
	harass1 := mk("you are stupid")
	s.ReportPost(ctx, f.reporters[0], harass1.ID, ReportInput{Reason: "harassment"})
	harass2 := mk("nobody likes you")
	s.ReportPost(ctx, f.reporters[0], harass2.ID, ReportInput{Reason: "harassment"})
	s.ReportPost(ctx, f.reporters[1], harass2.ID, ReportInput{Reason: "harassment"})
	crisis := mk("I feel suicidal tonight") // an automatic crisis item
	// Another group, moderated by someone else.
	mustGroup(t, s, f.admin, "other", VisibilityOpen)
	mustJoin(t, s, f.reporters[3], "other", MemberActive)
	oth, _, _ := s.CreateThread(ctx, f.reporters[3], "other", ThreadInput{Title: "Elsewhere", Body: "hello"})
	mustJoin(t, s, f.reporters[2], "other", MemberActive)
	op, _ := s.CreatePost(ctx, f.reporters[2], oth.ID, PostInput{Body: "rude"})
	s.ReportPost(ctx, f.reporters[3], op.ID, ReportInput{Reason: "harassment"})

	q, err := s.Queue(ctx, f.mod, QueueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var order []int64
	for _, e := range q {
		order = append(order, e.Item.TargetID)
		if e.Group.Slug != "g" {
			t.Fatalf("moderator of g sees an item of %s", e.Group.Slug)
		}
	}
	want := []int64{crisis.ID, harass2.ID, harass1.ID, spam.ID}
	if len(order) != len(want) {
		t.Fatalf("queue %v, want %v", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("queue order %v, want %v", order, want)
		}
	}
	// Overdue items come first within a lane.
	s.SetClock(func() time.Time { return now.Add(25 * time.Hour) })
	mk2, _ := s.CreatePost(ctx, f.author, f.thread.ID, PostInput{Body: "later insult"})
	s.ReportPost(ctx, f.reporters[2], mk2.ID, ReportInput{Reason: "harassment"})
	s.ReportPost(ctx, f.reporters[3], mk2.ID, ReportInput{Reason: "harassment"})
	s.ReportPost(ctx, f.reporters[1], mk2.ID, ReportInput{Reason: "harassment"})
	q, _ = s.Queue(ctx, f.mod, QueueFilter{Lane: LaneHarassment})
	if q[len(q)-1].Item.TargetID != mk2.ID || !q[0].Item.Overdue(s.now()) {
		t.Fatalf("the fresh high-score item should come after overdue ones: %+v", q)
	}
	// Admins see every group; other members see nothing.
	all, _ := s.Queue(ctx, f.admin, QueueFilter{})
	if len(all) != 6 {
		t.Fatalf("admin sees %d items, want 6", len(all))
	}
	if _, err := s.Queue(ctx, f.author, QueueFilter{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a member's queue: %v, want not found", err)
	}
	if _, err := s.Item(ctx, f.mod, all[len(all)-1].Item.ID); all[len(all)-1].Group.Slug == "other" && !errors.Is(err, ErrNotFound) {
		t.Fatalf("a moderator opens another group's item: %v", err)
	}
}

func TestClaimAndResolveRace(t *testing.T) {
	f := newModFixture(t, VisibilityOpen)
	s := f.s
	mod2 := f.reporters[3]
	var m Membership
	s.db.Where("user_id = ?", mod2.User.ID).First(&m)
	s.db.Model(&m).Update("role", MemberModerator)
	it, err := s.ReportPost(ctx, f.reporters[0], f.post.ID, ReportInput{Reason: "misinformation"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Claim(ctx, f.mod, it.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Claim(ctx, mod2, it.ID); !errors.Is(err, ErrConflict) {
		t.Fatalf("claim held by another: %v, want conflict", err)
	}
	if _, err := s.Resolve(ctx, mod2, it.ID, ResolveInput{Action: ActionApprove, Version: it.Version}); !errors.Is(err, ErrConflict) {
		t.Fatalf("resolve under another's claim: %v, want conflict", err)
	}
	// The lease runs out: now both race without a claim.
	s.SetClock(func() time.Time { return time.Now().UTC().Add(ClaimLease + time.Minute) })
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, v := range []*Viewer{f.mod, mod2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.Resolve(ctx, v, it.ID, ResolveInput{Action: ActionRemove, Reason: "dangerous advice", Version: it.Version})
		}()
	}
	wg.Wait()
	ok, conflicts := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrConflict):
			conflicts++
		default:
			t.Fatalf("resolve: %v", err)
		}
	}
	if ok != 1 || conflicts != 1 {
		t.Fatalf("%d resolved, %d conflicts; want exactly one of each", ok, conflicts)
	}
	var n int64
	s.db.Model(&ModlogEntry{}).Where("action = ?", ActionRemove).Count(&n)
	if n != 1 {
		t.Fatalf("%d modlog entries, want 1", n)
	}
	var p Post
	s.db.First(&p, f.post.ID)
	if p.Status != PostRemoved || p.StatusReason != "dangerous advice" || p.Body == "" {
		t.Fatalf("post %q %q body kept=%v", p.Status, p.StatusReason, p.Body != "")
	}
	// A stale version changes nothing.
	if _, err := s.Resolve(ctx, f.mod, it.ID, ResolveInput{Action: ActionApprove, Version: it.Version}); !errors.Is(err, ErrConflict) {
		t.Fatalf("stale resolve: %v", err)
	}
}

func TestResolveActions(t *testing.T) {
	for _, tc := range []struct {
		action string
		hours  int
		check  func(t *testing.T, f *modFixture)
	}{
		{ActionApprove, 0, func(t *testing.T, f *modFixture) {
			var r Report
			f.s.db.First(&r)
			if r.Outcome != "dismissed" {
				t.Fatalf("report outcome %q", r.Outcome)
			}
		}},
		{ActionLock, 0, func(t *testing.T, f *modFixture) {
			var th Thread
			f.s.db.First(&th, f.thread.ID)
			if !th.Locked {
				t.Fatal("thread not locked")
			}
		}},
		{ActionMute, 24, func(t *testing.T, f *modFixture) {
			if _, err := f.s.CreatePost(ctx, f.author, f.thread.ID, PostInput{Body: "let me speak"}); err == nil {
				t.Fatal("a muted member posted")
			}
		}},
		{ActionBan, 0, func(t *testing.T, f *modFixture) {
			var m Membership
			f.s.db.Where("user_id = ?", f.author.User.ID).First(&m)
			if m.Status != MemberBanned {
				t.Fatalf("membership %q", m.Status)
			}
			if _, err := f.s.Join(ctx, f.author, "g"); err == nil {
				t.Fatal("a banned member rejoined")
			}
		}},
		{ActionRedact, 0, func(t *testing.T, f *modFixture) {
			var p Post
			f.s.db.First(&p, f.post.ID)
			if p.Body != "[removed by a moderator]" || p.Version != 2 {
				t.Fatalf("redacted post %q v%d", p.Body, p.Version)
			}
			var rev PostRevision
			if err := f.s.db.Where("post_id = ?", p.ID).First(&rev).Error; err != nil || rev.EditedBy != "moderator" ||
				rev.Body != "Stop your insulin, cinnamon is enough." {
				t.Fatalf("revision %+v %v", rev, err)
			}
		}},
		{ActionEscalate, 0, func(t *testing.T, f *modFixture) {
			q, _ := f.s.Queue(ctx, f.mod, QueueFilter{})
			if len(q) != 0 {
				t.Fatal("an escalated item stays in the moderator's queue")
			}
			q, _ = f.s.Queue(ctx, f.admin, QueueFilter{})
			if len(q) != 1 || !q[0].Item.Escalated {
				t.Fatalf("admin queue %+v", q)
			}
		}},
	} {
		t.Run(tc.action, func(t *testing.T) {
			f := newModFixture(t, VisibilityOpen)
			it, err := f.s.ReportPost(ctx, f.reporters[0], f.post.ID, ReportInput{Reason: "harassment"})
			if err != nil {
				t.Fatal(err)
			}
			reason := ""
			if tc.action == ActionMute || tc.action == ActionBan {
				reason = "repeated attacks"
			}
			in := ResolveInput{Action: tc.action, Version: it.Version, Hours: tc.hours, Reason: reason}
			if tc.action == ActionRedact {
				in.Body = "[removed by a moderator]"
			}
			if _, err := f.s.Resolve(ctx, f.mod, it.ID, in); err != nil {
				t.Fatal(err)
			}
			tc.check(t, f)
			var audits int64
			f.s.db.Model(&AuditEntry{}).Where("action = ?", "moderation."+tc.action).Count(&audits)
			if audits != 1 {
				t.Fatalf("%d audit entries for %s", audits, tc.action)
			}
		})
	}
}

func TestAutomaticFlags(t *testing.T) {
	f := newModFixture(t, VisibilityOpen)
	s := f.s
	lanes := func() map[string]int {
		q, _ := s.Queue(ctx, f.admin, QueueFilter{})
		out := map[string]int{}
		for _, e := range q {
			out[e.Item.Lane]++
		}
		return out
	}
	if _, err := s.CreatePost(ctx, f.author, f.thread.ID, PostInput{Body: "I can't go on like this"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreatePost(ctx, f.author, f.thread.ID, PostInput{Body: "my number 07700 900123", ConfirmPersonalData: true}); err != nil {
		t.Fatal(err)
	}
	// A new member's external link is held in the spam lane.
	newbie := f.reporters[0]
	p, err := s.CreatePost(ctx, newbie, f.thread.ID, PostInput{Body: "see https://miracle.example"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != PostHeld {
		t.Fatalf("new member's link: status %q", p.Status)
	}
	got := lanes()
	if got[LaneCrisis] != 1 || got[LanePrivacy] != 1 || got[LaneSpam] != 1 {
		t.Fatalf("lanes %v", got)
	}
	// Approving the held post publishes it.
	q, _ := s.Queue(ctx, f.mod, QueueFilter{Lane: LaneSpam})
	if _, err := s.Resolve(ctx, f.mod, q[0].Item.ID, ResolveInput{Action: ActionApprove, Version: q[0].Item.Version}); err != nil {
		t.Fatal(err)
	}
	var back Post
	s.db.First(&back, p.ID)
	if back.Status != PostPublished {
		t.Fatalf("approved post status %q", back.Status)
	}
}

func TestPremoderation(t *testing.T) {
	f := newModFixture(t, VisibilityOpen)
	s := f.s
	s.db.Model(&Group{}).Where("slug = ?", "g").Update("premoderate_first_posts", 2)
	r := f.reporters[1]
	p1, _ := s.CreatePost(ctx, r, f.thread.ID, PostInput{Body: "hello, first post"})
	p2, _ := s.CreatePost(ctx, r, f.thread.ID, PostInput{Body: "second post"})
	p3, _ := s.CreatePost(ctx, r, f.thread.ID, PostInput{Body: "third post"})
	if p1.Status != PostHeld || p2.Status != PostHeld || p3.Status != PostPublished {
		t.Fatalf("statuses %q %q %q", p1.Status, p2.Status, p3.Status)
	}
	// Moderators are never held.
	mp, _ := s.CreatePost(ctx, f.mod, f.thread.ID, PostInput{Body: "mod here"})
	if mp.Status != PostPublished {
		t.Fatalf("moderator post %q", mp.Status)
	}
}

func TestModlogRedactsModerators(t *testing.T) {
	f := newModFixture(t, VisibilityOpen)
	s := f.s
	it, _ := s.ReportPost(ctx, f.reporters[0], f.post.ID, ReportInput{Reason: "misinformation"})
	if _, err := s.Resolve(ctx, f.mod, it.ID, ResolveInput{Action: ActionRemove, Reason: "false cure claim", Version: it.Version}); err != nil {
		t.Fatal(err)
	}
	pub, err := s.Modlog(ctx, nil, "g", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(pub.Entries) != 1 || pub.ShowModerators || pub.Entries[0].Reason != "false cure claim" {
		t.Fatalf("public modlog %+v show=%v", pub.Entries, pub.ShowModerators)
	}
	mine, _ := s.Modlog(ctx, f.mod, "g", 1)
	if !mine.ShowModerators || mine.Entries[0].ModeratorPseudonym == "" {
		t.Fatalf("moderator's modlog %+v", mine)
	}
}
