package models

import (
	"strings"
	"testing"
	"time"
)

func validApplication() ClinicianInput {
	return ClinicianInput{DisplayName: "Dr. Sam Lee", Credential: "MD", Specialty: "Endocrinology",
		Jurisdiction: "Ontario, Canada", LicenseNumber: "CPSO-12345"}
}

// countRows counts the rows of a model, for "nothing stored" checks.
func countRows(t *testing.T, s *Store, model any) int64 {
	t.Helper()
	var n int64
	if err := s.db.Model(model).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestClinicianApplyValidation(t *testing.T) {
	s := NewTestStore(t)
	alice := mustViewer(t, s, "alice", RoleMember)
	long := strings.Repeat("x", 500)
	tests := []struct {
		name  string
		edit  func(*ClinicianInput)
		field string
	}{
		{"missing display name", func(in *ClinicianInput) { in.DisplayName = "  " }, "display_name"},
		{"missing credential", func(in *ClinicianInput) { in.Credential = "" }, "credential"},
		{"missing specialty", func(in *ClinicianInput) { in.Specialty = "" }, "specialty"},
		{"missing jurisdiction", func(in *ClinicianInput) { in.Jurisdiction = "" }, "jurisdiction"},
		{"missing licence", func(in *ClinicianInput) { in.LicenseNumber = "" }, "license_number"},
		{"absurd display name", func(in *ClinicianInput) { in.DisplayName = long }, "display_name"},
		{"absurd credential", func(in *ClinicianInput) { in.Credential = long }, "credential"},
		{"absurd specialty", func(in *ClinicianInput) { in.Specialty = long }, "specialty"},
		{"absurd jurisdiction", func(in *ClinicianInput) { in.Jurisdiction = long }, "jurisdiction"},
		{"absurd licence", func(in *ClinicianInput) { in.LicenseNumber = long }, "license_number"},
		{"licence with markup", func(in *ClinicianInput) { in.LicenseNumber = "<script>1</script>" }, "license_number"},
		{"control characters", func(in *ClinicianInput) { in.Specialty = "Cardio\x00logy" }, "specialty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validApplication()
			tt.edit(&in)
			_, err := s.ApplyClinician(ctx, alice, in)
			wantField(t, err, tt.field)
			if got := countRows(t, s, &Clinician{}); got != 0 {
				t.Fatalf("clinicians stored: %d, want 0", got)
			}
			if got := countRows(t, s, &ClinicianDecision{}); got != 0 {
				t.Fatalf("decisions stored: %d, want 0", got)
			}
		})
	}
	if _, err := s.ApplyClinician(ctx, nil, validApplication()); err != ErrUnauthenticated {
		t.Fatalf("visitor applies: %v, want unauthenticated", err)
	}
}

