package models

import (
	"regexp"
	"testing"
	"time"
)

func TestNewPseudonym(t *testing.T) {
	pattern := regexp.MustCompile(`^[A-Z][a-z]+[A-Z][a-z]+[1-9][0-9]$`)
	seen := map[string]bool{}
	for range 2000 {
		p := NewPseudonym()
		if !pattern.MatchString(p) {
			t.Fatalf("pseudonym %q is not two words and a number", p)
		}
		seen[p] = true
	}
	if len(seen) < 1900 {
		t.Fatalf("only %d distinct pseudonyms in 2000 draws", len(seen))
	}
}

func TestJoinGivesFreshPseudonymPerGroup(t *testing.T) {
	s := NewTestStore(t)
	admin := mustViewer(t, s, "admin", RoleAdmin)
	alice := mustViewer(t, s, "alice", RoleMember)
	mustGroup(t, s, admin, "diabetes", VisibilityOpen)
	mustGroup(t, s, admin, "long-covid", VisibilityOpen)

	m1 := mustJoin(t, s, alice, "diabetes", MemberActive)
	m2 := mustJoin(t, s, alice, "long-covid", MemberActive)
	if m1.Pseudonym == m2.Pseudonym {
		t.Fatalf("same pseudonym %q in two groups", m1.Pseudonym)
	}
	// Joining again is idempotent.
	again := mustJoin(t, s, alice, "diabetes", MemberActive)
	if got, want := again.Pseudonym, m1.Pseudonym; got != want {
		t.Fatalf("second join: pseudonym %q, want %q", got, want)
	}
	a, err := s.GroupAccess(ctx, alice, "diabetes")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := a.Group.MemberCount, 1; got != want {
		t.Fatalf("member count %d, want %d", got, want)
	}
}

func TestPseudonymsUniqueWithinGroup(t *testing.T) {
	s := NewTestStore(t)
	admin := mustViewer(t, s, "admin", RoleAdmin)
	mustGroup(t, s, admin, "g", VisibilityOpen)
	seen := map[string]bool{}
	for i := range 60 {
		v := mustViewer(t, s, "user"+string(rune('a'+i%26))+string(rune('a'+i/26)), RoleMember)
		m := mustJoin(t, s, v, "g", MemberActive)
		if seen[m.Pseudonym] {
			t.Fatalf("pseudonym %q given twice in one group", m.Pseudonym)
		}
		seen[m.Pseudonym] = true
	}
	// The database enforces it too.
	err := s.db.Create(&Membership{UserID: admin.User.ID, GroupID: 1, Pseudonym: firstKey(seen),
		Role: MemberRegular, Status: MemberActive, PseudonymChangedAt: s.now(), CreatedAt: s.now()}).Error
	if err == nil {
		t.Fatal("a duplicate pseudonym was stored")
	}
}

func firstKey(m map[string]bool) string {
	for k := range m {
		return k
	}
	return ""
}

func TestLeaveAndRejoinKeepsPseudonym(t *testing.T) {
	s := NewTestStore(t)
	admin := mustViewer(t, s, "admin", RoleAdmin)
	bob := mustViewer(t, s, "bob", RoleMember)
	mustGroup(t, s, admin, "pain", VisibilityOpen)
	m := mustJoin(t, s, bob, "pain", MemberActive)
	if err := s.Leave(ctx, bob, "pain"); err != nil {
		t.Fatal(err)
	}
	if err := s.Leave(ctx, bob, "pain"); err == nil {
		t.Fatal("leaving twice succeeded")
	}
	back := mustJoin(t, s, bob, "pain", MemberActive)
	if got, want := back.Pseudonym, m.Pseudonym; got != want {
		t.Fatalf("rejoined as %q, want the old pseudonym %q", got, want)
	}
	a, _ := s.GroupAccess(ctx, bob, "pain")
	if got, want := a.Group.MemberCount, 1; got != want {
		t.Fatalf("member count after leave and rejoin: %d, want %d", got, want)
	}
}

