package models

import (
	"errors"
	"testing"
)

// TestVisibilityMatrix checks, for every role and visibility, who sees a group, who
// reads its threads, and that what is hidden is not-found rather than forbidden.
func TestVisibilityMatrix(t *testing.T) {
	s := NewTestStore(t)
	admin := mustViewer(t, s, "admin", RoleAdmin)
	member := mustViewer(t, s, "member", RoleMember)     // joins every group it can
	outsider := mustViewer(t, s, "outsider", RoleMember) // joins nothing
	clinician := mustViewer(t, s, "doc", RoleClinician)
	var visitor *Viewer

	for _, vis := range []string{VisibilityOpen, VisibilityClosed, VisibilitySecret, VisibilityProfessional} {
		mustGroup(t, s, admin, vis, vis)
		author := mustJoin(t, s, admin, vis, MemberActive)
		_ = author
		if _, _, err := s.CreateThread(ctx, admin, vis, ThreadInput{Title: "Welcome to " + vis, Body: "Hello"}); err != nil {
			t.Fatalf("thread in %s: %v", vis, err)
		}
	}
	// The member joins the open group and is let into the closed and secret ones.
	mustJoin(t, s, member, VisibilityOpen, MemberActive)
	mustJoin(t, s, member, VisibilityClosed, MemberPending)
	for _, slug := range []string{VisibilityClosed, VisibilitySecret} {
		g, _ := s.GroupAccess(ctx, admin, slug)
		if _, err := s.createMembership(ctx, s.db, member.User.ID, g.Group.ID, MemberRegular, MemberActive); err != nil && slug == VisibilitySecret {
			t.Fatal(err)
		}
		s.db.Model(&Membership{}).Where("user_id = ? AND group_id = ?", member.User.ID, g.Group.ID).Update("status", MemberActive)
	}

	type want struct{ see, read bool }
	cases := []struct {
		who    string
		v      *Viewer
		expect map[string]want
	}{
		{"visitor", visitor, map[string]want{"open": {true, true}, "closed": {true, false}, "secret": {false, false}, "professional": {false, false}}},
		{"outsider", outsider, map[string]want{"open": {true, true}, "closed": {true, false}, "secret": {false, false}, "professional": {false, false}}},
		{"member", member, map[string]want{"open": {true, true}, "closed": {true, true}, "secret": {true, true}, "professional": {false, false}}},
		{"clinician", clinician, map[string]want{"open": {true, true}, "closed": {true, false}, "secret": {false, false}, "professional": {true, true}}},
		{"admin", admin, map[string]want{"open": {true, true}, "closed": {true, true}, "secret": {true, true}, "professional": {true, true}}},
	}
	for _, tc := range cases {
		for slug, w := range tc.expect {
			t.Run(tc.who+"/"+slug, func(t *testing.T) {
				a, err := s.GroupAccess(ctx, tc.v, slug)
				if !w.see {
					if !errors.Is(err, ErrNotFound) {
						t.Fatalf("GroupAccess: %v, want not found", err)
					}
					listed, _ := s.ListGroups(ctx, tc.v)
					for _, l := range listed {
						if l.Group.Slug == slug {
							t.Fatal("hidden group is listed")
						}
					}
				} else if err != nil {
					t.Fatalf("GroupAccess: %v", err)
				} else if a.CanRead != w.read {
					t.Fatalf("CanRead = %v, want %v", a.CanRead, w.read)
				}
				gp, err := s.GroupPage(ctx, tc.v, slug, 1)
				switch {
				case !w.see && !errors.Is(err, ErrNotFound):
					t.Fatalf("GroupPage: %v, want not found", err)
				case w.see && err != nil:
					t.Fatalf("GroupPage: %v", err)
				case w.see && (len(gp.Threads) > 0) != w.read:
					t.Fatalf("GroupPage shows %d threads; read=%v", len(gp.Threads), w.read)
				}
				// Thread ids follow group creation order: open=1, closed=2, secret=3, professional=4.
				id := map[string]int64{"open": 1, "closed": 2, "secret": 3, "professional": 4}[slug]
				_, err = s.ThreadPage(ctx, tc.v, id, 1)
				if w.read && err != nil {
					t.Fatalf("ThreadPage: %v", err)
				}
				if !w.read && !errors.Is(err, ErrNotFound) {
					t.Fatalf("ThreadPage: %v, want not found", err)
				}
			})
		}
	}
}

func TestSecretGroupCannotBeJoinedByName(t *testing.T) {
	s := NewTestStore(t)
	admin := mustViewer(t, s, "admin", RoleAdmin)
	eve := mustViewer(t, s, "eve", RoleMember)
	mustGroup(t, s, admin, "hidden", VisibilitySecret)
	if _, err := s.Join(ctx, eve, "hidden"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("join secret group: %v, want not found", err)
	}
}

func TestProfessionalGroupForVerifiedClinicians(t *testing.T) {
	s := NewTestStore(t)
	admin := mustViewer(t, s, "admin", RoleAdmin)
	doc := mustViewer(t, s, "doc", RoleClinician)
	pat := mustViewer(t, s, "pat", RoleMember)
	mustGroup(t, s, admin, "lounge", VisibilityProfessional)
	mustJoin(t, s, doc, "lounge", MemberActive)
	if _, err := s.Join(ctx, pat, "lounge"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("member joins professional group: %v, want not found", err)
	}
}
