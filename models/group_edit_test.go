package models

import (
	"errors"
	"strings"
	"testing"
)

// groupWithRules creates a group with Markdown rules as admin.
func groupWithRules(t *testing.T, s *Store, admin *Viewer, slug, visibility string) *Group {
	t.Helper()
	g, err := s.CreateGroup(ctx, admin, GroupInput{Slug: slug, Name: "Group " + slug, Visibility: visibility,
		Rules: "1. Be **kind**.\n2. No medical advice."})
	if err != nil {
		t.Fatalf("create group %s: %v", slug, err)
	}
	return g
}

// makeModerator joins v to an open or professional group and makes them its moderator.
func makeModerator(t *testing.T, s *Store, admin, v *Viewer, slug string) *Membership {
	t.Helper()
	m, err := s.JoinGroup(ctx, v, slug, JoinInput{AcceptRules: true})
	if err != nil {
		t.Fatalf("join %s: %v", slug, err)
	}
	if _, err := s.SetModerator(ctx, admin, slug, m.Pseudonym, MemberModerator); err != nil {
		t.Fatalf("make moderator: %v", err)
	}
	return m
}

// wantAudit fails unless the newest audit entries include action.
func wantAudit(t *testing.T, s *Store, admin *Viewer, action string) {
	t.Helper()
	es, err := s.AuditLog(ctx, admin, 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.Action == action {
			return
		}
	}
	t.Fatalf("no audit entry %q", action)
}

func editStr(s string) *string { return &s }

func TestCreateGroupRendersRules(t *testing.T) {
	s := NewTestStore(t)
	admin := mustViewer(t, s, "admin", RoleAdmin)
	g := groupWithRules(t, s, admin, "pain", VisibilityOpen)
	if !strings.Contains(g.RulesHTML, "<strong>kind</strong>") || !strings.Contains(g.RulesHTML, "<ol>") {
		t.Fatalf("rules html %q", g.RulesHTML)
	}
	// A group inserted directly (as the demo seed does) gets its rules rendered too.
	direct := Group{Slug: "direct", Name: "Direct", Rules: "Be *gentle*", LastActivityAt: s.now(), CreatedAt: s.now()}
	if err := s.db.Create(&direct).Error; err != nil {
		t.Fatal(err)
	}
	var back Group
	if err := s.db.First(&back, direct.ID).Error; err != nil {
		t.Fatal(err)
	}
	if got, want := back.RulesHTML, "<p>Be <em>gentle</em></p>\n"; got != want {
		t.Fatalf("direct insert rules html %q, want %q", got, want)
	}
	// Groups stored before rules were rendered are filled at migration.
	if err := s.db.Model(&Group{}).Where("id = ?", direct.ID).UpdateColumn("rules_html", "").Error; err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(); err != nil {
		t.Fatal(err)
	}
	if err := s.db.First(&back, direct.ID).Error; err != nil {
		t.Fatal(err)
	}
	if back.RulesHTML == "" {
		t.Fatal("migration left rules unrendered")
	}
}

