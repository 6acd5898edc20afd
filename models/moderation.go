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
	"gorm.io/gorm/clause"
)

// Moderation actions.
const (
	ActionApprove  = "approve"
	ActionRemove   = "remove"
	ActionRedact   = "redact"
	ActionLabel    = "label"
	ActionLock     = "lock"
	ActionWarn     = "warn"
	ActionMute     = "mute"
	ActionBan      = "ban"
	ActionEscalate = "escalate"
)

// ModlogEntry is one line of a group's public moderation log. The moderator's
// identity is kept for staff and the group's moderators; others see "moderator".
type ModlogEntry struct {
	ID                 int64  `gorm:"primaryKey"`
	GroupID            int64  `gorm:"not null;index:idx_modlog_group,priority:1"`
	Action             string `gorm:"size:32;not null"`
	TargetType         string `gorm:"size:16;not null"`
	TargetID           int64  `gorm:"not null"`
	TargetLabel        string `gorm:"size:200;not null;default:''"`
	Reason             string `gorm:"size:1000;not null;default:''"`
	ModeratorID        *int64
	ModeratorPseudonym string    `gorm:"size:64;not null;default:''"`
	CreatedAt          time.Time `gorm:"not null;index:idx_modlog_group,priority:2"`
}

// MemberNote is a staff note on a membership, for the group's moderators alone.
type MemberNote struct {
	ID           int64     `gorm:"primaryKey"`
	MembershipID int64     `gorm:"not null;index"`
	AuthorID     int64     `gorm:"not null"`
	AuthorLabel  string    `gorm:"size:64;not null"`
	Body         string    `gorm:"size:2000;not null"`
	CreatedAt    time.Time `gorm:"not null"`
}

// modlog writes the modlog and the audit log for one moderation act.
func (s *Store) modlog(ctx context.Context, tx *gorm.DB, v *Viewer, groupID int64, action, targetType string, targetID int64, label, reason string) error {
	if err := s.writeModlog(ctx, tx, v, groupID, action, targetType, targetID, label, reason); err != nil {
		return err
	}
	return s.audit(ctx, tx, v, "moderation."+action, targetType, targetID, reason)
}

// writeModlog writes the modlog entry alone, for an act its caller audits itself.
func (s *Store) writeModlog(ctx context.Context, tx *gorm.DB, v *Viewer, groupID int64, action, targetType string, targetID int64, label, reason string) error {
	e := ModlogEntry{GroupID: groupID, Action: action, TargetType: targetType, TargetID: targetID,
		TargetLabel: label, Reason: reason, CreatedAt: s.now()}
	if id := v.UserID(); id != 0 {
		e.ModeratorID = &id
		var m Membership
		if err := tx.WithContext(ctx).Where("group_id = ? AND user_id = ?", groupID, id).First(&m).Error; err == nil {
			e.ModeratorPseudonym = m.Pseudonym
		} else if v.IsAdmin() {
			e.ModeratorPseudonym = "staff"
		}
	}
	if err := tx.WithContext(ctx).Create(&e).Error; err != nil {
		return fmt.Errorf("models: modlog: %w", err)
	}
	return nil
}

// Modlog actions for join requests, decided from the queue or the requests page.
const (
	ActionApproveJoin = "approve_join"
	ActionDeclineJoin = "decline_join"
)

// joinModlogAction names a join decision in the modlog.
func joinModlogAction(approve bool) string {
	if approve {
		return ActionApproveJoin
	}
	return ActionDeclineJoin
}

// moderatedGroupIDs lists the groups v moderates; nil with all=true for admins.
func (s *Store) moderatedGroupIDs(ctx context.Context, db *gorm.DB, v *Viewer) (ids []int64, all bool, err error) {
	if v == nil {
		return nil, false, ErrUnauthenticated
	}
	if v.IsAdmin() {
		return nil, true, nil
	}
	err = db.WithContext(ctx).Model(&Membership{}).Where("user_id = ? AND status = ? AND role IN ?", v.User.ID,
		MemberActive, []string{MemberModerator, MemberOwner}).Pluck("group_id", &ids).Error
	return ids, false, err
}

// IsModerator reports whether v moderates any group or is an admin.
func (s *Store) IsModerator(ctx context.Context, v *Viewer) (bool, error) {
	ids, all, err := s.moderatedGroupIDs(ctx, s.rdb, v)
	if err != nil {
		return false, err
	}
	return all || len(ids) > 0, nil
}

