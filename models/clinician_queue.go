package models

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"gorm.io/gorm"
)

// The clinicians' work lists: the question queue (open questions in the groups a
// clinician can read) and the misinformation reports routed to them for clinical review.

// QuestionFilter narrows the question queue. Group is a slug; Specialty keeps the
// questions that no clinician of that specialty has answered yet.
type QuestionFilter struct {
	Group     string `query:"group" json:"group"`
	Specialty string `query:"specialty" json:"specialty"`
	Page      int    `query:"page" json:"-"`
}

// QuestionEntry is one open question in the queue, with its opening post.
type QuestionEntry struct {
	Thread  Thread // with Group and Membership loaded
	Opening Post
}

// QuestionPage is one page of the question queue, with what its filters offer.
type QuestionPage struct {
	Entries     []QuestionEntry
	Page        int
	HasNext     bool
	Groups      []Group  // the groups the clinician can read, by name
	Specialties []string // the specialties of verified clinicians
}

// requireClinician refuses anyone but a verified clinician with a current credential;
// a lapsed one is asked to re-verify.
func (s *Store) requireClinician(v *Viewer) error {
	if v == nil {
		return ErrUnauthenticated
	}
	now := s.now()
	if v.Clinician.Lapsed(now) {
		return &Error{Code: EFORBIDDEN, Link: "/clinicians/apply",
			Message: "Your clinician verification has expired. Re-verify to work the clinicians' lists again."}
	}
	if !v.VerifiedClinician(now) || !v.User.Active() {
		return Errorf(EFORBIDDEN, "This page is for verified clinicians. Members can apply to be verified at /clinicians/apply.")
	}
	return nil
}

// readableGroupIDs is a subquery of the ids of the groups a verified clinician v can
// read: open and professional groups, and the closed and secret groups v is an active
// member of (all groups for admins).
func readableGroupIDs(db *gorm.DB, v *Viewer) *gorm.DB {
	q := db.Model(&Group{}).Select("id")
	if v.IsAdmin() {
		return q
	}
	mine := db.Model(&Membership{}).Select("group_id").Where("user_id = ? AND status = ?", v.User.ID, MemberActive)
	return q.Where("visibility IN ? OR id IN (?)", []string{VisibilityOpen, VisibilityProfessional}, mine)
}

// openQuestions is the query of the open questions v can read: question threads,
// neither locked nor with an accepted answer, whose opening post is published.
func openQuestions(db *gorm.DB, v *Viewer) *gorm.DB {
	return db.Model(&Thread{}).
		Joins("JOIN posts op ON op.id = (SELECT MIN(f.id) FROM posts f WHERE f.thread_id = threads.id)").
		Where("threads.kind = ? AND threads.locked = ? AND threads.accepted_post_id IS NULL AND op.status = ?",
			KindQuestion, false, PostPublished).
		Where("threads.group_id IN (?)", readableGroupIDs(db, v))
}

// ClinicianQuestions lists the open questions in the groups verified clinician v can
// read: those no clinician has answered first, then oldest first. Only verified
// clinicians may use it.
func (s *Store) ClinicianQuestions(ctx context.Context, v *Viewer, f QuestionFilter) (*QuestionPage, error) {
	if err := s.requireClinician(v); err != nil {
		return nil, err
	}
	if f.Page == 0 {
		f.Page = 1
	}
	if f.Page < 1 || f.Page > MaxPage {
		return nil, &ValidationError{Fields: map[string]string{"page": fmt.Sprintf("use a page from 1 to %d", MaxPage)}}
	}
	f.Specialty = strings.TrimSpace(f.Specialty)
	if len(f.Specialty) > maxSpecialtyRunes*4 {
		return nil, &ValidationError{Fields: map[string]string{"specialty": "use a shorter specialty"}}
	}
	db := s.rdb.WithContext(ctx)
	qp := &QuestionPage{Page: f.Page}
	if err := db.Where("id IN (?)", readableGroupIDs(db, v)).Order("name, id").Find(&qp.Groups).Error; err != nil {
		return nil, wrapErr("clinician questions", err)
	}
	if err := db.Model(&Clinician{}).Where("status = ? AND specialty <> ''", ClinicianVerified).
		Distinct("specialty").Pluck("specialty", &qp.Specialties).Error; err != nil {
		return nil, wrapErr("clinician questions", err)
	}
	sort.Strings(qp.Specialties)
	q := openQuestions(db, v).Select("threads.*").Preload("Group").Preload("Membership").Preload("Clinician")
	if f.Group != "" {
		var g *Group
		for i := range qp.Groups {
			if qp.Groups[i].Slug == f.Group {
				g = &qp.Groups[i]
			}
		}
		if g == nil {
			return nil, ErrNotFound
		}
		q = q.Where("threads.group_id = ?", g.ID)
	}
	if f.Specialty != "" {
		q = q.Where(`NOT EXISTS (SELECT 1 FROM posts cp JOIN clinicians c ON c.id = cp.clinician_id
			WHERE cp.thread_id = threads.id AND cp.status = ? AND LOWER(c.specialty) = LOWER(?))`, PostPublished, f.Specialty)
	}
	var ts []Thread
	err := q.Order("threads.clinician_answered, threads.created_at, threads.id").
		Offset((f.Page - 1) * PageSize).Limit(PageSize + 1).Find(&ts).Error
	if err != nil {
		return nil, wrapErr("clinician questions", err)
	}
	if len(ts) > PageSize {
		qp.HasNext, ts = true, ts[:PageSize]
	}
	if f.Page > 1 && len(ts) == 0 {
		return nil, ErrNotFound
	}
	if len(ts) == 0 {
		return qp, nil
	}
	ids := make([]int64, len(ts))
	for i := range ts {
		ids[i] = ts[i].ID
	}
	var ops []Post
	if err := db.Where("id IN (?)", db.Model(&Post{}).Select("MIN(id)").Where("thread_id IN ?", ids).Group("thread_id")).
		Find(&ops).Error; err != nil {
		return nil, wrapErr("clinician questions", err)
	}
	byThread := make(map[int64]Post, len(ops))
	for _, p := range ops {
		byThread[p.ThreadID] = p
	}
	for _, t := range ts {
		qp.Entries = append(qp.Entries, QuestionEntry{Thread: t, Opening: byThread[t.ID]})
	}
	return qp, nil
}

