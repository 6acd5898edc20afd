package models

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"
)

// countQueries counts every statement the store sends to the database while fn
// runs (not the subqueries GORM builds into them).
func countQueries(t *testing.T, s *Store, fn func()) int {
	t.Helper()
	var n atomic.Int64
	count := func(tx *gorm.DB) {
		if !tx.DryRun {
			n.Add(1)
		}
	}
	name := fmt.Sprintf("test:count:%p", &n)
	for _, db := range []*gorm.DB{s.db, s.rdb} {
		cb := db.Callback()
		for _, reg := range []func() error{
			func() error { return cb.Query().Before("gorm:query").Register(name, count) },
			func() error { return cb.Row().Before("gorm:row").Register(name, count) },
			func() error { return cb.Raw().Before("gorm:raw").Register(name, count) },
			func() error { return cb.Create().Before("gorm:create").Register(name, count) },
			func() error { return cb.Update().Before("gorm:update").Register(name, count) },
			func() error { return cb.Delete().Before("gorm:delete").Register(name, count) },
		} {
			if err := reg(); err != nil {
				t.Fatal(err)
			}
		}
		if s.rdb == s.db {
			break
		}
	}
	defer func() {
		for _, db := range []*gorm.DB{s.db, s.rdb} {
			cb := db.Callback()
			cb.Query().Remove(name)
			cb.Row().Remove(name)
			cb.Raw().Remove(name)
			cb.Create().Remove(name)
			cb.Update().Remove(name)
			cb.Delete().Remove(name)
		}
	}()
	fn()
	return int(n.Load())
}

// TestReadPagesUseAFixedNumberOfQueries checks that the thread, group and home pages
// cost the same few queries whatever the number of posts, threads or authors (no
// N+1), for a visitor and for a member.
func TestReadPagesUseAFixedNumberOfQueries(t *testing.T) {
	s := NewTestStore(t)
	ctx := context.Background()
	if _, err := s.SeedScale(ctx, ScaleOptions{Groups: 2, Members: 40, Threads: 4, Posts: 130, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	var threads []Thread
	if err := s.db.Order("reply_count").Find(&threads).Error; err != nil {
		t.Fatal(err)
	}
	small, big := threads[0], threads[len(threads)-1]
	if big.ReplyCount < 20 || small.ReplyCount > big.ReplyCount/2 {
		t.Fatalf("want a small and a big thread, got %d and %d replies", small.ReplyCount, big.ReplyCount)
	}
	var g Group
	s.db.First(&g, big.GroupID)
	var m Membership
	s.db.Where("group_id = ?", big.GroupID).First(&m)
	u, err := s.LocalSignIn(ctx, fmt.Sprintf("m%d", m.UserID), "member")
	if err != nil {
		t.Fatal(err)
	}
	member, err := s.ViewerByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	var gsmall Group
	s.db.First(&gsmall, small.GroupID)

	cases := []struct {
		name  string
		v     *Viewer
		limit int
		page  func(th *Thread, g *Group)
	}{
		{"thread page, visitor", nil, 6, func(th *Thread, _ *Group) {
			if _, err := s.ThreadPage(ctx, nil, th.ID, 1); err != nil {
				t.Fatal(err)
			}
		}},
		{"thread page, member", member, 10, func(th *Thread, _ *Group) {
			if _, err := s.ThreadPage(ctx, member, th.ID, 1); err != nil {
				t.Fatal(err)
			}
		}},
		{"group page, visitor", nil, 3, func(_ *Thread, g *Group) {
			if _, err := s.GroupPage(ctx, nil, g.Slug, 1); err != nil {
				t.Fatal(err)
			}
		}},
		{"group page, member", member, 5, func(_ *Thread, g *Group) {
			if _, err := s.GroupPage(ctx, member, g.Slug, 1); err != nil {
				t.Fatal(err)
			}
		}},
		{"group list, visitor", nil, 2, func(*Thread, *Group) {
			if _, err := s.ListGroups(ctx, nil); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Warm up: caches (watched words, banners) and a member's first-visit writes.
			c.page(&small, &gsmall)
			c.page(&big, &g)
			nSmall := countQueries(t, s, func() { c.page(&small, &gsmall) })
			nBig := countQueries(t, s, func() { c.page(&big, &g) })
			t.Logf("%s: %d queries (%d replies), %d queries (%d replies)", c.name, nSmall, small.ReplyCount, nBig, big.ReplyCount)
			if nBig != nSmall || nBig > c.limit {
				t.Errorf("%s: %d and %d queries, want the same, at most %d", c.name, nSmall, nBig, c.limit)
			}
		})
	}
	// A signed-in member's page from the shared part the app keeps (see
	// LoadThreadShared, LoadGroupShared): two queries of their own.
	t.Run("member's part of shared pages", func(t *testing.T) {
		for _, th := range []*Thread{&small, &big} {
			var rm Membership
			s.db.Where("group_id = ? AND role = ? AND status = ?", th.GroupID, MemberRegular, MemberActive).First(&rm)
			u, err := s.LocalSignIn(ctx, fmt.Sprintf("m%d", rm.UserID), "member")
			if err != nil {
				t.Fatal(err)
			}
			v, err := s.ViewerByID(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			sh, err := s.LoadThreadShared(ctx, th.ID, 1)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok, err := s.ThreadPageFrom(ctx, v, sh); err != nil || !ok { // the first visit writes
				t.Fatalf("thread page from shared: %v %v", ok, err)
			}
			if n := countQueries(t, s, func() { s.ThreadPageFrom(ctx, v, sh) }); n > 2 {
				t.Errorf("thread page from shared (%d replies): %d queries, want at most 2", th.ReplyCount, n)
			}
			var gr Group
			s.db.First(&gr, th.GroupID)
			gs, err := s.LoadGroupShared(ctx, gr.Slug, 1, "")
			if err != nil {
				t.Fatal(err)
			}
			if n := countQueries(t, s, func() { s.GroupPageFrom(ctx, v, gs) }); n > 2 {
				t.Errorf("group page from shared: %d queries, want at most 2", n)
			}
		}
	})
}
