package models

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestSeedDemo(t *testing.T) {
	ctx := context.Background()
	s := NewTestStore(t)

	start := time.Now()
	seeded, err := s.SeedDemo(ctx)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	if got, want := seeded, true; got != want {
		t.Fatalf("first seed: got %v, want %v", got, want)
	}
	t.Logf("seeded in %v", took)
	if took > 3*time.Second {
		t.Fatalf("seeding took %v; it should take well under a second", took)
	}
	seeded, err = s.SeedDemo(ctx)
	if err != nil {
		t.Fatalf("second seed: %v", err)
	}
	if got, want := seeded, false; got != want {
		t.Fatalf("second seed: got %v, want %v", got, want)
	}
	now := s.now()

	var groups []Group
	var threads []Thread
	var posts []Post
	var memberships []Membership
	for _, q := range []struct {
		name string
		dest any
	}{{"groups", &groups}, {"threads", &threads}, {"posts", &posts}, {"memberships", &memberships}} {
		if err := s.db.Order("id").Find(q.dest).Error; err != nil {
			t.Fatalf("load %s: %v", q.name, err)
		}
	}

	// Groups: enough of them, of several kinds, with counters that match the rows.
	if got, want := len(groups), 6; got < want {
		t.Fatalf("groups: got %d, want at least %d", got, want)
	}
	kinds := map[string]int{}
	threadGroup := map[int64]int64{}
	for _, th := range threads {
		threadGroup[th.ID] = th.GroupID
	}
	lastActivity := map[int64]time.Time{}
	for _, p := range posts {
		if g := threadGroup[p.ThreadID]; p.CreatedAt.After(lastActivity[g]) {
			lastActivity[g] = p.CreatedAt
		}
	}
	for _, g := range groups {
		kinds[g.Visibility]++
		var nThreads, nMembers int64
		if err := s.db.Model(&Thread{}).Where("group_id = ?", g.ID).Count(&nThreads).Error; err != nil {
			t.Fatalf("count threads: %v", err)
		}
		if err := s.db.Model(&Membership{}).Where("group_id = ? AND status = ?", g.ID, MemberActive).Count(&nMembers).Error; err != nil {
			t.Fatalf("count members: %v", err)
		}
		if got, want := int64(g.ThreadCount), nThreads; got != want {
			t.Fatalf("%s: thread_count: got %d, want %d", g.Slug, got, want)
		}
		if got, want := int64(g.MemberCount), nMembers; got != want {
			t.Fatalf("%s: member_count: got %d, want %d", g.Slug, got, want)
		}
		if got, want := nThreads, int64(3); got < want {
			t.Fatalf("%s: threads: got %d, want at least %d", g.Slug, got, want)
		}
		if got, want := g.LastActivityAt, lastActivity[g.ID]; !got.Equal(want) {
			t.Fatalf("%s: last_activity_at: got %v, want %v", g.Slug, got, want)
		}
		if g.Description == "" || g.Rules == "" {
			t.Fatalf("%s: description or rules missing", g.Slug)
		}
	}
	for _, v := range []string{VisibilityOpen, VisibilityClosed, VisibilityProfessional} {
		if kinds[v] == 0 {
			t.Fatalf("no %s group among %v", v, kinds)
		}
	}

	// Threads and posts: counters, order in time, rendered bodies, authorship.
	byThread := map[int64][]Post{}
	byMembership := map[int64]int{}
	for _, p := range posts {
		byThread[p.ThreadID] = append(byThread[p.ThreadID], p)
		if p.MembershipID != nil {
			byMembership[*p.MembershipID]++
		}
	}
	answered := 0
	for _, th := range threads {
		ps := byThread[th.ID]
		if got, want := th.ReplyCount, len(ps)-1; got != want {
			t.Fatalf("thread %q: reply_count: got %d, want %d", th.Title, got, want)
		}
		if len(ps) < 2 || len(ps) > 6 {
			t.Fatalf("thread %q: got %d posts, want 2 to 6", th.Title, len(ps))
		}
		if got, want := th.CreatedAt, ps[0].CreatedAt; !got.Equal(want) {
			t.Fatalf("thread %q: created_at: got %v, want the opening post's %v", th.Title, got, want)
		}
		if got, want := th.LastPostAt, ps[len(ps)-1].CreatedAt; !got.Equal(want) {
			t.Fatalf("thread %q: last_post_at: got %v, want %v", th.Title, got, want)
		}
		if ps[0].MembershipID == nil || *ps[0].MembershipID != th.MembershipID {
			t.Fatalf("thread %q: the opening post is not by the thread's author", th.Title)
		}
		clinicianPost := false
		for i, p := range ps {
			if i > 0 && !p.CreatedAt.After(ps[i-1].CreatedAt) {
				t.Fatalf("thread %q: post %d is not after post %d", th.Title, i+1, i)
			}
			if p.CreatedAt.After(now) {
				t.Fatalf("thread %q: post %d is in the future", th.Title, i+1)
			}
			html, err := RenderMarkdown(p.Body)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			if got, want := p.BodyHTML, html; got != want {
				t.Fatalf("thread %q: post %d: body_html: got %q, want %q", th.Title, i+1, got, want)
			}
			if got, want := p.Status, PostPublished; got != want {
				t.Fatalf("thread %q: post %d: status: got %q, want %q", th.Title, i+1, got, want)
			}
			if (p.MembershipID == nil) == (p.ClinicianID == nil) {
				t.Fatalf("thread %q: post %d: want exactly one of membership and clinician", th.Title, i+1)
			}
			clinicianPost = clinicianPost || p.ClinicianID != nil
		}
		if th.ClinicianAnswered {
			answered++
			if !clinicianPost || th.Kind != KindQuestion {
				t.Fatalf("thread %q: clinician_answered on a %s thread with no post as clinician", th.Title, th.Kind)
			}
		}
	}
	if answered == 0 {
		t.Fatalf("no question thread is answered by a clinician")
	}

	// Memberships: pseudonyms unique in each group and never reused by one person,
	// post counts that match, one owner and a moderator in each group.
	inGroup := map[int64]map[string]bool{}
	ofUser := map[int64]map[string]bool{}
	owners, moderators := map[int64]int{}, map[int64]int{}
	for _, m := range memberships {
		if inGroup[m.GroupID] == nil {
			inGroup[m.GroupID] = map[string]bool{}
		}
		if ofUser[m.UserID] == nil {
			ofUser[m.UserID] = map[string]bool{}
		}
		if inGroup[m.GroupID][m.Pseudonym] {
			t.Fatalf("pseudonym %s is used twice in group %d", m.Pseudonym, m.GroupID)
		}
		if ofUser[m.UserID][m.Pseudonym] {
			t.Fatalf("user %d has pseudonym %s in two groups", m.UserID, m.Pseudonym)
		}
		inGroup[m.GroupID][m.Pseudonym], ofUser[m.UserID][m.Pseudonym] = true, true
		if got, want := m.PostCount, byMembership[m.ID]; got != want {
			t.Fatalf("membership %s: post_count: got %d, want %d", m.Pseudonym, got, want)
		}
		switch m.Role {
		case MemberOwner:
			owners[m.GroupID]++
		case MemberModerator:
			moderators[m.GroupID]++
		}
	}
	for _, g := range groups {
		if got, want := owners[g.ID], 1; got != want {
			t.Fatalf("%s: owners: got %d, want %d", g.Slug, got, want)
		}
		if got, want := moderators[g.ID], 1; got != want {
			t.Fatalf("%s: moderators: got %d, want %d", g.Slug, got, want)
		}
	}

	// Seed text is what a member could post without tripping the crisis or
	// personal-data checks, and it never names a demo sign-in.
	crisis := regexp.MustCompile(`(?i)\b(suicid\w*|kill(ing)? (my|him|her)self|end it all|want to die|self[- ]?harm\w*|overdos\w*)\b`)
	personal := regexp.MustCompile(`[\w.+-]+@[\w-]+\.\w+|\d{7,}|\b\d{3}[ -]\d{3}[ -]\d{4}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b`)
	var demo []string
	for _, p := range seedPeople {
		demo = append(demo, regexp.QuoteMeta(p.Name))
	}
	names := regexp.MustCompile(`(?i)\b(` + strings.Join(demo, "|") + `|rivera|okafor)\b`)
	for _, p := range posts {
		if m := crisis.FindString(p.Body); m != "" {
			t.Fatalf("post %d has crisis language %q", p.ID, m)
		}
		if m := personal.FindString(p.Body); m != "" {
			t.Fatalf("post %d has personal data %q", p.ID, m)
		}
		if m := names.FindString(p.Body); m != "" {
			t.Fatalf("post %d names a demo sign-in %q, which would link it to a pseudonym", p.ID, m)
		}
	}

	// The seeded people are local-mode identities: signing in finds them.
	var users int64
	if err := s.db.Model(&User{}).Count(&users).Error; err != nil {
		t.Fatalf("count users: %v", err)
	}
	var alice Identity
	if err := s.db.Where("provider = ? AND subject_hash = ?", "local", s.SubjectHash("local", "alice")).First(&alice).Error; err != nil {
		t.Fatalf("alice's identity: %v", err)
	}
	u, err := s.LocalSignIn(ctx, "alice", RoleMember)
	if err != nil {
		t.Fatalf("sign in alice: %v", err)
	}
	if got, want := u.ID, alice.UserID; got != want {
		t.Fatalf("alice: got user %d, want the seeded %d", got, want)
	}
	v, err := s.ViewerByID(ctx, u.ID)
	if err != nil {
		t.Fatalf("viewer alice: %v", err)
	}
	mine, err := s.Memberships(ctx, v)
	if err != nil {
		t.Fatalf("alice's memberships: %v", err)
	}
	if got := len(mine); got < 2 || got > 4 {
		t.Fatalf("alice's memberships: got %d, want 2 to 4", got)
	}
	rivera, err := s.LocalSignIn(ctx, "dr-rivera", RoleClinician)
	if err != nil {
		t.Fatalf("sign in dr-rivera: %v", err)
	}
	v, err = s.ViewerByID(ctx, rivera.ID)
	if err != nil {
		t.Fatalf("viewer dr-rivera: %v", err)
	}
	if got, want := v.Clinician.DisplayName, "Dr. A. Rivera"; got != want {
		t.Fatalf("dr-rivera: display name: got %q, want %q", got, want)
	}
	if !v.VerifiedClinician(s.now()) {
		t.Fatalf("dr-rivera: not a verified clinician")
	}
	if _, err := s.GroupAccess(ctx, v, "clinicians-lounge"); err != nil {
		t.Fatalf("dr-rivera: clinicians' lounge: %v", err)
	}
	var after int64
	if err := s.db.Model(&User{}).Count(&after).Error; err != nil {
		t.Fatalf("count users: %v", err)
	}
	if got, want := after, users; got != want {
		t.Fatalf("users after signing in seeded people: got %d, want %d", got, want)
	}
}

func TestSeedDemoKeepsEarlierSignIns(t *testing.T) {
	ctx := context.Background()
	s := NewTestStore(t)
	u, err := s.LocalSignIn(ctx, "alice", RoleAdmin)
	if err != nil {
		t.Fatalf("sign in alice: %v", err)
	}
	seeded, err := s.SeedDemo(ctx)
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	if got, want := seeded, true; got != want {
		t.Fatalf("seed: got %v, want %v", got, want)
	}
	var n int64
	if err := s.db.Model(&Membership{}).Where("user_id = ?", u.ID).Count(&n).Error; err != nil {
		t.Fatalf("count memberships: %v", err)
	}
	if n < 2 {
		t.Fatalf("alice's memberships: got %d, want at least 2", n)
	}
	var again User
	if err := s.db.First(&again, u.ID).Error; err != nil {
		t.Fatalf("load alice: %v", err)
	}
	if got, want := again.Role, RoleMember; got != want {
		t.Fatalf("alice's role: got %q, want %q", got, want)
	}
}
