package models

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// Notification kinds.
const (
	NotifyReply        = "reply"         // a new post in a thread the membership follows
	NotifyQuote        = "quote"         // a new post that quotes (links to) one of the membership's posts
	NotifyAccepted     = "accepted"      // the membership's answer was accepted
	NotifyModeration   = "moderation"    // a moderator's decision on the membership's post
	NotifyJoinApproved = "join_approved" // a moderator approved the membership's join request
)

// Notification tells one membership that something happened. It belongs to the
// membership (one pseudonym in one group), never to the user: a user sees the
// notifications of each of their memberships side by side, and nobody else sees them.
// Actor is a snapshot of who acted, as the recipient saw them at the time (a
// pseudonym of the same group, or a clinician's professional name), or empty. Text
// is a sentence for the recipient, written when the notification is made.
type Notification struct {
	ID           int64       `gorm:"primaryKey"`
	MembershipID int64       `gorm:"not null;index:idx_notification_membership,priority:1"`
	Membership   *Membership `gorm:"constraint:OnDelete:CASCADE"`
	Kind         string      `gorm:"size:16;not null"`
	ThreadID     *int64      `gorm:"index"`
	Thread       *Thread     `gorm:"constraint:OnDelete:CASCADE"`
	PostID       *int64      `gorm:"index"`
	Post         *Post       `gorm:"constraint:OnDelete:CASCADE"`
	Actor        string      `gorm:"size:120;not null;default:''"`
	Text         string      `gorm:"size:1000;not null;default:''"`
	ReadAt       *time.Time  `gorm:"index:idx_notification_membership,priority:2"`
	CreatedAt    time.Time   `gorm:"not null"`
}

// Read reports whether the recipient has read the notification.
func (n *Notification) Read() bool { return n.ReadAt != nil }

// maxQuotes bounds how many quoted posts one post can notify about.
const maxQuotes = 20

// quotePattern finds links to posts in Markdown, such as the quote-reply format
// "[QuietHeron27 wrote](/threads/5#post-17)".
var quotePattern = regexp.MustCompile(`#post-([0-9]{1,18})\b`)

// quotedPostIDs lists the distinct post ids that body links to, in order, at most maxQuotes.
func quotedPostIDs(body string) []int64 {
	var ids []int64
	for _, m := range quotePattern.FindAllStringSubmatch(body, -1) {
		id, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil || id < 1 || slices.Contains(ids, id) {
			continue
		}
		if ids = append(ids, id); len(ids) == maxQuotes {
			break
		}
	}
	return ids
}

// notifyNewPost tells the followers of a thread about a new post, inside the
// transaction that wrote it. An opening post makes its author follow the thread,
// and so does a reply unless its author unfollowed the thread before. A post held
// for review notifies nobody yet: call notifyPostPublished when it is approved.
func (s *Store) notifyNewPost(ctx context.Context, tx *gorm.DB, t *Thread, p *Post) error {
	if p.Status == PostPublished {
		if err := s.notifyPostPublished(ctx, tx, t, p); err != nil {
			return err
		}
	}
	return s.autoFollow(ctx, tx, t, p)
}

