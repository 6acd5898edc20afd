package models

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// editFixture is an open and a closed group, each with a thread by ann, a reply by
// ben, and a moderator.
type editFixture struct {
	s                    *Store
	admin, ann, ben, mod *Viewer
	outsider, doc        *Viewer
	thread               *Thread // a question in the open group
	opening, reply       *Post
	closedPost           *Post // ann's opening post in the closed group
}

func newEditFixture(t *testing.T) *editFixture {
	t.Helper()
	s := NewTestStore(t)
	f := &editFixture{s: s,
		admin: mustViewer(t, s, "admin", RoleAdmin), ann: mustViewer(t, s, "ann", RoleMember),
		ben: mustViewer(t, s, "ben", RoleMember), mod: mustViewer(t, s, "mod", RoleMember),
		outsider: mustViewer(t, s, "outsider", RoleMember), doc: mustViewer(t, s, "doc", RoleClinician)}
	mustGroup(t, s, f.admin, "t2d", VisibilityOpen)
	mustGroup(t, s, f.admin, "carers", VisibilityClosed)
	for _, v := range []*Viewer{f.ann, f.ben, f.mod} {
		mustJoin(t, s, v, "t2d", MemberActive)
	}
	mm := mustJoin(t, s, f.mod, "carers", MemberPending)
	am := mustJoin(t, s, f.ann, "carers", MemberPending)
	s.db.Model(&Membership{}).Where("id IN ?", []int64{mm.ID, am.ID}).Update("status", MemberActive)
	modM, _ := s.GroupAccess(ctx, f.mod, "t2d")
	if _, err := s.SetModerator(ctx, f.admin, "t2d", modM.Membership.Pseudonym, MemberModerator); err != nil {
		t.Fatal(err)
	}
	var err error
	f.thread, f.opening, err = s.CreateThread(ctx, f.ann, "t2d", ThreadInput{Title: "Tired after lunch", Body: "Is this *normal*?", Kind: KindQuestion})
	if err != nil {
		t.Fatal(err)
	}
	if f.reply, err = s.CreatePost(ctx, f.ben, f.thread.ID, PostInput{Body: "It was for me."}); err != nil {
		t.Fatal(err)
	}
	if _, f.closedPost, err = s.CreateThread(ctx, f.ann, "carers", ThreadInput{Title: "Night shifts", Body: "How do you sleep?"}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *editFixture) post(t *testing.T, id int64) Post {
	t.Helper()
	var p Post
	if err := f.s.db.First(&p, id).Error; err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *editFixture) revisions(t *testing.T, id int64) []PostRevision {
	t.Helper()
	var rs []PostRevision
	if err := f.s.db.Where("post_id = ?", id).Order("version").Find(&rs).Error; err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestEditPostKeepsRevision(t *testing.T) {
	f := newEditFixture(t)
	pc, err := f.s.EditPost(ctx, f.ben, f.reply.ID, PostEdit{Body: "It was, for **two weeks**.", ContentWarning: "fatigue", Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	p := f.post(t, f.reply.ID)
	if got, want := p.Version, 2; got != want {
		t.Fatalf("version %d, want %d", got, want)
	}
	if pc.Post.Version != 2 || pc.Post.EditedAt == nil || p.EditedAt == nil {
		t.Fatalf("edited post %+v", pc.Post)
	}
	if !strings.Contains(p.BodyHTML, "<strong>two weeks</strong>") || p.ContentWarning != "fatigue" {
		t.Fatalf("body not re-rendered: %q cw %q", p.BodyHTML, p.ContentWarning)
	}
	rs := f.revisions(t, f.reply.ID)
	if got, want := len(rs), 1; got != want {
		t.Fatalf("%d revisions, want %d", got, want)
	}
	r := rs[0]
	if r.Version != 1 || r.Body != "It was for me." || !strings.Contains(r.BodyHTML, "It was for me.") || r.EditedBy != EditedByAuthor {
		t.Fatalf("revision %+v", r)
	}
	if r.EditorMembershipID == nil || *r.EditorMembershipID != *f.reply.MembershipID {
		t.Fatalf("revision editor %v, want the author's membership", r.EditorMembershipID)
	}

	// Saving the same text again changes nothing.
	if _, err := f.s.EditPost(ctx, f.ben, f.reply.ID, PostEdit{Body: "It was, for **two weeks**.", ContentWarning: "fatigue", Version: 2}); err != nil {
		t.Fatal(err)
	}
	if got, want := len(f.revisions(t, f.reply.ID)), 1; got != want {
		t.Fatalf("%d revisions after a no-op save, want %d", got, want)
	}
	if got, want := f.post(t, f.reply.ID).Version, 2; got != want {
		t.Fatalf("version %d after a no-op save, want %d", got, want)
	}
}

func TestEditPostRules(t *testing.T) {
	f := newEditFixture(t)
	docPost, err := f.s.CreatePost(ctx, f.doc, f.thread.ID, PostInput{Body: "Post-meal dips are common.", AsClinician: true})
	if err != nil {
		t.Fatal(err)
	}
	edit := func(body string, version int) PostEdit { return PostEdit{Body: body, Version: version} }
	cases := []struct {
		name  string
		v     *Viewer
		post  int64
		in    PostEdit
		code  string // domain error code, or "" for a field error
		field string
	}{
		{"visitor", nil, f.reply.ID, edit("x", 1), EUNAUTHORIZED, ""},
		{"someone else's post, readable", f.ann, f.reply.ID, edit("mine now", 1), EFORBIDDEN, ""},
		{"moderator is not the author", f.mod, f.reply.ID, edit("mine now", 1), EFORBIDDEN, ""},
		{"someone else's post, unreadable", f.outsider, f.closedPost.ID, edit("x", 1), ENOTFOUND, ""},
		{"unknown post", f.ben, 999999, edit("x", 1), ENOTFOUND, ""},
		{"stale version", f.ben, f.reply.ID, edit("late", 7), ECONFLICT, ""},
		{"empty body", f.ben, f.reply.ID, edit("   ", 1), "", "body"},
		{"oversized body", f.ben, f.reply.ID, edit(strings.Repeat("a", MaxBodyRunes+1), 1), "", "body"},
		{"long content warning", f.ben, f.reply.ID, PostEdit{Body: "ok", ContentWarning: strings.Repeat("w", 61), Version: 1}, "", "content_warning"},
		{"no version", f.ben, f.reply.ID, edit("ok", 0), "", "version"},
		{"other member on a clinician post", f.ben, docPost.ID, edit("x", 1), EFORBIDDEN, ""},
		{"invalid draft on someone else's post", f.ann, f.reply.ID, edit("", 1), EFORBIDDEN, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.s.EditPost(ctx, tc.v, tc.post, tc.in)
			if tc.field != "" {
				wantField(t, err, tc.field)
			} else {
				wantCode(t, err, tc.code)
			}
			if got, want := f.post(t, f.reply.ID).Body, "It was for me."; got != want {
				t.Fatalf("body %q after a refused edit, want %q", got, want)
			}
			if n := len(f.revisions(t, f.reply.ID)); n != 0 {
				t.Fatalf("%d revisions after a refused edit", n)
			}
		})
	}
	t.Run("stale version carries the current post", func(t *testing.T) {
		_, err := f.s.EditPost(ctx, f.ben, f.reply.ID, edit("late", 7))
		var ce *EditConflictError
		if !errors.As(err, &ce) || !errors.Is(err, ErrConflict) {
			t.Fatalf("got %v, want an EditConflictError", err)
		}
		if ce.Current.Body != "It was for me." || ce.Current.Version != 1 {
			t.Fatalf("current %+v", ce.Current)
		}
	})
	t.Run("clinician edits their clinician post", func(t *testing.T) {
		pc, err := f.s.EditPost(ctx, f.doc, docPost.ID, edit("Post-meal dips are common; see your GP if they worry you.", 1))
		if err != nil {
			t.Fatal(err)
		}
		if pc.Post.Version != 2 {
			t.Fatalf("version %d", pc.Post.Version)
		}
		rs := f.revisions(t, docPost.ID)
		if len(rs) != 1 || rs[0].EditorMembershipID != nil {
			t.Fatalf("clinician revision %+v: want one, with no membership", rs)
		}
	})
	t.Run("held post of someone else is not found", func(t *testing.T) {
		f.s.db.Model(&Post{}).Where("id = ?", f.reply.ID).Update("status", PostHeld)
		defer f.s.db.Model(&Post{}).Where("id = ?", f.reply.ID).Update("status", PostPublished)
		_, err := f.s.EditPost(ctx, f.ann, f.reply.ID, edit("x", 1))
		wantCode(t, err, ENOTFOUND)
		// Its author may still fix it while it waits.
		if _, err := f.s.EditPost(ctx, f.ben, f.reply.ID, edit("It was for me, honestly.", 1)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("locked thread", func(t *testing.T) {
		f.s.db.Model(&Thread{}).Where("id = ?", f.thread.ID).Update("locked", true)
		defer f.s.db.Model(&Thread{}).Where("id = ?", f.thread.ID).Update("locked", false)
		_, err := f.s.EditPost(ctx, f.ben, f.reply.ID, edit("x", 2))
		wantCode(t, err, EFORBIDDEN)
	})
}

func TestConcurrentEdits(t *testing.T) {
	f := newEditFixture(t)
	for round := 1; round <= 5; round++ {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = f.s.EditPost(ctx, f.ben, f.reply.ID, PostEdit{Body: fmt.Sprintf("edit %d in round %d", i, round), Version: round})
			}()
		}
		wg.Wait()
		var ok, conflicts int
		for _, err := range errs {
			var ce *EditConflictError
			switch {
			case err == nil:
				ok++
			case errors.As(err, &ce):
				conflicts++
			default:
				t.Fatalf("round %d: unexpected error %v", round, err)
			}
		}
		if ok != 1 || conflicts != 1 {
			t.Fatalf("round %d: %d saved, %d conflicts; want 1 and 1", round, ok, conflicts)
		}
		if got, want := len(f.revisions(t, f.reply.ID)), round; got != want {
			t.Fatalf("round %d: %d revisions, want %d", round, got, want)
		}
		if got, want := f.post(t, f.reply.ID).Version, round+1; got != want {
			t.Fatalf("round %d: version %d, want %d", round, got, want)
		}
	}
}

func TestRevisionVisibility(t *testing.T) {
	f := newEditFixture(t)
	if _, err := f.s.EditPost(ctx, f.ben, f.reply.ID, PostEdit{Body: "Edited once.", Version: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.EditPost(ctx, f.ben, f.reply.ID, PostEdit{Body: "Edited twice.", Version: 2}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		v    *Viewer
		sees bool
	}{
		{"author", f.ben, true},
		{"moderator", f.mod, true},
		{"admin", f.admin, true},
		{"other member", f.ann, false},
		{"outsider", f.outsider, false},
		{"visitor", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rh, err := f.s.PostRevisions(ctx, tc.v, f.reply.ID)
			if !tc.sees {
				wantCode(t, err, ENOTFOUND)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(rh.Revisions), 2; got != want {
				t.Fatalf("%d revisions, want %d", got, want)
			}
			if rh.Revisions[0].Version != 2 || rh.Revisions[1].Version != 1 || rh.Revisions[1].Body != "It was for me." {
				t.Fatalf("revisions not newest first: %+v", rh.Revisions)
			}
			if rh.Post.Version != 3 || rh.Post.Body != "Edited twice." {
				t.Fatalf("current %+v", rh.Post)
			}
		})
	}
}

func TestDeletePostLeavesTombstone(t *testing.T) {
	f := newEditFixture(t)
	t.Run("not the author", func(t *testing.T) {
		_, err := f.s.DeletePost(ctx, f.ann, f.reply.ID)
		wantCode(t, err, EFORBIDDEN)
		_, err = f.s.DeletePost(ctx, f.outsider, f.closedPost.ID)
		wantCode(t, err, ENOTFOUND)
		_, err = f.s.DeletePost(ctx, nil, f.reply.ID)
		wantCode(t, err, EUNAUTHORIZED)
	})
	if _, err := f.s.AcceptAnswer(ctx, f.ann, f.thread.ID, f.reply.ID); err != nil {
		t.Fatal(err)
	}
	pc, err := f.s.DeletePost(ctx, f.ben, f.reply.ID)
	if err != nil {
		t.Fatal(err)
	}
	if pc.Post.Status != PostDeleted || pc.Post.StatusReason != "deleted by author" {
		t.Fatalf("deleted post %+v", pc.Post)
	}
	p := f.post(t, f.reply.ID)
	if p.Status != PostDeleted || p.Body != "It was for me." || p.BodyHTML == "" {
		t.Fatalf("tombstone %+v: want status deleted with its text kept", p)
	}
	tp, err := f.s.ThreadPage(ctx, f.ann, f.thread.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tp.Thread.ReplyCount, 1; got != want {
		t.Fatalf("reply count %d, want %d", got, want)
	}
	if got, want := len(tp.Posts), 2; got != want {
		t.Fatalf("%d posts on the page, want %d (the tombstone keeps its place)", got, want)
	}
	if tp.Thread.AcceptedPostID != nil {
		t.Fatal("a deleted post is still the accepted answer")
	}
	t.Run("again", func(t *testing.T) {
		_, err := f.s.DeletePost(ctx, f.ben, f.reply.ID)
		wantCode(t, err, ECONFLICT)
	})
	t.Run("edit a tombstone", func(t *testing.T) {
		_, err := f.s.EditPost(ctx, f.ben, f.reply.ID, PostEdit{Body: "back", Version: p.Version})
		wantCode(t, err, ECONFLICT)
		_, err = f.s.PostForEdit(ctx, f.ben, f.reply.ID)
		wantCode(t, err, ECONFLICT)
	})
	t.Run("react to a tombstone", func(t *testing.T) {
		_, err := f.s.ToggleReaction(ctx, f.ann, f.reply.ID, ReactionSupport)
		wantCode(t, err, ECONFLICT)
	})
	t.Run("opening post", func(t *testing.T) {
		if _, err := f.s.DeletePost(ctx, f.ann, f.opening.ID); err != nil {
			t.Fatal(err)
		}
		tp, err := f.s.ThreadPage(ctx, nil, f.thread.ID, 1)
		if err != nil {
			t.Fatalf("thread after deleting its opening post: %v", err)
		}
		if tp.Posts[0].Status != PostDeleted || tp.Thread.Title != "Tired after lunch" {
			t.Fatalf("thread %+v first post %+v", tp.Thread, tp.Posts[0])
		}
	})
}

func TestReactions(t *testing.T) {
	f := newEditFixture(t)
	st, err := f.s.ToggleReaction(ctx, f.ann, f.reply.ID, ReactionSupport)
	if err != nil {
		t.Fatal(err)
	}
	if st.Support != 1 || !slices.Equal(st.Mine, []string{ReactionSupport}) {
		t.Fatalf("after one reaction: %+v", st)
	}
	if st, err = f.s.ToggleReaction(ctx, f.ann, f.reply.ID, ReactionSameHere); err != nil {
		t.Fatal(err)
	}
	if st.Support != 1 || st.SameHere != 1 || !slices.Equal(st.Mine, []string{ReactionSupport, ReactionSameHere}) {
		t.Fatalf("after two kinds: %+v", st)
	}
	if st, err = f.s.ToggleReaction(ctx, f.mod, f.reply.ID, ReactionSupport); err != nil {
		t.Fatal(err)
	}
	if st.Support != 2 || !slices.Equal(st.Mine, []string{ReactionSupport}) {
		t.Fatalf("a second member: %+v", st)
	}
	// Again takes it back.
	if st, err = f.s.ToggleReaction(ctx, f.ann, f.reply.ID, ReactionSupport); err != nil {
		t.Fatal(err)
	}
	if st.Support != 1 || st.SameHere != 1 || !slices.Equal(st.Mine, []string{ReactionSameHere}) {
		t.Fatalf("after toggling off: %+v", st)
	}
	p := f.post(t, f.reply.ID)
	if p.SupportCount != 1 || p.SameHereCount != 1 || p.HelpfulCount != 0 {
		t.Fatalf("post counters %d/%d/%d", p.SupportCount, p.HelpfulCount, p.SameHereCount)
	}
	var n int64
	f.s.db.Model(&Reaction{}).Where("post_id = ?", f.reply.ID).Count(&n)
	if n != 2 {
		t.Fatalf("%d reaction rows, want 2", n)
	}
	t.Run("one of each kind per membership", func(t *testing.T) {
		var r Reaction
		f.s.db.Where("post_id = ? AND kind = ?", f.reply.ID, ReactionSameHere).First(&r)
		dup := Reaction{PostID: r.PostID, MembershipID: r.MembershipID, Kind: r.Kind, CreatedAt: r.CreatedAt}
		if err := f.s.db.Create(&dup).Error; err == nil {
			t.Fatal("a second identical reaction was stored")
		}
	})
	t.Run("thread page shows mine", func(t *testing.T) {
		tp, err := f.s.ThreadPage(ctx, f.ann, f.thread.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := tp.Mine[f.reply.ID]; !slices.Equal(got, []string{ReactionSameHere}) {
			t.Fatalf("mine %v", got)
		}
		if got := tp.Mine[f.opening.ID]; got != nil {
			t.Fatalf("mine on the opening post %v", got)
		}
	})
	for _, tc := range []struct {
		name, kind string
		v          *Viewer
		post       int64
		code       string
	}{
		{"unknown kind", "love", f.ann, f.reply.ID, ""},
		{"visitor", ReactionSupport, nil, f.reply.ID, EUNAUTHORIZED},
		{"not a member, open group", ReactionSupport, f.outsider, f.reply.ID, EFORBIDDEN},
		{"not a member, closed group", ReactionSupport, f.outsider, f.closedPost.ID, ENOTFOUND},
		{"unknown post", ReactionSupport, f.ann, 999999, ENOTFOUND},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.s.ToggleReaction(ctx, tc.v, tc.post, tc.kind)
			if tc.code == "" {
				wantField(t, err, "kind")
			} else {
				wantCode(t, err, tc.code)
			}
		})
	}
}

func TestAcceptAnswer(t *testing.T) {
	f := newEditFixture(t)
	second, err := f.s.CreatePost(ctx, f.mod, f.thread.ID, PostInput{Body: "Try a walk after eating."})
	if err != nil {
		t.Fatal(err)
	}
	_, disc, err := f.s.CreateThread(ctx, f.ann, "t2d", ThreadInput{Title: "Just saying hi", Body: "Hello all"})
	if err != nil {
		t.Fatal(err)
	}
	discReply, err := f.s.CreatePost(ctx, f.ben, disc.ThreadID, PostInput{Body: "Hi!"})
	if err != nil {
		t.Fatal(err)
	}
	_, other, err := f.s.CreateThread(ctx, f.ben, "t2d", ThreadInput{Title: "Another question", Body: "Anyone?", Kind: KindQuestion})
	if err != nil {
		t.Fatal(err)
	}
	held, err := f.s.CreatePost(ctx, f.ben, f.thread.ID, PostInput{Body: "Waiting"})
	if err != nil {
		t.Fatal(err)
	}
	f.s.db.Model(&Post{}).Where("id = ?", held.ID).Update("status", PostHeld)

	for _, tc := range []struct {
		name     string
		v        *Viewer
		thread   int64
		post     int64
		code     string
		field    bool
		accepted int64
	}{
		{"visitor", nil, f.thread.ID, f.reply.ID, EUNAUTHORIZED, false, 0},
		{"not the asker", f.ben, f.thread.ID, f.reply.ID, EFORBIDDEN, false, 0},
		{"moderator is not the asker", f.mod, f.thread.ID, f.reply.ID, EFORBIDDEN, false, 0},
		{"unknown thread", f.ann, 999999, f.reply.ID, ENOTFOUND, false, 0},
		{"not a question", f.ann, disc.ThreadID, discReply.ID, "", true, 0},
		{"the opening post", f.ann, f.thread.ID, f.opening.ID, "", true, 0},
		{"a post of another thread", f.ann, f.thread.ID, other.ID, "", true, 0},
		{"a held post", f.ann, f.thread.ID, held.ID, "", true, 0},
		{"a reply", f.ann, f.thread.ID, f.reply.ID, "", false, f.reply.ID},
		{"another reply replaces it", f.ann, f.thread.ID, second.ID, "", false, second.ID},
		{"zero un-accepts", f.ann, f.thread.ID, 0, "", false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			th, err := f.s.AcceptAnswer(ctx, tc.v, tc.thread, tc.post)
			switch {
			case tc.field:
				wantField(t, err, "post_id")
				return
			case tc.code != "":
				wantCode(t, err, tc.code)
				return
			case err != nil:
				t.Fatal(err)
			}
			var got Thread
			f.s.db.First(&got, f.thread.ID)
			if tc.accepted == 0 {
				if th.AcceptedPostID != nil || got.AcceptedPostID != nil {
					t.Fatalf("accepted %v, want none", got.AcceptedPostID)
				}
				return
			}
			if th.AcceptedPostID == nil || *th.AcceptedPostID != tc.accepted || got.AcceptedPostID == nil || *got.AcceptedPostID != tc.accepted {
				t.Fatalf("accepted %v, want %d", got.AcceptedPostID, tc.accepted)
			}
		})
	}
	t.Run("shown right after the question", func(t *testing.T) {
		if _, err := f.s.AcceptAnswer(ctx, f.ann, f.thread.ID, second.ID); err != nil {
			t.Fatal(err)
		}
		// ann, the asker, does not see ben's held post.
		tp, err := f.s.ThreadPage(ctx, f.ann, f.thread.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]int64, len(tp.Posts))
		for i, p := range tp.Posts {
			ids[i] = p.ID
		}
		if want := []int64{f.opening.ID, second.ID, f.reply.ID}; !slices.Equal(ids, want) {
			t.Fatalf("page order %v, want %v", ids, want)
		}
		if tp.OpeningPostID != f.opening.ID {
			t.Fatalf("opening post %d, want %d", tp.OpeningPostID, f.opening.ID)
		}
	})
}

func TestEditScreensWhatItAdds(t *testing.T) {
	f := newEditFixture(t)
	queueLane := func(t *testing.T, postID int64) string {
		t.Helper()
		var it QueueItem
		if err := f.s.db.Where("target_type = ? AND target_id = ?", TargetPost, postID).First(&it).Error; err != nil {
			return ""
		}
		return it.Lane
	}

	t.Run("personal data must be confirmed and is held in an open group", func(t *testing.T) {
		in := PostEdit{Body: "Call me on +1 (555) 123-4567", Version: 1}
		_, err := f.s.EditPost(ctx, f.ben, f.reply.ID, in)
		var pd *PersonalDataError
		if !errors.As(err, &pd) || !slices.Equal(pd.Matches, []string{PDPhone}) {
			t.Fatalf("got %v, want a personal data question", err)
		}
		if got := f.post(t, f.reply.ID); got.Version != 1 || len(f.revisions(t, f.reply.ID)) != 0 {
			t.Fatalf("an unconfirmed edit was written: %+v", got)
		}
		in.ConfirmPersonalData = true
		pc, err := f.s.EditPost(ctx, f.ben, f.reply.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.post(t, f.reply.ID); got.Status != PostHeld || pc.Post.Status != PostHeld || len(pc.Post.Notices) != 1 || pc.Post.Notices[0].Kind != NoticeHeld {
			t.Fatalf("post after a confirmed edit: %+v notices %v", got, pc.Post.Notices)
		}
		if got, want := queueLane(t, f.reply.ID), LanePrivacy; got != want {
			t.Fatalf("queue lane %q, want %q", got, want)
		}
		// Editing again with the same number asks nothing more.
		if _, err := f.s.EditPost(ctx, f.ben, f.reply.ID, PostEdit{Body: "Call me on +1 (555) 123-4567 after six", Version: 2}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("crisis language is flagged and answered", func(t *testing.T) {
		pc, err := f.s.EditPost(ctx, f.ann, f.opening.ID, PostEdit{Body: "Honestly I want to end my life.", Version: 1})
		if err != nil {
			t.Fatal(err)
		}
		got := f.post(t, f.opening.ID)
		if !got.Crisis || got.Status != PostPublished || len(pc.Post.Notices) == 0 || pc.Post.Notices[0].Kind != NoticeCrisis {
			t.Fatalf("post after a crisis edit: %+v notices %v", got, pc.Post.Notices)
		}
		if got, want := queueLane(t, f.opening.ID), LaneCrisis; got != want {
			t.Fatalf("queue lane %q, want %q", got, want)
		}
	})
	t.Run("an ordinary edit flags nothing", func(t *testing.T) {
		_, p, err := f.s.CreateThread(ctx, f.ben, "t2d", ThreadInput{Title: "Snacks", Body: "What do you snack on?"})
		if err != nil {
			t.Fatal(err)
		}
		pc, err := f.s.EditPost(ctx, f.ben, p.ID, PostEdit{Body: "What do you snack on in the evening?", Version: 1})
		if err != nil {
			t.Fatal(err)
		}
		if pc.Post.Status != PostPublished || len(pc.Post.Notices) != 0 || queueLane(t, p.ID) != "" {
			t.Fatalf("ordinary edit: %+v", pc.Post)
		}
	})
}
