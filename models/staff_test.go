package models

import (
	"strconv"
	"strings"
	"testing"
)

// staffFixture is one user with memberships in two groups, and a moderator of each.
type staffFixture struct {
	s                 *Store
	admin, modA, modB *Viewer
	user, other       *Viewer
	inA, inB          *Membership
}

func newStaffFixture(t *testing.T) *staffFixture {
	t.Helper()
	s := NewTestStore(t)
	f := &staffFixture{s: s, admin: mustViewer(t, s, "admin", RoleAdmin), modA: mustViewer(t, s, "moda", RoleMember),
		modB: mustViewer(t, s, "modb", RoleMember), user: mustViewer(t, s, "user", RoleMember), other: mustViewer(t, s, "other", RoleMember)}
	mustGroup(t, s, f.admin, "a", VisibilityOpen)
	mustGroup(t, s, f.admin, "b", VisibilityOpen)
	for _, c := range []struct {
		v     *Viewer
		group string
	}{{f.modA, "a"}, {f.modB, "b"}} {
		m := mustJoin(t, s, c.v, c.group, MemberActive)
		s.db.Model(m).Update("role", MemberModerator)
	}
	f.inA = mustJoin(t, s, f.user, "a", MemberActive)
	f.inB = mustJoin(t, s, f.user, "b", MemberActive)
	mustJoin(t, s, f.other, "a", MemberActive)
	return f
}