// notifyPostPublished makes the "quote" and "reply" notifications for a post that
// others can now read: members whose posts in the group it links to get "quote",
// the thread's other followers get "reply" (one notification per membership, quote
// first). The author gets none; for a clinician-voice post that is the clinician's
// own membership of the group, if any. Only active memberships are notified.
func (s *Store) notifyPostPublished(ctx context.Context, tx *gorm.DB, t *Thread, p *Post) error {
	db := tx.WithContext(ctx)
	skip := map[int64]bool{}
	if p.MembershipID != nil {
		skip[*p.MembershipID] = true
	}
	actor := ""
	switch {
	case p.ClinicianID != nil:
		c := p.Clinician
		if c == nil {
			c = &Clinician{}
			if err := db.First(c, *p.ClinicianID).Error; err != nil {
				return fmt.Errorf("models: notify: %w", err)
			}
		}
		actor = c.DisplayName
		var own []int64
		if err := db.Model(&Membership{}).Where("group_id = ? AND user_id = ?", t.GroupID, c.UserID).Pluck("id", &own).Error; err != nil {
			return fmt.Errorf("models: notify: %w", err)
		}
		for _, id := range own {
			skip[id] = true
		}
	case p.Membership != nil:
		actor = p.Membership.Pseudonym
	case p.MembershipID != nil:
		var m Membership
		if err := db.Select("id", "pseudonym").First(&m, *p.MembershipID).Error; err != nil {
			return fmt.Errorf("models: notify: %w", err)
		}
		actor = m.Pseudonym
	}

	var quoted []int64
	if ids := quotedPostIDs(p.Body); len(ids) > 0 {
		err := db.Model(&Post{}).
			Joins("JOIN threads ON threads.id = posts.thread_id").
			Joins("JOIN memberships ON memberships.id = posts.membership_id").
			Where("posts.id IN ? AND threads.group_id = ? AND memberships.status = ?", ids, t.GroupID, MemberActive).
			Distinct().Order("posts.membership_id").Pluck("posts.membership_id", &quoted).Error
		if err != nil {
			return fmt.Errorf("models: notify quotes: %w", err)
		}
	}
	now := s.now()
	who := actor
	if who == "" {
		who = "Someone"
	}
	if len(quoted) > 0 {
		var ns []Notification
		for _, id := range quoted {
			if skip[id] {
				continue
			}
			skip[id] = true
			ns = append(ns, Notification{MembershipID: id, Kind: NotifyQuote, ThreadID: &t.ID, PostID: &p.ID,
				Actor: actor, Text: who + " quoted your post.", CreatedAt: now})
		}
		if len(ns) > 0 {
			if err := db.Create(&ns).Error; err != nil {
				return fmt.Errorf("models: notify quotes: %w", err)
			}
		}
	}
	// The followers' notifications are written by the database in one statement,
	// however many followers the thread has: no follower list travels to Go and back.
	skipped := []int64{0} // never empty: no membership has id 0
	for id := range skip {
		skipped = append(skipped, id)
	}
	slices.Sort(skipped)
	q := notifyFollowersSQL
	if s.dialect == "postgres" {
		q = notifyFollowersPostgres
	}
	err := db.Exec(q, NotifyReply, t.ID, p.ID, actor, who+" replied in a thread you follow.", now,
		t.ID, true, MemberActive, skipped).Error
	if err != nil {
		return fmt.Errorf("models: notify followers: %w", err)
	}
	return nil
}

// notifyFollowersSQL makes a "reply" notification for each active follower of a
// thread but those skipped, in the order of their memberships.
const notifyFollowersSQL = `INSERT INTO notifications (membership_id, kind, thread_id, post_id, actor, text, created_at)
SELECT thread_follows.membership_id, ?, ?, ?, ?, ?, ? FROM thread_follows
JOIN memberships ON memberships.id = thread_follows.membership_id
WHERE thread_follows.thread_id = ? AND thread_follows.following = ? AND memberships.status = ?
AND thread_follows.membership_id NOT IN ? ORDER BY thread_follows.membership_id`

// notifyFollowersPostgres is notifyFollowersSQL for PostgreSQL, which needs the
// types of parameters in a select list.
const notifyFollowersPostgres = `INSERT INTO notifications (membership_id, kind, thread_id, post_id, actor, text, created_at)
SELECT thread_follows.membership_id, ?::text, ?::bigint, ?::bigint, ?::text, ?::text, ?::timestamptz FROM thread_follows
JOIN memberships ON memberships.id = thread_follows.membership_id
WHERE thread_follows.thread_id = ? AND thread_follows.following = ? AND memberships.status = ?
AND thread_follows.membership_id NOT IN ? ORDER BY thread_follows.membership_id`