// ClinicianQuestionCount is the number of open questions no clinician has answered
// in the groups v can read, for the header's badge: one COUNT query capped at
// BadgeCap, 0 for anyone but a verified clinician.
func (s *Store) ClinicianQuestionCount(ctx context.Context, v *Viewer) (int, error) {
	if !v.VerifiedClinician(s.now()) {
		return 0, nil
	}
	var n int64
	if err := cappedCount(openQuestions(s.rdb.WithContext(ctx), v).Where("threads.clinician_answered = ?", false)).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("models: clinician question count: %w", err)
	}
	return int(n), nil
}

// ReviewEntry is one misinformation report awaiting clinical review: the open queue
// item and the reported post.
type ReviewEntry struct {
	Item  QueueItem
	Group Group
	Post  Post
	Label *FactCheckLabel // the post's current label, if any
}

// ClinicalReview lists the open misinformation-lane queue items about published
// posts in the groups verified clinician v can read, oldest deadline first, for
// the queue's "needs clinical review" filter. Clinicians answer them with a
// fact-check label on the post; the moderators still decide the item. group, a
// slug, narrows the list.
func (s *Store) ClinicalReview(ctx context.Context, v *Viewer, group string) ([]ReviewEntry, error) {
	if err := s.requireClinician(v); err != nil {
		return nil, err
	}
	db := s.rdb.WithContext(ctx)
	q := db.Model(&QueueItem{}).Preload("Group").
		Joins("JOIN posts rp ON rp.id = queue_items.target_id").
		Where("queue_items.status = ? AND queue_items.lane = ? AND queue_items.target_type = ? AND rp.status = ?",
			ItemOpen, LaneMisinformation, TargetPost, PostPublished).
		Where("queue_items.group_id IN (?)", readableGroupIDs(db, v))
	if group != "" {
		var g Group
		if err := db.Where("slug = ? AND id IN (?)", group, readableGroupIDs(db, v)).First(&g).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return nil, ErrNotFound
			}
			return nil, wrapErr("clinical review", err)
		}
		q = q.Where("queue_items.group_id = ?", g.ID)
	}
	var items []QueueItem
	if err := q.Select("queue_items.*").Order("queue_items.deadline_at, queue_items.id").Limit(200).Find(&items).Error; err != nil {
		return nil, wrapErr("clinical review", err)
	}
	postIDs := make([]int64, len(items))
	for i := range items {
		postIDs[i] = items[i].TargetID
	}
	posts := map[int64]Post{}
	if len(postIDs) > 0 {
		var ps []Post
		if err := db.Preload("Membership").Preload("Clinician").Where("id IN ?", postIDs).Find(&ps).Error; err != nil {
			return nil, wrapErr("clinical review", err)
		}
		for _, p := range ps {
			posts[p.ID] = p
		}
	}
	labels, err := s.PostLabels(ctx, postIDs)
	if err != nil {
		return nil, err
	}
	out := make([]ReviewEntry, 0, len(items))
	for _, it := range items {
		g := *it.Group
		it.Group = nil
		out = append(out, ReviewEntry{Item: it, Group: g, Post: posts[it.TargetID], Label: labels[it.TargetID]})
	}
	return out, nil
}
