package models

import (
	"context"
	"fmt"
	"sync"
	"time"

	"gorm.io/gorm"
)

// BadgeCap bounds the counts shown in the header's badges (unread notifications,
// open queue items, unanswered questions): counting stops after BadgeCap rows, read
// through an index, so a page's frame costs the same however much has piled up. A
// count of BadgeCap means "BadgeCap or more"; the header shows it as "99+".
const BadgeCap = 100

// cappedCount is the number of rows q matches, counting at most BadgeCap of them.
func cappedCount(q *gorm.DB) *gorm.DB {
	return q.Session(&gorm.Session{NewDB: true}).Table("(?) AS capped", q.Select("1").Limit(BadgeCap)).Select("COUNT(*)")
}

// headerCountsSQL is HeaderCounts for a member who is neither staff nor a verified
// clinician: the same as unreadQuery, moderatesQuery and openQueueQuery.
const headerCountsSQL = `SELECT
  (SELECT COUNT(*) FROM (SELECT 1 FROM notifications WHERE read_at IS NULL AND membership_id IN
    (SELECT id FROM memberships WHERE user_id = ? AND status <> ?) LIMIT ?) unread) AS unread,
  (SELECT COUNT(*) FROM memberships WHERE user_id = ? AND status = ? AND role IN (?, ?)) AS moderates,
  (SELECT COUNT(*) FROM (SELECT 1 FROM queue_items WHERE status = ? AND escalated = ?
    AND (exclude_user_id IS NULL OR exclude_user_id <> ?) AND group_id IN
    (SELECT group_id FROM memberships WHERE user_id = ? AND status = ? AND role IN (?, ?)) LIMIT ?) open) AS open_items`

// HeaderCounts are the numbers in a signed-in page's header.
type HeaderCounts struct {
	// Unread is the number of unread notifications over all the viewer's memberships.
	Unread int
	// Moderates is true for admins and those who moderate a group; ModerationOpen is
	// then the number of open queue items they may work.
	Moderates      bool
	ModerationOpen int
	// ClinicianQuestions is, for a verified clinician, the number of open questions no
	// clinician has answered yet.
	ClinicianQuestions int
}

// HeaderCounts loads the header's numbers for v in one query, each capped at
// BadgeCap (see UnreadNotifications, OpenQueueCount and ClinicianQuestionCount).
func (s *Store) HeaderCounts(ctx context.Context, v *Viewer) (HeaderCounts, error) {
	var hc HeaderCounts
	if v == nil || v.User == nil {
		return hc, ErrUnauthenticated
	}
	db := s.rdb.WithContext(ctx)
	if !v.IsAdmin() && !v.VerifiedClinician(s.now()) {
		// Every member's page asks this: kept until a notification, a queue item or
		// one of the member's memberships is written, and otherwise one statement
		// written out, as building the same from GORM's subqueries costs more than
		// running it.
		uid := v.User.ID
		if hc, ok := s.headerCounts.get(s.versions, uid); ok {
			return hc, nil
		}
		seq := s.versions.Seq()
		var row struct {
			Unread    int
			Moderates int
			OpenItems int
		}
		err := db.Raw(headerCountsSQL, v.User.ID, MemberLeft, BadgeCap,
			v.User.ID, MemberActive, MemberModerator, MemberOwner,
			ItemOpen, false, v.User.ID, v.User.ID, MemberActive, MemberModerator, MemberOwner, BadgeCap).Scan(&row).Error
		if err != nil {
			return hc, fmt.Errorf("models: header counts: %w", err)
		}
		hc.Unread, hc.Moderates = row.Unread, row.Moderates > 0
		if hc.Moderates {
			hc.ModerationOpen = row.OpenItems
		}
		s.headerCounts.put(uid, hc, seq)
		return hc, nil
	}
	sel := "(?) AS unread, (?) AS moderates, (?) AS open_items"
	args := []any{cappedCount(unreadQuery(db, v)), moderatesQuery(db, v), cappedCount(openQueueQuery(db, v))}
	if v.VerifiedClinician(s.now()) {
		sel += ", (?) AS questions"
		args = append(args, cappedCount(openQuestions(db, v).Where("threads.clinician_answered = ?", false)))
	}
	var row struct {
		Unread    int
		Moderates int
		OpenItems int
		Questions int
	}
	if err := db.Raw("SELECT "+sel, args...).Scan(&row).Error; err != nil {
		return hc, fmt.Errorf("models: header counts: %w", err)
	}
	hc.Unread, hc.Moderates, hc.ClinicianQuestions = row.Unread, row.Moderates > 0, row.Questions
	if hc.Moderates {
		hc.ModerationOpen = row.OpenItems
	}
	return hc, nil
}

// moderatesQuery counts v's moderator memberships (1 for admins): above 0 when v
// moderates something.
func moderatesQuery(db *gorm.DB, v *Viewer) any {
	if v.IsAdmin() {
		return gorm.Expr("SELECT 1")
	}
	return db.Model(&Membership{}).Select("COUNT(*)").Where("user_id = ? AND status = ? AND role IN ?",
		v.User.ID, MemberActive, []string{MemberModerator, MemberOwner})
}

// headerCountCache keeps members' header counts while neither a notification or queue
// item (Versions.Badges) nor one of their memberships (Versions.User) was written since,
// and for at most viewerTTL.
type headerCountCache struct {
	mu sync.Mutex
	m  map[int64]cachedCounts
}

type cachedCounts struct {
	hc  HeaderCounts
	seq uint64
	at  time.Time
}

func (c *headerCountCache) get(vs *Versions, uid int64) (HeaderCounts, bool) {
	c.mu.Lock()
	e, ok := c.m[uid]
	c.mu.Unlock()
	if !ok || time.Since(e.at) > viewerTTL || vs.Badges() > e.seq || vs.User(uid) > e.seq {
		return HeaderCounts{}, false
	}
	return e.hc, true
}

func (c *headerCountCache) put(uid int64, hc HeaderCounts, seq uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= 50000 {
		c.m = map[int64]cachedCounts{}
	}
	c.m[uid] = cachedCounts{hc: hc, seq: seq, at: time.Now()}
}
