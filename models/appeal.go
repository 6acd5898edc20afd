package models

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// AppealInput is what a member sends to appeal a moderator's decision about their post.
type AppealInput struct {
	Note string `json:"note" form:"note"`
}

// appealableActions are the decisions about a post that its author may appeal.
var appealableActions = []string{ActionRemove, ActionWarn, ActionMute}

// Appeal states of a post, as its author sees them on the thread page.
const (
	AppealAvailable = "available" // a decision the author may still appeal
	AppealPending   = "pending"   // the appeal waits for a moderator
	AppealDecided   = "decided"   // the appeal was decided; there is no second one
)

// Appeal files v's appeal against the latest moderator decision (remove, warn or
// mute) about v's own post. It opens a new queue item in the decision's lane, with
// the note as its report, that the moderator who decided may not decide. A post is
// appealed once: a second appeal, or a post without such a decision, is a conflict.
// Someone else's post is ErrNotFound.
func (s *Store) Appeal(ctx context.Context, v *Viewer, postID int64, in AppealInput) (*QueueItem, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	in.Note = strings.TrimSpace(in.Note)
	if utf8.RuneCountInString(in.Note) > 1000 {
		return nil, &ValidationError{Fields: map[string]string{"note": "use at most 1000 characters"}}
	}
	var out *QueueItem
	err := s.tx(ctx, func(tx *gorm.DB) error {
		pc, err := s.loadPost(ctx, tx, v, postID)
		if err != nil {
			return err
		}
		p, a := pc.Post, pc.Access
		if p.MembershipID == nil || a.Membership == nil || *p.MembershipID != a.Membership.ID {
			return ErrNotFound
		}
		// A decision about the thread (its removal, say) is a decision about its opening post.
		target := tx.Where("target_type = ? AND target_id = ?", TargetPost, p.ID)
		if op, err := openingPost(ctx, tx, p.ThreadID); err == nil && op.ID == p.ID {
			target = target.Or("target_type = ? AND target_id = ?", TargetThread, p.ThreadID)
		}
		q := tx.Where(target).Where("status = ? AND appeal_of_id IS NULL AND resolution IN ?",
			ItemResolved, appealableActions).Order("resolved_at DESC, id DESC")
		if s.dialect == "postgres" {
			// Two appeals sent at once wait for each other here; the second then sees the first.
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		var decided QueueItem
		err = q.First(&decided).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return Errorf(ECONFLICT, "There is no moderator decision about this post to appeal.")
		}
		if err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&QueueItem{}).Where("target_type = ? AND target_id = ? AND appeal_of_id IS NOT NULL",
			TargetPost, p.ID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return Errorf(ECONFLICT, "You have already appealed this decision. Each decision can be appealed once.")
		}
		// No Reporter: an appeal is not a report, and its outcome must not weigh on the
		// author's later reports. The membership lets moderators see who appealed.
		item, err := s.flag(ctx, tx, flagInput{GroupID: pc.Thread.GroupID, TargetType: TargetPost, TargetID: p.ID,
			Lane: decided.Lane, Source: "appeal", Snapshot: snapshotOf(pc.Thread, p), Note: in.Note,
			ReporterMembershipID: &a.Membership.ID, AppealOf: &decided})
		if err != nil {
			return err
		}
		out = item
		return nil
	})
	if err != nil {
		return nil, wrapErr("appeal", err)
	}
	return out, nil
}