// QueueFilter narrows the queue.
type QueueFilter struct {
	Group     string `query:"group" json:"group"`
	Lane      string `query:"lane" json:"lane"`
	Status    string `query:"status" json:"status"`
	ClaimedBy string `query:"claimed" json:"claimed"` // "me" for items v holds
}

// QueueEntry is one queue item with what the list shows of it.
type QueueEntry struct {
	Item    QueueItem
	Group   Group
	Excerpt string
	// ContentWarning is the reported post's content warning, if any.
	ContentWarning string
}

// Queue lists the queue items v may work, in triage order: lane severity, then
// overdue first, then score, then age. Moderators see their groups; admins all.
func (s *Store) Queue(ctx context.Context, v *Viewer, f QueueFilter) ([]QueueEntry, error) {
	ids, all, err := s.moderatedGroupIDs(ctx, s.rdb, v)
	if err != nil {
		return nil, err
	}
	if !all && len(ids) == 0 {
		return nil, ErrNotFound
	}
	if f.Status == "" {
		f.Status = ItemOpen
	}
	if f.Status != ItemOpen && f.Status != ItemResolved {
		return nil, &ValidationError{Fields: map[string]string{"status": "choose open or resolved"}}
	}
	q := s.rdb.WithContext(ctx).Model(&QueueItem{}).Preload("Group").Where("status = ?", f.Status)
	if !all {
		q = q.Where("group_id IN ?", ids)
	}
	if f.Group != "" {
		var g Group
		if err := s.rdb.WithContext(ctx).Where("slug = ?", f.Group).First(&g).Error; err != nil || (!all && !slices.Contains(ids, g.ID)) {
			return nil, ErrNotFound
		}
		q = q.Where("group_id = ?", g.ID)
	}
	if f.Lane != "" {
		if laneSeverity(f.Lane) == len(Lanes) {
			return nil, &ValidationError{Fields: map[string]string{"lane": "unknown lane"}}
		}
		q = q.Where("lane = ?", f.Lane)
	}
	if f.ClaimedBy == "me" {
		q = q.Where("claimed_by = ? AND claim_expires_at > ?", v.User.ID, s.now())
	}
	if !all {
		q = q.Where("escalated = ? AND (exclude_user_id IS NULL OR exclude_user_id <> ?)", false, v.User.ID)
	}
	now := s.now()
	var items []QueueItem
	if f.Status == ItemOpen {
		q = q.Clauses(clause.OrderBy{Expression: clause.Expr{
			SQL:  "severity, CASE WHEN deadline_at < ? THEN 0 ELSE 1 END, score DESC, created_at, id",
			Vars: []any{now}, WithoutParentheses: true}})
	} else {
		q = q.Order("resolved_at DESC")
	}
	if err := q.Limit(200).Find(&items).Error; err != nil {
		return nil, fmt.Errorf("models: queue: %w", err)
	}
	excerpts, warnings, err := s.excerpts(ctx, items)
	if err != nil {
		return nil, err
	}
	out := make([]QueueEntry, 0, len(items))
	for _, it := range items {
		g := *it.Group
		it.Group = nil
		out = append(out, QueueEntry{Item: it, Group: g, Excerpt: excerpts[it.ID], ContentWarning: warnings[it.ID]})
	}
	return out, nil
}