func TestClosedGroupJoinIsARequest(t *testing.T) {
	s := NewTestStore(t)
	admin := mustViewer(t, s, "admin", RoleAdmin)
	carol := mustViewer(t, s, "carol", RoleMember)
	mustGroup(t, s, admin, "carers", VisibilityClosed)
	mustJoin(t, s, carol, "carers", MemberPending)
	a, err := s.GroupAccess(ctx, carol, "carers")
	if err != nil {
		t.Fatal(err)
	}
	if a.CanRead || a.CanPost {
		t.Fatalf("a pending member can read=%v post=%v", a.CanRead, a.CanPost)
	}
	if _, _, err := s.CreateThread(ctx, carol, "carers", ThreadInput{Title: "Hello all", Body: "Hi"}); err == nil {
		t.Fatal("a pending member opened a thread")
	}
}

func TestRegeneratePseudonymOncePerDay(t *testing.T) {
	s := NewTestStore(t)
	admin := mustViewer(t, s, "admin", RoleAdmin)
	dana := mustViewer(t, s, "dana", RoleMember)
	mustGroup(t, s, admin, "anxiety", VisibilityOpen)
	old := mustJoin(t, s, dana, "anxiety", MemberActive)
	now := time.Now().UTC()
	s.SetClock(func() time.Time { return now })
	m, err := s.RegeneratePseudonym(ctx, dana, "anxiety")
	if err != nil {
		t.Fatal(err)
	}
	if m.Pseudonym == old.Pseudonym {
		t.Fatal("the pseudonym did not change")
	}
	s.SetClock(func() time.Time { return now.Add(time.Hour) })
	_, err = s.RegeneratePseudonym(ctx, dana, "anxiety")
	wantCode(t, err, ERATELIMITED)
	s.SetClock(func() time.Time { return now.Add(25 * time.Hour) })
	if _, err := s.RegeneratePseudonym(ctx, dana, "anxiety"); err != nil {
		t.Fatalf("a day later: %v", err)
	}
}

func TestSetModerator(t *testing.T) {
	s := NewTestStore(t)
	admin := mustViewer(t, s, "admin", RoleAdmin)
	eve := mustViewer(t, s, "eve", RoleMember)
	finn := mustViewer(t, s, "finn", RoleMember)
	mustGroup(t, s, admin, "copd", VisibilityOpen)
	me := mustJoin(t, s, eve, "copd", MemberActive)
	mustJoin(t, s, finn, "copd", MemberActive)

	_, err := s.SetModerator(ctx, finn, "copd", me.Pseudonym, MemberModerator)
	wantCode(t, err, EFORBIDDEN)
	m, err := s.SetModerator(ctx, admin, "copd", me.Pseudonym, MemberModerator)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.Role, MemberModerator; got != want {
		t.Fatalf("role %q, want %q", got, want)
	}
	_, err = s.SetModerator(ctx, admin, "copd", "NoSuchPerson10", MemberModerator)
	wantField(t, err, "pseudonym")
	_, err = s.SetModerator(ctx, admin, "copd", me.Pseudonym, "king")
	wantField(t, err, "role")
	log, err := s.AuditLog(ctx, admin, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) == 0 || log[0].Action != "membership.role.moderator" {
		t.Fatalf("audit log %+v lacks the appointment", log)
	}
}

func TestSignInMatchesByProviderAndSubject(t *testing.T) {
	s := NewTestStore(t)
	a, err := s.SignIn(ctx, "oidc", "subject-1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.SignIn(ctx, "oidc", "subject-1")
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.SignIn(ctx, "github", "subject-1")
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID {
		t.Fatalf("same subject gave users %d and %d", a.ID, b.ID)
	}
	if a.ID == c.ID {
		t.Fatal("the same subject at another provider gave the same user")
	}
	var ids []Identity
	s.db.Find(&ids)
	for _, id := range ids {
		if id.SubjectHash == "subject-1" || len(id.SubjectHash) != 64 {
			t.Fatalf("subject stored as %q, want a 64-hex keyed hash", id.SubjectHash)
		}
	}
}