// AppealStates says, for each of the viewer's own removed posts on a thread page,
// whether they may appeal the decision, have an appeal waiting, or had it decided.
// Posts without an appealable decision are absent. It asks the database only when
// the page holds such a post.
func (s *Store) AppealStates(ctx context.Context, v *Viewer, tp *ThreadPage) (map[int64]string, error) {
	out := map[int64]string{}
	if v == nil || tp == nil || tp.Access == nil || tp.Access.Membership == nil {
		return out, nil
	}
	var ids []int64
	for i := range tp.Posts {
		p := &tp.Posts[i]
		if p.Status == PostRemoved && p.MembershipID != nil && *p.MembershipID == tp.Access.Membership.ID {
			ids = append(ids, p.ID)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	db := s.rdb.WithContext(ctx)
	target := db.Where("target_type = ? AND target_id IN ?", TargetPost, ids)
	for _, id := range ids {
		if id == tp.OpeningPostID {
			// A decision about the thread is one about its opening post (see Appeal).
			target = target.Or("target_type = ? AND target_id = ?", TargetThread, tp.Thread.ID)
		}
	}
	var items []QueueItem
	err := db.Select("id", "target_type", "target_id", "status", "resolution", "appeal_of_id").Where(target).
		Where("appeal_of_id IS NOT NULL OR (status = ? AND resolution IN ?)", ItemResolved, appealableActions).
		Order("id").Find(&items).Error
	if err != nil {
		return nil, wrapErr("appeal states", err)
	}
	for _, it := range items {
		if it.TargetType == TargetThread {
			it.TargetID = tp.OpeningPostID
		}
		switch {
		case it.AppealOfID == nil:
			if out[it.TargetID] == "" {
				out[it.TargetID] = AppealAvailable
			}
		case it.Status == ItemOpen:
			out[it.TargetID] = AppealPending
		default:
			out[it.TargetID] = AppealDecided
		}
	}
	return out, nil
}

// Modlog actions for decided appeals.
const (
	ActionAppealUpheld = "appeal_upheld"
	ActionAppealDenied = "appeal_denied"
)

// decideAppeal carries out a decision on an appeal item (see applyAction): approve
// upholds the appeal and undoes the decision (a removed post is published again, a
// mute is lifted), remove keeps the decision as it stands.
func (s *Store) decideAppeal(ctx context.Context, tx *gorm.DB, v *Viewer, it *QueueItem, in ResolveInput) error {
	upheld := in.Action == ActionApprove
	outcome, action := "dismissed", ActionAppealDenied
	if upheld {
		outcome, action = "upheld", ActionAppealUpheld
	}
	if err := tx.Model(&Report{}).Where("queue_item_id = ? AND outcome = ?", it.ID, "pending").Update("outcome", outcome).Error; err != nil {
		return err
	}
	var p Post
	if err := tx.Preload("Membership").First(&p, it.TargetID).Error; err != nil {
		return err
	}
	var orig QueueItem
	if err := tx.Select("id", "target_type", "target_id", "resolution").First(&orig, *it.AppealOfID).Error; err != nil {
		return err
	}
	m := p.Membership
	text := "A moderator reviewed your appeal. The decision stands."
	if upheld {
		text = "A moderator reviewed your appeal and reversed the decision."
		now := s.now()
		if p.Status == PostRemoved {
			if err := tx.Model(&p).Updates(map[string]any{"status": PostPublished, "status_reason": "", "updated_at": now}).Error; err != nil {
				return err
			}
			p.Status, p.StatusReason = PostPublished, ""
			if err := s.reindex(ctx, tx, &p); err != nil {
				return err
			}
			text = "A moderator reviewed your appeal and restored your post."
			if orig.TargetType == TargetThread && orig.Resolution == ActionRemove {
				// Removing a thread locked it; restoring it opens it again.
				if err := tx.Model(&Thread{}).Where("id = ?", orig.TargetID).Update("locked", false).Error; err != nil {
					return err
				}
				text = "A moderator reviewed your appeal and restored your thread."
			}
		}
		if orig.Resolution == ActionMute && m != nil && m.MutedUntil != nil {
			if err := tx.Model(m).Update("muted_until", nil).Error; err != nil {
				return err
			}
			text = "A moderator reviewed your appeal and lifted the pause on your posting."
		}
	}
	if in.Reason != "" {
		text += " Reason: " + in.Reason
	}
	label := "post by a former member"
	if m != nil {
		label = "post by " + m.Pseudonym
		if err := s.notify(ctx, tx, m.ID, NotifyModeration, p.ThreadID, p.ID, text); err != nil {
			return err
		}
	}
	return s.modlog(ctx, tx, v, it.GroupID, action, it.TargetType, it.TargetID, label, in.Reason)
}
