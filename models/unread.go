package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ThreadRead is how far a membership has read a thread: the highest post id it was
// shown. Only active members are tracked.
type ThreadRead struct {
	MembershipID   int64       `gorm:"primaryKey;autoIncrement:false"`
	Membership     *Membership `gorm:"constraint:OnDelete:CASCADE"`
	ThreadID       int64       `gorm:"primaryKey;autoIncrement:false;index"`
	Thread         *Thread     `gorm:"constraint:OnDelete:CASCADE"`
	LastReadPostID int64       `gorm:"not null;default:0"`
	UpdatedAt      time.Time
}

// ThreadUnread is what an active member has not read of one thread in a list.
type ThreadUnread struct {
	// Seen is true once the member opened the thread (or wrote in it).
	Seen bool
	// Count is the number of published posts by others after the last one seen, up to
	// BadgeCap (BadgeCap means that many or more).
	Count int
	// FirstPostID is the first of those posts, 0 when there is none.
	FirstPostID int64
	// New is true for a thread never seen that was started after the member joined.
	New bool
}

// threadState is an active member's follow and read position in one thread.
type threadState struct {
	Following      *bool
	LastReadPostID *int64
}

// loadThreadState reads the membership's follow and read position for a thread in
// one query.
func (s *Store) loadThreadState(ctx context.Context, membershipID, threadID int64) (threadState, error) {
	var st threadState
	err := s.rdb.WithContext(ctx).Raw(`SELECT
		(SELECT following FROM thread_follows WHERE thread_id = ? AND membership_id = ?) AS following,
		(SELECT last_read_post_id FROM thread_reads WHERE membership_id = ? AND thread_id = ?) AS last_read_post_id`,
		threadID, membershipID, membershipID, threadID).Scan(&st).Error
	if err != nil {
		return st, fmt.Errorf("models: thread state: %w", err)
	}
	return st, nil
}

// markRead moves the membership's read position in a thread forward to postID; it
// never moves it back. One upsert.
func (s *Store) markRead(ctx context.Context, db *gorm.DB, membershipID, threadID, postID int64) error {
	now := s.now()
	r := ThreadRead{MembershipID: membershipID, ThreadID: threadID, LastReadPostID: postID, UpdatedAt: now}
	err := db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "membership_id"}, {Name: "thread_id"}},
		DoUpdates: clause.Assignments(map[string]any{
			"last_read_post_id": gorm.Expr("CASE WHEN excluded.last_read_post_id > thread_reads.last_read_post_id THEN excluded.last_read_post_id ELSE thread_reads.last_read_post_id END"),
			"updated_at":        now,
		}),
	}).Create(&r).Error
	if err != nil {
		return fmt.Errorf("models: mark read: %w", err)
	}
	return nil
}

// trackThreadPage records what an active member was shown of a thread page, and
// fills the page's follow state and the read position from before this visit.
func (s *Store) trackThreadPage(ctx context.Context, tp *ThreadPage) error {
	a := tp.Access
	if !a.Joined() || !a.CanRead {
		return nil
	}
	st, err := s.loadThreadState(ctx, a.Membership.ID, tp.Thread.ID)
	if err != nil {
		return err
	}
	tp.CanFollow = true
	tp.Following = st.Following != nil && *st.Following
	if st.LastReadPostID != nil {
		tp.LastReadPostID = *st.LastReadPostID
	}
	var highest int64
	for i := range tp.Posts {
		highest = max(highest, tp.Posts[i].ID)
	}
	if highest > tp.LastReadPostID {
		return s.markRead(ctx, s.db, a.Membership.ID, tp.Thread.ID, highest)
	}
	return nil
}

