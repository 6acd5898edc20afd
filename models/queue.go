package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Lanes of the moderation queue, most severe first.
const (
	LaneCrisis         = "crisis"
	LaneSafety         = "safety"
	LanePrivacy        = "privacy"
	LaneMisinformation = "misinformation"
	LaneHarassment     = "harassment"
	LaneSpam           = "spam"
	LaneOther          = "other"
)

// Lanes lists the lanes in triage order.
var Lanes = []string{LaneCrisis, LaneSafety, LanePrivacy, LaneMisinformation, LaneHarassment, LaneSpam, LaneOther}

// DefaultLaneDeadlines is how soon an item in each lane needs a moderator.
var DefaultLaneDeadlines = map[string]time.Duration{
	LaneCrisis: 15 * time.Minute, LaneSafety: time.Hour, LanePrivacy: time.Hour,
	LaneMisinformation: 24 * time.Hour, LaneHarassment: 24 * time.Hour,
	LaneSpam: 72 * time.Hour, LaneOther: 72 * time.Hour,
}

// ClaimLease is how long a claim on a queue item lasts before others may take it.
const ClaimLease = 10 * time.Minute

// Queue item target types.
const (
	TargetPost       = "post"
	TargetThread     = "thread"
	TargetMembership = "membership"
	TargetJoin       = "join_request"
)

// Queue item statuses.
const (
	ItemOpen     = "open"
	ItemResolved = "resolved"
)

func laneSeverity(lane string) int {
	for i, l := range Lanes {
		if l == lane {
			return i
		}
	}
	return len(Lanes)
}

// QueueItem is one reported or flagged thing awaiting a moderator. Every report and
// automatic flag on the same thing joins the one open item for it.
type QueueItem struct {
	ID               int64     `gorm:"primaryKey"`
	GroupID          int64     `gorm:"not null;index:idx_queue_triage,priority:1"`
	Group            *Group    `gorm:"constraint:OnDelete:CASCADE"`
	TargetType       string    `gorm:"size:16;not null"`
	TargetID         int64     `gorm:"not null;index"`
	Lane             string    `gorm:"size:16;not null"`
	Severity         int       `gorm:"not null;index:idx_queue_triage,priority:3"`
	Status           string    `gorm:"size:16;not null;default:open;index:idx_queue_triage,priority:2"`
	OpenKey          *string   `gorm:"size:64;uniqueIndex"` // "post:12" while open, so a thing has one open item
	Score            float64   `gorm:"not null;default:0"`
	ReportCount      int       `gorm:"not null;default:0"`
	DeadlineAt       time.Time `gorm:"not null"`
	ClaimedBy        *int64    // user id: never shown, only compared with the viewer's
	ClaimExpiresAt   *time.Time
	Escalated        bool   `gorm:"not null;default:false"`
	Version          int    `gorm:"not null;default:1"`
	Resolution       string `gorm:"size:16;not null;default:''"`
	ResolutionReason string `gorm:"size:1000;not null;default:''"`
	ResolvedBy       *int64
	ResolvedAt       *time.Time
	// AppealOfID is the item whose decision this appeal questions; ExcludeUserID is
	// the moderator who made that decision, who may not decide the appeal.
	AppealOfID    *int64
	ExcludeUserID *int64
	CreatedAt     time.Time `gorm:"not null"`
	UpdatedAt     time.Time
}

// Overdue reports whether the item is open past its deadline at now.
func (q *QueueItem) Overdue(now time.Time) bool {
	return q.Status == ItemOpen && now.After(q.DeadlineAt)
}

// Report is one member's report, or one automatic flag, on a queue item. It keeps a
// snapshot of the content as it was, so an edit cannot hide what was reported.
type Report struct {
	ID          int64  `gorm:"primaryKey"`
	QueueItemID int64  `gorm:"not null;index"`
	ReporterID  *int64 `gorm:"index"` // user id, for scoring and duplicates; staff-only
	// ReporterMembershipID is the reporter's membership in the group, when they have one.
	ReporterMembershipID *int64
	Reason               string    `gorm:"size:32;not null"`
	Source               string    `gorm:"size:32;not null"` // member, crisis, personal_data, premoderation, new_member_link, watched_word, threshold, join_request, appeal
	Note                 string    `gorm:"size:1000;not null;default:''"`
	Snapshot             string    `gorm:"type:text;not null;default:''"`
	Weight               float64   `gorm:"not null;default:1"`
	Outcome              string    `gorm:"size:16;not null;default:pending"` // pending, upheld, dismissed
	CreatedAt            time.Time `gorm:"not null"`
}

// flagInput describes one report or automatic flag.
type flagInput struct {
	GroupID              int64
	TargetType           string
	TargetID             int64
	Lane                 string
	Source               string
	Snapshot             string
	Note                 string
	Reporter             *Viewer
	ReporterMembershipID *int64
	Weight               float64
	AppealOf             *QueueItem
}

