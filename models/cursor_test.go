package models

import (
	"strings"
	"testing"
	"time"
)

// cursorFixture is a group "g" with a member whose membership has many threads,
// posts, notifications and modlog entries, many of them sharing a sort key.
type cursorFixture struct {
	admin, alice *Viewer
	m            *Membership
	threads      int
}

func newCursorFixture(t *testing.T, s *Store) *cursorFixture {
	t.Helper()
	f := &cursorFixture{admin: mustViewer(t, s, "root", "admin"), alice: mustViewer(t, s, "alice", "member")}
	mustGroup(t, s, f.admin, "g", VisibilityOpen)
	mustGroup(t, s, f.admin, "h", VisibilityOpen)
	f.m = mustJoin(t, s, f.alice, "g", MemberActive)
	other := mustJoin(t, s, f.alice, "h", MemberActive)
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	// 170 threads, 60 of them pinned (more than a page), in runs of 7 with the same
	// last activity; the group already has its welcome thread, if any.
	var ts []Thread
	for i := 0; i < 170; i++ {
		at := base.Add(time.Duration(i/7) * time.Second)
		ts = append(ts, Thread{GroupID: f.m.GroupID, MembershipID: f.m.ID, Title: "t", Kind: KindDiscussion,
			Pinned: i%3 == 0 && i < 180, LastPostAt: at, CreatedAt: at})
	}
	if err := s.db.CreateInBatches(&ts, 100).Error; err != nil {
		t.Fatal(err)
	}
	var ps []Post
	var ns []Notification
	var ls []ModlogEntry
	for i := 0; i < 130; i++ {
		at := base.Add(time.Duration(i/9) * time.Minute)
		ps = append(ps, Post{ThreadID: ts[i%5].ID, MembershipID: &f.m.ID, Body: "b", BodyHTML: "<p>b</p>",
			Status: PostPublished, CreatedAt: at})
		mid := f.m.ID
		if i%4 == 0 {
			mid = other.ID
		}
		ns = append(ns, Notification{MembershipID: mid, Kind: NotifyJoinApproved, Text: "n", CreatedAt: at})
		ls = append(ls, ModlogEntry{GroupID: f.m.GroupID, Action: "approve", TargetType: TargetPost, TargetID: 1, CreatedAt: at})
	}
	for _, rows := range []any{&ps, &ns, &ls} {
		if err := s.db.CreateInBatches(rows, 100).Error; err != nil {
			t.Fatal(err)
		}
	}
	var n int64
	s.db.Model(&Thread{}).Where("group_id = ?", f.m.GroupID).Count(&n)
	f.threads = int(n)
	return f
}

// walk pages through a list, by cursor when byCursor and by page number otherwise,
// and returns the ids in the order listed.
func walk(t *testing.T, byCursor bool, load func(page int, after string) (ids []int64, more bool, next string, err error)) []int64 {
	t.Helper()
	var all []int64
	after := ""
	for page := 1; ; page++ {
		ids, more, next, err := load(page, after)
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		all = append(all, ids...)
		if !more {
			if next != "" {
				t.Fatalf("page %d: a cursor on the last page", page)
			}
			return all
		}
		if next == "" {
			t.Fatalf("page %d: no cursor before another page", page)
		}
		if byCursor {
			after = next
		}
		if page > 20 {
			t.Fatal("too many pages")
		}
	}
}

// sameOnce fails unless got lists want's ids in want's order, each once, and want
// holds n distinct ids.
func sameOnce(t *testing.T, got, want []int64, n int) {
	t.Helper()
	seen := map[int64]bool{}
	for _, id := range want {
		if seen[id] {
			t.Fatalf("id %d listed twice by page number", id)
		}
		seen[id] = true
	}
	if len(want) != n {
		t.Fatalf("listed %d by page number, want %d", len(want), n)
	}
	if len(got) != len(want) {
		t.Fatalf("listed %d by cursor, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("item %d: id %d by cursor, %d by page number", i, got[i], want[i])
		}
	}
}

