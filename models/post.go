package models

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Post statuses.
const (
	PostPublished = "published"
	PostHeld      = "held"    // waiting for a moderator
	PostRemoved   = "removed" // tombstone with a moderator's reason
	PostDeleted   = "deleted" // tombstone: deleted by author
)

// Limits on what a member writes.
const (
	MaxBodyRunes           = 20000
	MaxContentWarningRunes = 60
)

// Post is one message in a thread. It points at the author's membership (a pseudonym
// of one group), or, for a post made as clinician, at the clinician's credential only.
// BodyHTML is rendered and sanitised once, when the post is written.
type Post struct {
	ID             int64       `gorm:"primaryKey"`
	ThreadID       int64       `gorm:"not null;index:idx_post_thread,priority:1"`
	Thread         *Thread     `gorm:"constraint:OnDelete:CASCADE"`
	MembershipID   *int64      `gorm:"index"`
	Membership     *Membership `gorm:"constraint:OnDelete:SET NULL"`
	ClinicianID    *int64      `gorm:"index"`
	Clinician      *Clinician  `gorm:"constraint:OnDelete:SET NULL"`
	Body           string      `gorm:"type:text;not null"`
	BodyHTML       string      `gorm:"type:text;not null"`
	ContentWarning string      `gorm:"size:60;not null;default:''"`
	Status         string      `gorm:"size:16;not null;default:published"`
	// Crisis is set when the post matched crisis language: it is never auto-hidden.
	Crisis        bool   `gorm:"not null;default:false"`
	StatusReason  string `gorm:"size:500;not null;default:''"`
	Version       int    `gorm:"not null;default:1"`
	SupportCount  int    `gorm:"not null;default:0"`
	HelpfulCount  int    `gorm:"not null;default:0"`
	SameHereCount int    `gorm:"not null;default:0"`
	EditedAt      *time.Time
	CreatedAt     time.Time `gorm:"not null;index:idx_post_thread,priority:2"`
	UpdatedAt     time.Time
	// Notices tells the author what the server noticed when the post was written.
	Notices []Notice `gorm:"-"`
	// personalData and heldFor carry the write-time findings to the queue (autoFlag),
	// as watched does the hold and flag watched words found (see watched.go).
	personalData []string
	heldFor      string
	watched      []WatchedWord
}

// Notice kinds.
const (
	NoticeCrisis = "crisis" // crisis language: show the author crisis resources
	NoticeHeld   = "held"   // the post waits for a moderator
)

// Notice is something the server noticed about a post as it was written.
type Notice struct {
	Kind   string
	Reason string
}

// PersonalDataError asks the author to confirm before posting text that looks like
// personal data; the same input with ConfirmPersonalData set goes through.
type PersonalDataError struct {
	Matches []string
}

func (e *PersonalDataError) Error() string {
	return "this looks like personal data: " + strings.Join(e.Matches, ", ")
}

// screen runs the write-time checks on a new post's text: personal data must be
// confirmed (and is held for review in open groups), and crisis language publishes
// the post with a crisis notice. It sets p.Status, p.Crisis and p.Notices.
func screen(p *Post, g *Group, m *Membership, text string, confirmed bool) error {
	if pd := DetectPersonalData(text); len(pd) > 0 {
		if !confirmed {
			return &PersonalDataError{Matches: pd}
		}
		p.personalData = pd
		if g.Visibility == VisibilityOpen {
			p.Status, p.heldFor = PostHeld, "personal_data"
			p.StatusReason = "held for review: personal data in an open group"
			p.Notices = append(p.Notices, Notice{Kind: NoticeHeld,
				Reason: "Your post may contain personal details, and this group is open to anyone, so a moderator will check it before others can see it."})
		}
	}
	if m != nil && !m.IsModerator() && p.Status == PostPublished {
		switch {
		case m.PostCount < g.PremoderateFirstPosts:
			p.Status, p.heldFor = PostHeld, "premoderation"
			p.StatusReason = "held for review: a new member's first posts"
			p.Notices = append(p.Notices, Notice{Kind: NoticeHeld,
				Reason: "Welcome! In this group a moderator reads new members' first posts before they appear. Yours will be visible soon."})
		case m.PostCount < NewMemberPosts && hasLink(text):
			p.Status, p.heldFor = PostHeld, "new_member_link"
			p.StatusReason = "held for review: a link in a new member's first posts"
			p.Notices = append(p.Notices, Notice{Kind: NoticeHeld,
				Reason: "Links in a new member's first posts are checked by a moderator before they appear. Yours will be visible soon."})
		}
	}
	if len(DetectCrisis(text)) > 0 {
		// Crisis posts are answered, not hidden: publish even when held for personal data.
		p.Crisis = true
		p.Status = PostPublished
		p.StatusReason = ""
		p.Notices = append([]Notice{{Kind: NoticeCrisis}}, removeHeld(p.Notices)...)
	}
	return nil
}