// flag adds a report to the open queue item for its target, opening one if need be.
// A more severe report moves the item to its lane and brings its deadline forward.
func (s *Store) flag(ctx context.Context, tx *gorm.DB, in flagInput) (*QueueItem, error) {
	now := s.now()
	if in.TargetType == TargetJoin {
		// The day only, as on the requests page: exact request times could line up one
		// person's pseudonyms across the groups they ask to join.
		now = now.Truncate(24 * time.Hour)
	}
	key := fmt.Sprintf("%s:%d", in.TargetType, in.TargetID)
	if in.AppealOf != nil {
		key = fmt.Sprintf("appeal:%d", in.AppealOf.ID)
	}
	if in.Weight == 0 {
		in.Weight = 1
	}
	deadline := now.Add(s.laneDeadline(in.Lane))
	var item QueueItem
	err := tx.WithContext(ctx).Where("open_key = ?", key).First(&item).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		item = QueueItem{GroupID: in.GroupID, TargetType: in.TargetType, TargetID: in.TargetID, Lane: in.Lane,
			Severity: laneSeverity(in.Lane), Status: ItemOpen, OpenKey: &key, Score: in.Weight, ReportCount: 1,
			DeadlineAt: deadline, Version: 1, CreatedAt: now, UpdatedAt: now}
		if in.AppealOf != nil {
			item.AppealOfID = &in.AppealOf.ID
			item.ExcludeUserID = in.AppealOf.ResolvedBy
		}
		if err := tx.WithContext(ctx).Create(&item).Error; err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	default:
		updates := map[string]any{"report_count": gorm.Expr("report_count + 1"), "score": gorm.Expr("score + ?", in.Weight),
			"version": gorm.Expr("version + 1"), "updated_at": now}
		if laneSeverity(in.Lane) < item.Severity {
			updates["lane"], updates["severity"] = in.Lane, laneSeverity(in.Lane)
			item.Lane, item.Severity = in.Lane, laneSeverity(in.Lane)
		}
		if deadline.Before(item.DeadlineAt) {
			updates["deadline_at"] = deadline
			item.DeadlineAt = deadline
		}
		if err := tx.WithContext(ctx).Model(&item).Updates(updates).Error; err != nil {
			return nil, err
		}
		item.ReportCount++
		item.Score += in.Weight
		item.Version++
	}
	r := Report{QueueItemID: item.ID, Reason: in.Lane, Source: in.Source, Note: in.Note, Snapshot: in.Snapshot,
		Weight: in.Weight, Outcome: "pending", CreatedAt: now, ReporterMembershipID: in.ReporterMembershipID}
	if id := in.Reporter.UserID(); id != 0 {
		r.ReporterID = &id
	}
	if err := tx.WithContext(ctx).Create(&r).Error; err != nil {
		return nil, err
	}
	return &item, nil
}

func (s *Store) laneDeadline(lane string) time.Duration {
	if d, ok := s.deadlines[lane]; ok {
		return d
	}
	if d, ok := DefaultLaneDeadlines[lane]; ok {
		return d
	}
	return 72 * time.Hour
}

// SetLaneDeadlines overrides the deadline of some lanes.
func (s *Store) SetLaneDeadlines(d map[string]time.Duration) {
	s.deadlines = map[string]time.Duration{}
	for k, v := range d {
		s.deadlines[k] = v
	}
}

// snapshotOf is the text of a post as a report keeps it.
func snapshotOf(t *Thread, p *Post) string {
	var b strings.Builder
	if t != nil {
		b.WriteString("Thread: " + t.Title + "\n")
	}
	if p.ContentWarning != "" {
		b.WriteString("Content warning: " + p.ContentWarning + "\n")
	}
	b.WriteString(p.Body)
	return b.String()
}

// autoFlag opens queue items for what the write-time checks found in a new post:
// crisis language, confirmed personal data, posts held for review, and watched words.
func (s *Store) autoFlag(ctx context.Context, tx *gorm.DB, t *Thread, p *Post) error {
	base := flagInput{GroupID: t.GroupID, TargetType: TargetPost, TargetID: p.ID, Snapshot: snapshotOf(t, p)}
	if p.Crisis {
		in := base
		in.Lane, in.Source, in.Note = LaneCrisis, "crisis", "crisis language: "+strings.Join(DetectCrisis(t.Title+"\n"+p.Body), ", ")
		if _, err := s.flag(ctx, tx, in); err != nil {
			return err
		}
	}
	if p.personalData != nil {
		in := base
		in.Lane, in.Source, in.Note = LanePrivacy, "personal_data", "confirmed by the author: "+strings.Join(p.personalData, ", ")
		if _, err := s.flag(ctx, tx, in); err != nil {
			return err
		}
	}
	if p.heldFor != "" {
		in := base
		in.Lane, in.Source, in.Note = LaneOther, p.heldFor, p.StatusReason
		if p.heldFor == "new_member_link" {
			in.Lane = LaneSpam
		}
		if _, err := s.flag(ctx, tx, in); err != nil {
			return err
		}
	}
	return s.flagWatched(ctx, tx, base, p.watched)
}

