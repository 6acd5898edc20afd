package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Thread kinds.
const (
	KindDiscussion   = "discussion"
	KindQuestion     = "question"
	KindAnnouncement = "announcement"
	KindLive         = "live"
)

// PageSize is the number of threads or posts on one page.
const PageSize = 50

// MaxPage bounds page numbers so that a huge one is a clear error, not a slow scan.
const MaxPage = 100000

// Thread is a conversation in a group, opened by a member.
type Thread struct {
	ID                int64       `gorm:"primaryKey"`
	GroupID           int64       `gorm:"not null;index:idx_thread_group_order,priority:1"`
	Group             *Group      `gorm:"constraint:OnDelete:CASCADE"`
	MembershipID      int64       `gorm:"not null;index"`
	Membership        *Membership `gorm:"constraint:OnDelete:RESTRICT"`
	Title             string      `gorm:"size:200;not null"`
	Kind              string      `gorm:"size:16;not null;default:discussion"`
	Pinned            bool        `gorm:"not null;default:false;index:idx_thread_group_order,priority:2"`
	Locked            bool        `gorm:"not null;default:false"`
	ReplyCount        int         `gorm:"not null;default:0"`
	LastPostAt        time.Time   `gorm:"not null;index:idx_thread_group_order,priority:3"`
	AcceptedPostID    *int64
	ClinicianAnswered bool      `gorm:"not null;default:false"`
	SlowModeSeconds   int       `gorm:"not null;default:0"` // least time between one member's posts; 0 is off
	CreatedAt         time.Time `gorm:"not null"`
	UpdatedAt         time.Time

	// DiscussionThreadID links a live thread to the thread where members discuss it,
	// and LiveThreadID that discussion back to its live thread (see livethread.go).
	DiscussionThreadID *int64
	LiveThreadID       *int64

	// FirstClinicianAnswerAt is when a question first had an answer in the clinician
	// voice, and ClinicianAnswerSeconds how long after the question (see clinician.go).
	FirstClinicianAnswerAt *time.Time
	ClinicianAnswerSeconds *int64
	// ClinicianID marks a thread opened in the clinician voice: it is shown by the
	// clinician's credential, and its membership is never loaded (see AfterFind).
	ClinicianID *int64     `gorm:"index"`
	Clinician   *Clinician `gorm:"constraint:OnDelete:SET NULL"`
}

// ThreadInput is what a member sends to open a thread.
type ThreadInput struct {
	Title          string `json:"title" form:"title"`
	Body           string `json:"body" form:"body"`
	Kind           string `json:"kind" form:"kind"`
	ContentWarning string `json:"content_warning" form:"content_warning"`
	// ConfirmPersonalData is the author's answer to a PersonalDataError.
	ConfirmPersonalData bool `json:"confirm_personal_data" form:"confirm_personal_data"`
	// AsClinician opens the thread in a verified clinician's voice (see clinician.go).
	AsClinician bool `json:"as_clinician" form:"as_clinician"`
}

// Validate trims the input and reports what is wrong with it.
func (in *ThreadInput) Validate() error {
	in.Title = strings.TrimSpace(in.Title)
	if in.Kind == "" {
		in.Kind = KindDiscussion
	}
	var v ValidationError
	switch n := utf8.RuneCountInString(in.Title); {
	case n == 0:
		v.Add("title", "a title is required")
	case n < 3:
		v.Add("title", "use at least 3 characters")
	case n > 200:
		v.Add("title", "use at most 200 characters")
	}
	switch in.Kind {
	case KindDiscussion, KindQuestion, KindLive: // live: moderators only (CreateThread)
	default:
		v.Add("kind", "choose discussion or question")
	}
	validateBody(&v, &in.Body, &in.ContentWarning)
	return v.Err()
}