// excerpts loads a short excerpt of each item's target in one query per target type,
// and the content warnings of reported posts.
func (s *Store) excerpts(ctx context.Context, items []QueueItem) (map[int64]string, map[int64]string, error) {
	out, warnings := map[int64]string{}, map[int64]string{}
	var postIDs, memberIDs, threadIDs []int64
	for _, it := range items {
		switch it.TargetType {
		case TargetThread:
			threadIDs = append(threadIDs, it.TargetID)
		case TargetPost:
			postIDs = append(postIDs, it.TargetID)
		case TargetMembership, TargetJoin:
			memberIDs = append(memberIDs, it.TargetID)
		}
	}
	if len(postIDs) > 0 {
		var ps []Post
		if err := s.rdb.WithContext(ctx).Select("id", "body", "content_warning").Where("id IN ?", postIDs).Find(&ps).Error; err != nil {
			return nil, nil, err
		}
		byID, cw := map[int64]string{}, map[int64]string{}
		for _, p := range ps {
			byID[p.ID], cw[p.ID] = excerpt(p.Body, 160), p.ContentWarning
		}
		for _, it := range items {
			if it.TargetType == TargetPost {
				out[it.ID], warnings[it.ID] = byID[it.TargetID], cw[it.TargetID]
			}
		}
	}
	if len(threadIDs) > 0 {
		var ts []Thread
		if err := s.rdb.WithContext(ctx).Select("id", "title").Where("id IN ?", threadIDs).Find(&ts).Error; err != nil {
			return nil, nil, err
		}
		byID := map[int64]string{}
		for _, t := range ts {
			byID[t.ID] = excerpt(t.Title, 160)
		}
		for _, it := range items {
			if it.TargetType == TargetThread {
				out[it.ID] = byID[it.TargetID]
			}
		}
	}
	if len(memberIDs) > 0 {
		var ms []Membership
		if err := s.rdb.WithContext(ctx).Select("id", "pseudonym").Where("id IN ?", memberIDs).Find(&ms).Error; err != nil {
			return nil, nil, err
		}
		byID := map[int64]string{}
		for _, m := range ms {
			byID[m.ID] = m.Pseudonym
		}
		for _, it := range items {
			if it.TargetType == TargetJoin {
				out[it.ID] = byID[it.TargetID] + " asks to join"
			} else if it.TargetType == TargetMembership {
				out[it.ID] = byID[it.TargetID]
			}
		}
	}
	return out, warnings, nil
}

// excerpt shortens text to about n characters on a word boundary.
func excerpt(text string, n int) string {
	text = strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	r := []rune(text)[:n]
	if i := strings.LastIndex(string(r), " "); i > n/2 {
		return string(r)[:i] + "…"
	}
	return string(r) + "…"
}

// ItemDetail is a queue item with everything a moderator needs to decide it.
type ItemDetail struct {
	Item    QueueItem
	Group   Group
	Reports []Report
	// Post and Thread are the reported post and its thread, when the target is a post.
	Post    *Post
	Thread  *Thread
	Context []Post // the posts just before and after, in thread order
	// Author is the target's membership; History its recent posts and past actions.
	Author  *Membership
	History []Post
	Actions []ModlogEntry
	Notes   []MemberNote
	// AppealOf is the decided item an appeal questions, when the item is an appeal.
	AppealOf *QueueItem
}

// loadItem loads an item v may work, or ErrNotFound.
func (s *Store) loadItem(ctx context.Context, db *gorm.DB, v *Viewer, id int64) (*QueueItem, error) {
	ids, all, err := s.moderatedGroupIDs(ctx, db, v)
	if err != nil {
		return nil, err
	}
	var it QueueItem
	if err := db.WithContext(ctx).Preload("Group").First(&it, id).Error; err != nil {
		return nil, ErrNotFound
	}
	if !all {
		ok := false
		for _, g := range ids {
			ok = ok || g == it.GroupID
		}
		if !ok || it.Escalated {
			return nil, ErrNotFound
		}
	}
	return &it, nil
}

// Item loads one queue item with its reports, target, context and the author's
// history in this group.
func (s *Store) Item(ctx context.Context, v *Viewer, id int64) (*ItemDetail, error) {
	it, err := s.loadItem(ctx, s.rdb, v, id)
	if err != nil {
		return nil, err
	}
	db := s.rdb.WithContext(ctx)
	d := &ItemDetail{Item: *it, Group: *it.Group}
	d.Item.Group = nil
	if err := db.Where("queue_item_id = ?", it.ID).Order("id").Find(&d.Reports).Error; err != nil {
		return nil, wrapErr("item reports", err)
	}
	if it.AppealOfID != nil {
		var orig QueueItem
		if err := db.First(&orig, *it.AppealOfID).Error; err != nil {
			return nil, wrapErr("item appealed", err)
		}
		d.AppealOf = &orig
	}
	var authorID int64
	switch it.TargetType {
	case TargetPost, TargetThread:
		// A thread is shown by its opening post.
		var p Post
		if it.TargetType == TargetThread {
			op, err := openingPost(ctx, db, it.TargetID)
			if err != nil {
				return nil, wrapErr("item thread post", err)
			}
			p = *op
		} else if err := db.Preload("Membership").Preload("Clinician").First(&p, it.TargetID).Error; err != nil {
			return nil, wrapErr("item post", err)
		}
		var t Thread
		if err := db.First(&t, p.ThreadID).Error; err != nil {
			return nil, wrapErr("item thread", err)
		}
		d.Post, d.Thread = &p, &t
		var before, after []Post
		db.Preload("Membership").Where("thread_id = ? AND id < ?", t.ID, p.ID).Order("id DESC").Limit(2).Find(&before)
		db.Preload("Membership").Where("thread_id = ? AND id > ?", t.ID, p.ID).Order("id").Limit(2).Find(&after)
		for i := len(before) - 1; i >= 0; i-- {
			d.Context = append(d.Context, before[i])
		}
		d.Context = append(d.Context, after...)
		if p.MembershipID != nil {
			authorID = *p.MembershipID
		}
	case TargetMembership, TargetJoin:
		authorID = it.TargetID
	}
	if authorID != 0 {
		var m Membership
		if err := db.First(&m, authorID).Error; err == nil {
			d.Author = &m
			db.Where("membership_id = ?", m.ID).Order("id DESC").Limit(10).Find(&d.History)
			// Decisions about the member, their join request, their posts and their threads.
			db.Where("group_id = ? AND ((target_type IN ? AND target_id = ?) OR (target_type = ? AND target_id IN (?)) OR (target_type = ? AND target_id IN (?)))",
				it.GroupID, []string{TargetMembership, TargetJoin}, m.ID,
				TargetPost, db.Model(&Post{}).Select("id").Where("membership_id = ?", m.ID),
				TargetThread, db.Model(&Thread{}).Select("id").Where("membership_id = ?", m.ID)).
				Order("id DESC").Limit(20).Find(&d.Actions)
			db.Where("membership_id = ?", m.ID).Order("id DESC").Find(&d.Notes)
		}
	}
	return d, nil
}