// NewMemberPosts is how many first posts of a member count as a new member's: links
// in them are held for review.
const NewMemberPosts = 3

var linkPattern = regexp.MustCompile(`(?i)\b(https?://|www\.)[^\s]+`)

// hasLink reports whether Markdown text links to another site (links within Haven,
// such as a quote-reply's, do not count).
func hasLink(text string) bool { return linkPattern.MatchString(text) }

func removeHeld(ns []Notice) []Notice {
	out := ns[:0]
	for _, n := range ns {
		if n.Kind != NoticeHeld {
			out = append(out, n)
		}
	}
	return out
}

// AsClinician reports whether the post was made in the clinician voice.
func (p *Post) AsClinician() bool { return p.ClinicianID != nil }

// Visible reports whether the post's text is shown (not a tombstone).
func (p *Post) Visible() bool { return p.Status == PostPublished || p.Status == PostHeld }

// PostInput is what a member sends to reply.
type PostInput struct {
	Body           string `json:"body" form:"body"`
	ContentWarning string `json:"content_warning" form:"content_warning"`
	AsClinician    bool   `json:"as_clinician" form:"as_clinician"`
	// ConfirmPersonalData is the author's answer to a PersonalDataError.
	ConfirmPersonalData bool `json:"confirm_personal_data" form:"confirm_personal_data"`
}

func validateBody(v *ValidationError, body, cw *string) {
	*body = strings.TrimRight(*body, " \t\r\n")
	*cw = strings.TrimSpace(*cw)
	switch n := utf8.RuneCountInString(strings.TrimSpace(*body)); {
	case n == 0:
		v.Add("body", "write something first")
	case utf8.RuneCountInString(*body) > MaxBodyRunes:
		v.Add("body", "use at most 20000 characters")
	}
	if utf8.RuneCountInString(*cw) > MaxContentWarningRunes {
		v.Add("content_warning", "use at most 60 characters")
	}
}

// Validate trims the input and reports what is wrong with it.
func (in *PostInput) Validate() error {
	var v ValidationError
	validateBody(&v, &in.Body, &in.ContentWarning)
	return v.Err()
}

// CreatePost adds a reply to a thread. A verified clinician may reply as clinician:
// the post then carries the credential and no membership, so it links to no pseudonym.
//
// The checks and detectors run before the write, on a reader (draftPost), so that
// the writer (on SQLite, the one writer connection every post waits for) only
// writes. The write then goes ahead only if what the checks relied on is unchanged
// (writePost's guards); if it changed meanwhile, the reply is checked again and
// written in one transaction, as a post that needs the writer's view to be checked
// (a reply as clinician, in slow mode, or by a member whose mute has not been lifted
// yet) always is.
func (s *Store) CreatePost(ctx context.Context, v *Viewer, threadID int64, in PostInput) (*Post, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	html, err := RenderMarkdown(in.Body)
	if err != nil {
		return nil, err
	}
	d, err := s.draftPost(ctx, s.draftReader(), v, threadID, in, html)
	if err == nil && d.guardable() {
		err = s.tx(ctx, func(tx *gorm.DB) error { return s.writePost(ctx, tx, d, true) })
		if errors.Is(err, errDraftStale) {
			d, err = nil, nil // checked on a view that changed since: check and write at once
		}
	} else if err == nil {
		d = nil
	}
	if err == nil && d == nil {
		err = s.tx(ctx, func(tx *gorm.DB) error {
			var err error
			if d, err = s.draftPost(ctx, tx, v, threadID, in, html); err != nil {
				return err
			}
			return s.writePost(ctx, tx, d, false)
		})
	}
	if err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrNotFound
		}
		return nil, wrapErr("create post", err)
	}
	p := &d.p
	if p.Status == PostPublished {
		s.publish(ctx, Event{Kind: EventPost, GroupID: groupIDOf(p), ThreadID: p.ThreadID, PostID: p.ID})
	}
	return p, nil
}