// CreateThread opens a thread with its first post in the group named by slug.
func (s *Store) CreateThread(ctx context.Context, v *Viewer, slug string, in ThreadInput) (*Thread, *Post, error) {
	if v == nil {
		return nil, nil, ErrUnauthenticated
	}
	if err := in.Validate(); err != nil {
		return nil, nil, err
	}
	html, err := RenderMarkdown(in.Body)
	if err != nil {
		return nil, nil, err
	}
	var t Thread
	var p Post
	err = s.tx(ctx, func(tx *gorm.DB) error {
		a, err := s.groupAccess(ctx, tx, v, slug)
		if err != nil {
			return err
		}
		if err := threadAllowed(v, a, in, s.now()); err != nil { // postAllowed, or the clinician voice (clinician.go)
			return err
		}
		if in.Kind == KindLive && !a.Moderates {
			return &ValidationError{Fields: map[string]string{"kind": "only the group's moderators can open a live thread"}}
		}
		// Watched words: replace in place, refuse a blocked word (see watched.go).
		ws, err := s.screenWords(ctx, tx, a.Group.ID, &in.Title, &in.Body)
		if err != nil {
			return err
		}
		if ws.replaced {
			if html, err = RenderMarkdown(in.Body); err != nil {
				return err
			}
		}
		now := s.now()
		t = Thread{GroupID: a.Group.ID, MembershipID: a.Membership.ID, Title: in.Title, Kind: in.Kind,
			LastPostAt: now, CreatedAt: now, UpdatedAt: now}
		if in.AsClinician {
			t.ClinicianID = &v.Clinician.ID
		}
		if err := tx.Create(&t).Error; err != nil {
			return err
		}
		p = Post{ThreadID: t.ID, MembershipID: &a.Membership.ID, Body: in.Body, BodyHTML: html,
			ContentWarning: in.ContentWarning, Status: PostPublished, Version: 1, CreatedAt: now, UpdatedAt: now}
		author := a.Membership
		if in.AsClinician { // the opening post carries the credential, not the membership
			p.MembershipID, p.ClinicianID, author = nil, &v.Clinician.ID, nil
		}
		if err := screen(&p, a.Group, author, in.Title+"\n"+in.Body, in.ConfirmPersonalData); err != nil {
			return err
		}
		ws.holdForWords(&p, a.Moderates)
		if err := tx.Create(&p).Error; err != nil {
			return err
		}
		if err := tx.Model(a.Group).Updates(map[string]any{
			"thread_count": gorm.Expr("thread_count + 1"), "last_activity_at": now}).Error; err != nil {
			return err
		}
		if author != nil {
			if err := tx.Model(a.Membership).UpdateColumn("post_count", gorm.Expr("post_count + 1")).Error; err != nil {
				return err
			}
		}
		t.Group, t.Membership = a.Group, author
		p.Membership = author
		if in.AsClinician {
			t.Clinician, p.Clinician = v.Clinician, v.Clinician
		}
		if err := s.afterPostWrite(ctx, tx, &t, &p); err != nil {
			return err
		}
		if t.Kind == KindLive {
			return s.openLiveDiscussion(ctx, tx, &t, a)
		}
		return nil
	})
	if err != nil {
		return nil, nil, wrapErr("create thread", err)
	}
	if p.Status == PostPublished {
		s.publish(ctx, Event{Kind: EventPost, GroupID: t.GroupID, ThreadID: t.ID, PostID: p.ID})
	}
	return &t, &p, nil
}

// postAllowed checks that v may write in the group as a member.
func postAllowed(v *Viewer, a *GroupAccess) error {
	if !v.User.Active() {
		return Errorf(EFORBIDDEN, "your account cannot post right now")
	}
	if !a.CanRead {
		return ErrNotFound
	}
	m := a.Membership
	switch {
	case m == nil || m.Status == MemberLeft:
		return Errorf(EFORBIDDEN, "join this group to post in it")
	case m.Status == MemberPending:
		return Errorf(EFORBIDDEN, "your request to join this group is waiting for a moderator")
	case m.Status == MemberBanned:
		return Errorf(EFORBIDDEN, "you can no longer post in this group")
	case m.MutedUntil != nil && time.Now().Before(*m.MutedUntil):
		return Errorf(EFORBIDDEN, "a moderator has paused your posting in this group until "+m.MutedUntil.UTC().Format("2 Jan 15:04 MST"))
	}
	return nil
}

// GroupPage is a group with one page of its threads.
type GroupPage struct {
	Access  *GroupAccess
	Threads []Thread
	Page    int
	HasNext bool
	// After is the cursor of the next page when there is one (see cursor.go).
	After string
	// Unread says, for an active member, what they have not read of each thread
	// (by thread id); it is nil for everyone else.
	Unread map[int64]ThreadUnread
}

// GroupPage loads a group and one page of its threads, pinned first, then by last
// activity. The thread list is empty when v may see the group but not read it.
func (s *Store) GroupPage(ctx context.Context, v *Viewer, slug string, page int) (*GroupPage, error) {
	return s.GroupPageAfter(ctx, v, slug, page, "")
}