// Claim takes a time-limited lease on a queue item so that other moderators know
// someone is on it. Claiming again renews the lease. Another's unexpired claim is
// ErrConflict.
func (s *Store) Claim(ctx context.Context, v *Viewer, id int64) (*QueueItem, error) {
	var out QueueItem
	err := s.tx(ctx, func(tx *gorm.DB) error {
		it, err := s.loadItem(ctx, tx, v, id)
		if err != nil {
			return err
		}
		if it.Status != ItemOpen {
			return Errorf(ECONFLICT, "this item is already resolved")
		}
		if it.ExcludeUserID != nil && *it.ExcludeUserID == v.User.ID {
			return Errorf(EFORBIDDEN, "another moderator must decide this appeal")
		}
		now := s.now()
		until := now.Add(ClaimLease)
		res := tx.Model(&QueueItem{}).Where("id = ? AND status = ? AND (claimed_by IS NULL OR claimed_by = ? OR claim_expires_at < ?)",
			id, ItemOpen, v.User.ID, now).Updates(map[string]any{"claimed_by": v.User.ID, "claim_expires_at": until, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return Errorf(ECONFLICT, "another moderator is working on this item")
		}
		it.ClaimedBy, it.ClaimExpiresAt = &v.User.ID, &until
		it.Group = nil
		out = *it
		return nil
	})
	if err != nil {
		return nil, wrapErr("claim", err)
	}
	return &out, nil
}

// ResolveInput is a moderator's decision on a queue item.
type ResolveInput struct {
	Action  string `json:"action" form:"action"`
	Reason  string `json:"reason" form:"reason"`
	Version int    `json:"version" form:"version"`
	Hours   int    `json:"hours" form:"hours"`
	// Body is the post's new text for a redaction; the original is kept for staff.
	Body string `json:"body" form:"body"`
	// Label is a "label" decision's fact-check label; a form sends label_note and
	// label_sources (one link a line) instead (see label.go).
	Label        LabelInput `json:"label" form:"-"`
	LabelNote    string     `json:"-" form:"label_note"`
	LabelSources string     `json:"-" form:"label_sources"`
}

// Validate checks the decision's fields.
func (in *ResolveInput) Validate() error { return in.validateFor("") }

// validateFor checks the decision's fields for an item about targetType: declining a
// join request needs no reason (nobody is told one), other removals, warnings, mutes
// and bans do.
func (in *ResolveInput) validateFor(targetType string) error {
	in.Reason = strings.TrimSpace(in.Reason)
	var ve ValidationError
	switch in.Action {
	case ActionApprove, ActionRemove, ActionRedact, ActionLock, ActionWarn, ActionMute, ActionBan, ActionEscalate:
	case ActionLabel:
		validateQueueLabel(in, &ve) // see label.go
	default:
		ve.Add("action", "choose approve, remove, redact, lock, warn, mute, ban or escalate")
	}
	if in.Action == ActionRedact {
		if n := utf8.RuneCountInString(strings.TrimSpace(in.Body)); n == 0 || n > MaxBodyRunes {
			ve.Add("body", "give the post's text with the problem taken out")
		}
	}
	if in.Version < 1 {
		ve.Add("version", "send the item's current version")
	}
	if utf8.RuneCountInString(in.Reason) > 1000 {
		ve.Add("reason", "use at most 1000 characters")
	}
	if (in.Action == ActionRemove || in.Action == ActionWarn || in.Action == ActionBan || in.Action == ActionMute) && in.Reason == "" &&
		targetType != TargetJoin {
		ve.Add("reason", "give a reason; the member will see it")
	}
	if in.Action == ActionMute && (in.Hours < 1 || in.Hours > 24*30) {
		ve.Add("hours", "mute for 1 to 720 hours")
	}
	return ve.Err()
}

// Resolve applies a moderator's decision. It needs the item's current version, and
// fails with ErrConflict, changing nothing, when the version is stale, the item is
// already resolved, or another moderator holds an unexpired claim: of two moderators
// racing on one item, exactly one decision is recorded.
func (s *Store) Resolve(ctx context.Context, v *Viewer, id int64, in ResolveInput) (*QueueItem, error) {
	var out QueueItem
	err := s.tx(ctx, func(tx *gorm.DB) error {
		// Out of scope is 404 whatever was sent; then the fields, for the item's kind.
		it, err := s.loadItem(ctx, tx, v, id)
		if err != nil {
			return err
		}
		if err := in.validateFor(it.TargetType); err != nil {
			return err
		}
		if it.ExcludeUserID != nil && *it.ExcludeUserID == v.User.ID {
			return Errorf(EFORBIDDEN, "another moderator must decide this appeal")
		}
		now := s.now()
		if in.Action == ActionEscalate {
			res := tx.Model(&QueueItem{}).Where("id = ? AND version = ? AND status = ?", id, in.Version, ItemOpen).
				Updates(map[string]any{"escalated": true, "version": gorm.Expr("version + 1"), "claimed_by": nil, "claim_expires_at": nil, "updated_at": now})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				return Errorf(ECONFLICT, "this item changed since you loaded it; reload and decide again")
			}
			it.Escalated = true
		} else {
			res := tx.Model(&QueueItem{}).
				Where("id = ? AND version = ? AND status = ? AND (claimed_by IS NULL OR claimed_by = ? OR claim_expires_at < ?)",
					id, in.Version, ItemOpen, v.User.ID, now).
				Updates(map[string]any{"status": ItemResolved, "open_key": nil, "version": gorm.Expr("version + 1"),
					"resolution": in.Action, "resolution_reason": in.Reason, "resolved_by": v.User.ID, "resolved_at": now,
					"claimed_by": nil, "claim_expires_at": nil, "updated_at": now})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				return Errorf(ECONFLICT, "this item changed or another moderator is deciding it; reload and look again")
			}
			it.Status, it.Resolution, it.ResolvedBy, it.ResolvedAt = ItemResolved, in.Action, &v.User.ID, &now
		}
		it.Version = in.Version + 1
		if err := s.applyAction(ctx, tx, v, it, in); err != nil {
			return err
		}
		it.Group = nil
		out = *it
		return nil
	})
	if err != nil {
		return nil, wrapErr("resolve", err)
	}
	if out.TargetType == TargetPost {
		switch {
		case in.Action == ActionRemove && out.AppealOfID == nil:
			s.publish(ctx, Event{Kind: EventPostRemoved, GroupID: out.GroupID, PostID: out.TargetID})
		case in.Action == ActionApprove, in.Action == ActionRedact, in.Action == ActionLabel:
			s.publish(ctx, Event{Kind: EventPostUpdated, GroupID: out.GroupID, PostID: out.TargetID})
		}
	}
	return &out, nil
}