// notifyAccepted tells the author of p that the thread's author accepted it as the
// answer to t. Call it in the transaction that accepts the answer. An answer posted
// as clinician belongs to no membership and notifies nobody; nor does accepting
// one's own post.
func (s *Store) notifyAccepted(ctx context.Context, tx *gorm.DB, t *Thread, p *Post) error {
	if p.MembershipID == nil || *p.MembershipID == t.MembershipID {
		return nil
	}
	actor := ""
	if t.Membership != nil {
		actor = t.Membership.Pseudonym
	} else if t.ClinicianID != nil { // a thread opened as clinician: never the pseudonym (clinician.go)
		var c Clinician
		if err := tx.WithContext(ctx).Select("id", "display_name").First(&c, *t.ClinicianID).Error; err != nil {
			return fmt.Errorf("models: notify accepted: %w", err)
		}
		actor = c.DisplayName
	} else {
		var m Membership
		if err := tx.WithContext(ctx).Select("id", "pseudonym").First(&m, t.MembershipID).Error; err != nil {
			return fmt.Errorf("models: notify accepted: %w", err)
		}
		actor = m.Pseudonym
	}
	n := Notification{MembershipID: *p.MembershipID, Kind: NotifyAccepted, ThreadID: &t.ID, PostID: &p.ID,
		Actor: actor, Text: actor + " accepted your reply as the answer.", CreatedAt: s.now()}
	if err := tx.WithContext(ctx).Create(&n).Error; err != nil {
		return fmt.Errorf("models: notify accepted: %w", err)
	}
	return nil
}

// notify makes one notification of any kind for a membership, without an actor:
// moderation decisions ("moderation", text = the decision and its reason), approved
// join requests and the like. threadID and postID are 0 when there is none; a
// membershipID of 0 (a clinician-voice post has no membership) notifies nobody.
func (s *Store) notify(ctx context.Context, tx *gorm.DB, membershipID int64, kind string, threadID, postID int64, text string) error {
	if membershipID == 0 {
		return nil
	}
	n := Notification{MembershipID: membershipID, Kind: kind, Text: text, CreatedAt: s.now()}
	if threadID != 0 {
		n.ThreadID = &threadID
	}
	if postID != 0 {
		n.PostID = &postID
	}
	if err := tx.WithContext(ctx).Create(&n).Error; err != nil {
		return fmt.Errorf("models: notify %s: %w", kind, err)
	}
	return nil
}

// notifyJoinApproved tells a membership that its request to join was approved.
func (s *Store) notifyJoinApproved(ctx context.Context, tx *gorm.DB, m *Membership) error {
	return s.notify(ctx, tx, m.ID, NotifyJoinApproved, 0, 0,
		"Your request to join was approved. Welcome! Here you are "+m.Pseudonym+".")
}

// viewerMemberships is a subquery of the ids of v's memberships that receive
// notifications: every one but those v left.
func viewerMemberships(db *gorm.DB, v *Viewer) *gorm.DB {
	return db.Model(&Membership{}).Select("id").Where("user_id = ? AND status <> ?", v.UserID(), MemberLeft)
}

// unreadQuery is the query of v's unread notifications over all v's memberships,
// read through the (membership_id, read_at) index.
func unreadQuery(db *gorm.DB, v *Viewer) *gorm.DB {
	return db.Model(&Notification{}).Where("membership_id IN (?) AND read_at IS NULL", viewerMemberships(db, v))
}

// countUnread counts v's unread notifications, up to BadgeCap (see badges.go).
func countUnread(db *gorm.DB, v *Viewer) (int, error) {
	var n int64
	err := cappedCount(unreadQuery(db, v)).Scan(&n).Error
	return int(n), err
}

// UnreadNotifications is the number of v's unread notifications, summed over v's
// memberships and capped at BadgeCap, for v's eyes only.
func (s *Store) UnreadNotifications(ctx context.Context, v *Viewer) (int, error) {
	if v == nil {
		return 0, ErrUnauthenticated
	}
	n, err := countUnread(s.rdb.WithContext(ctx), v)
	if err != nil {
		return 0, fmt.Errorf("models: unread notifications: %w", err)
	}
	return n, nil
}

// NotificationItem is one notification with the recipient membership (its pseudonym
// and its group) and the thread, when there is one.
type NotificationItem struct {
	Notification
	Group     Group
	Pseudonym string
}

// NotificationPage is one page of v's notifications, newest first.
type NotificationPage struct {
	Items   []NotificationItem
	Unread  int
	Page    int
	HasNext bool
	// After is the cursor of the next page when there is one (see cursor.go).
	After string
}

// Notifications lists one page of v's notifications over all v's memberships (but
// those v left), newest first, with the unread count.
func (s *Store) Notifications(ctx context.Context, v *Viewer, page int) (*NotificationPage, error) {
	return s.NotificationsAfter(ctx, v, page, "")
}