// threadUnreads says, for one page of threads, what the active member m has not
// read, in one query. Threads without an entry were never opened by m.
func (s *Store) threadUnreads(ctx context.Context, m *Membership, ts []Thread) (map[int64]ThreadUnread, error) {
	out := make(map[int64]ThreadUnread, len(ts))
	if m == nil || m.Status != MemberActive || len(ts) == 0 {
		return out, nil
	}
	ids := make([]int64, len(ts))
	for i := range ts {
		ids[i] = ts[i].ID
	}
	var rows []struct {
		ThreadID int64
		N        int
		First    *int64
	}
	// Counted up to BadgeCap through the (thread_id, id) index: a long-unread busy
	// thread costs no more than any other.
	err := s.rdb.WithContext(ctx).Raw(`SELECT r.thread_id AS thread_id,
  (SELECT COUNT(*) FROM (SELECT 1 FROM posts p WHERE p.thread_id = r.thread_id AND p.id > r.last_read_post_id
    AND p.status = ? AND (p.membership_id IS NULL OR p.membership_id <> ?) ORDER BY p.id LIMIT ?) unread) AS n,
  (SELECT MIN(p.id) FROM posts p WHERE p.thread_id = r.thread_id AND p.id > r.last_read_post_id
    AND p.status = ? AND (p.membership_id IS NULL OR p.membership_id <> ?)) AS first
FROM thread_reads r WHERE r.membership_id = ? AND r.thread_id IN ?`,
		PostPublished, m.ID, BadgeCap, PostPublished, m.ID, m.ID, ids).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("models: unread threads: %w", err)
	}
	for _, r := range rows {
		u := ThreadUnread{Seen: true, Count: r.N}
		if r.First != nil {
			u.FirstPostID = *r.First
		}
		out[r.ThreadID] = u
	}
	for i := range ts {
		if _, ok := out[ts[i].ID]; !ok {
			out[ts[i].ID] = ThreadUnread{New: !ts[i].CreatedAt.Before(m.CreatedAt)}
		}
	}
	return out, nil
}

// FirstUnread finds where v should resume reading a thread: the first published
// post by someone else after v's read position, or the latest post when v has read
// everything, with the page it is on. Visitors, non-members and members who never
// opened the thread resume at the top (post 0, page 1). A thread v may not read is
// ErrNotFound.
func (s *Store) FirstUnread(ctx context.Context, v *Viewer, threadID int64) (postID int64, page int, err error) {
	var t Thread
	if err := s.rdb.WithContext(ctx).Preload("Group").First(&t, threadID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return 0, 0, ErrNotFound
		}
		return 0, 0, fmt.Errorf("models: first unread: %w", err)
	}
	a, err := s.groupAccessFor(ctx, s.rdb, v, t.Group)
	if err != nil {
		return 0, 0, err
	}
	if !a.CanRead {
		return 0, 0, ErrNotFound
	}
	if !a.Joined() {
		return 0, 1, nil
	}
	st, err := s.loadThreadState(ctx, a.Membership.ID, t.ID)
	if err != nil {
		return 0, 0, err
	}
	if st.LastReadPostID == nil {
		return 0, 1, nil
	}
	db := s.rdb.WithContext(ctx)
	var ids []int64
	err = db.Model(&Post{}).Where("thread_id = ? AND id > ? AND status = ? AND (membership_id IS NULL OR membership_id <> ?)",
		t.ID, *st.LastReadPostID, PostPublished, a.Membership.ID).Order("id").Limit(1).Pluck("id", &ids).Error
	if err == nil && len(ids) == 0 {
		err = db.Model(&Post{}).Where("thread_id = ? AND status <> ?", t.ID, PostHeld).Order("id DESC").Limit(1).Pluck("id", &ids).Error
	}
	if err != nil {
		return 0, 0, fmt.Errorf("models: first unread: %w", err)
	}
	if len(ids) == 0 {
		return 0, 1, nil
	}
	page, err = s.PostPageNumber(ctx, t.ID, ids[0])
	if err != nil {
		return 0, 0, err
	}
	return ids[0], page, nil
}