func TestRevealNeedsAdminAndReason(t *testing.T) {
	f := newStaffFixture(t)
	s := f.s
	in := RevealInput{Group: "a", Pseudonym: f.inA.Pseudonym, Reason: "Safeguarding emergency: threats in group a"}
	for _, v := range []*Viewer{nil, f.modA, f.other} {
		_, err := s.Reveal(ctx, v, in)
		wantCode(t, err, ENOTFOUND)
	}
	_, err := s.Reveal(ctx, f.admin, RevealInput{Group: "a", Pseudonym: f.inA.Pseudonym, Reason: " "})
	wantField(t, err, "reason")
	_, err = s.Reveal(ctx, f.admin, RevealInput{Group: "a", Pseudonym: "NoSuchOne1", Reason: in.Reason})
	wantField(t, err, "pseudonym")
	var n int64
	s.db.Model(&AuditEntry{}).Where("action = ?", AuditReveal).Count(&n)
	if n != 0 {
		t.Fatalf("%d reveals audited before any succeeded", n)
	}

	res, err := s.Reveal(ctx, f.admin, in)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range res.Memberships {
		got[m.Group] = m.Pseudonym
	}
	if got["a"] != f.inA.Pseudonym || got["b"] != f.inB.Pseudonym || len(got) != 2 {
		t.Errorf("revealed %v, want a=%s b=%s", got, f.inA.Pseudonym, f.inB.Pseudonym)
	}
	var audits []AuditEntry
	s.db.Where("action = ?", AuditReveal).Find(&audits)
	if len(audits) != 1 || audits[0].Reason != in.Reason || audits[0].ActorID == nil || *audits[0].ActorID != f.admin.User.ID ||
		audits[0].TargetID != f.inA.ID {
		t.Fatalf("audit = %+v", audits)
	}
	// Each group's moderators see that a reveal happened, and nothing of its result.
	for _, c := range []struct {
		v     *Viewer
		group string
	}{{f.modA, "a"}, {f.modB, "b"}} {
		mp, err := s.Modlog(ctx, c.v, c.group, 1)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range mp.Entries {
			if e.Action != ModlogReveal {
				continue
			}
			found = true
			text := e.TargetLabel + e.Reason + e.ModeratorPseudonym
			for _, secret := range []string{f.inA.Pseudonym, f.inB.Pseudonym, in.Reason, `"a"`, `"b"`} {
				if strings.Contains(text, secret) {
					t.Errorf("modlog of %s shows %q: %+v", c.group, secret, e)
				}
			}
		}
		if !found {
			t.Errorf("the moderators of %s do not see the reveal", c.group)
		}
	}
	// Members do not see reveal entries at all.
	mp, err := s.Modlog(ctx, f.other, "a", 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range mp.Entries {
		if e.Action == ModlogReveal {
			t.Error("a member sees a reveal in the modlog")
		}
	}
}

func TestSanctionUserAcrossGroups(t *testing.T) {
	f := newStaffFixture(t)
	s := f.s
	in := SanctionInput{Group: "a", Pseudonym: f.inA.Pseudonym, Action: "suspend", Reason: "spam in many groups"}
	_, err := s.SanctionUser(ctx, f.modA, in)
	wantCode(t, err, ENOTFOUND)
	_, err = s.SanctionUser(ctx, f.admin, SanctionInput{Group: "a", Pseudonym: f.inA.Pseudonym, Action: "exile", Reason: "x"})
	wantField(t, err, "action")

	res, err := s.SanctionUser(ctx, f.admin, in)
	if err != nil {
		t.Fatal(err)
	}
	if res.AccountStatus != UserSuspended {
		t.Fatalf("status = %q", res.AccountStatus)
	}
	// Suspended: signs in, but cannot post in either group.
	v, err := s.ViewerByID(ctx, f.user.User.ID)
	if err != nil {
		t.Fatalf("a suspended user cannot sign in: %v", err)
	}
	for _, g := range []string{"a", "b"} {
		_, _, err := s.CreateThread(ctx, v, g, ThreadInput{Title: "Hello there", Body: "Still here"})
		wantCode(t, err, EFORBIDDEN)
	}
	// The memberships are untouched: moderators see nothing new.
	for _, m := range []*Membership{f.inA, f.inB} {
		var got Membership
		s.db.First(&got, m.ID)
		if got.Status != MemberActive {
			t.Errorf("membership in group %d became %q", m.GroupID, got.Status)
		}
	}
	for _, c := range []struct {
		v     *Viewer
		group string
	}{{f.modA, "a"}, {f.modB, "b"}} {
		mp, _ := s.Modlog(ctx, c.v, c.group, 1)
		if len(mp.Entries) != 0 {
			t.Errorf("modlog of %s shows %+v", c.group, mp.Entries)
		}
	}
	// Banned: cannot sign in at all. Reinstated: posts again.
	in.Action = "ban"
	if _, err := s.SanctionUser(ctx, f.admin, in); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ViewerByID(ctx, f.user.User.ID); err == nil {
		t.Error("a banned user signed in")
	}
	in.Action = "reinstate"
	if _, err := s.SanctionUser(ctx, f.admin, in); err != nil {
		t.Fatal(err)
	}
	v, _ = s.ViewerByID(ctx, f.user.User.ID)
	if _, _, err := s.CreateThread(ctx, v, "b", ThreadInput{Title: "Back again", Body: "Thanks"}); err != nil {
		t.Errorf("a reinstated user cannot post: %v", err)
	}
	var actions []string
	s.db.Model(&AuditEntry{}).Where("target_type = ? AND target_id = ?", "user", f.user.User.ID).Order("id").Pluck("action", &actions)
	if strings.Join(actions, ",") != "user.suspend,user.ban,user.reinstate" {
		t.Errorf("audited %v", actions)
	}
	// Staff cannot be sanctioned this way.
	am := mustJoin(t, s, f.admin, "b", MemberActive)
	_, err = s.SanctionUser(ctx, f.admin, SanctionInput{Group: "b", Pseudonym: am.Pseudonym, Action: "ban", Reason: "oops"})
	wantCode(t, err, EFORBIDDEN)
}

func TestAuditSearch(t *testing.T) {
	f := newStaffFixture(t)
	s := f.s
	if _, err := s.Reveal(ctx, f.admin, RevealInput{Group: "a", Pseudonym: f.inA.Pseudonym, Reason: "Ban evasion suspected here"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SanctionUser(ctx, f.admin, SanctionInput{Group: "a", Pseudonym: f.inA.Pseudonym, Action: "suspend", Reason: "evasion"}); err != nil {
		t.Fatal(err)
	}
	_, err := s.AuditSearch(ctx, f.modA, AuditFilter{})
	wantCode(t, err, ENOTFOUND)
	today := s.now().Format("2006-01-02")
	for _, c := range []struct {
		name string
		f    AuditFilter
		want int
	}{
		{"everything", AuditFilter{}, -1},
		{"action", AuditFilter{Action: AuditReveal}, 1},
		{"action prefix", AuditFilter{Action: "user."}, 1},
		{"target type and id", AuditFilter{Target: "membership:" + itoa(f.inA.ID)}, 1},
		{"actor", AuditFilter{Actor: itoa(f.admin.User.ID), Action: "user.suspend"}, 1},
		{"today", AuditFilter{From: today, To: today, Action: AuditReveal}, 1},
		{"before", AuditFilter{To: "2001-01-01"}, 0},
	} {
		p, err := s.AuditSearch(ctx, f.admin, c.f)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if c.want >= 0 && len(p.Entries) != c.want {
			t.Errorf("%s: %d entries, want %d: %+v", c.name, len(p.Entries), c.want, p.Entries)
		}
		if c.want < 0 && len(p.Entries) < 4 {
			t.Errorf("%s: only %d entries", c.name, len(p.Entries))
		}
	}
	_, err = s.AuditSearch(ctx, f.admin, AuditFilter{From: "yesterday"})
	wantField(t, err, "from")
	n := 0
	if err := s.AuditExport(ctx, f.admin, AuditFilter{Action: "user."}, func(es []AuditEntry) error { n += len(es); return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("exported %d entries, want 1", n)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
