package models

import (
	"slices"
	"testing"
)

// TestSearchFollowsStoreWrites drives the index through the store's own write paths
// (new thread, reply, author edit, author delete, a moderator's removal, an appeal
// upheld) rather than by hand: what is published is found, and nothing else.
func TestSearchFollowsStoreWrites(t *testing.T) {
	s := NewTestStore(t)
	admin := mustViewer(t, s, "admin", RoleAdmin)
	alice := mustViewer(t, s, "alice", RoleMember)
	bob := mustViewer(t, s, "bob", RoleMember)
	mustGroup(t, s, admin, "sleep", VisibilityOpen)
	mustJoin(t, s, alice, "sleep", MemberActive)
	mustJoin(t, s, bob, "sleep", MemberActive)
	find := func(q string) []int64 {
		t.Helper()
		res, err := s.Search(ctx, bob, SearchQuery{Text: q})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, h := range res.Hits {
			ids = append(ids, h.Post.ID)
		}
		return ids
	}
	th, op, err := s.CreateThread(ctx, alice, "sleep", ThreadInput{Title: "Night shifts", Body: "How do you cope with insomnia?"})
	if err != nil {
		t.Fatal(err)
	}
	reply, err := s.CreatePost(ctx, alice, th.ID, PostInput{Body: "Melatonin helped a little."})
	if err != nil {
		t.Fatal(err)
	}
	if got := find("night"); !slices.Equal(got, []int64{op.ID}) {
		t.Fatalf("title search = %v, want the opening post", got)
	}
	if got := find("melatonin"); !slices.Equal(got, []int64{reply.ID}) {
		t.Fatalf("new reply = %v", got)
	}
	if _, err := s.EditPost(ctx, alice, reply.ID, PostEdit{Body: "Magnesium helped a little.", Version: 1}); err != nil {
		t.Fatal(err)
	}
	if got := find("melatonin"); len(got) != 0 {
		t.Fatalf("the old word still finds %v", got)
	}
	if got := find("magnesium"); !slices.Equal(got, []int64{reply.ID}) {
		t.Fatalf("the edited word finds %v", got)
	}
	if _, err := s.DeletePost(ctx, alice, op.ID); err != nil {
		t.Fatal(err)
	}
	if got := find("insomnia"); len(got) != 0 {
		t.Fatalf("a deleted post is found: %v", got)
	}
	// A moderator removes the reply, then upholds the author's appeal.
	if _, err := s.ReportPost(ctx, bob, reply.ID, ReportInput{Reason: "spam"}); err != nil {
		t.Fatal(err)
	}
	admin2 := mustViewer(t, s, "admin2", RoleAdmin) // decides the appeal
	resolve := func(v *Viewer, action string) {
		t.Helper()
		items, err := s.Queue(ctx, v, QueueFilter{})
		if err != nil || len(items) == 0 {
			t.Fatalf("queue: %v, %d items", err, len(items))
		}
		it := items[0].Item
		if _, err := s.Resolve(ctx, v, it.ID, ResolveInput{Action: action, Reason: "Rule 1", Version: it.Version}); err != nil {
			t.Fatalf("%s: %v", action, err)
		}
	}
	resolve(admin, ActionRemove)
	if got := find("magnesium"); len(got) != 0 {
		t.Fatalf("a removed post is found: %v", got)
	}
	if _, err := s.Appeal(ctx, alice, reply.ID, AppealInput{Note: "it was not spam"}); err != nil {
		t.Fatal(err)
	}
	resolve(admin2, ActionApprove)
	if got := find("magnesium"); !slices.Equal(got, []int64{reply.ID}) {
		t.Fatalf("after the appeal was upheld: %v", got)
	}
}
