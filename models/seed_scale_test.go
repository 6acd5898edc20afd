package models

import (
	"context"
	"fmt"
	"testing"
)

func TestSeedScaleCountersAndIndex(t *testing.T) {
	s := NewTestStore(t)
	ctx := context.Background()
	res, err := s.SeedScale(ctx, ScaleOptions{Groups: 4, Members: 60, Threads: 30, Posts: 400, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.Posts, 400; got != want {
		t.Fatalf("posts = %d, want %d", got, want)
	}
	db := s.db.WithContext(ctx)
	checks := []struct {
		name string
		sql  string
	}{
		{"group thread_count", `SELECT COUNT(*) FROM groups g WHERE thread_count <> (SELECT COUNT(*) FROM threads t WHERE t.group_id = g.id)`},
		{"group member_count", `SELECT COUNT(*) FROM groups g WHERE member_count <> (SELECT COUNT(*) FROM memberships m WHERE m.group_id = g.id)`},
		{"thread reply_count", `SELECT COUNT(*) FROM threads t WHERE reply_count <> (SELECT COUNT(*) FROM posts p WHERE p.thread_id = t.id) - 1`},
		{"thread last_post_at", `SELECT COUNT(*) FROM threads t WHERE last_post_at <> (SELECT MAX(created_at) FROM posts p WHERE p.thread_id = t.id)`},
		{"membership post_count", `SELECT COUNT(*) FROM memberships m WHERE post_count <> (SELECT COUNT(*) FROM posts p WHERE p.membership_id = m.id)`},
		{"support_count", `SELECT COUNT(*) FROM posts p WHERE support_count <> (SELECT COUNT(*) FROM reactions r WHERE r.post_id = p.id AND r.kind = 'support')`},
		{"thread opener", `SELECT COUNT(*) FROM threads t WHERE membership_id <> (SELECT p.membership_id FROM posts p WHERE p.thread_id = t.id ORDER BY p.id LIMIT 1)`},
		{"authors in group", `SELECT COUNT(*) FROM posts p JOIN threads t ON t.id = p.thread_id JOIN memberships m ON m.id = p.membership_id WHERE m.group_id <> t.group_id`},
		{"search index", `SELECT (SELECT COUNT(*) FROM posts) - (SELECT COUNT(*) FROM post_search)`},
	}
	if s.dialect == "sqlite" {
		checks = append(checks, struct {
			name string
			sql  string
		}{"groups' search index", `SELECT (SELECT COUNT(*) FROM posts) - (SELECT COUNT(*) FROM post_search_group_docsize)`})
		checkSearchIndexes(t, s)
	}
	for _, c := range checks {
		var n int64
		if err := db.Raw(c.sql).Scan(&n).Error; err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if n != 0 {
			t.Errorf("%s: %d rows disagree", c.name, n)
		}
	}

	// The generated content reads and searches like any other.
	var g Group
	if err := db.First(&g).Error; err != nil {
		t.Fatal(err)
	}
	gp, err := s.GroupPage(ctx, nil, g.Slug, 1)
	if err != nil || len(gp.Threads) == 0 {
		t.Fatalf("group page: %v, %d threads", err, len(gp.Threads))
	}
	tp, err := s.ThreadPage(ctx, nil, gp.Threads[0].ID, 1)
	if err != nil || len(tp.Posts) == 0 || tp.Posts[0].BodyHTML == "" {
		t.Fatalf("thread page: %v", err)
	}
	sr, err := s.Search(ctx, nil, SearchQuery{Text: "diary"})
	if err != nil {
		t.Fatal(err)
	}
	if len(sr.Hits) == 0 {
		t.Errorf("search for a generated word found nothing")
	}
	// A generated member signs in by the local name m<user id> and may post.
	var m Membership
	if err := db.Where("group_id = ?", g.ID).First(&m).Error; err != nil {
		t.Fatal(err)
	}
	u, err := s.LocalSignIn(ctx, fmt.Sprintf("m%d", m.UserID), "member")
	if err != nil || u.ID != m.UserID {
		t.Fatalf("local sign-in as a generated member: %v (user %v, want %d)", err, u, m.UserID)
	}
	v, err := s.ViewerByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreatePost(ctx, v, gp.Threads[0].ID, PostInput{Body: "Thank you, this helps."}); err != nil {
		t.Fatalf("post as a generated member: %v", err)
	}
}