// GroupPageAfter is GroupPage for the page that starts after the cursor after (a
// previous page's After), found by an index seek; without a cursor that opens, by
// page number.
func (s *Store) GroupPageAfter(ctx context.Context, v *Viewer, slug string, page int, after string) (*GroupPage, error) {
	sh, err := s.LoadGroupShared(ctx, slug, page, after)
	if err != nil {
		return nil, err
	}
	a, err := s.groupAccessFor(ctx, s.rdb, v, &sh.Group)
	if err != nil {
		return nil, err
	}
	return s.groupPageOf(ctx, a, sh)
}

// GroupShared is one page of a group's threads as everyone who may read the group
// reads it. The app keeps it while the group's version stamp is current and adds each
// signed-in viewer's part with GroupPageFrom. It is loaded without any access check:
// never show it without GroupPageFrom.
type GroupShared struct {
	Group   Group
	Threads []Thread
	Page    int
	HasNext bool
	After   string
	// Empty is true for a page past the end (not the first): ErrNotFound for readers.
	Empty bool
}

// LoadGroupShared loads the part of a group's page that is the same for every reader
// (see GroupShared and GroupPageAfter). A missing group is ErrNotFound.
func (s *Store) LoadGroupShared(ctx context.Context, slug string, page int, after string) (*GroupShared, error) {
	if page < 1 || page > MaxPage {
		return nil, &ValidationError{Fields: map[string]string{"page": fmt.Sprintf("use a page from 1 to %d", MaxPage)}}
	}
	ctx = s.rowsContext(ctx)
	sh := &GroupShared{Page: page}
	if err := s.rdb.WithContext(ctx).Where("slug = ?", slug).First(&sh.Group).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("models: load group: %w", err)
	}
	ts, err := s.groupThreads(ctx, sh.Group.ID, page, after)
	if err != nil {
		return nil, err
	}
	if len(ts) > PageSize {
		sh.HasNext, ts = true, ts[:PageSize]
		sh.After = s.groupThreadsCursor(ts)
	}
	sh.Threads, sh.Empty = ts, page > 1 && len(ts) == 0
	return sh, nil
}

// GroupPageFrom is v's page of a group from its shared part: v's access and, for an
// active member, what they have not read. It answers as GroupPageAfter does; the
// page's Group and Threads are sh's: read them, never change them.
func (s *Store) GroupPageFrom(ctx context.Context, v *Viewer, sh *GroupShared) (*GroupPage, error) {
	a, err := s.groupAccessCached(ctx, v, &sh.Group)
	if err != nil {
		return nil, err
	}
	return s.groupPageOf(ctx, a, sh)
}

// groupPageOf is the page of sh for a viewer with access a.
func (s *Store) groupPageOf(ctx context.Context, a *GroupAccess, sh *GroupShared) (*GroupPage, error) {
	var err error
	gp := &GroupPage{Access: a, Page: sh.Page}
	if !a.CanRead {
		return gp, nil
	}
	if sh.Empty {
		return nil, ErrNotFound
	}
	gp.Threads, gp.HasNext, gp.After = sh.Threads, sh.HasNext, sh.After
	if a.Joined() {
		if gp.Unread, err = s.threadUnreads(ctx, a.Membership, sh.Threads); err != nil {
			return nil, err
		}
	}
	return gp, nil
}

// ThreadPage is a thread with one page of its posts.
type ThreadPage struct {
	Access  *GroupAccess
	Thread  Thread
	Posts   []Post
	Page    int
	HasNext bool
	// OpeningPostID is the thread's first post; Mine holds the viewer's own reactions
	// by post id (see decorateThreadPage).
	OpeningPostID int64
	Mine          map[int64][]string
	// CanFollow is true for active members; Following says whether they follow.
	CanFollow bool
	Following bool
	// LastReadPostID is the active member's read position before this page was
	// shown (0 when they never opened the thread); showing it moves it forward.
	LastReadPostID int64
	// Muted holds the membership ids of authors on the page whom the viewer muted.
	Muted map[int64]bool
}

// CanReply reports whether the viewer may reply on this page.
func (tp *ThreadPage) CanReply() bool {
	return tp.Access.CanPost && (!tp.Thread.Locked || tp.Access.Moderates) &&
		(tp.Thread.Kind != KindLive || tp.Access.Moderates)
}

// visiblePosts keeps, of the posts q reads, those the viewer with access a sees in a
// thread: held posts are for their author and the moderators.
func visiblePosts(q *gorm.DB, a *GroupAccess) *gorm.DB {
	switch {
	case a.Moderates:
		return q
	case a.Membership != nil:
		return q.Where("status <> ? OR membership_id = ?", PostHeld, a.Membership.ID)
	}
	return q.Where("status <> ?", PostHeld)
}

