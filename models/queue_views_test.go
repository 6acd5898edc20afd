package models

import (
	"errors"
	"testing"
	"time"
)

func TestQueueCountsAndOpenCount(t *testing.T) {
	f := newModFixture(t, VisibilityOpen)
	s := f.s
	now := time.Now().UTC()
	s.SetClock(func() time.Time { return now })
	if _, err := s.ReportPost(ctx, f.reporters[0], f.post.ID, ReportInput{Reason: "harassment"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreatePost(ctx, f.author, f.thread.ID, PostInput{Body: "I feel suicidal tonight"}); err != nil {
		t.Fatal(err)
	}
	// Twenty minutes later the crisis item is overdue, the harassment one is not.
	s.SetClock(func() time.Time { return now.Add(20 * time.Minute) })
	counts, err := s.QueueCounts(ctx, f.mod, "")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(counts), len(Lanes); got != want {
		t.Fatalf("%d lanes counted, want %d", got, want)
	}
	for _, c := range counts {
		wantOpen, wantOverdue := 0, 0
		switch c.Lane {
		case LaneCrisis:
			wantOpen, wantOverdue = 1, 1
		case LaneHarassment:
			wantOpen = 1
		}
		if c.Open != wantOpen || c.Overdue != wantOverdue {
			t.Fatalf("lane %s: %d open, %d overdue; want %d, %d", c.Lane, c.Open, c.Overdue, wantOpen, wantOverdue)
		}
	}
	if n, err := s.OpenQueueCount(ctx, f.mod); err != nil || n != 2 {
		t.Fatalf("moderator's open count %d, %v; want 2", n, err)
	}
	if n, _ := s.OpenQueueCount(ctx, f.author); n != 0 {
		t.Fatalf("a member's open count %d", n)
	}
	if _, err := s.QueueCounts(ctx, f.author, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a member's counts: %v, want not found", err)
	}
	// Another group's items count for its moderators and admins only.
	mustGroup(t, s, f.admin, "other", VisibilityOpen)
	mustJoin(t, s, f.reporters[3], "other", MemberActive)
	oth, _, err := s.CreateThread(ctx, f.reporters[3], "other", ThreadInput{Title: "Elsewhere", Body: "I want to die"})
	if err != nil || oth == nil {
		t.Fatal(err)
	}
	if n, _ := s.OpenQueueCount(ctx, f.mod); n != 2 {
		t.Fatalf("moderator's open count %d after another group's item, want 2", n)
	}
	if n, _ := s.OpenQueueCount(ctx, f.admin); n != 3 {
		t.Fatalf("admin's open count %d, want 3", n)
	}
	if _, err := s.QueueCounts(ctx, f.mod, "other"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("counting a group one does not moderate: %v, want not found", err)
	}
	if counts, err := s.QueueCounts(ctx, f.admin, "other"); err != nil || counts[0].Open != 1 {
		t.Fatalf("admin's counts in the other group: %+v, %v", counts, err)
	}
	if _, err := s.Queue(ctx, f.mod, QueueFilter{Group: "other"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("filtering by a group one does not moderate: %v, want not found", err)
	}
}

func TestAppealOnceToAnotherModerator(t *testing.T) {
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
	if _, err := s.Appeal(ctx, f.author, f.post.ID, AppealInput{}); !errors.Is(err, ErrConflict) {
		t.Fatalf("appeal before a decision: %v, want conflict", err)
	}
	if _, err := s.Resolve(ctx, f.mod, it.ID, ResolveInput{Action: ActionMute, Hours: 24, Reason: "dangerous advice", Version: it.Version}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Appeal(ctx, f.reporters[0], f.post.ID, AppealInput{Note: "not mine"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("someone else's appeal: %v, want not found", err)
	}
	_, err = s.Appeal(ctx, f.author, f.post.ID, AppealInput{Note: string(make([]rune, 1001))})
	wantField(t, err, "note")
	ap, err := s.Appeal(ctx, f.author, f.post.ID, AppealInput{Note: "please look again"})
	if err != nil {
		t.Fatal(err)
	}
	if ap.AppealOfID == nil || *ap.AppealOfID != it.ID || ap.ExcludeUserID == nil || *ap.ExcludeUserID != f.mod.User.ID || ap.Lane != LaneMisinformation {
		t.Fatalf("appeal item %+v", ap)
	}
	if _, err := s.Appeal(ctx, f.author, f.post.ID, AppealInput{}); !errors.Is(err, ErrConflict) {
		t.Fatalf("second appeal: %v, want conflict", err)
	}
	if _, err := s.Claim(ctx, f.mod, ap.ID); !errors.Is(err, ErrForbidden) {
		t.Fatalf("the deciding moderator claims the appeal: %v", err)
	}
	// Upheld: the mute is lifted, and the author is told.
	if _, err := s.Resolve(ctx, mod2, ap.ID, ResolveInput{Action: ActionApprove, Version: ap.Version}); err != nil {
		t.Fatal(err)
	}
	var am Membership
	s.db.Where("user_id = ?", f.author.User.ID).First(&am)
	if am.MutedUntil != nil {
		t.Fatalf("the mute stays after an upheld appeal: %v", am.MutedUntil)
	}
	if _, err := s.CreatePost(ctx, f.author, f.thread.ID, PostInput{Body: "thank you"}); err != nil {
		t.Fatalf("posting after the appeal: %v", err)
	}
	var e ModlogEntry
	s.db.Order("id DESC").First(&e)
	if e.Action != ActionAppealUpheld {
		t.Fatalf("modlog action %q", e.Action)
	}
	// The appeal's outcome does not weigh on anyone's reports.
	var r Report
	s.db.Where("queue_item_id = ?", ap.ID).First(&r)
	if r.ReporterID != nil || r.Outcome != "upheld" || r.Source != "appeal" {
		t.Fatalf("appeal report %+v", r)
	}
}

func TestJoinRequestItems(t *testing.T) {
	f := newModFixture(t, VisibilityClosed)
	s := f.s
	joiner := mustViewer(t, s, "joiner", RoleMember)
	m := mustJoin(t, s, joiner, "g", MemberPending)
	q, err := s.Queue(ctx, f.mod, QueueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var item *QueueItem
	for i := range q {
		if q[i].Item.TargetType == TargetJoin && q[i].Item.TargetID == m.ID {
			item = &q[i].Item
		}
	}
	if item == nil {
		t.Fatalf("no join request item in %+v", q)
	}
	if !item.CreatedAt.Equal(item.CreatedAt.Truncate(24*time.Hour)) || item.Lane != LaneOther {
		t.Fatalf("join item at %v in %s: want the day only, lane other", item.CreatedAt, item.Lane)
	}
	// Declining through the queue is the same as on the requests page.
	if _, err := s.Resolve(ctx, f.mod, item.ID, ResolveInput{Action: ActionRemove, Reason: "not a carer", Version: item.Version}); err != nil {
		t.Fatal(err)
	}
	var back Membership
	s.db.First(&back, m.ID)
	if back.Status != MemberDenied {
		t.Fatalf("declined request: %q, want denied", back.Status)
	}
	// Asking again opens a new item; approving it on the requests page closes it.
	mustJoin(t, s, joiner, "g", MemberPending)
	if _, err := s.ApproveJoin(ctx, f.mod, "g", m.Pseudonym); err != nil {
		t.Fatal(err)
	}
	var open int64
	s.db.Model(&QueueItem{}).Where("target_type = ? AND target_id = ? AND status = ?", TargetJoin, m.ID, ItemOpen).Count(&open)
	if open != 0 {
		t.Fatalf("%d join items stay open after the request was approved", open)
	}
}