// draftReader is where a reply is checked before it is written: the readers on
// SQLite, which see every committed write, and the primary on PostgreSQL, whose
// read replicas may lag.
func (s *Store) draftReader() *gorm.DB {
	if s.dialect == "postgres" {
		return s.db
	}
	return s.rdb
}

// postDraft is a reply that passed every check, ready to be written.
type postDraft struct {
	t         Thread
	a         *GroupAccess
	p         Post
	clinician bool // a reply in the clinician voice
	postCount int  // the author's membership's post count when it was checked
}

// errDraftStale says that what a draft's checks relied on changed before the write.
var errDraftStale = errors.New("models: the post was checked on a view that has changed")

// draftPost loads the thread and v's access to it from db and runs every check and
// detector on a reply: the post to write, or the error for its author.
func (s *Store) draftPost(ctx context.Context, db *gorm.DB, v *Viewer, threadID int64, in PostInput, html string) (*postDraft, error) {
	db = db.WithContext(ctx)
	d := &postDraft{clinician: in.AsClinician}
	t := &d.t
	if err := db.Preload("Group").First(t, threadID).Error; err != nil {
		return nil, err
	}
	a, err := s.groupAccessFor(ctx, db, v, t.Group)
	if err != nil {
		return nil, err
	}
	d.a = a
	now := s.now()
	p := &d.p
	*p = Post{ThreadID: t.ID, Body: in.Body, BodyHTML: html, ContentWarning: in.ContentWarning,
		Status: PostPublished, Version: 1, CreatedAt: now, UpdatedAt: now}
	if in.AsClinician {
		if err := clinicianVoiceAllowed(v, a, now); err != nil { // see clinician.go
			return nil, err
		}
		p.ClinicianID, p.Clinician = &v.Clinician.ID, v.Clinician
	} else {
		if err := postAllowed(v, a); err != nil {
			return nil, err
		}
		p.MembershipID, p.Membership = &a.Membership.ID, a.Membership
		d.postCount = a.Membership.PostCount
	}
	if t.Locked && !a.Moderates {
		return nil, Errorf(EFORBIDDEN, "this thread is locked")
	}
	if t.Kind == KindLive && !a.Moderates {
		return nil, liveReplyError(t)
	}
	if err := s.checkSlowMode(ctx, db, t, p, a); err != nil {
		return nil, err
	}
	ws, err := s.screenPostWords(ctx, db, t.GroupID, p, nil)
	if err != nil {
		return nil, err
	}
	if err := screen(p, t.Group, p.Membership, p.Body, in.ConfirmPersonalData); err != nil {
		return nil, err
	}
	ws.holdForWords(p, a.Moderates)
	return d, nil
}

// guardable reports whether a draft checked outside the writing transaction can be
// written with guards (see writePost): a reply in a member's voice, outside slow
// mode, by a member who is not muted. Anything else is checked in the transaction.
func (d *postDraft) guardable() bool {
	m := d.a.Membership
	return !d.clinician && m != nil && m.MutedUntil == nil && (d.t.SlowModeSeconds <= 0 || d.a.Moderates)
}

