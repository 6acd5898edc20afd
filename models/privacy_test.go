package models

import (
	"errors"
	"strings"
	"testing"
)

// privacyFixture is two groups where "alice" posts, reacts, follows, mutes and
// reports, and "bob" replies to her.
type privacyFixture struct {
	s                 *Store
	admin, alice, bob *Viewer
	thread            *Thread
	opening, reply    *Post // alice's opening post and bob's reply
	second            *Post // alice's post in the other group
	aliceA, aliceB    *Membership
}

func newPrivacyFixture(t *testing.T) *privacyFixture {
	t.Helper()
	s := NewTestStore(t)
	f := &privacyFixture{s: s, admin: mustViewer(t, s, "admin", RoleAdmin),
		alice: mustViewer(t, s, "alice", RoleMember), bob: mustViewer(t, s, "bob", RoleMember)}
	mustGroup(t, s, f.admin, "grief", VisibilityOpen)
	mustGroup(t, s, f.admin, "cancer", VisibilityOpen)
	f.aliceA = mustJoin(t, s, f.alice, "grief", MemberActive)
	f.aliceB = mustJoin(t, s, f.alice, "cancer", MemberActive)
	mustJoin(t, s, f.bob, "grief", MemberActive)
	var err error
	f.thread, f.opening, err = s.CreateThread(ctx, f.alice, "grief", ThreadInput{Title: "Losing my mother", Body: "Marigold memories of my mother"})
	if err != nil {
		t.Fatal(err)
	}
	if f.reply, err = s.CreatePost(ctx, f.bob, f.thread.ID, PostInput{Body: "Thinking of you"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EditPost(ctx, f.alice, f.opening.ID, PostEdit{Body: "Marigold memories of my mother, edited", Version: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ToggleReaction(ctx, f.alice, f.reply.ID, ReactionSupport); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MuteMember(ctx, f.alice, "grief", mustPseudonym(t, s, f.bob, "grief")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReportPost(ctx, f.alice, f.reply.ID, ReportInput{Reason: "spam", Note: "looks odd"}); err != nil {
		t.Fatal(err)
	}
	t2, p2, err := s.CreateThread(ctx, f.alice, "cancer", ThreadInput{Title: "Chemo tips", Body: "Ginger helps with nausea"})
	if err != nil {
		t.Fatal(err)
	}
	_ = t2
	f.second = p2
	return f
}

// mustPseudonym is v's pseudonym in the group.
func mustPseudonym(t *testing.T, s *Store, v *Viewer, slug string) string {
	t.Helper()
	a, err := s.GroupAccess(ctx, v, slug)
	if err != nil || a.Membership == nil {
		t.Fatalf("membership of %s: %v", slug, err)
	}
	return a.Membership.Pseudonym
}

func TestExportAccount(t *testing.T) {
	f := newPrivacyFixture(t)
	x, err := f.s.ExportAccount(ctx, f.alice)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(x.Memberships), 2; got != want {
		t.Fatalf("memberships = %d, want %d", got, want)
	}
	if got, want := len(x.Posts), 2; got != want {
		t.Fatalf("posts = %d, want %d", got, want)
	}
	if got, want := len(x.Posts[0].Revisions), 1; got != want {
		t.Fatalf("revisions of the edited post = %d, want %d", got, want)
	}
	if got, want := x.Posts[0].Pseudonym, f.aliceA.Pseudonym; got != want {
		t.Fatalf("post pseudonym = %q, want %q", got, want)
	}
	if got, want := len(x.Reactions), 1; got != want {
		t.Fatalf("reactions = %d, want %d", got, want)
	}
	if got := len(x.Follows); got < 2 {
		t.Fatalf("follows = %d, want the two threads alice started", got)
	}
	if got, want := len(x.Mutes), 1; got != want {
		t.Fatalf("mutes = %d, want %d", got, want)
	}
	if got, want := len(x.Reports), 1; got != want || x.Reports[0].Note != "looks odd" {
		t.Fatalf("reports = %+v, want alice's one report", x.Reports)
	}
	if got, want := len(x.Notifications), 1; got != want || x.Notifications[0].Notification.Kind != "reply" {
		t.Fatalf("notifications = %+v, want bob's reply", x.Notifications)
	}
	if len(x.Providers) != 1 || x.Providers[0].Provider != "local" {
		t.Fatalf("providers = %+v", x.Providers)
	}
	xb, err := f.s.ExportAccount(ctx, f.bob)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range xb.Posts {
		if p.Post.ID == f.opening.ID || p.Post.ID == f.second.ID {
			t.Fatal("bob's export holds alice's post")
		}
	}
	if _, err := f.s.ExportAccount(ctx, nil); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("visitor export: %v", err)
	}
}

func TestEraseAccountValidation(t *testing.T) {
	f := newPrivacyFixture(t)
	cases := []struct {
		name  string
		in    EraseInput
		field string
	}{
		{"no confirmation", EraseInput{Posts: "keep"}, "confirm"},
		{"lower case", EraseInput{Confirm: "delete", Posts: "keep"}, "confirm"},
		{"no choice", EraseInput{Confirm: "DELETE"}, "posts"},
		{"unknown choice", EraseInput{Confirm: "DELETE", Posts: "archive"}, "posts"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.s.EraseAccount(ctx, f.alice, tc.in)
			wantField(t, err, tc.field)
		})
	}
	if _, err := f.s.ViewerByID(ctx, f.alice.User.ID); err != nil {
		t.Fatalf("a refused erasure changed the account: %v", err)
	}
}

func TestEraseAccount(t *testing.T) {
	for _, choice := range []string{ErasePostsKeep, ErasePostsRemove} {
		t.Run(choice, func(t *testing.T) {
			f := newPrivacyFixture(t)
			s := f.s
			before, _ := s.GroupAccess(ctx, f.admin, "grief")
			res, err := s.EraseAccount(ctx, f.alice, EraseInput{Confirm: "DELETE", Posts: choice})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := res.Memberships, 2; got != want {
				t.Fatalf("memberships detached = %d, want %d", got, want)
			}
			// The session ends: the account can no longer be loaded.
			if _, err := s.ViewerByID(ctx, f.alice.User.ID); !errors.Is(err, ErrNotFound) {
				t.Fatalf("ViewerByID after erasure: %v, want not found", err)
			}
			var n int64
			s.db.Model(&Identity{}).Where("user_id = ?", f.alice.User.ID).Count(&n)
			if n != 0 {
				t.Fatalf("%d identity hashes left", n)
			}
			s.db.Model(&Membership{}).Where("user_id = ?", f.alice.User.ID).Count(&n)
			if n != 0 {
				t.Fatalf("%d memberships still linked to the account", n)
			}
			// The two memberships are detached from each other too.
			var ms []Membership
			s.db.Where("id IN ?", []int64{f.aliceA.ID, f.aliceB.ID}).Find(&ms)
			if len(ms) != 2 || ms[0].UserID == ms[1].UserID {
				t.Fatalf("erased memberships still share an account: %+v", ms)
			}
			for _, m := range ms {
				if m.Status != MemberErased || m.Pseudonym == f.aliceA.Pseudonym || m.Pseudonym == f.aliceB.Pseudonym {
					t.Fatalf("membership not erased: %+v", m)
				}
			}
			s.db.Model(&ThreadFollow{}).Where("membership_id IN ?", []int64{f.aliceA.ID, f.aliceB.ID}).Count(&n)
			if n != 0 {
				t.Fatalf("%d follows left", n)
			}
			s.db.Model(&MemberMute{}).Where("muter_membership_id = ?", f.aliceA.ID).Count(&n)
			if n != 0 {
				t.Fatalf("%d mutes left", n)
			}
			after, _ := s.GroupAccess(ctx, f.admin, "grief")
			if got, want := after.Group.MemberCount, before.Group.MemberCount-1; got != want {
				t.Fatalf("member_count = %d, want %d", got, want)
			}
			// Audited.
			var audits []AuditEntry
			s.db.Where("action = ? AND target_id = ?", "account.erase", f.alice.User.ID).Find(&audits)
			if len(audits) != 1 || !strings.Contains(audits[0].Reason, "posts: "+choice) {
				t.Fatalf("audit = %+v", audits)
			}

			// What readers see.
			tp, err := s.ThreadPage(ctx, f.bob, f.thread.ID, 1)
			if err != nil {
				t.Fatal(err)
			}
			op := tp.Posts[0]
			if op.MembershipID != nil {
				t.Fatal("the opening post still points at a membership")
			}
			hits, err := s.Search(ctx, f.bob, SearchQuery{Text: "marigold"})
			if err != nil {
				t.Fatal(err)
			}
			var revs int64
			s.db.Model(&PostRevision{}).Where("post_id = ?", f.opening.ID).Count(&revs)
			switch choice {
			case ErasePostsKeep:
				if op.Status != PostPublished || !strings.Contains(op.BodyHTML, "Marigold") {
					t.Fatalf("kept post = %q %q", op.Status, op.BodyHTML)
				}
				if len(hits.Hits) != 1 {
					t.Fatalf("search finds %d kept posts, want 1", len(hits.Hits))
				}
				if tp.Thread.Title != "Losing my mother" {
					t.Fatalf("kept thread title = %q", tp.Thread.Title)
				}
			case ErasePostsRemove:
				if op.Status != PostDeleted || op.Body != "" || op.BodyHTML != "" || op.StatusReason != reasonErased {
					t.Fatalf("removed post = %+v", op)
				}
				if len(hits.Hits) != 0 {
					t.Fatalf("search finds %d removed posts", len(hits.Hits))
				}
				if revs != 0 {
					t.Fatalf("%d revisions of a removed post left", revs)
				}
				if tp.Thread.Title != erasedTitle {
					t.Fatalf("thread title = %q, want %q", tp.Thread.Title, erasedTitle)
				}
				if tp.Posts[1].Status != PostPublished {
					t.Fatal("bob's reply went with alice's posts")
				}
			}
			// A second erasure, with a stale session, finds nothing.
			if _, err := s.EraseAccount(ctx, f.alice, EraseInput{Confirm: "DELETE", Posts: choice}); !errors.Is(err, ErrNotFound) {
				t.Fatalf("second erasure: %v, want not found", err)
			}
			// Signing in again with the same identity makes a new, empty account.
			u, err := s.SignIn(ctx, "local", "alice")
			if err != nil || u.ID == f.alice.User.ID {
				t.Fatalf("sign in again: %v, id %d (old %d)", err, u.ID, f.alice.User.ID)
			}
		})
	}
}

func TestMemorialise(t *testing.T) {
	f := newPrivacyFixture(t)
	s := f.s
	in := MemorialInput{Group: "grief", Pseudonym: f.aliceA.Pseudonym, Reason: "her son wrote to us"}
	cases := []struct {
		name string
		v    *Viewer
		in   MemorialInput
		want func(*testing.T, error)
	}{
		{"member", f.bob, in, func(t *testing.T, err error) { wantCode(t, err, ENOTFOUND) }},
		{"visitor", nil, in, func(t *testing.T, err error) { wantCode(t, err, ENOTFOUND) }},
		{"no reason", f.admin, MemorialInput{Group: "grief", Pseudonym: f.aliceA.Pseudonym}, func(t *testing.T, err error) { wantField(t, err, "reason") }},
		{"unknown pseudonym", f.admin, MemorialInput{Group: "grief", Pseudonym: "NoSuchOne1", Reason: "x"}, func(t *testing.T, err error) { wantField(t, err, "pseudonym") }},
		{"pseudonym of another group", f.admin, MemorialInput{Group: "cancer", Pseudonym: f.aliceA.Pseudonym, Reason: "x"}, func(t *testing.T, err error) { wantField(t, err, "pseudonym") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Memorialise(ctx, tc.v, tc.in)
			tc.want(t, err)
		})
	}
	res, err := s.Memorialise(ctx, f.admin, in)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Memorial || res.Memberships != 2 {
		t.Fatalf("result = %+v", res)
	}
	if _, err := s.Memorialise(ctx, f.admin, in); !errors.Is(err, ErrConflict) {
		t.Fatalf("twice: %v, want conflict", err)
	}
	v, err := s.ViewerByID(ctx, f.alice.User.ID)
	if err != nil {
		t.Fatalf("a memorialised account can still be opened read-only: %v", err)
	}
	// Read-only: nothing can be written from it.
	if _, err := s.CreatePost(ctx, v, f.thread.ID, PostInput{Body: "hello"}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("post: %v, want forbidden", err)
	}
	if _, err := s.ToggleReaction(ctx, v, f.reply.ID, ReactionHelpful); !errors.Is(err, ErrForbidden) {
		t.Fatalf("react: %v, want forbidden", err)
	}
	if _, err := s.EditPost(ctx, v, f.opening.ID, PostEdit{Body: "changed", Version: 2}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("edit: %v, want forbidden", err)
	}
	if _, err := s.EraseAccount(ctx, v, EraseInput{Confirm: "DELETE", Posts: "keep"}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("erase: %v, want forbidden", err)
	}
	// Every membership carries the marker; the posts stay.
	var ms []Membership
	s.db.Where("user_id = ?", f.alice.User.ID).Find(&ms)
	for _, m := range ms {
		if !m.Memorial {
			t.Fatalf("membership %s not marked", m.Pseudonym)
		}
	}
	var audits int64
	s.db.Model(&AuditEntry{}).Where("action = ? AND target_id = ?", "account.memorialise", f.alice.User.ID).Count(&audits)
	if audits != 1 {
		t.Fatalf("audit entries = %d, want 1", audits)
	}
	// Undo.
	in.Undo = true
	if _, err := s.Memorialise(ctx, f.admin, in); err != nil {
		t.Fatal(err)
	}
	v, _ = s.ViewerByID(ctx, f.alice.User.ID)
	if !v.User.Active() {
		t.Fatal("undo left the account read-only")
	}
	if _, err := s.CreatePost(ctx, v, f.thread.ID, PostInput{Body: "I am still here"}); err != nil {
		t.Fatalf("post after undo: %v", err)
	}
}

func TestEraseClinicianAccount(t *testing.T) {
	f := newPrivacyFixture(t)
	s := f.s
	doc := mustViewer(t, s, "dr-rivera", RoleClinician)
	mustJoin(t, s, doc, "grief", MemberActive)
	p, err := s.CreatePost(ctx, doc, f.thread.ID, PostInput{Body: "Grief comes in waves", AsClinician: true})
	if err != nil {
		t.Fatal(err)
	}
	th, _, err := s.CreateThread(ctx, doc, "grief", ThreadInput{Title: "Ask a clinician", Body: "Questions welcome", AsClinician: true})
	if err != nil {
		t.Fatal(err)
	}
	x, err := s.ExportAccount(ctx, doc)
	if err != nil {
		t.Fatal(err)
	}
	if x.Clinician == nil || x.Clinician.DisplayName != "Dr. Rivera" || len(x.Posts) != 2 {
		t.Fatalf("export: clinician %+v, %d posts", x.Clinician, len(x.Posts))
	}
	if _, err := s.EraseAccount(ctx, doc, EraseInput{Confirm: "DELETE", Posts: ErasePostsKeep}); err != nil {
		t.Fatal(err)
	}
	var n int64
	s.db.Model(&Clinician{}).Where("user_id = ?", doc.User.ID).Count(&n)
	if n != 0 {
		t.Fatal("the credential (a real name) is still stored")
	}
	var kept Post
	s.db.First(&kept, p.ID)
	if kept.ClinicianID != nil || kept.MembershipID != nil || kept.Status != PostPublished {
		t.Fatalf("kept clinician post = %+v", kept)
	}
	var t2 Thread
	s.db.First(&t2, th.ID)
	if t2.ClinicianID != nil {
		t.Fatal("the thread still names the credential")
	}
}
