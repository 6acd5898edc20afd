package models

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"gorm.io/gorm"
)

// What the moderators' pages need beside the queue itself: counts per lane, the
// groups to filter by, the open count for the header, the report form's post, and
// join requests as queue items.

// LaneCount is how many open items a lane holds, and how many of them are overdue.
type LaneCount struct {
	Lane    string
	Open    int
	Overdue int
}

// scopeItems narrows a query on queue items to those v may work: the groups v
// moderates (all for admins), without escalated items or appeals v may not decide.
func scopeItems(q *gorm.DB, v *Viewer, ids []int64, all bool) *gorm.DB {
	if all {
		return q
	}
	return q.Where("group_id IN ?", ids).
		Where("escalated = ? AND (exclude_user_id IS NULL OR exclude_user_id <> ?)", false, v.User.ID)
}

// QueueCounts counts the open items v may work in each lane, in triage order (every
// lane, zeros included), with one GROUP BY query. group, a slug, narrows the counts
// to one group. Like Queue, it is ErrNotFound for those who moderate nothing, and for
// a group v does not moderate.
func (s *Store) QueueCounts(ctx context.Context, v *Viewer, group string) ([]LaneCount, error) {
	ids, all, err := s.moderatedGroupIDs(ctx, s.rdb, v)
	if err != nil {
		return nil, err
	}
	if !all && len(ids) == 0 {
		return nil, ErrNotFound
	}
	db := s.rdb.WithContext(ctx)
	q := scopeItems(db.Model(&QueueItem{}), v, ids, all).Where("status = ?", ItemOpen)
	if group != "" {
		var g Group
		if err := db.Select("id").Where("slug = ?", group).First(&g).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return nil, ErrNotFound
			}
			return nil, fmt.Errorf("models: queue counts: %w", err)
		}
		if !all && !slices.Contains(ids, g.ID) {
			return nil, ErrNotFound
		}
		q = q.Where("group_id = ?", g.ID)
	}
	var rows []struct {
		Lane         string
		OpenCount    int
		OverdueCount int
	}
	err = q.Select("lane, COUNT(*) AS open_count, SUM(CASE WHEN deadline_at < ? THEN 1 ELSE 0 END) AS overdue_count", s.now()).
		Group("lane").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("models: queue counts: %w", err)
	}
	byLane := make(map[string]LaneCount, len(rows))
	for _, r := range rows {
		byLane[r.Lane] = LaneCount{Lane: r.Lane, Open: r.OpenCount, Overdue: r.OverdueCount}
	}
	out := make([]LaneCount, 0, len(Lanes))
	for _, l := range Lanes {
		c := byLane[l]
		c.Lane = l
		out = append(out, c)
	}
	return out, nil
}

// OpenQueueCount is the number of open items v may work, for the header's badge:
// one COUNT query, capped at BadgeCap (0 for those who moderate nothing).
func (s *Store) OpenQueueCount(ctx context.Context, v *Viewer) (int, error) {
	if v == nil {
		return 0, nil
	}
	var n int64
	if err := cappedCount(openQueueQuery(s.rdb.WithContext(ctx), v)).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("models: open queue count: %w", err)
	}
	return int(n), nil
}

// openQueueQuery is the query of the open items v may work: every one for admins,
// else those of the groups v moderates that are not escalated and that v may decide.
// It reads the (status, group_id) index for admins and idx_queue_triage otherwise.
func openQueueQuery(db *gorm.DB, v *Viewer) *gorm.DB {
	q := db.Model(&QueueItem{}).Where("status = ?", ItemOpen)
	if v.IsAdmin() {
		return q
	}
	mine := db.Model(&Membership{}).Select("group_id").Where("user_id = ? AND status = ? AND role IN ?",
		v.UserID(), MemberActive, []string{MemberModerator, MemberOwner})
	return q.Where("group_id IN (?)", mine).
		Where("escalated = ? AND (exclude_user_id IS NULL OR exclude_user_id <> ?)", false, v.UserID())
}