// ReportInput is what a member sends to report a post, or, from one of its posts, a
// thread or a member (About: "post", the default, "thread" or "member").
type ReportInput struct {
	Reason string `json:"reason" form:"reason"`
	Note   string `json:"note" form:"note"`
	About  string `json:"about" form:"about"`
}

var reportReasons = map[string]string{
	"crisis": LaneCrisis, "safety": LaneSafety, "privacy": LanePrivacy, "misinformation": LaneMisinformation,
	"harassment": LaneHarassment, "spam": LaneSpam, "other": LaneOther,
}

// DefaultReportThreshold is how many members' reports hide a post pending review.
const DefaultReportThreshold = 3

// ReportPost files v's report on a post, or, with About, on the post's thread or its
// author's membership (see reportTargetFor). Reports on a post from
// DefaultReportThreshold distinct members hide it pending review, unless it is a
// crisis post.
func (s *Store) ReportPost(ctx context.Context, v *Viewer, postID int64, in ReportInput) (*QueueItem, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	in.Note = strings.TrimSpace(in.Note)
	var ve ValidationError
	lane, ok := reportReasons[in.Reason]
	if !ok {
		ve.Add("reason", "choose crisis, safety, privacy, misinformation, harassment, spam or other")
	}
	if utf8.RuneCountInString(in.Note) > 1000 {
		ve.Add("note", "use at most 1000 characters")
	}
	if in.About == "" {
		in.About = ReportAboutPost
	}
	if !slices.Contains(reportAbouts, in.About) {
		ve.Add("about", "choose post, thread or member")
	}
	if err := ve.Err(); err != nil {
		return nil, err
	}
	var out *QueueItem
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var p Post
		if err := tx.Preload("Thread.Group").First(&p, postID).Error; err != nil {
			return err
		}
		t := p.Thread
		a, err := s.groupAccessFor(ctx, tx, v, t.Group)
		if err != nil {
			return err
		}
		if !a.CanRead || (p.Status == PostHeld && !a.Moderates) {
			return ErrNotFound
		}
		if !v.User.Active() {
			return Errorf(EFORBIDDEN, "your account cannot report right now")
		}
		target, err := s.reportTargetFor(ctx, tx, v, in.About, t, &p, a)
		if err != nil {
			return err
		}
		key := fmt.Sprintf("%s:%d", target.Type, target.ID)
		var dup int64
		if err := tx.Model(&Report{}).Joins("JOIN queue_items ON queue_items.id = reports.queue_item_id").
			Where("queue_items.open_key = ? AND reports.reporter_id = ?", key, v.User.ID).Count(&dup).Error; err != nil {
			return err
		}
		if dup > 0 {
			return Errorf(ECONFLICT, "you have already reported this "+in.About+"; a moderator will look at it")
		}
		weight, err := s.reporterWeight(ctx, tx, v.User.ID)
		if err != nil {
			return err
		}
		fi := flagInput{GroupID: t.GroupID, TargetType: target.Type, TargetID: target.ID, Lane: lane, Source: "member",
			Snapshot: target.Snapshot, Note: in.Note, Reporter: v, Weight: weight}
		if a.Membership != nil && a.Membership.Status == MemberActive {
			fi.ReporterMembershipID = &a.Membership.ID
		}
		item, err := s.flag(ctx, tx, fi)
		if err != nil {
			return err
		}
		out = item
		if target.Type != TargetPost || p.Crisis || p.Status != PostPublished {
			return nil
		}
		var reporters int64
		if err := tx.Model(&Report{}).Where("queue_item_id = ? AND source = ?", item.ID, "member").
			Distinct("reporter_id").Count(&reporters).Error; err != nil {
			return err
		}
		if reporters >= DefaultReportThreshold {
			if err := tx.Model(&p).Updates(map[string]any{"status": PostHeld,
				"status_reason": "hidden pending review after several reports", "updated_at": s.now()}).Error; err != nil {
				return err
			}
			p.Status = PostHeld
			return s.reindex(ctx, tx, &p) // out of search until a moderator decides
		}
		return nil
	})
	if err != nil {
		return nil, wrapErr("report post", err)
	}
	return out, nil
}

// reporterWeight weighs a reporter's new report by how their earlier reports were
// decided: upheld reports count for more, dismissed ones for less (0.25 to 3).
func (s *Store) reporterWeight(ctx context.Context, tx *gorm.DB, userID int64) (float64, error) {
	var rows []struct {
		Outcome string
		N       int
	}
	if err := tx.WithContext(ctx).Model(&Report{}).Select("outcome, COUNT(*) AS n").
		Where("reporter_id = ? AND outcome <> ?", userID, "pending").Group("outcome").Scan(&rows).Error; err != nil {
		return 0, err
	}
	upheld, dismissed := 0, 0
	for _, r := range rows {
		switch r.Outcome {
		case "upheld":
			upheld = r.N
		case "dismissed":
			dismissed = r.N
		}
	}
	w := float64(1+upheld) / float64(1+dismissed)
	return min(max(w, 0.25), 3), nil
}