// applyAction carries out a decision on the item's target and records it.
func (s *Store) applyAction(ctx context.Context, tx *gorm.DB, v *Viewer, it *QueueItem, in ResolveInput) error {
	if it.AppealOfID != nil && (in.Action == ActionApprove || in.Action == ActionRemove) {
		// On an appeal, approve upholds it (undoing the decision), remove keeps the decision.
		return s.decideAppeal(ctx, tx, v, it, in)
	}
	now := s.now()
	outcome := "upheld"
	if in.Action == ActionApprove {
		outcome = "dismissed"
	}
	if in.Action != ActionEscalate {
		if err := tx.Model(&Report{}).Where("queue_item_id = ? AND outcome = ?", it.ID, "pending").Update("outcome", outcome).Error; err != nil {
			return err
		}
	}
	var post *Post
	var member *Membership
	// thread and opening are a thread item's thread and its opening post.
	var thread *Thread
	var opening *Post
	label := fmt.Sprintf("%s #%d", it.TargetType, it.TargetID)
	switch it.TargetType {
	case TargetThread:
		t, op, err := s.threadTarget(ctx, tx, it.TargetID)
		if err != nil {
			return err
		}
		thread, opening, member = t, op, t.Membership
		// Not the title: a thread may be removed for what its title says.
		label = "thread by a former member"
		if member != nil {
			label = "thread by " + member.Pseudonym
		}
	case TargetPost:
		var p Post
		if err := tx.Preload("Membership").First(&p, it.TargetID).Error; err != nil {
			return err
		}
		post, member = &p, p.Membership
		if member != nil {
			label = "post by " + member.Pseudonym
		} else {
			label = "post by a clinician"
		}
	case TargetMembership, TargetJoin:
		var m Membership
		if err := tx.First(&m, it.TargetID).Error; err != nil {
			return err
		}
		member, label = &m, m.Pseudonym
	}
	if it.TargetType == TargetJoin && (in.Action == ActionApprove || in.Action == ActionRemove) {
		// The same decision as on the requests page (see applyJoinDecision); a request
		// withdrawn or decided meanwhile changes nothing.
		if member.Status == MemberPending {
			g := it.Group
			if g == nil {
				g = &Group{}
				if err := tx.First(g, it.GroupID).Error; err != nil {
					return err
				}
			}
			if err := s.applyJoinDecision(ctx, tx, v, g, member, in.Action == ActionApprove); err != nil {
				return err
			}
		}
		return s.modlog(ctx, tx, v, it.GroupID, joinModlogAction(in.Action == ActionApprove), it.TargetType, it.TargetID, label, in.Reason)
	}
	switch in.Action {
	case ActionApprove:
		if post != nil && post.Status == PostHeld {
			if err := tx.Model(post).Updates(map[string]any{"status": PostPublished, "status_reason": "", "updated_at": now}).Error; err != nil {
				return err
			}
			post.Status = PostPublished
			if err := s.reindex(ctx, tx, post); err != nil {
				return err
			}
			var t Thread
			if err := tx.First(&t, post.ThreadID).Error; err != nil {
				return err
			}
			if err := s.notifyPostPublished(ctx, tx, &t, post); err != nil {
				return err
			}
		}
	case ActionRemove:
		if thread != nil {
			// A thread is removed by its opening post's tombstone, and locked.
			if err := tx.Model(&Thread{}).Where("id = ?", thread.ID).Update("locked", true).Error; err != nil {
				return err
			}
			post = opening
		}
		if post == nil {
			return &ValidationError{Fields: map[string]string{"action": "only posts and threads can be removed; ban a member instead"}}
		}
		if err := tx.Model(post).Updates(map[string]any{"status": PostRemoved, "status_reason": in.Reason,
			"version": gorm.Expr("version + 1"), "updated_at": now}).Error; err != nil {
			return err
		}
		// A removed post is no longer anyone's accepted answer.
		if err := tx.Model(&Thread{}).Where("id = ? AND accepted_post_id = ?", post.ThreadID, post.ID).
			Update("accepted_post_id", nil).Error; err != nil {
			return err
		}
		post.Status = PostRemoved
		if err := s.reindex(ctx, tx, post); err != nil {
			return err
		}
	case ActionRedact:
		if post == nil {
			return &ValidationError{Fields: map[string]string{"action": "only posts can be redacted"}}
		}
		html, err := RenderMarkdown(in.Body)
		if err != nil {
			return err
		}
		rev := PostRevision{PostID: post.ID, Version: post.Version, Body: post.Body, BodyHTML: post.BodyHTML,
			ContentWarning: post.ContentWarning, EditedAt: now, EditedBy: "moderator"}
		if err := tx.Create(&rev).Error; err != nil {
			return err
		}
		updates := map[string]any{"body": in.Body, "body_html": html, "version": post.Version + 1, "edited_at": now, "updated_at": now}
		wasHeld := post.Status == PostHeld
		if wasHeld {
			// The redaction took the problem out: a held post is published as redacted.
			updates["status"], updates["status_reason"] = PostPublished, ""
		}
		if err := tx.Model(post).Updates(updates).Error; err != nil {
			return err
		}
		post.Body, post.BodyHTML = in.Body, html
		if wasHeld {
			post.Status, post.StatusReason = PostPublished, ""
		}
		if err := s.reindex(ctx, tx, post); err != nil {
			return err
		}
		if wasHeld {
			var t Thread
			if err := tx.First(&t, post.ThreadID).Error; err != nil {
				return err
			}
			if err := s.notifyPostPublished(ctx, tx, &t, post); err != nil {
				return err
			}
		}
	case ActionLabel:
		if err := s.labelFromQueue(ctx, tx, post, in.labelInput(), in.Reason); err != nil { // see label.go
			return err
		}
	case ActionLock:
		if post == nil && thread == nil {
			return &ValidationError{Fields: map[string]string{"action": "only a thread, or a post's thread, can be locked"}}
		}
		var threadID int64
		if post != nil {
			threadID = post.ThreadID
		} else {
			threadID = thread.ID
		}
		if err := tx.Model(&Thread{}).Where("id = ?", threadID).Update("locked", true).Error; err != nil {
			return err
		}
	case ActionMute:
		if member == nil {
			return &ValidationError{Fields: map[string]string{"action": "this post has no member to mute"}}
		}
		until := now.Add(time.Duration(in.Hours) * time.Hour)
		if err := tx.Model(member).Update("muted_until", until).Error; err != nil {
			return err
		}
	case ActionBan:
		if member == nil {
			return &ValidationError{Fields: map[string]string{"action": "this post has no member to ban"}}
		}
		if member.Status == MemberActive {
			if err := tx.Model(&Group{}).Where("id = ?", it.GroupID).UpdateColumn("member_count", gorm.Expr("member_count - 1")).Error; err != nil {
				return err
			}
		}
		if err := tx.Model(member).Updates(map[string]any{"status": MemberBanned, "role": MemberRegular, "updated_at": now}).Error; err != nil {
			return err
		}
	}
	if post == nil {
		post = opening // the thread's link in the member's notification
	}
	if member != nil && in.Action != ActionEscalate {
		if err := s.notifyDecision(ctx, tx, member, it, post, in); err != nil {
			return err
		}
	}
	return s.modlog(ctx, tx, v, it.GroupID, in.Action, it.TargetType, it.TargetID, label, in.Reason)
}

