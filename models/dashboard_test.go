package models

import (
	"strings"
	"testing"
	"time"
)

// dashFixture is a known week of activity in two groups, with a fixed clock.
type dashFixture struct {
	s                    *Store
	now                  time.Time
	admin, mod, doc      *Viewer
	alice, bob, carol    *Viewer
	crisisItem, spamItem int64
	setClock             func(time.Time)
}

func newDashFixture(t *testing.T) *dashFixture {
	t.Helper()
	s := NewTestStore(t)
	f := &dashFixture{s: s, now: time.Date(2026, 11, 20, 12, 30, 0, 0, time.UTC)}
	clock := f.now
	f.setClock = func(at time.Time) { clock = at }
	s.SetClock(func() time.Time { return clock })

	f.setClock(f.now.Add(-10 * 24 * time.Hour))
	f.admin = mustViewer(t, s, "admin", RoleAdmin)
	f.doc = mustViewer(t, s, "dr-a", RoleClinician)
	f.carol = mustViewer(t, s, "carol", RoleMember)
	mustGroup(t, s, f.admin, "h", VisibilityOpen)
	mustJoin(t, s, f.carol, "h", MemberActive)
	if _, _, err := s.CreateThread(ctx, f.carol, "h", ThreadInput{Title: "Old news", Body: "From ten days ago."}); err != nil {
		t.Fatal(err)
	}

	f.setClock(f.now.Add(-3 * time.Hour))
	mustGroup(t, s, f.admin, "g", VisibilityOpen)
	f.mod, f.alice, f.bob = mustViewer(t, s, "mod", RoleMember), mustViewer(t, s, "alice", RoleMember), mustViewer(t, s, "bob", RoleMember)
	mm := mustJoin(t, s, f.mod, "g", MemberActive)
	s.db.Model(mm).Update("role", MemberModerator)
	mustJoin(t, s, f.alice, "g", MemberActive)
	mustJoin(t, s, f.bob, "g", MemberActive)

	f.setClock(f.now.Add(-2 * time.Hour))
	q1, _, err := s.CreateThread(ctx, f.alice, "g", ThreadInput{Title: "Is this rash normal?", Body: "Started after the new dose.", Kind: KindQuestion})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RefreshStats(ctx); err != nil { // an early refresh: counting must be incremental
		t.Fatal(err)
	}
	f.setClock(f.now.Add(-90 * time.Minute))
	d1, _, err := s.CreateThread(ctx, f.bob, "g", ThreadInput{Title: "Good days", Body: "Share yours."})
	if err != nil {
		t.Fatal(err)
	}
	f.setClock(f.now.Add(-80 * time.Minute))
	reply, err := s.CreatePost(ctx, f.alice, d1.ID, PostInput{Body: "Buy cheap pills at my shop"})
	if err != nil {
		t.Fatal(err)
	}
	f.setClock(f.now.Add(-1 * time.Hour))
	if _, err := s.CreatePost(ctx, f.doc, q1.ID, PostInput{Body: "Yes, common; call if it spreads.", AsClinician: true}); err != nil {
		t.Fatal(err)
	}
	f.setClock(f.now.Add(-30 * time.Minute))
	if _, _, err := s.CreateThread(ctx, f.bob, "g", ThreadInput{Title: "Unanswered question", Body: "Anyone?", Kind: KindQuestion}); err != nil {
		t.Fatal(err)
	}
	f.setClock(f.now.Add(-20 * time.Minute))
	it, err := s.ReportPost(ctx, f.bob, reply.ID, ReportInput{Reason: "spam"})
	if err != nil {
		t.Fatal(err)
	}
	f.spamItem = it.ID
	f.setClock(f.now.Add(-15 * time.Minute))
	crisis, err := s.CreatePost(ctx, f.alice, d1.ID, PostInput{Body: "I want to kill myself tonight"})
	if err != nil {
		t.Fatal(err)
	}
	if !crisis.Crisis {
		t.Fatal("the crisis post was not detected")
	}
	var ci QueueItem
	if err := s.db.Where("target_type = ? AND target_id = ? AND lane = ?", TargetPost, crisis.ID, LaneCrisis).First(&ci).Error; err != nil {
		t.Fatal(err)
	}
	f.crisisItem = ci.ID
	f.setClock(f.now.Add(-12 * time.Minute))
	if _, err := s.Claim(ctx, f.mod, ci.ID); err != nil {
		t.Fatal(err)
	}
	f.setClock(f.now.Add(-10 * time.Minute))
	if _, err := s.Resolve(ctx, f.mod, it.ID, ResolveInput{Action: ActionRemove, Reason: "spam", Version: it.Version}); err != nil {
		t.Fatal(err)
	}
	f.setClock(f.now)
	if err := s.RefreshStats(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.RefreshStats(ctx); err != nil { // a second refresh adds nothing
		t.Fatal(err)
	}
	return f
}

func TestDashboardFigures(t *testing.T) {
	f := newDashFixture(t)
	d, err := f.s.Dashboard(ctx, f.admin, DashboardFilter{Period: Period24h})
	if err != nil {
		t.Fatal(err)
	}
	var g, h *Activity
	for i := range d.Groups {
		switch d.Groups[i].Slug {
		case "g":
			g = &d.Groups[i]
		case "h":
			h = &d.Groups[i]
		}
	}
	if g == nil || h == nil {
		t.Fatalf("groups: %+v", d.Groups)
	}
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"new members", g.NewMembers, 3},
		{"active members", g.Active, 2},
		{"threads", g.Threads, 3},
		{"questions", g.Questions, 2},
		{"posts", g.Posts, 6},
		{"clinician answered", g.Answered, 1},
		{"h posts in 24h", h.Posts, 0},
		{"total posts", d.Totals.Posts, 6},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	if got, want := g.AnsweredShare, 0.5; got != want {
		t.Errorf("answered share = %v, want %v", got, want)
	}
	if g.MedianAnswerSeconds == nil || *g.MedianAnswerSeconds != 3600 {
		t.Errorf("median first clinician answer = %v, want 3600", g.MedianAnswerSeconds)
	}
	if got, want := len(d.Series), 24; got != want {
		t.Fatalf("series has %d points, want %d", got, want)
	}
	sum := 0
	for _, p := range d.Series {
		sum += p.Posts
	}
	if sum != 6 {
		t.Errorf("series posts sum to %d, want 6", sum)
	}
	lanes := map[string]LaneHealth{}
	for _, l := range d.Queue {
		lanes[l.Lane] = l
	}
	if l := lanes[LaneSpam]; l.Resolved != 1 || l.MedianSeconds == nil || *l.MedianSeconds != 600 || *l.P90Seconds != 600 {
		t.Errorf("spam lane = %+v, want 1 resolved in 600 s", l)
	}
	if l := lanes[LaneCrisis]; l.Open != 1 || l.Overdue != 0 {
		t.Errorf("crisis lane = %+v, want 1 open, 0 overdue", l)
	}
	reasons := map[string]int{}
	for _, r := range d.Reasons {
		reasons[r.Reason] = r.Count
	}
	if reasons["spam"] != 1 || reasons["crisis"] != 1 {
		t.Errorf("reports by reason = %v", reasons)
	}
	if len(d.Crisis) != 1 || d.Crisis[0].Seconds == nil || *d.Crisis[0].Seconds != 180 {
		t.Fatalf("crisis items = %+v, want one acted on after 180 s", d.Crisis)
	}
	if d.CrisisMedianSeconds == nil || *d.CrisisMedianSeconds != 180 {
		t.Errorf("crisis median = %v", d.CrisisMedianSeconds)
	}

	// Thirty days take in group h's thread of ten days ago; seven do not.
	for _, c := range []struct {
		period string
		posts  int
		points int
	}{{Period7d, 6, 7}, {Period30d, 7, 30}} {
		d, err := f.s.Dashboard(ctx, f.admin, DashboardFilter{Period: c.period})
		if err != nil {
			t.Fatal(err)
		}
		if d.Totals.Posts != c.posts || len(d.Series) != c.points {
			t.Errorf("%s: %d posts in %d points, want %d in %d", c.period, d.Totals.Posts, len(d.Series), c.posts, c.points)
		}
	}
}