// NotificationsAfter is Notifications for the page that starts after the cursor after
// (a previous page's After); without a cursor that opens, by page number.
func (s *Store) NotificationsAfter(ctx context.Context, v *Viewer, page int, after string) (*NotificationPage, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	if page < 1 || page > MaxPage {
		return nil, &ValidationError{Fields: map[string]string{"page": fmt.Sprintf("use a page from 1 to %d", MaxPage)}}
	}
	db := s.rdb.WithContext(ctx)
	var ns []Notification
	q := db.Preload("Membership.Group").Preload("Thread").
		Where("membership_id IN (?)", viewerMemberships(db, v)).Order("id DESC")
	if err := pageAt(q, page, s.idSeek(cursorNotifications, after, "id")).Find(&ns).Error; err != nil {
		return nil, fmt.Errorf("models: notifications: %w", err)
	}
	np := &NotificationPage{Page: page, Items: make([]NotificationItem, 0, len(ns))}
	if len(ns) > PageSize {
		np.HasNext, ns = true, ns[:PageSize]
		np.After = s.sealCursor(cursorNotifications, ns[len(ns)-1].ID)
	}
	if page > 1 && len(ns) == 0 {
		return nil, ErrNotFound
	}
	for _, n := range ns {
		m := n.Membership
		n.Membership = nil
		it := NotificationItem{Notification: n}
		if m != nil {
			it.Pseudonym = m.Pseudonym
			if m.Group != nil {
				it.Group = *m.Group
			}
		}
		np.Items = append(np.Items, it)
	}
	var err error
	if np.Unread, err = countUnread(db, v); err != nil {
		return nil, fmt.Errorf("models: notifications: %w", err)
	}
	return np, nil
}

// MarkNotificationsRead marks the notifications with the given ids, or all of them,
// read for v, and returns how many stay unread. Ids that are not v's are ignored.
func (s *Store) MarkNotificationsRead(ctx context.Context, v *Viewer, ids []int64, all bool) (int, error) {
	if v == nil {
		return 0, ErrUnauthenticated
	}
	if !all && len(ids) == 0 {
		return 0, &ValidationError{Fields: map[string]string{"ids": "name the notifications to mark read, or send all"}}
	}
	if len(ids) > 500 {
		return 0, &ValidationError{Fields: map[string]string{"ids": "mark at most 500 notifications at once"}}
	}
	var unread int
	err := s.tx(ctx, func(tx *gorm.DB) error {
		q := tx.Model(&Notification{}).Where("membership_id IN (?) AND read_at IS NULL", viewerMemberships(tx, v))
		if !all {
			q = q.Where("id IN ?", ids)
		}
		if err := q.Update("read_at", s.now()).Error; err != nil {
			return err
		}
		var err error
		unread, err = countUnread(tx, v)
		return err
	})
	if err != nil {
		return 0, wrapErr("mark notifications read", err)
	}
	return unread, nil
}

// NotificationTarget is where a notification leads: a post on a page of its thread,
// or a group's page when it names no thread.
type NotificationTarget struct {
	GroupSlug string
	ThreadID  int64
	PostID    int64
	Page      int
}

// OpenNotification marks v's notification read and says where it leads. Another
// member's notification is ErrNotFound.
func (s *Store) OpenNotification(ctx context.Context, v *Viewer, id int64) (*NotificationTarget, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	var n Notification
	err := s.tx(ctx, func(tx *gorm.DB) error {
		err := tx.Preload("Membership.Group").Where("id = ? AND membership_id IN (?)", id, viewerMemberships(tx, v)).First(&n).Error
		if err != nil {
			return err
		}
		if n.ReadAt != nil {
			return nil
		}
		return tx.Model(&n).Update("read_at", s.now()).Error
	})
	if err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrNotFound
		}
		return nil, wrapErr("open notification", err)
	}
	to := &NotificationTarget{Page: 1}
	if n.Membership != nil && n.Membership.Group != nil {
		to.GroupSlug = n.Membership.Group.Slug
	}
	if n.ThreadID != nil {
		to.ThreadID = *n.ThreadID
	}
	if n.ThreadID != nil && n.PostID != nil {
		to.PostID = *n.PostID
		if to.Page, err = s.PostPageNumber(ctx, *n.ThreadID, *n.PostID); err != nil {
			return nil, err
		}
	}
	return to, nil
}