// reindex refreshes a post in the search index after a moderation change.
func (s *Store) reindex(ctx context.Context, tx *gorm.DB, p *Post) error {
	var t Thread
	if err := tx.First(&t, p.ThreadID).Error; err != nil {
		return err
	}
	return s.indexPost(ctx, tx, &t, p)
}

// ModlogPage is one page of a group's modlog.
type ModlogPage struct {
	Access  *GroupAccess
	Entries []ModlogEntry
	// ShowModerators is true when the viewer may see who acted.
	ShowModerators bool
	// HasNext says whether another page follows, and After is its cursor (see cursor.go).
	HasNext bool
	After   string
}

// Modlog lists a group's moderation log: public for open groups, members-only
// otherwise. Moderator names are shown only to the group's moderators and admins.
func (s *Store) Modlog(ctx context.Context, v *Viewer, slug string, page int) (*ModlogPage, error) {
	return s.ModlogAfter(ctx, v, slug, page, "")
}

// ModlogAfter is Modlog for the page that starts after the cursor after (a previous
// page's After); without a cursor that opens, by page number.
func (s *Store) ModlogAfter(ctx context.Context, v *Viewer, slug string, page int, after string) (*ModlogPage, error) {
	a, err := s.GroupAccess(ctx, v, slug)
	if err != nil {
		return nil, err
	}
	if !a.CanRead {
		return nil, ErrNotFound
	}
	if page < 1 || page > MaxPage {
		return nil, &ValidationError{Fields: map[string]string{"page": "use a page from 1 to 100000"}}
	}
	mp := &ModlogPage{Access: a, ShowModerators: a.Moderates}
	q := s.rdb.WithContext(ctx)
	if !a.Moderates { // reveals are for the group's moderators (see staff.go)
		q = q.Where("action <> ?", ModlogReveal)
	}
	q = q.Where("group_id = ?", a.Group.ID).Order("created_at DESC, id DESC")
	if err := pageAt(q, page, s.timeIDSeek(cursorModlog, after, "created_at", "id")).Find(&mp.Entries).Error; err != nil {
		return nil, wrapErr("modlog", err)
	}
	if len(mp.Entries) > PageSize {
		mp.HasNext, mp.Entries = true, mp.Entries[:PageSize]
		last := mp.Entries[len(mp.Entries)-1]
		mp.After = s.sealCursor(cursorModlog, timeKey(last.CreatedAt), last.ID)
	}
	return mp, nil
}