func TestDashboardScope(t *testing.T) {
	f := newDashFixture(t)
	s := f.s
	if _, err := s.Dashboard(ctx, f.mod, DashboardFilter{}); err == nil {
		t.Error("a moderator saw the site-wide dashboard")
	}
	d, err := s.Dashboard(ctx, f.mod, DashboardFilter{Group: "g"})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Groups) != 1 || d.Groups[0].Slug != "g" || d.Totals.Posts != 6 {
		t.Errorf("moderator's dashboard = %+v", d.Groups)
	}
	for _, c := range []struct {
		name  string
		v     *Viewer
		group string
	}{{"another group", f.mod, "h"}, {"a member", f.alice, "g"}, {"a clinician", f.doc, "g"}, {"unknown group", f.admin, "nope"}} {
		if _, err := s.Dashboard(ctx, c.v, DashboardFilter{Group: c.group}); err == nil {
			t.Errorf("%s: no error", c.name)
		} else {
			wantCode(t, err, ENOTFOUND)
		}
	}
	_, err = s.Dashboard(ctx, f.admin, DashboardFilter{Period: "1y"})
	wantField(t, err, "period")
}

func TestEmergingTopics(t *testing.T) {
	s := NewTestStore(t)
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	clock := now
	s.SetClock(func() time.Time { return clock })
	admin := mustViewer(t, s, "admin", RoleAdmin)
	mustGroup(t, s, admin, "g", VisibilityOpen)
	var members []*Viewer
	var pseudonyms []string
	for _, n := range []string{"m1", "m2", "m3", "m4", "m5"} {
		v := mustViewer(t, s, n, RoleMember)
		m := mustJoin(t, s, v, "g", MemberActive)
		members = append(members, v)
		pseudonyms = append(pseudonyms, m.Pseudonym)
	}
	// Three weeks of ordinary talk: "fatigue" every day, "rash" once.
	clock = now.Add(-21 * 24 * time.Hour)
	th, _, err := s.CreateThread(ctx, members[0], "g", ThreadInput{Title: "Daily check-in", Body: "How is everyone?"})
	if err != nil {
		t.Fatal(err)
	}
	for day := 21; day >= 2; day-- {
		clock = now.Add(-time.Duration(day) * 24 * time.Hour)
		body := "Fatigue again, resting a lot."
		if day == 10 {
			body = "A small rash, gone now. Fatigue too."
		}
		if _, err := s.CreatePost(ctx, members[day%5], th.ID, PostInput{Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	// The last day: many posts about a rash and a side effect, naming a pseudonym.
	for i := range 5 {
		clock = now.Add(-time.Duration(10-i) * time.Hour)
		body := "Since the new treatment I have a rash, a side effect maybe? Thanks " + pseudonyms[0] + ". Fatigue as usual."
		if _, err := s.CreatePost(ctx, members[i], th.ID, PostInput{Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	clock = now
	if err := s.RefreshTopics(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.RefreshTopics(ctx); err != nil { // again: completed days are not counted twice
		t.Fatal(err)
	}
	d, err := s.Dashboard(ctx, admin, DashboardFilter{Group: "g"})
	if err != nil {
		t.Fatal(err)
	}
	terms := map[string]EmergingTopic{}
	for _, tp := range d.Topics {
		terms[tp.Term] = tp
	}
	rash, ok := terms["rash"]
	if !ok {
		t.Fatalf("rash is not emerging: %+v", d.Topics)
	}
	if rash.Count != 5 || len(rash.Posts) != 5 || rash.Group != "g" || len(rash.Trend) != topicTrendDays || rash.Trend[topicTrendDays-1] != 5 {
		t.Errorf("rash = %+v", rash)
	}
	if _, ok := terms["side effect"]; !ok {
		t.Errorf("the phrase side effect is not emerging: %v", d.Topics)
	}
	for term := range terms {
		if term == "fatigue" || term == "the" || term == "thanks" || strings.EqualFold(term, pseudonyms[0]) || strings.Contains(term, strings.ToLower(pseudonyms[0])) {
			t.Errorf("%q should not be an emerging topic", term)
		}
	}
}

func TestTopicTerms(t *testing.T) {
	for _, c := range []struct {
		text string
		want string
	}{
		{"The rash is itchy", "rash,itchy"}, {"Itchy rash again", "itchy,rash,itchy rash"},
		{"Side effects! See https://example.org/side", "side,effects,side effects"},
		{"QuietHeron27 said it's fine", "said,fine"},
		{"I can't sleep, 2024 was hard", "sleep,hard"},
	} {
		got := strings.Join(topicTerms(c.text, map[string]bool{"quietheron27": true}), ",")
		if got != c.want {
			t.Errorf("topicTerms(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}

func TestPercentile(t *testing.T) {
	xs := []int64{10, 1, 7, 3, 5, 9, 2, 8, 4, 6}
	if got := *percentile(xs, 50); got != 5 {
		t.Errorf("median = %d, want 5", got)
	}
	if got := *percentile(xs, 90); got != 9 {
		t.Errorf("p90 = %d, want 9", got)
	}
	if percentile(nil, 50) != nil {
		t.Error("percentile of nothing is not nil")
	}
}