// writePost writes a checked reply, its counters and what every new post needs
// (afterPostWrite). With guard, each counter update also requires that what the
// checks relied on (the thread's state, the group's settings, the author's
// membership) is as they saw it, and errDraftStale says that it is not.
func (s *Store) writePost(ctx context.Context, tx *gorm.DB, d *postDraft, guard bool) error {
	tx = tx.WithContext(ctx)
	t, p := &d.t, &d.p
	now := p.CreatedAt
	updates := map[string]any{"reply_count": gorm.Expr("reply_count + 1"), "last_post_at": now}
	if d.clinician && t.Kind == KindQuestion {
		updates["clinician_answered"] = true
		if err := s.recordClinicianAnswer(ctx, tx, t, now); err != nil {
			return err
		}
	}
	q := tx.Model(t)
	if guard {
		q = q.Where("group_id = ? AND locked = ? AND kind = ? AND slow_mode_seconds = ?", t.GroupID, t.Locked, t.Kind, t.SlowModeSeconds)
	}
	if err := stale(q.Updates(updates), guard); err != nil {
		return err
	}
	q = tx.Model(t.Group)
	if guard {
		q = q.Where("visibility = ? AND premoderate_first_posts = ?", t.Group.Visibility, t.Group.PremoderateFirstPosts)
	}
	if err := stale(q.Update("last_activity_at", now), guard); err != nil {
		return err
	}
	if p.MembershipID != nil {
		q = tx.Model(&Membership{}).Where("id = ?", *p.MembershipID)
		if m := d.a.Membership; guard {
			q = q.Where("status = ? AND role = ? AND muted_until IS NULL", m.Status, m.Role)
			// The post count matters only below the first posts screen checks.
			if limit := max(t.Group.PremoderateFirstPosts, NewMemberPosts); d.postCount >= limit {
				q = q.Where("post_count >= ?", limit)
			} else {
				q = q.Where("post_count = ?", d.postCount)
			}
		}
		if err := stale(q.UpdateColumn("post_count", gorm.Expr("post_count + 1")), guard); err != nil {
			return err
		}
	}
	if err := tx.Omit("Membership", "Clinician").Create(p).Error; err != nil {
		return err
	}
	t.Group = d.a.Group
	p.Thread = t
	return s.afterPostWrite(ctx, tx, t, p)
}

// stale passes on an update's error; with guard, an update that changed no row
// (its guard failed) is errDraftStale.
func stale(res *gorm.DB, guard bool) error {
	if res.Error != nil {
		return res.Error
	}
	if guard && res.RowsAffected == 0 {
		return errDraftStale
	}
	return nil
}

// groupIDOf is the group of a post whose thread was loaded with its group.
func groupIDOf(p *Post) int64 {
	if p.Thread != nil {
		return p.Thread.GroupID
	}
	return 0
}

// PostLink finds where a post v may read is shown: its thread and its page there, as
// v's thread page lists the posts (held posts for their author and the moderators,
// newest first in a live thread). Lists of posts (search results, a member's posts)
// link to it instead of counting every listed post's place in its thread, which
// costs as much as the thread is long. A post v may not read is ErrNotFound.
func (s *Store) PostLink(ctx context.Context, v *Viewer, postID int64) (threadID int64, page int, err error) {
	pc, err := s.loadPost(ctx, s.rdb, v, postID)
	if err != nil {
		return 0, 0, err
	}
	page, err = s.postPage(ctx, pc.Thread.ID, pc.Thread.Kind == KindLive, postID, pc.Access)
	return pc.Thread.ID, page, err
}

// PostPageNumber is the page of its thread on which a post appears, as a visitor's
// thread page lists posts.
func (s *Store) PostPageNumber(ctx context.Context, threadID, postID int64) (int, error) {
	live, err := s.isLiveThread(ctx, threadID)
	if err != nil {
		return 0, err
	}
	return s.postPage(ctx, threadID, live, postID, &GroupAccess{})
}

// postPage counts a post's place among the thread's posts the viewer with access a
// sees (visiblePosts), oldest first or, in a live thread, newest first, and gives its
// page.
func (s *Store) postPage(ctx context.Context, threadID int64, live bool, postID int64, a *GroupAccess) (int, error) {
	cmp := "<="
	if live {
		cmp = ">="
	}
	var n int64
	q := s.rdb.WithContext(ctx).Model(&Post{}).Where("thread_id = ? AND id "+cmp+" ?", threadID, postID)
	if err := visiblePosts(q, a).Count(&n).Error; err != nil {
		return 0, wrapErr("post page", err)
	}
	return int(max(n-1, 0)/PageSize) + 1, nil
}

// afterPostWrite does the write-time work every new post needs, in the transaction
// that wrote it: the search index and notifications.
func (s *Store) afterPostWrite(ctx context.Context, tx *gorm.DB, t *Thread, p *Post) error {
	if err := s.indexPost(ctx, tx, t, p); err != nil {
		return err
	}
	if err := s.autoFlag(ctx, tx, t, p); err != nil {
		return err
	}
	return s.notifyNewPost(ctx, tx, t, p)
}