// AddNote adds a staff note to the author of a queue item; the group's moderators
// and admins see it in the author's history.
func (s *Store) AddNote(ctx context.Context, v *Viewer, itemID int64, body string) (*MemberNote, error) {
	body = strings.TrimSpace(body)
	if body == "" || utf8.RuneCountInString(body) > 2000 {
		return nil, &ValidationError{Fields: map[string]string{"body": "write a note of 1 to 2000 characters"}}
	}
	var out MemberNote
	err := s.tx(ctx, func(tx *gorm.DB) error {
		it, err := s.loadItem(ctx, tx, v, itemID)
		if err != nil {
			return err
		}
		var mid int64
		switch it.TargetType {
		case TargetPost:
			var p Post
			if err := tx.First(&p, it.TargetID).Error; err != nil {
				return err
			}
			if p.MembershipID == nil {
				return &ValidationError{Fields: map[string]string{"body": "this post has no member to note"}}
			}
			mid = *p.MembershipID
		default:
			mid = it.TargetID
		}
		label := "staff"
		var m Membership
		if err := tx.Where("group_id = ? AND user_id = ?", it.GroupID, v.User.ID).First(&m).Error; err == nil {
			label = m.Pseudonym
		} else if !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		out = MemberNote{MembershipID: mid, AuthorID: v.User.ID, AuthorLabel: label, Body: body, CreatedAt: s.now()}
		if err := tx.Create(&out).Error; err != nil {
			return err
		}
		return s.audit(ctx, tx, v, "moderation.note", "membership", mid, "")
	})
	if err != nil {
		return nil, wrapErr("add note", err)
	}
	return &out, nil
}