// QueueGroups lists the groups whose items v may work, by name, for the queue's
// filter: the groups v moderates, or every group for admins.
func (s *Store) QueueGroups(ctx context.Context, v *Viewer) ([]Group, error) {
	ids, all, err := s.moderatedGroupIDs(ctx, s.rdb, v)
	if err != nil {
		return nil, err
	}
	q := s.rdb.WithContext(ctx).Select("id", "slug", "name").Order("name, id")
	if !all {
		if len(ids) == 0 {
			return nil, ErrNotFound
		}
		q = q.Where("id IN ?", ids)
	}
	var gs []Group
	if err := q.Find(&gs).Error; err != nil {
		return nil, fmt.Errorf("models: queue groups: %w", err)
	}
	return gs, nil
}

// PostForReport loads a post for the report form: v must be signed in and able to
// read it (ErrNotFound otherwise); one's own post is a conflict, as in ReportPost.
func (s *Store) PostForReport(ctx context.Context, v *Viewer, postID int64) (*PostContext, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	pc, err := s.loadPost(ctx, s.rdb, v, postID)
	if err != nil {
		return nil, err
	}
	if pc.Post.Status == PostHeld && !pc.Access.Moderates {
		return nil, ErrNotFound
	}
	if pc.Post.AuthoredBy(v, pc.Access.Membership) {
		return nil, Errorf(ECONFLICT, "You cannot report your own post; you can edit or delete it instead.")
	}
	return pc, nil
}

// flagJoinRequest opens the queue item for a pending membership of a closed group.
func (s *Store) flagJoinRequest(ctx context.Context, tx *gorm.DB, g *Group, m *Membership) error {
	_, err := s.flag(ctx, tx, flagInput{GroupID: g.ID, TargetType: TargetJoin, TargetID: m.ID, Lane: LaneOther,
		Source: "join_request", Note: m.Pseudonym + " asks to join"})
	return err
}

// closeJoinItem resolves the open queue item of a join request decided or withdrawn
// elsewhere (the requests page, an invitation, leaving), so that the queue holds no
// stale request. resolution is "approve", "remove" or "withdrawn". No open item is fine.
func (s *Store) closeJoinItem(ctx context.Context, tx *gorm.DB, v *Viewer, membershipID int64, resolution string) error {
	now := s.now()
	updates := map[string]any{"status": ItemResolved, "open_key": nil, "version": gorm.Expr("version + 1"),
		"resolution": resolution, "resolved_at": now, "claimed_by": nil, "claim_expires_at": nil, "updated_at": now}
	if id := v.UserID(); id != 0 {
		updates["resolved_by"] = id
	}
	err := tx.WithContext(ctx).Model(&QueueItem{}).Where("open_key = ?", fmt.Sprintf("%s:%d", TargetJoin, membershipID)).
		Updates(updates).Error
	if err != nil {
		return fmt.Errorf("models: close join item: %w", err)
	}
	return nil
}

// QueuePage is what the queue page shows: the items, the open and overdue counts
// per lane, and the groups to filter by.
type QueuePage struct {
	Entries []QueueEntry
	Counts  []LaneCount
	Groups  []Group
}

// QueuePage loads the queue as Queue does, with the counts per lane (narrowed to the
// filter's group, whatever its lane and status) and the groups v may filter by.
func (s *Store) QueuePage(ctx context.Context, v *Viewer, f QueueFilter) (*QueuePage, error) {
	entries, err := s.Queue(ctx, v, f)
	if err != nil {
		return nil, err
	}
	qp := &QueuePage{Entries: entries}
	if qp.Counts, err = s.QueueCounts(ctx, v, f.Group); err != nil {
		return nil, err
	}
	if qp.Groups, err = s.QueueGroups(ctx, v); err != nil {
		return nil, err
	}
	return qp, nil
}