func TestEditGroupPermissions(t *testing.T) {
	s := NewTestStore(t)
	admin := mustViewer(t, s, "admin", RoleAdmin)
	mod := mustViewer(t, s, "mod", RoleMember)
	member := mustViewer(t, s, "member", RoleMember)
	outsider := mustViewer(t, s, "outsider", RoleMember)
	mustGroup(t, s, admin, "pain", VisibilityOpen)
	mustGroup(t, s, admin, "hidden", VisibilitySecret)
	makeModerator(t, s, admin, mod, "pain")
	mustJoin(t, s, member, "pain", MemberActive)

	t.Run("admin edits every field", func(t *testing.T) {
		prem := 3
		g, err := s.EditGroup(ctx, admin, "pain", GroupEdit{Name: editStr("  Chronic pain "), Description: editStr("For pain"),
			Rules: editStr("Be **kind**"), Visibility: editStr(VisibilityClosed), PremoderateFirstPosts: &prem})
		if err != nil {
			t.Fatal(err)
		}
		if g.Slug != "pain" || g.Name != "Chronic pain" || g.Description != "For pain" || g.Visibility != VisibilityClosed ||
			g.PremoderateFirstPosts != 3 || g.RulesHTML != "<p>Be <strong>kind</strong></p>\n" {
			t.Fatalf("edited group %+v", g)
		}
		a, err := s.GroupAccess(ctx, admin, "pain")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := a.Group.RulesHTML, g.RulesHTML; got != want {
			t.Fatalf("stored rules html %q, want %q", got, want)
		}
		wantAudit(t, s, admin, "group.edit")
	})
	t.Run("moderator edits description and rules", func(t *testing.T) {
		g, err := s.EditGroup(ctx, mod, "pain", GroupEdit{Description: editStr("Moderated"), Rules: editStr("")})
		if err != nil {
			t.Fatal(err)
		}
		if g.Description != "Moderated" || g.Rules != "" || g.RulesHTML != "" || g.Name != "Chronic pain" {
			t.Fatalf("edited group %+v", g)
		}
		// Sending the other fields unchanged is fine.
		if _, err := s.EditGroup(ctx, mod, "pain", GroupEdit{Name: editStr("Chronic pain"), Description: editStr("Again")}); err != nil {
			t.Fatal(err)
		}
	})
	for _, c := range []struct {
		name string
		in   GroupEdit
	}{
		{"name", GroupEdit{Name: editStr("Renamed")}},
		{"visibility", GroupEdit{Visibility: editStr(VisibilityOpen)}},
		{"premoderation", GroupEdit{PremoderateFirstPosts: new(int)}},
	} {
		t.Run("moderator may not change "+c.name, func(t *testing.T) {
			_, err := s.EditGroup(ctx, mod, "pain", c.in)
			wantCode(t, err, EFORBIDDEN)
		})
	}
	t.Run("member is forbidden", func(t *testing.T) {
		_, err := s.EditGroup(ctx, member, "pain", GroupEdit{Description: editStr("mine now")})
		if !errors.Is(err, ErrForbidden) {
			t.Fatalf("got %v, want forbidden", err)
		}
		_, err = s.GroupForEdit(ctx, member, "pain")
		if !errors.Is(err, ErrForbidden) {
			t.Fatalf("form: got %v, want forbidden", err)
		}
	})
	t.Run("outsider of a secret group finds nothing", func(t *testing.T) {
		_, err := s.EditGroup(ctx, outsider, "hidden", GroupEdit{Description: editStr("x")})
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("got %v, want not found", err)
		}
	})
	t.Run("visitor", func(t *testing.T) {
		_, err := s.EditGroup(ctx, nil, "pain", GroupEdit{Description: editStr("x")})
		wantCode(t, err, EUNAUTHORIZED)
	})
	t.Run("slug stays", func(t *testing.T) {
		_, err := s.EditGroup(ctx, admin, "pain", GroupEdit{Slug: editStr("other")})
		wantField(t, err, "slug")
	})
	t.Run("fields are validated", func(t *testing.T) {
		prem := 101
		_, err := s.EditGroup(ctx, admin, "pain", GroupEdit{Name: editStr(" "), Visibility: editStr("public"), PremoderateFirstPosts: &prem,
			Rules: editStr(strings.Repeat("r", 10001))})
		for _, f := range []string{"name", "visibility", "premoderate_first_posts", "rules"} {
			wantField(t, err, f)
		}
		_, err = s.EditGroup(ctx, mod, "pain", GroupEdit{Description: editStr(strings.Repeat("d", 2001))})
		wantField(t, err, "description")
	})
}