// decisionText is what a member is told about a moderator's decision.
var decisionText = map[string]string{
	ActionApprove: "A moderator reviewed your post and it stays up.",
	ActionRemove:  "A moderator removed your post.",
	ActionLock:    "A moderator locked the thread.",
	ActionWarn:    "A moderator sent you a warning.",
	ActionRedact:  "A moderator edited your post to take something out.",
	ActionMute:    "A moderator paused your posting in this group for a while.",
	ActionBan:     "A moderator removed you from this group.",
	ActionLabel:   "Moderators added a fact-check label to your post. You can appeal it once from the post.",
}

// notifyDecision tells the member concerned about a decision, with its reason.
func (s *Store) notifyDecision(ctx context.Context, tx *gorm.DB, m *Membership, it *QueueItem, p *Post, in ResolveInput) error {
	if it.TargetType == TargetJoin {
		if in.Action == ActionApprove {
			return s.notifyJoinApproved(ctx, tx, m)
		}
		return nil
	}
	text := decisionText[in.Action]
	switch {
	case it.TargetType == TargetMembership && in.Action == ActionApprove:
		return nil // a report about the member was dismissed: nothing about them changed
	case it.TargetType == TargetThread && in.Action == ActionApprove:
		text = "A moderator reviewed your thread and it stays up."
	case it.TargetType == TargetThread && in.Action == ActionRemove:
		text = "A moderator removed your thread and locked it."
	}
	if in.Reason != "" {
		text += " Reason: " + in.Reason
	}
	switch {
	case slices.Contains(appealableActions, in.Action) && p != nil && it.TargetType == TargetPost:
		text += " If you think this was a mistake, you can appeal once."
	case in.Action == ActionBan:
		text += " If you think this was a mistake, contact the site's staff."
	}
	var threadID, postID int64
	if p != nil {
		threadID, postID = p.ThreadID, p.ID
	}
	return s.notify(ctx, tx, m.ID, NotifyModeration, threadID, postID, text)
}

// Pseudonyms maps membership ids to pseudonyms, for moderators' pages.
func (s *Store) Pseudonyms(ctx context.Context, ids []int64) (map[int64]string, error) {
	var ms []Membership
	if err := s.rdb.WithContext(ctx).Select("id", "pseudonym").Where("id IN ?", ids).Find(&ms).Error; err != nil {
		return nil, wrapErr("pseudonyms", err)
	}
	out := make(map[int64]string, len(ms))
	for _, m := range ms {
		out[m.ID] = m.Pseudonym
	}
	return out, nil
}