func TestClinicianVerificationFlow(t *testing.T) {
	s := NewTestStore(t)
	now := time.Now().UTC().Round(time.Microsecond)
	s.SetClock(func() time.Time { return now })
	admin := mustViewer(t, s, "root", RoleAdmin)
	alice := mustViewer(t, s, "alice", RoleMember)

	c, err := s.ApplyClinician(ctx, alice, validApplication())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Status, ClinicianPending; got != want {
		t.Fatalf("status %q, want %q", got, want)
	}
	if c.LicenseNumber != "" {
		t.Fatalf("apply returned the licence number")
	}
	if _, err := s.ApplyClinician(ctx, alice, validApplication()); err == nil {
		t.Fatalf("second pending application accepted")
	} else {
		wantCode(t, err, ECONFLICT)
	}
	// Only admins see and decide the list.
	if _, _, err := s.ClinicianList(ctx, alice, "", 1); err != ErrNotFound {
		t.Fatalf("member lists applications: %v", err)
	}
	if _, err := s.DecideClinician(ctx, alice, c.ID, DecisionInput{Decision: DecisionVerify, ExpiresAt: "2099-01-01"}); err != ErrNotFound {
		t.Fatalf("member decides: %v", err)
	}
	list, _, err := s.ClinicianList(ctx, admin, ClinicianPending, 1)
	if err != nil || len(list) != 1 || list[0].Clinician.LicenseNumber != "CPSO-12345" {
		t.Fatalf("pending list: %+v, %v", list, err)
	}
	// Bad decisions store nothing.
	for _, in := range []DecisionInput{
		{Decision: "maybe"},
		{Decision: DecisionVerify},
		{Decision: DecisionVerify, ExpiresAt: "next year"},
		{Decision: DecisionVerify, ExpiresAt: now.Add(-time.Hour).Format(time.RFC3339)},
		{Decision: DecisionVerify, ExpiresAt: now.Add(20 * 366 * 24 * time.Hour).Format("2006-01-02")},
		{Decision: DecisionReject},
	} {
		if _, err := s.DecideClinician(ctx, admin, c.ID, in); err == nil {
			t.Fatalf("decision %+v accepted", in)
		}
	}
	if got := countRows(t, s, &ClinicianDecision{}); got != 1 {
		t.Fatalf("decisions after bad input: %d, want 1 (the application)", got)
	}

	expires := now.Add(30 * 24 * time.Hour).Format("2006-01-02")
	app, err := s.DecideClinician(ctx, admin, c.ID, DecisionInput{Decision: DecisionVerify, ExpiresAt: expires, Notes: "checked the register"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := app.Status, ClinicianVerified; got != want {
		t.Fatalf("status %q, want %q", got, want)
	}
	v, err := s.ViewerByID(ctx, alice.User.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !v.VerifiedClinician(now) || v.User.Role != RoleClinician {
		t.Fatalf("verified member is not a clinician: role %q, %+v", v.User.Role, v.Clinician)
	}
	var audits []AuditEntry
	s.db.Where("action LIKE ?", "clinician.%").Order("id").Find(&audits)
	if got, want := len(audits), 2; got != want {
		t.Fatalf("audit entries %d, want %d (apply, verify)", got, want)
	}
	if audits[1].Action != "clinician.verify" || audits[1].ActorID == nil || *audits[1].ActorID != admin.User.ID {
		t.Fatalf("verify audit: %+v", audits[1])
	}

	// The credential lapses at its expiry: listed as expired, no badge, asked to re-verify.
	later := now.Add(31 * 24 * time.Hour)
	s.SetClock(func() time.Time { return later })
	if v.VerifiedClinician(later) {
		t.Fatalf("lapsed credential still verified")
	}
	if !v.Clinician.Lapsed(later) {
		t.Fatalf("lapsed credential not reported as lapsed")
	}
	expired, _, err := s.ClinicianList(ctx, admin, ClinicianExpired, 1)
	if err != nil || len(expired) != 1 || expired[0].Status != ClinicianExpired {
		t.Fatalf("expired list: %+v, %v", expired, err)
	}
	if verified, _, _ := s.ClinicianList(ctx, admin, ClinicianVerified, 1); len(verified) != 0 {
		t.Fatalf("lapsed credential listed as verified")
	}
	// Re-verifying: a new application, pending again.
	again, err := s.ApplyClinician(ctx, v, validApplication())
	if err != nil || again.Status != ClinicianPending {
		t.Fatalf("re-apply after lapse: %+v, %v", again, err)
	}
	app, err = s.DecideClinician(ctx, admin, c.ID, DecisionInput{Decision: DecisionReject, Notes: "licence not found"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := app.Status, ClinicianRejected; got != want {
		t.Fatalf("status %q, want %q", got, want)
	}
	if got, want := len(app.History), 4; got != want {
		t.Fatalf("history entries %d, want %d", got, want)
	}
	if app.History[3].Notes != "licence not found" {
		t.Fatalf("notes not kept: %+v", app.History[3])
	}
	v, _ = s.ViewerByID(ctx, alice.User.ID)
	if v.User.Role != RoleMember || v.VerifiedClinician(later) {
		t.Fatalf("rejected clinician keeps the role %q", v.User.Role)
	}
	// An admin may not decide their own application.
	admin2 := mustViewer(t, s, "root2", RoleAdmin)
	own, err := s.ApplyClinician(ctx, admin2, validApplication())
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.DecideClinician(ctx, admin2, own.ID, DecisionInput{Decision: DecisionVerify, ExpiresAt: later.Add(24 * time.Hour).Format("2006-01-02")})
	wantCode(t, err, EFORBIDDEN)
}

// clinicianFixture is a group with a question, a member, and a verified clinician who
// is also a member of the group under a pseudonym.
type clinicianFixture struct {
	s                     *Store
	admin, asker, doc     *Viewer
	group                 *Group
	docMembership         *Membership
	question, discussion  *Thread
	questionPost, discuss *Post
}

func newClinicianFixture(t *testing.T) *clinicianFixture {
	t.Helper()
	s := NewTestStore(t)
	f := &clinicianFixture{s: s}
	f.admin = mustViewer(t, s, "root", RoleAdmin)
	f.asker = mustViewer(t, s, "asker", RoleMember)
	f.doc = mustViewer(t, s, "dr-lee", RoleClinician)
	f.group = mustGroup(t, s, f.admin, "diabetes", VisibilityOpen)
	mustJoin(t, s, f.asker, "diabetes", MemberActive)
	f.docMembership = mustJoin(t, s, f.doc, "diabetes", MemberActive)
	var err error
	f.question, f.questionPost, err = s.CreateThread(ctx, f.asker, "diabetes", ThreadInput{Title: "Metformin and nausea?", Body: "Is this normal?", Kind: KindQuestion})
	if err != nil {
		t.Fatal(err)
	}
	f.discussion, f.discuss, err = s.CreateThread(ctx, f.asker, "diabetes", ThreadInput{Title: "Good days", Body: "Share yours", Kind: KindDiscussion})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestClinicianVoiceRules(t *testing.T) {
	f := newClinicianFixture(t)
	s := f.s
	// A non-clinician cannot post as clinician.
	_, err := s.CreatePost(ctx, f.asker, f.question.ID, PostInput{Body: "Trust me, I'm a doctor", AsClinician: true})
	wantCode(t, err, EFORBIDDEN)

	p, err := s.CreatePost(ctx, f.doc, f.question.ID, PostInput{Body: "Common at first; take it with food.", AsClinician: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.MembershipID != nil || p.ClinicianID == nil {
		t.Fatalf("clinician-voice post links a membership: %+v", p)
	}
	var th Thread
	th = Thread{}
	s.db.First(&th, f.question.ID)
	if !th.ClinicianAnswered || th.FirstClinicianAnswerAt == nil || th.ClinicianAnswerSeconds == nil {
		t.Fatalf("question not marked answered by a clinician: %+v", th)
	}
	first := *th.FirstClinicianAnswerAt
	if _, err := s.CreatePost(ctx, f.doc, f.question.ID, PostInput{Body: "One more thing.", AsClinician: true}); err != nil {
		t.Fatal(err)
	}
	th = Thread{}
	s.db.First(&th, f.question.ID)
	if !th.FirstClinicianAnswerAt.Equal(first) {
		t.Fatalf("first clinician answer moved: %v, want %v", th.FirstClinicianAnswerAt, first)
	}
	// A clinician answer in a discussion does not count as an answered question.
	if _, err := s.CreatePost(ctx, f.doc, f.discussion.ID, PostInput{Body: "Lovely thread.", AsClinician: true}); err != nil {
		t.Fatal(err)
	}
	th = Thread{}
	s.db.First(&th, f.discussion.ID)
	if th.ClinicianAnswered || th.FirstClinicianAnswerAt != nil {
		t.Fatalf("discussion marked answered: %+v", th)
	}

	// A clinician who is not a member answers as clinician without joining.
	outsider := mustViewer(t, s, "dr-out", RoleClinician)
	if _, err := s.CreatePost(ctx, outsider, f.question.ID, PostInput{Body: "Agree with the above.", AsClinician: true}); err != nil {
		t.Fatalf("non-member clinician answers: %v", err)
	}
	var n int64
	s.db.Model(&Membership{}).Where("user_id = ?", outsider.User.ID).Count(&n)
	if n != 0 {
		t.Fatalf("answering as clinician created %d memberships", n)
	}
	// ... but not under a pseudonym.
	_, err = s.CreatePost(ctx, outsider, f.question.ID, PostInput{Body: "As a member"})
	wantCode(t, err, EFORBIDDEN)

	// A group ban applies to both voices.
	s.db.Model(f.docMembership).Update("status", MemberBanned)
	_, err = s.CreatePost(ctx, f.doc, f.question.ID, PostInput{Body: "Still here", AsClinician: true})
	wantCode(t, err, EFORBIDDEN)
	s.db.Model(f.docMembership).Update("status", MemberActive)

	// A lapsed clinician is refused with a way to re-verify.
	past := time.Now().Add(-time.Hour)
	s.db.Model(&Clinician{}).Where("id = ?", f.doc.Clinician.ID).Update("expires_at", past)
	lapsed, _ := s.ViewerByID(ctx, f.doc.User.ID)
	_, err = s.CreatePost(ctx, lapsed, f.question.ID, PostInput{Body: "Lapsed", AsClinician: true})
	wantCode(t, err, EFORBIDDEN)
	if de := err.(*Error); de.Link != "/clinicians/apply" || !strings.Contains(de.Message, "expired") {
		t.Fatalf("lapsed refusal: %+v", de)
	}
	// The lapsed clinician can still post under the pseudonym.
	if _, err := s.CreatePost(ctx, lapsed, f.question.ID, PostInput{Body: "As a member now"}); err != nil {
		t.Fatal(err)
	}
	// A suspended account cannot use the clinician voice.
	s.db.Model(&Clinician{}).Where("id = ?", f.doc.Clinician.ID).Update("expires_at", nil)
	s.db.Model(&User{}).Where("id = ?", f.doc.User.ID).Update("status", UserSuspended)
	suspended, _ := s.ViewerByID(ctx, f.doc.User.ID)
	_, err = s.CreatePost(ctx, suspended, f.question.ID, PostInput{Body: "Suspended", AsClinician: true})
	wantCode(t, err, EFORBIDDEN)
}

func TestClinicianQuestionQueue(t *testing.T) {
	f := newClinicianFixture(t)
	s := f.s
	base := time.Now().UTC().Round(time.Microsecond)
	clock := base
	s.SetClock(func() time.Time { return clock })
	// More questions: an older answered one, a newer one, one in a professional group,
	// one in a closed group the clinician is not in, an accepted one and a locked one.
	mustGroup(t, s, f.admin, "lounge", VisibilityProfessional)
	mustGroup(t, s, f.admin, "closed", VisibilityClosed)
	mustJoin(t, s, f.doc, "lounge", MemberActive)
	newQ := func(slug, title string, by *Viewer) *Thread {
		t.Helper()
		clock = clock.Add(time.Minute)
		th, _, err := s.CreateThread(ctx, by, slug, ThreadInput{Title: title, Body: "Question body", Kind: KindQuestion})
		if err != nil {
			t.Fatal(err)
		}
		return th
	}
	answered := f.question // the oldest
	clock = clock.Add(time.Minute)
	if _, err := s.CreatePost(ctx, f.doc, answered.ID, PostInput{Body: "Answer", AsClinician: true}); err != nil {
		t.Fatal(err)
	}
	q2 := newQ("diabetes", "Second question", f.asker)
	q3 := newQ("lounge", "Lounge question", f.doc)
	s.db.Model(&Membership{}).Create(&Membership{UserID: f.asker.User.ID, GroupID: mustGroupID(t, s, "closed"), Pseudonym: "ClosedAsker1",
		Role: MemberRegular, Status: MemberActive, PseudonymChangedAt: clock, CreatedAt: clock, UpdatedAt: clock})
	hidden := newQ("closed", "Closed question", f.asker)
	accepted := newQ("diabetes", "Accepted question", f.asker)
	reply, err := s.CreatePost(ctx, f.doc, accepted.ID, PostInput{Body: "member reply"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcceptAnswer(ctx, f.asker, accepted.ID, reply.ID); err != nil {
		t.Fatal(err)
	}
	locked := newQ("diabetes", "Locked question", f.asker)
	s.db.Model(locked).Update("locked", true)

	qp, err := s.ClinicianQuestions(ctx, f.doc, QuestionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, e := range qp.Entries {
		got = append(got, e.Thread.ID)
		if e.Opening.Body == "" {
			t.Fatalf("entry without its opening post: %+v", e)
		}
	}
	want := []int64{q2.ID, q3.ID, answered.ID} // unanswered oldest first, then answered
	if len(got) != len(want) {
		t.Fatalf("queue %v, want %v (hidden %d)", got, want, hidden.ID)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("queue %v, want %v", got, want)
		}
	}
	if n, err := s.ClinicianQuestionCount(ctx, f.doc); err != nil || n != 2 {
		t.Fatalf("badge count %d, %v; want 2", n, err)
	}
	// Filter by group.
	qp, err = s.ClinicianQuestions(ctx, f.doc, QuestionFilter{Group: "lounge"})
	if err != nil || len(qp.Entries) != 1 || qp.Entries[0].Thread.ID != q3.ID {
		t.Fatalf("lounge filter: %+v, %v", qp, err)
	}
	if _, err := s.ClinicianQuestions(ctx, f.doc, QuestionFilter{Group: "closed"}); err != ErrNotFound {
		t.Fatalf("unreadable group filter: %v", err)
	}
	// Filter by specialty: questions no clinician of that specialty answered yet.
	s.db.Model(&Clinician{}).Where("id = ?", f.doc.Clinician.ID).Update("specialty", "Endocrinology")
	qp, err = s.ClinicianQuestions(ctx, f.doc, QuestionFilter{Specialty: "endocrinology"})
	if err != nil || len(qp.Entries) != 2 {
		t.Fatalf("specialty filter: %d entries, %v; want 2", len(qp.Entries), err)
	}
	if len(qp.Specialties) == 0 {
		t.Fatalf("no specialties offered")
	}
	// Only verified clinicians.
	if _, err := s.ClinicianQuestions(ctx, f.asker, QuestionFilter{}); err == nil {
		t.Fatalf("member sees the question queue")
	}
	if n, _ := s.ClinicianQuestionCount(ctx, f.asker); n != 0 {
		t.Fatalf("member badge %d", n)
	}
}

func mustGroupID(t *testing.T, s *Store, slug string) int64 {
	t.Helper()
	var g Group
	if err := s.db.Where("slug = ?", slug).First(&g).Error; err != nil {
		t.Fatal(err)
	}
	return g.ID
}

func TestProfessionalGroupsForVerifiedClinicians(t *testing.T) {
	f := newClinicianFixture(t)
	s := f.s
	mustGroup(t, s, f.admin, "lounge", VisibilityProfessional)
	if _, err := s.GroupAccess(ctx, f.asker, "lounge"); err != ErrNotFound {
		t.Fatalf("member sees a professional group: %v", err)
	}
	if _, err := s.Join(ctx, f.asker, "lounge"); err != ErrNotFound {
		t.Fatalf("member joins a professional group: %v", err)
	}
	mustJoin(t, s, f.doc, "lounge", MemberActive)
	// A lapsed clinician loses sight of it.
	s.db.Model(&Clinician{}).Where("id = ?", f.doc.Clinician.ID).Update("expires_at", time.Now().Add(-time.Minute))
	lapsed, _ := s.ViewerByID(ctx, f.doc.User.ID)
	if _, err := s.GroupAccess(ctx, lapsed, "lounge"); err != ErrNotFound {
		t.Fatalf("lapsed clinician sees a professional group: %v", err)
	}
	list, _ := s.ListGroups(ctx, lapsed)
	for _, g := range list {
		if g.Group.Visibility == VisibilityProfessional {
			t.Fatalf("lapsed clinician lists %s", g.Group.Slug)
		}
	}
}

func TestClinicianVoiceThread(t *testing.T) {
	f := newClinicianFixture(t)
	s := f.s
	// Not for members who are no clinicians, nor for clinicians outside the group.
	_, _, err := s.CreateThread(ctx, f.asker, "diabetes", ThreadInput{Title: "As a doctor", Body: "x", AsClinician: true})
	wantCode(t, err, EFORBIDDEN)
	outsider := mustViewer(t, s, "dr-out", RoleClinician)
	_, _, err = s.CreateThread(ctx, outsider, "diabetes", ThreadInput{Title: "Outsider thread", Body: "x", AsClinician: true})
	wantCode(t, err, EFORBIDDEN)

	before := f.docMembership.PostCount
	th, op, err := s.CreateThread(ctx, f.doc, "diabetes", ThreadInput{Title: "Ask me about insulin pens", Body: "Questions welcome.", AsClinician: true})
	if err != nil {
		t.Fatal(err)
	}
	if th.ClinicianID == nil || op.ClinicianID == nil || op.MembershipID != nil || th.Membership != nil {
		t.Fatalf("clinician thread: %+v / %+v", th, op)
	}
	var m Membership
	s.db.First(&m, f.docMembership.ID)
	if m.PostCount != before {
		t.Fatalf("the pseudonym's post count moved: %d, want %d", m.PostCount, before)
	}
	// However it is loaded, the thread never carries the membership.
	tp, err := s.ThreadPage(ctx, f.asker, th.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if tp.Thread.Membership != nil || tp.Thread.Clinician == nil || tp.Thread.Clinician.DisplayName != f.doc.Clinician.DisplayName {
		t.Fatalf("thread page: membership %+v, clinician %+v", tp.Thread.Membership, tp.Thread.Clinician)
	}
	gp, err := s.GroupPage(ctx, f.asker, "diabetes", 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, gt := range gp.Threads {
		if gt.ID == th.ID && (gt.Membership != nil || gt.Clinician == nil) {
			t.Fatalf("group page thread: %+v", gt)
		}
	}
	// The member page of the pseudonym does not list it.
	mp, err := s.MemberPage(ctx, f.asker, "diabetes", f.docMembership.Pseudonym, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range mp.Posts {
		if p.ID == op.ID {
			t.Fatalf("member page lists the clinician thread")
		}
	}
	// The group's feed names the clinician, not the pseudonym.
	_, feed, err := s.GroupFeed(ctx, "diabetes")
	if err != nil {
		t.Fatal(err)
	}
	for _, ft := range feed {
		if ft.ID == th.ID && ft.Pseudonym != f.doc.Clinician.DisplayName {
			t.Fatalf("feed author %q", ft.Pseudonym)
		}
	}
	// Live threads have no clinician voice.
	_, _, err = s.CreateThread(ctx, f.doc, "diabetes", ThreadInput{Title: "Live", Body: "x", Kind: KindLive, AsClinician: true})
	wantField(t, err, "kind")
}

func TestSeedProfessionalGroupAndClinicianAnswerTimes(t *testing.T) {
	s := NewTestStore(t)
	if _, err := s.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	var g Group
	if err := s.db.Where("visibility = ?", VisibilityProfessional).First(&g).Error; err != nil {
		t.Fatalf("no professional group in the demo data: %v", err)
	}
	var n int64
	s.db.Model(&Thread{}).Where("group_id = ?", g.ID).Count(&n)
	if n < 2 {
		t.Fatalf("the professional group has %d threads, want a couple", n)
	}
	var answered []Thread
	s.db.Where("clinician_answered = ?", true).Find(&answered)
	if len(answered) == 0 {
		t.Fatalf("no question answered by a clinician in the demo data")
	}
	for _, th := range answered {
		if th.FirstClinicianAnswerAt == nil || th.ClinicianAnswerSeconds == nil || *th.ClinicianAnswerSeconds <= 0 {
			t.Fatalf("thread %q lacks its time to first clinician answer: %+v", th.Title, th)
		}
	}
	// A member does not see it; a seeded clinician does.
	member := mustViewer(t, s, "member-x", RoleMember)
	if _, err := s.GroupAccess(ctx, member, g.Slug); err != ErrNotFound {
		t.Fatalf("member sees %s: %v", g.Slug, err)
	}
	doc := mustViewer(t, s, "dr-rivera", RoleClinician)
	if a, err := s.GroupAccess(ctx, doc, g.Slug); err != nil || !a.CanRead {
		t.Fatalf("seeded clinician cannot read %s: %v", g.Slug, err)
	}
}
