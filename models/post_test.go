package models

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"gorm.io/gorm"
)

func TestCreateThreadAndReply(t *testing.T) {
	s := NewTestStore(t)
	admin := mustViewer(t, s, "admin", RoleAdmin)
	ann := mustViewer(t, s, "ann", RoleMember)
	ben := mustViewer(t, s, "ben", RoleMember)
	mustGroup(t, s, admin, "t2d", VisibilityOpen)
	am := mustJoin(t, s, ann, "t2d", MemberActive)
	bm := mustJoin(t, s, ben, "t2d", MemberActive)

	th, first, err := s.CreateThread(ctx, ann, "t2d", ThreadInput{Title: "  Metformin and mornings ", Body: "Does it get **easier**?", Kind: KindQuestion})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := th.Title, "Metformin and mornings"; got != want {
		t.Fatalf("title %q, want %q", got, want)
	}
	if !strings.Contains(first.BodyHTML, "<strong>easier</strong>") {
		t.Fatalf("body not rendered: %q", first.BodyHTML)
	}
	if got, want := *first.MembershipID, am.ID; got != want {
		t.Fatalf("post points at membership %d, want %d", got, want)
	}
	p, err := s.CreatePost(ctx, ben, th.ID, PostInput{Body: "It did for me after two weeks."})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := *p.MembershipID, bm.ID; got != want {
		t.Fatalf("reply points at membership %d, want %d", got, want)
	}
	tp, err := s.ThreadPage(ctx, nil, th.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tp.Thread.ReplyCount, 1; got != want {
		t.Fatalf("reply count %d, want %d", got, want)
	}
	if got, want := len(tp.Posts), 2; got != want {
		t.Fatalf("%d posts, want %d", got, want)
	}
	if got, want := tp.Posts[1].Membership.Pseudonym, bm.Pseudonym; got != want {
		t.Fatalf("reply author %q, want %q", got, want)
	}
	gp, err := s.GroupPage(ctx, nil, "t2d", 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := gp.Access.Group.ThreadCount, 1; got != want {
		t.Fatalf("thread count %d, want %d", got, want)
	}
}

func TestPostingRules(t *testing.T) {
	s := NewTestStore(t)
	admin := mustViewer(t, s, "admin", RoleAdmin)
	ann := mustViewer(t, s, "ann", RoleMember)
	stranger := mustViewer(t, s, "stranger", RoleMember)
	mustGroup(t, s, admin, "pain", VisibilityOpen)
	mustJoin(t, s, ann, "pain", MemberActive)
	th, _, err := s.CreateThread(ctx, ann, "pain", ThreadInput{Title: "Flare days", Body: "How do you cope?"})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("visitor", func(t *testing.T) {
		_, err := s.CreatePost(ctx, nil, th.ID, PostInput{Body: "hi"})
		wantCode(t, err, EUNAUTHORIZED)
	})
	t.Run("not a member", func(t *testing.T) {
		_, err := s.CreatePost(ctx, stranger, th.ID, PostInput{Body: "hi"})
		wantCode(t, err, EFORBIDDEN)
	})
	t.Run("empty body", func(t *testing.T) {
		_, err := s.CreatePost(ctx, ann, th.ID, PostInput{Body: "   \n "})
		wantField(t, err, "body")
	})
	t.Run("huge body", func(t *testing.T) {
		_, err := s.CreatePost(ctx, ann, th.ID, PostInput{Body: strings.Repeat("a", MaxBodyRunes+1)})
		wantField(t, err, "body")
	})
	t.Run("long content warning", func(t *testing.T) {
		_, err := s.CreatePost(ctx, ann, th.ID, PostInput{Body: "ok", ContentWarning: strings.Repeat("x", 61)})
		wantField(t, err, "content_warning")
	})
	t.Run("missing thread", func(t *testing.T) {
		_, err := s.CreatePost(ctx, ann, 9999, PostInput{Body: "hi"})
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("got %v, want not found", err)
		}
	})
	t.Run("bad thread input", func(t *testing.T) {
		_, _, err := s.CreateThread(ctx, ann, "pain", ThreadInput{Title: "", Body: "", Kind: "poll"})
		wantField(t, err, "title")
		wantField(t, err, "body")
		wantField(t, err, "kind")
	})
	t.Run("member cannot post as clinician", func(t *testing.T) {
		_, err := s.CreatePost(ctx, ann, th.ID, PostInput{Body: "trust me", AsClinician: true})
		wantCode(t, err, EFORBIDDEN)
	})
	t.Run("locked thread", func(t *testing.T) {
		s.db.Model(&Thread{}).Where("id = ?", th.ID).Update("locked", true)
		defer s.db.Model(&Thread{}).Where("id = ?", th.ID).Update("locked", false)
		_, err := s.CreatePost(ctx, ann, th.ID, PostInput{Body: "hello"})
		wantCode(t, err, EFORBIDDEN)
	})
	// Nothing half-written: only the opening post exists.
	var n int64
	s.db.Model(&Post{}).Count(&n)
	if n != 1 {
		t.Fatalf("%d posts stored, want 1", n)
	}
}

func TestClinicianVoiceLinksToNoMembership(t *testing.T) {
	s := NewTestStore(t)
	admin := mustViewer(t, s, "admin", RoleAdmin)
	ann := mustViewer(t, s, "ann", RoleMember)
	doc := mustViewer(t, s, "rivera", RoleClinician)
	mustGroup(t, s, admin, "t2d", VisibilityOpen)
	mustJoin(t, s, ann, "t2d", MemberActive)
	th, _, err := s.CreateThread(ctx, ann, "t2d", ThreadInput{Title: "HbA1c question", Body: "What is a good number?", Kind: KindQuestion})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.CreatePost(ctx, doc, th.ID, PostInput{Body: "It depends on you; ask your team.", AsClinician: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.MembershipID != nil {
		t.Fatal("a clinician-voice post points at a membership")
	}
	tp, _ := s.ThreadPage(ctx, nil, th.ID, 1)
	if !tp.Thread.ClinicianAnswered {
		t.Fatal("thread not marked as answered by a clinician")
	}
	if tp.Posts[1].Clinician == nil || tp.Posts[1].Clinician.DisplayName == "" {
		t.Fatal("clinician post lacks its credential")
	}
}

func TestThreadPagination(t *testing.T) {
	s := NewTestStore(t)
	admin := mustViewer(t, s, "admin", RoleAdmin)
	mustGroup(t, s, admin, "g", VisibilityOpen)
	mustJoin(t, s, admin, "g", MemberActive)
	th, _, err := s.CreateThread(ctx, admin, "g", ThreadInput{Title: "Long thread", Body: "1"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range PageSize {
		if _, err := s.CreatePost(ctx, admin, th.ID, PostInput{Body: "reply " + string(rune('a'+i%26))}); err != nil {
			t.Fatal(err)
		}
	}
	p1, _ := s.ThreadPage(ctx, nil, th.ID, 1)
	if !p1.HasNext || len(p1.Posts) != PageSize {
		t.Fatalf("page 1: %d posts, has_next %v", len(p1.Posts), p1.HasNext)
	}
	p2, _ := s.ThreadPage(ctx, nil, th.ID, 2)
	if p2.HasNext || len(p2.Posts) != 1 {
		t.Fatalf("page 2: %d posts, has_next %v", len(p2.Posts), p2.HasNext)
	}
	if _, err := s.ThreadPage(ctx, nil, th.ID, 3); !errors.Is(err, ErrNotFound) {
		t.Fatalf("page 3: %v, want not found", err)
	}
	_, err = s.ThreadPage(ctx, nil, th.ID, MaxPage+1)
	wantField(t, err, "page")
	n, _ := s.PostPageNumber(ctx, th.ID, p2.Posts[0].ID)
	if n != 2 {
		t.Fatalf("last post on page %d, want 2", n)
	}
}

// TestReplyCheckedBeforeItsWrite checks a reply on a reader and then changes what the
// checks relied on before the write: the guarded write refuses (errDraftStale) and
// leaves nothing behind, and CreatePost then checks again in the transaction.
func TestReplyCheckedBeforeItsWrite(t *testing.T) {
	s := NewTestStore(t)
	admin := mustViewer(t, s, "admin", RoleAdmin)
	ann := mustViewer(t, s, "ann", RoleMember)
	ben := mustViewer(t, s, "ben", RoleMember)
	g := mustGroup(t, s, admin, "t2d", VisibilityOpen)
	mustJoin(t, s, ann, "t2d", MemberActive)
	bm := mustJoin(t, s, ben, "t2d", MemberActive)
	th, _, err := s.CreateThread(ctx, ann, "t2d", ThreadInput{Title: "Mornings", Body: "How are yours?"})
	if err != nil {
		t.Fatal(err)
	}
	in := PostInput{Body: "Slow but fine."}
	for _, c := range []struct {
		name   string
		change func() error
		undo   func() error
		check  func(p *Post, err error)
	}{
		{"thread locked", func() error { return s.db.Model(&Thread{}).Where("id = ?", th.ID).Update("locked", true).Error },
			func() error { return s.db.Model(&Thread{}).Where("id = ?", th.ID).Update("locked", false).Error },
			func(p *Post, err error) { wantCode(t, err, EFORBIDDEN) }},
		{"member banned", func() error {
			return s.db.Model(&Membership{}).Where("id = ?", bm.ID).Update("status", MemberBanned).Error
		},
			func() error {
				return s.db.Model(&Membership{}).Where("id = ?", bm.ID).Update("status", MemberActive).Error
			},
			func(p *Post, err error) { wantCode(t, err, EFORBIDDEN) }},
		{"premoderation on", func() error {
			return s.db.Model(&Group{}).Where("id = ?", g.ID).Update("premoderate_first_posts", 5).Error
		}, func() error {
			return s.db.Model(&Group{}).Where("id = ?", g.ID).Update("premoderate_first_posts", 0).Error
		},
			func(p *Post, err error) {
				if err != nil || p.Status != PostHeld {
					t.Fatalf("premoderated reply: %v, status %v", err, p)
				}
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := s.draftPost(ctx, s.draftReader(), ben, th.ID, in, "<p>Slow but fine.</p>")
			if err != nil {
				t.Fatal(err)
			}
			var before Thread
			s.db.First(&before, th.ID)
			if err := c.change(); err != nil {
				t.Fatal(err)
			}
			err = s.tx(ctx, func(tx *gorm.DB) error { return s.writePost(ctx, tx, d, true) })
			if !errors.Is(err, errDraftStale) {
				t.Fatalf("guarded write after a change: %v, want errDraftStale", err)
			}
			var after Thread
			s.db.First(&after, th.ID)
			var n int64
			s.db.Model(&Post{}).Where("thread_id = ?", th.ID).Count(&n)
			if after.ReplyCount != before.ReplyCount || n != int64(before.ReplyCount)+1 {
				t.Fatalf("a refused write left %d replies (count %d), want %d", n-1, after.ReplyCount, before.ReplyCount)
			}
			c.check(s.CreatePost(ctx, ben, th.ID, in))
			if err := c.undo(); err != nil {
				t.Fatal(err)
			}
		})
	}
	// Unchanged, the guarded write goes ahead and keeps the counters.
	p, err := s.CreatePost(ctx, ben, th.ID, in)
	if err != nil || p.Status != PostPublished {
		t.Fatalf("reply: %v, %v", err, p)
	}
	var m Membership
	s.db.First(&m, bm.ID)
	if got, want := m.PostCount, 2; got != want { // the held reply and this one
		t.Fatalf("post count %d, want %d", got, want)
	}
}

// A post's link finds its page as the thread page lists posts: held posts left out,
// newest first in a live thread; a post the caller may not read is not found.
func TestPostLink(t *testing.T) {
	s := NewTestStore(t)
	admin := mustViewer(t, s, "admin", RoleAdmin)
	mustGroup(t, s, admin, "g", VisibilityOpen)
	mustJoin(t, s, admin, "g", MemberActive)
	th, first, err := s.CreateThread(ctx, admin, "g", ThreadInput{Title: "Long thread", Body: "1"})
	if err != nil {
		t.Fatal(err)
	}
	var replies []*Post
	for i := range PageSize + 5 {
		p, err := s.CreatePost(ctx, admin, th.ID, PostInput{Body: fmt.Sprintf("reply %d", i)})
		if err != nil {
			t.Fatal(err)
		}
		replies = append(replies, p)
	}
	// Two held posts early on: the 51st reply, the 52nd post, moves back to page 1.
	for _, p := range replies[:2] {
		if err := s.db.Model(&Post{}).Where("id = ?", p.ID).Update("status", PostHeld).Error; err != nil {
			t.Fatal(err)
		}
	}
	link := func(v *Viewer, id int64) int {
		t.Helper()
		tid, page, err := s.PostLink(ctx, v, id)
		if err != nil || tid != th.ID {
			t.Fatalf("post %d: thread %d, %v", id, tid, err)
		}
		return page
	}
	last := replies[len(replies)-1].ID
	for _, c := range []struct {
		id   int64
		want int
	}{{first.ID, 1}, {replies[PageSize].ID, 1}, {replies[PageSize+1].ID, 2}, {last, 2}} {
		if got := link(nil, c.id); got != c.want {
			t.Fatalf("post %d is on page %d, want %d", c.id, got, c.want)
		}
	}
	// A moderator's thread page lists the held posts too.
	if got := link(admin, replies[PageSize].ID); got != 2 {
		t.Fatalf("for a moderator post %d is on page %d, want 2", replies[PageSize].ID, got)
	}
	if err := s.db.Model(&Thread{}).Where("id = ?", th.ID).Update("kind", KindLive).Error; err != nil {
		t.Fatal(err)
	}
	if got := link(nil, last); got != 1 {
		t.Fatalf("the newest post of a live thread is on page %d, want 1", got)
	}
	if got := link(nil, first.ID); got != 2 {
		t.Fatalf("the first post of a live thread is on page %d, want 2", got)
	}
	// A held post: its author finds it, a visitor does not.
	if _, _, err := s.PostLink(ctx, nil, replies[0].ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a visitor's link to a held post: %v, want not found", err)
	}
	link(admin, replies[0].ID)
	mustGroup(t, s, admin, "private", VisibilitySecret)
	mustJoin(t, s, admin, "private", MemberActive)
	_, secret, err := s.CreateThread(ctx, admin, "private", ThreadInput{Title: "Ours", Body: "Just us."})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PostLink(ctx, nil, secret.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a visitor's link to a private group's post: %v, want not found", err)
	}
	if _, _, err := s.PostLink(ctx, nil, 1<<40); !errors.Is(err, ErrNotFound) {
		t.Fatalf("an unknown post: %v, want not found", err)
	}
}