// ThreadPage loads a thread and one page of its posts, oldest first; a thread v may
// not read is ErrNotFound.
func (s *Store) ThreadPage(ctx context.Context, v *Viewer, id int64, page int) (*ThreadPage, error) {
	if page < 1 || page > MaxPage {
		return nil, &ValidationError{Fields: map[string]string{"page": fmt.Sprintf("use a page from 1 to %d", MaxPage)}}
	}
	t, err := s.loadThread(s.rdb.WithContext(ctx), id)
	if err != nil {
		return nil, err
	}
	a, err := s.groupAccessFor(ctx, s.rdb, v, t.Group)
	if err != nil {
		return nil, err
	}
	if !a.CanRead {
		return nil, ErrNotFound
	}
	tp := &ThreadPage{Access: a, Thread: *t, Page: page}
	q := visiblePosts(s.rdb.WithContext(ctx).Preload("Membership").Preload("Clinician").Where("thread_id = ?", t.ID), a)
	var ps []Post
	if err := q.Order(liveOrder(t)).Offset((page - 1) * PageSize).Limit(PageSize + 1).Find(&ps).Error; err != nil {
		return nil, fmt.Errorf("models: thread page: %w", err)
	}
	if len(ps) > PageSize {
		tp.HasNext, ps = true, ps[:PageSize]
	}
	if page > 1 && len(ps) == 0 {
		return nil, ErrNotFound
	}
	tp.Posts = ps
	if err := s.trackThreadPage(ctx, tp); err != nil {
		return nil, err
	}
	// After tracking: a featured accepted answer from a later page is not "read".
	if err := s.decorateThreadPage(ctx, tp); err != nil {
		return nil, err
	}
	if err := s.loadThreadMutes(ctx, tp); err != nil {
		return nil, err
	}
	return tp, nil
}

// loadThread loads a thread with its group and author, for its page; a missing one is
// ErrNotFound.
func (s *Store) loadThread(db *gorm.DB, id int64) (*Thread, error) {
	var t Thread
	if err := db.Preload("Group").Preload("Membership").Preload("Clinician").First(&t, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("models: thread page: %w", err)
	}
	return &t, nil
}

// ThreadShared is one page of a thread as every reader without a held post in it
// reads it: the thread, its published and tombstoned posts (the accepted answer
// featured on page 1), and who has held posts there. The app keeps it while the
// thread's version stamp is current (see Versions) and adds each signed-in viewer's
// part with ThreadPageFrom, so a page view costs only the viewer's own queries.
// It is loaded without any access check: never show it without ThreadPageFrom.
type ThreadShared struct {
	Thread        Thread
	Posts         []Post
	Page          int
	HasNext       bool
	OpeningPostID int64
	// FeaturedID is the accepted answer brought from a later page (0 when none): it
	// does not move the viewer's read position.
	FeaturedID int64
	// HeldBy holds the memberships with a held post in the thread. They and the
	// group's moderators see held posts, so their pages are loaded by ThreadPage.
	HeldBy map[int64]bool
}

// LoadThreadShared loads the part of a thread's page that is the same for every
// reader; see ThreadShared. A missing thread or page is ErrNotFound.
func (s *Store) LoadThreadShared(ctx context.Context, id int64, page int) (*ThreadShared, error) {
	if page < 1 || page > MaxPage {
		return nil, &ValidationError{Fields: map[string]string{"page": fmt.Sprintf("use a page from 1 to %d", MaxPage)}}
	}
	ctx = s.rowsContext(ctx)
	db := s.rdb.WithContext(ctx)
	t, err := s.loadThread(db, id)
	if err != nil {
		return nil, err
	}
	sh := &ThreadShared{Thread: *t, Page: page, HeldBy: map[int64]bool{}}
	var ps []Post
	err = db.Preload("Membership").Preload("Clinician").Where("thread_id = ? AND status <> ?", t.ID, PostHeld).
		Order(liveOrder(t)).Offset((page - 1) * PageSize).Limit(PageSize + 1).Find(&ps).Error
	if err != nil {
		return nil, fmt.Errorf("models: thread page: %w", err)
	}
	if len(ps) > PageSize {
		sh.HasNext, ps = true, ps[:PageSize]
	}
	if page > 1 && len(ps) == 0 {
		return nil, ErrNotFound
	}
	// The opening post, and the authors of held posts, in one statement.
	var rows []struct {
		ID           int64
		MembershipID *int64
		Status       string
	}
	err = db.Raw(`SELECT id, membership_id, status FROM (SELECT id, membership_id, status FROM posts WHERE thread_id = ? ORDER BY id LIMIT 1) first
UNION ALL SELECT id, membership_id, status FROM posts WHERE thread_id = ? AND status = ?`, t.ID, t.ID, PostHeld).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("models: thread page: %w", err)
	}
	for i, r := range rows {
		if i == 0 {
			sh.OpeningPostID = r.ID
		}
		if r.Status == PostHeld && r.MembershipID != nil {
			sh.HeldBy[*r.MembershipID] = true
		}
	}
	sh.Posts = ps
	if id := t.AcceptedPostID; id != nil && page == 1 && len(ps) > 0 {
		tp := &ThreadPage{Thread: *t, Posts: ps, Page: page, OpeningPostID: sh.OpeningPostID}
		if err := s.featureAccepted(ctx, tp, *id); err != nil {
			return nil, err
		}
		if len(tp.Posts) > len(ps) { // brought from a later page
			sh.FeaturedID = *id
		}
		sh.Posts = tp.Posts
	}
	return sh, nil
}