// TestKeysetPagesListEveryItemOnce pages through each keyset-paged list by cursor and
// by page number: both list every item exactly once, in the same order, although
// many items share a sort key and the pinned threads fill more than a page.
func TestKeysetPagesListEveryItemOnce(t *testing.T) {
	s := NewTestStore(t)
	f := newCursorFixture(t, s)

	t.Run("group threads", func(t *testing.T) {
		for _, v := range []*Viewer{nil, f.alice} {
			load := func(page int, after string) ([]int64, bool, string, error) {
				gp, err := s.GroupPageAfter(ctx, v, "g", page, after)
				if err != nil {
					return nil, false, "", err
				}
				var ids []int64
				for _, th := range gp.Threads {
					ids = append(ids, th.ID)
				}
				return ids, gp.HasNext, gp.After, nil
			}
			sameOnce(t, walk(t, true, load), walk(t, false, load), f.threads)
		}
	})
	t.Run("notifications", func(t *testing.T) {
		load := func(page int, after string) ([]int64, bool, string, error) {
			np, err := s.NotificationsAfter(ctx, f.alice, page, after)
			if err != nil {
				return nil, false, "", err
			}
			var ids []int64
			for _, n := range np.Items {
				ids = append(ids, n.ID)
			}
			return ids, np.HasNext, np.After, nil
		}
		sameOnce(t, walk(t, true, load), walk(t, false, load), 130)
	})
	t.Run("member posts", func(t *testing.T) {
		load := func(page int, after string) ([]int64, bool, string, error) {
			mp, err := s.MemberPageAfter(ctx, nil, "g", f.m.Pseudonym, page, after)
			if err != nil {
				return nil, false, "", err
			}
			var ids []int64
			for _, p := range mp.Posts {
				ids = append(ids, p.ID)
			}
			return ids, mp.HasNext, mp.After, nil
		}
		sameOnce(t, walk(t, true, load), walk(t, false, load), 130)
	})
	t.Run("modlog", func(t *testing.T) {
		load := func(page int, after string) ([]int64, bool, string, error) {
			mp, err := s.ModlogAfter(ctx, nil, "g", page, after)
			if err != nil {
				return nil, false, "", err
			}
			var ids []int64
			for _, e := range mp.Entries {
				ids = append(ids, e.ID)
			}
			return ids, mp.HasNext, mp.After, nil
		}
		got := walk(t, true, load)
		var n int64
		s.db.Model(&ModlogEntry{}).Where("group_id = ?", f.m.GroupID).Count(&n)
		sameOnce(t, got, walk(t, false, load), int(n))
	})
}

// TestCursorsAreSealed checks that a cursor shows none of its key, opens only in its
// own list, and that a cursor that does not open falls back to the page number.
func TestCursorsAreSealed(t *testing.T) {
	s := NewTestStore(t)
	c := s.sealCursor(cursorNotifications, 123456789)
	if strings.Contains(c, "123456789") || c != s.sealCursor(cursorNotifications, 123456789) {
		t.Fatalf("cursor %q: want sealed and stable", c)
	}
	if k, ok := s.openCursor(cursorNotifications, c, 1); !ok || k[0] != 123456789 {
		t.Fatalf("open own cursor: %v %v", k, ok)
	}
	if _, ok := s.openCursor(cursorModlog, c, 1); ok {
		t.Fatal("a notifications cursor opened as a modlog cursor")
	}
	if _, ok := s.openCursor(cursorNotifications, c[:len(c)-2]+"AA", 1); ok {
		t.Fatal("a mangled cursor opened")
	}

	f := newCursorFixture(t, s)
	p2, err := s.NotificationsAfter(ctx, f.alice, 2, "")
	if err != nil {
		t.Fatal(err)
	}
	bad, err := s.NotificationsAfter(ctx, f.alice, 2, "not-a-cursor")
	if err != nil {
		t.Fatal(err)
	}
	if len(bad.Items) != len(p2.Items) || bad.Items[0].ID != p2.Items[0].ID {
		t.Fatal("a cursor that does not open should page by number")
	}
}

// TestHeaderCountsAreCappedAndOneQuery checks the header's counts: BadgeCap at most,
// in one query.
func TestHeaderCountsAreCappedAndOneQuery(t *testing.T) {
	s := NewTestStore(t)
	f := newCursorFixture(t, s)
	var ns []Notification
	for i := 0; i < 2*BadgeCap; i++ {
		ns = append(ns, Notification{MembershipID: f.m.ID, Kind: NotifyJoinApproved, CreatedAt: time.Now()})
	}
	if err := s.db.CreateInBatches(&ns, 100).Error; err != nil {
		t.Fatal(err)
	}
	var hc HeaderCounts
	var err error
	if n := countQueries(t, s, func() { hc, err = s.HeaderCounts(ctx, f.alice) }); n != 1 || err != nil {
		t.Fatalf("header counts: %d queries, %v", n, err)
	}
	if hc.Unread != BadgeCap || hc.Moderates || hc.ModerationOpen != 0 {
		t.Fatalf("member's counts %+v, want %d unread and no moderation", hc, BadgeCap)
	}
	if n, _ := s.UnreadNotifications(ctx, f.alice); n != BadgeCap {
		t.Fatalf("unread %d, want %d", n, BadgeCap)
	}
	if hc, err = s.HeaderCounts(ctx, f.admin); err != nil || !hc.Moderates || hc.Unread != 0 {
		t.Fatalf("admin's counts %+v, %v", hc, err)
	}
}
