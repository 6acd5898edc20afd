package models

import (
	"strings"
	"testing"
)

func TestLabelValidation(t *testing.T) {
	f := newClinicianFixture(t)
	s := f.s
	tests := []struct {
		name  string
		in    LabelInput
		field string
	}{
		{"no note", LabelInput{Sources: []string{"https://www.who.int/x"}}, "note"},
		{"long note", LabelInput{Note: strings.Repeat("n", MaxLabelNoteRunes+1), Sources: []string{"https://www.who.int/x"}}, "note"},
		{"no source", LabelInput{Note: "Not accurate"}, "sources"},
		{"blank source", LabelInput{Note: "Not accurate", Sources: []string{"   "}}, "sources"},
		{"http source", LabelInput{Note: "Not accurate", Sources: []string{"http://www.cdc.gov/x"}}, "sources"},
		{"javascript source", LabelInput{Note: "Not accurate", Sources: []string{"javascript:alert(1)"}}, "sources"},
		{"not a url", LabelInput{Note: "Not accurate", Sources: []string{"see the NICE guideline"}}, "sources"},
		{"one good one bad", LabelInput{Note: "Not accurate", Sources: []string{"https://www.nice.org.uk/ng28", "ftp://x.org/a"}}, "sources"},
		{"user info", LabelInput{Note: "Not accurate", Sources: []string{"https://user:pw@example.org/"}}, "sources"},
		{"too many", LabelInput{Note: "Not accurate", Sources: []string{"https://a.org https://b.org https://c.org https://d.org https://e.org https://f.org"}}, "sources"},
		{"bad voice", LabelInput{Note: "Not accurate", Sources: []string{"https://a.org"}, As: "king"}, "as"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.LabelPost(ctx, f.doc, f.questionPost.ID, tt.in)
			wantField(t, err, tt.field)
			if n := countRows(t, s, &FactCheckLabel{}); n != 0 {
				t.Fatalf("labels stored: %d", n)
			}
		})
	}
}