// ThreadPageFrom is v's page of a thread from its shared part: v's access, read
// position, reactions and mutes. It answers ok false, and no page, when v sees more
// than the shared part holds (a moderator of the group, or the author of a held
// post): load their page with ThreadPage. A thread v may not read is ErrNotFound.
// The page's Thread and Posts are sh's: read them, never change them.
func (s *Store) ThreadPageFrom(ctx context.Context, v *Viewer, sh *ThreadShared) (tp *ThreadPage, ok bool, err error) {
	a, err := s.groupAccessCached(ctx, v, sh.Thread.Group)
	if err != nil {
		return nil, false, err
	}
	if !a.CanRead {
		return nil, false, ErrNotFound
	}
	if a.Moderates || (a.Membership != nil && sh.HeldBy[a.Membership.ID]) {
		return nil, false, nil
	}
	tp = &ThreadPage{Access: a, Thread: sh.Thread, Posts: sh.Posts, Page: sh.Page, HasNext: sh.HasNext,
		OpeningPostID: sh.OpeningPostID}
	if a.Membership == nil || len(sh.Posts) == 0 {
		return tp, true, nil
	}
	joined := a.Joined()
	var lo, hi, highest int64 = sh.Posts[0].ID, 0, 0
	for i := range sh.Posts {
		id := sh.Posts[i].ID
		lo, hi = min(lo, id), max(hi, id)
		if id != sh.FeaturedID {
			highest = max(highest, id)
		}
	}
	// The member's follow and read position (kind 0), their reactions on the page's
	// posts (1) and the members they muted (2), in one statement.
	var rows []struct {
		K int
		A int64
		B int64
		C string
	}
	m := a.Membership
	err = s.rdb.WithContext(ctx).Raw(`SELECT 0 AS k,
  COALESCE((SELECT CASE WHEN following THEN 1 ELSE 0 END FROM thread_follows WHERE thread_id = ? AND membership_id = ?), 0) AS a,
  COALESCE((SELECT last_read_post_id FROM thread_reads WHERE membership_id = ? AND thread_id = ?), 0) AS b, '' AS c
UNION ALL SELECT 1, post_id, 0, kind FROM reactions WHERE membership_id = ? AND post_id BETWEEN ? AND ?
UNION ALL SELECT 2, muted_membership_id, 0, '' FROM member_mutes WHERE muter_membership_id = ?`,
		sh.Thread.ID, m.ID, m.ID, sh.Thread.ID, m.ID, lo, hi, m.ID).Scan(&rows).Error
	if err != nil {
		return nil, false, fmt.Errorf("models: thread page: %w", err)
	}
	onPage := make(map[int64]bool, len(sh.Posts))
	authors := map[int64]bool{}
	for i := range sh.Posts {
		onPage[sh.Posts[i].ID] = true
		if id := sh.Posts[i].MembershipID; id != nil && *id != m.ID {
			authors[*id] = true
		}
	}
	var mine []Reaction
	tp.Muted = map[int64]bool{}
	for _, r := range rows {
		switch r.K {
		case 0:
			if joined {
				tp.CanFollow, tp.Following, tp.LastReadPostID = true, r.A == 1, r.B
			}
		case 1:
			if onPage[r.A] {
				mine = append(mine, Reaction{PostID: r.A, Kind: r.C})
			}
		case 2:
			if authors[r.A] {
				tp.Muted[r.A] = true
			}
		}
	}
	tp.Mine = kindsByPost(mine)
	if joined && highest > tp.LastReadPostID {
		if err := s.markRead(ctx, s.db, m.ID, sh.Thread.ID, highest); err != nil {
			return nil, false, err
		}
	}
	return tp, true, nil
}