func TestJoinNeedsRulesAccepted(t *testing.T) {
	s := NewTestStore(t)
	admin := mustViewer(t, s, "admin", RoleAdmin)
	ann := mustViewer(t, s, "ann", RoleMember)
	groupWithRules(t, s, admin, "pain", VisibilityOpen)
	mustGroup(t, s, admin, "plain", VisibilityOpen)

	_, err := s.Join(ctx, ann, "pain")
	wantField(t, err, "accept_rules")
	var ve *ValidationError
	errors.As(err, &ve)
	if got, want := ve.Fields["accept_rules"], "Please read and accept the group's rules"; got != want {
		t.Fatalf("message %q, want %q", got, want)
	}
	m, err := s.JoinGroup(ctx, ann, "pain", JoinInput{AcceptRules: true})
	if err != nil || m.Status != MemberActive {
		t.Fatalf("join accepting the rules: %v %+v", err, m)
	}
	// A group without rules needs no acceptance.
	mustJoin(t, s, ann, "plain", MemberActive)

	// Rejoining after leaving asks again.
	if err := s.Leave(ctx, ann, "pain"); err != nil {
		t.Fatal(err)
	}
	_, err = s.Join(ctx, ann, "pain")
	wantField(t, err, "accept_rules")
	back, err := s.JoinGroup(ctx, ann, "pain", JoinInput{AcceptRules: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := back.Pseudonym, m.Pseudonym; got != want {
		t.Fatalf("rejoined as %q, want %q", got, want)
	}
	a, _ := s.GroupAccess(ctx, ann, "pain")
	if got, want := a.Group.MemberCount, 1; got != want {
		t.Fatalf("member count %d, want %d", got, want)
	}
}

func TestJoinRequestsApproveDeny(t *testing.T) {
	s := NewTestStore(t)
	admin := mustViewer(t, s, "admin", RoleAdmin)
	mod := mustViewer(t, s, "mod", RoleMember)
	ann := mustViewer(t, s, "ann", RoleMember)
	ben := mustViewer(t, s, "ben", RoleMember)
	member := mustViewer(t, s, "member", RoleMember)
	mustGroup(t, s, admin, "carers", VisibilityClosed)
	// Closed-group members come in through a request the admin approves.
	for _, v := range []*Viewer{mod, member} {
		m := mustJoin(t, s, v, "carers", MemberPending)
		if _, err := s.ApproveJoin(ctx, admin, "carers", m.Pseudonym); err != nil {
			t.Fatal(err)
		}
	}
	mm, _ := s.GroupAccess(ctx, mod, "carers")
	if _, err := s.SetModerator(ctx, admin, "carers", mm.Membership.Pseudonym, MemberModerator); err != nil {
		t.Fatal(err)
	}
	pa := mustJoin(t, s, ann, "carers", MemberPending)
	pb := mustJoin(t, s, ben, "carers", MemberPending)

	_, reqs, err := s.JoinRequests(ctx, mod, "carers")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(reqs), 2; got != want {
		t.Fatalf("%d requests, want %d", got, want)
	}
	if reqs[0].Pseudonym != pa.Pseudonym || reqs[1].Pseudonym != pb.Pseudonym {
		t.Fatalf("requests %+v", reqs)
	}
	if r := reqs[0].RequestedAt; !r.Equal(r.Truncate(24 * 3600e9)) {
		t.Fatalf("requested_at %v is not rounded to the day", r)
	}
	if _, _, err := s.JoinRequests(ctx, member, "carers"); !errors.Is(err, ErrForbidden) {
		t.Fatalf("member lists requests: %v", err)
	}
	if _, err := s.ApproveJoin(ctx, member, "carers", pa.Pseudonym); !errors.Is(err, ErrForbidden) {
		t.Fatalf("member approves: %v", err)
	}
	if _, err := s.ApproveJoin(ctx, ann, "carers", pb.Pseudonym); !errors.Is(err, ErrForbidden) {
		t.Fatalf("requester approves another: %v", err)
	}

	count := func() int {
		a, err := s.GroupAccess(ctx, admin, "carers")
		if err != nil {
			t.Fatal(err)
		}
		return a.Group.MemberCount
	}
	before := count()
	m, err := s.ApproveJoin(ctx, mod, "carers", pa.Pseudonym)
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != MemberActive || count() != before+1 {
		t.Fatalf("approved %+v, count %d (was %d)", m, count(), before)
	}
	var n int64
	s.db.Model(&Notification{}).Where("membership_id = ? AND kind = ?", m.ID, NotifyJoinApproved).Count(&n)
	if n != 1 {
		t.Fatalf("%d join_approved notifications, want 1", n)
	}
	wantAudit(t, s, admin, "membership.approve")
	_, err = s.ApproveJoin(ctx, mod, "carers", pa.Pseudonym)
	wantCode(t, err, ECONFLICT)
	if _, err := s.ApproveJoin(ctx, mod, "carers", "NoSuchPerson99"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown pseudonym: %v", err)
	}

	d, err := s.DenyJoin(ctx, mod, "carers", pb.Pseudonym)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != MemberDenied || count() != before+1 {
		t.Fatalf("denied %+v, count %d", d, count())
	}
	wantAudit(t, s, admin, "membership.deny")
	a, err := s.GroupAccess(ctx, ben, "carers")
	if err != nil {
		t.Fatal(err)
	}
	if a.CanRead || !a.CanJoin {
		t.Fatalf("denied requester: can read %v, can join %v", a.CanRead, a.CanJoin)
	}
	// Asking again is allowed, under the same pseudonym.
	again := mustJoin(t, s, ben, "carers", MemberPending)
	if again.Pseudonym != pb.Pseudonym {
		t.Fatalf("asked again as %q, want %q", again.Pseudonym, pb.Pseudonym)
	}
	_, reqs, _ = s.JoinRequests(ctx, admin, "carers")
	if len(reqs) != 1 || reqs[0].Pseudonym != pb.Pseudonym {
		t.Fatalf("requests after asking again %+v", reqs)
	}
}

func TestAdminGroups(t *testing.T) {
	s := NewTestStore(t)
	admin := mustViewer(t, s, "admin", RoleAdmin)
	ann := mustViewer(t, s, "ann", RoleMember)
	mustGroup(t, s, admin, "zeta", VisibilitySecret)
	mustGroup(t, s, admin, "alpha", VisibilityClosed)
	mustJoin(t, s, ann, "alpha", MemberPending)
	gs, err := s.AdminGroups(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != 2 || gs[0].Group.Slug != "alpha" || gs[0].Pending != 1 || gs[1].Pending != 0 {
		t.Fatalf("admin groups %+v", gs)
	}
	if _, err := s.AdminGroups(ctx, ann); !errors.Is(err, ErrNotFound) {
		t.Fatalf("member: %v", err)
	}
}