func TestLabelLifecycle(t *testing.T) {
	f := newClinicianFixture(t)
	s := f.s
	good := LabelInput{Note: "Nausea usually settles; modified-release tablets can help.",
		Sources: []string{"https://www.nhs.uk/medicines/metformin/\nhttps://doi.org/10.1000/182"}}

	// Members cannot label; clinicians label in their display name.
	_, err := s.LabelPost(ctx, f.asker, f.discuss.ID, good)
	wantCode(t, err, EFORBIDDEN)
	l, err := s.LabelPost(ctx, f.doc, f.questionPost.ID, good)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := l.By(), f.doc.Clinician.DisplayName; got != want {
		t.Fatalf("label by %q, want %q", got, want)
	}
	if got, want := len(l.SourceList()), 2; got != want {
		t.Fatalf("sources %d, want %d", got, want)
	}
	// The modlog names the clinician's display name, never their pseudonym.
	var logs []ModlogEntry
	s.db.Where("group_id = ?", f.group.ID).Find(&logs)
	for _, e := range logs {
		if e.ModeratorPseudonym == f.docMembership.Pseudonym {
			t.Fatalf("modlog links the clinician to their pseudonym: %+v", e)
		}
	}
	// Another clinician may not change it; moderators may.
	other := mustViewer(t, s, "dr-other", RoleClinician)
	_, err = s.LabelPost(ctx, other, f.questionPost.ID, LabelInput{Note: "Different", Sources: []string{"https://www.cdc.gov/"}})
	wantCode(t, err, EFORBIDDEN)
	// Editing keeps versions; a stale version is a conflict.
	edited, err := s.LabelPost(ctx, f.doc, f.questionPost.ID, LabelInput{Note: "Updated note", Sources: []string{"https://www.who.int/"}, Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := edited.Version, 2; got != want {
		t.Fatalf("version %d, want %d", got, want)
	}
	_, err = s.LabelPost(ctx, f.doc, f.questionPost.ID, LabelInput{Note: "Stale", Sources: []string{"https://www.who.int/"}, Version: 1})
	wantCode(t, err, ECONFLICT)
	lc, err := s.PostLabel(ctx, f.asker, f.questionPost.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(lc.Revisions), 2; got != want {
		t.Fatalf("revisions %d, want %d", got, want)
	}
	if lc.Revisions[0].Note != good.Note || lc.Revisions[1].Note != "Updated note" {
		t.Fatalf("history: %+v", lc.Revisions)
	}
	if !lc.CanAppeal || lc.CanLabel {
		t.Fatalf("author: can appeal %v, can label %v", lc.CanAppeal, lc.CanLabel)
	}

	// The author appeals once: a queue item in the misinformation lane.
	_, err = s.AppealLabel(ctx, f.doc, f.questionPost.ID, AppealInput{})
	wantCode(t, err, EFORBIDDEN)
	item, err := s.AppealLabel(ctx, f.asker, f.questionPost.ID, AppealInput{Note: "My doctor said so"})
	if err != nil {
		t.Fatal(err)
	}
	if item.Lane != LaneMisinformation || item.TargetType != TargetPost || item.TargetID != f.questionPost.ID {
		t.Fatalf("appeal item: %+v", item)
	}
	var r Report
	s.db.Where("queue_item_id = ?", item.ID).First(&r)
	if r.Source != "label_appeal" || !strings.Contains(r.Note, "My doctor said so") {
		t.Fatalf("appeal report: %+v", r)
	}
	_, err = s.AppealLabel(ctx, f.asker, f.questionPost.ID, AppealInput{})
	wantCode(t, err, ECONFLICT)

	// Moderators remove it; the history stays and the label is no longer shown.
	if _, err := s.RemoveLabel(ctx, f.asker, f.questionPost.ID, ""); err == nil {
		t.Fatalf("member removed a label")
	}
	if _, err := s.RemoveLabel(ctx, f.admin, f.questionPost.ID, "sources disagree"); err != nil {
		t.Fatal(err)
	}
	shown, err := s.PostLabels(ctx, []int64{f.questionPost.ID})
	if err != nil || len(shown) != 0 {
		t.Fatalf("removed label still shown: %v, %v", shown, err)
	}
	lc, _ = s.PostLabel(ctx, f.admin, f.questionPost.ID)
	if got, want := len(lc.Revisions), 3; got != want || lc.Revisions[2].Action != "removed" {
		t.Fatalf("revisions after removal: %+v", lc.Revisions)
	}
	if _, err := s.RemoveLabel(ctx, f.admin, f.questionPost.ID, ""); err != ErrNotFound {
		t.Fatalf("removing twice: %v", err)
	}
	// Nobody labels their own post.
	own, err := s.CreatePost(ctx, f.doc, f.question.ID, PostInput{Body: "my answer", AsClinician: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.LabelPost(ctx, f.doc, own.ID, good)
	wantCode(t, err, EFORBIDDEN)
	// Every change is audited.
	var n int64
	s.db.Model(&AuditEntry{}).Where("target_type = ? AND target_id = ?", TargetPost, f.questionPost.ID).Count(&n)
	if n < 4 {
		t.Fatalf("audit entries for the label: %d, want at least 4", n)
	}
}

func TestLabelAsModerationAction(t *testing.T) {
	f := newClinicianFixture(t)
	s := f.s
	reporter := mustViewer(t, s, "reporter", RoleMember)
	mustJoin(t, s, reporter, "diabetes", MemberActive)
	item, err := s.ReportPost(ctx, reporter, f.discuss.ID, ReportInput{Reason: "misinformation", Note: "this is wrong"})
	if err != nil {
		t.Fatal(err)
	}
	// Without a valid label: 422 on the label's fields, nothing decided.
	_, err = s.Resolve(ctx, f.admin, item.ID, ResolveInput{Action: ActionLabel, Version: item.Version,
		Label: LabelInput{Note: "Wrong", Sources: []string{"http://insecure.example.org"}}})
	wantField(t, err, "label_sources")
	_, err = s.Resolve(ctx, f.admin, item.ID, ResolveInput{Action: ActionLabel, Version: item.Version,
		LabelNote: "", LabelSources: "https://www.who.int/"})
	wantField(t, err, "label_note")
	// A form's fields work as the JSON body does.
	res, err := s.Resolve(ctx, f.admin, item.ID, ResolveInput{Action: ActionLabel, Version: item.Version, Reason: "needs context",
		LabelNote: "See the guidance.", LabelSources: "https://www.who.int/\r\nhttps://www.cdc.gov/diabetes/"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != ItemResolved || res.Resolution != ActionLabel {
		t.Fatalf("item: %+v", res)
	}
	shown, _ := s.PostLabels(ctx, []int64{f.discuss.ID})
	l := shown[f.discuss.ID]
	if l == nil || l.By() != LabelByModerators || len(l.SourceList()) != 2 {
		t.Fatalf("label from the queue: %+v", l)
	}
	var e ModlogEntry
	if err := s.db.Where("group_id = ? AND action = ?", f.group.ID, ActionLabel).First(&e).Error; err != nil {
		t.Fatalf("no modlog entry for the label decision: %v", err)
	}
}

func TestClinicalReviewFilter(t *testing.T) {
	f := newClinicianFixture(t)
	s := f.s
	reporter := mustViewer(t, s, "reporter", RoleMember)
	mustJoin(t, s, reporter, "diabetes", MemberActive)
	if _, err := s.ReportPost(ctx, reporter, f.discuss.ID, ReportInput{Reason: "misinformation"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReportPost(ctx, reporter, f.questionPost.ID, ReportInput{Reason: "spam"}); err != nil {
		t.Fatal(err)
	}
	// A misinformation report in a closed group the clinician cannot read stays out.
	mustGroup(t, s, f.admin, "closed", VisibilityClosed)
	s.db.Create(&Membership{UserID: f.asker.User.ID, GroupID: mustGroupID(t, s, "closed"), Pseudonym: "ClosedOne1",
		Role: MemberRegular, Status: MemberActive})
	_, closedPost, err := s.CreateThread(ctx, f.asker, "closed", ThreadInput{Title: "Closed thread", Body: "x"})
	if err != nil {
		t.Fatal(err)
	}
	s.db.Create(&Membership{UserID: reporter.User.ID, GroupID: mustGroupID(t, s, "closed"), Pseudonym: "ClosedTwo2",
		Role: MemberRegular, Status: MemberActive})
	if _, err := s.ReportPost(ctx, reporter, closedPost.ID, ReportInput{Reason: "misinformation"}); err != nil {
		t.Fatal(err)
	}
	list, err := s.ClinicalReview(ctx, f.doc, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Post.ID != f.discuss.ID {
		t.Fatalf("clinical review: %+v", list)
	}
	if _, err := s.ClinicalReview(ctx, f.asker, ""); err == nil {
		t.Fatalf("a member sees the clinical review list")
	}
	if _, err := s.ClinicalReview(ctx, f.doc, "closed"); err != ErrNotFound {
		t.Fatalf("unreadable group filter: %v", err)
	}
}
