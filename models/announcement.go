package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Announcement severities.
const (
	SeverityInfo     = "info"     // home or group page
	SeverityAdvisory = "advisory" // home or group page, marked as advice to act on
	SeverityUrgent   = "urgent"   // a banner on every page until dismissed or ended
)

// AnnouncementPageSize is the number of announcements on one page of the history.
const AnnouncementPageSize = 20

// Announcement is the organisation's voice: site-wide (GroupID nil, admins only) or
// in one group (its moderators). A group announcement is also a thread of kind
// "announcement" in that group, opened under the author's pseudonym there, so that
// members can discuss it; RepliesOff locks that thread. A site-wide announcement has
// no discussion thread: no group is everyone, and a thread in one group would be
// readable only by its members, under that group's pseudonyms. AuthorID is for staff
// (the audit log) and never leaves the server.
type Announcement struct {
	ID       int64  `gorm:"primaryKey"`
	GroupID  *int64 `gorm:"index"`
	Group    *Group `gorm:"constraint:OnDelete:CASCADE"`
	ThreadID *int64
	Title    string    `gorm:"size:200;not null"`
	Body     string    `gorm:"type:text;not null"`
	BodyHTML string    `gorm:"type:text;not null"` // Body rendered once, when written
	Severity string    `gorm:"size:16;not null;index:idx_announcement_current,priority:1"`
	StartsAt time.Time `gorm:"not null;index:idx_announcement_current,priority:2"`
	EndsAt   *time.Time
	// RepliesOff locks the discussion thread (moderators may still post in it).
	RepliesOff bool      `gorm:"not null;default:false"`
	AuthorID   int64     `gorm:"not null;index"`
	CreatedAt  time.Time `gorm:"not null"`
}

// Current reports whether the announcement is shown as current at now: started and
// not ended.
func (a *Announcement) Current(now time.Time) bool {
	return !now.Before(a.StartsAt) && (a.EndsAt == nil || now.Before(*a.EndsAt))
}

// Status is "scheduled" before the announcement starts, "current" while it runs and
// "ended" after.
func (a *Announcement) Status(now time.Time) string {
	switch {
	case now.Before(a.StartsAt):
		return "scheduled"
	case a.Current(now):
		return "current"
	}
	return "ended"
}

// AnnouncementDismissal records that a member closed an urgent banner. It is kept per
// user (not per membership) because it is never shown to anyone.
type AnnouncementDismissal struct {
	ID             int64         `gorm:"primaryKey"`
	UserID         int64         `gorm:"not null;uniqueIndex:idx_dismissal_user_announcement,priority:1"`
	User           *User         `gorm:"constraint:OnDelete:CASCADE"`
	AnnouncementID int64         `gorm:"not null;uniqueIndex:idx_dismissal_user_announcement,priority:2"`
	Announcement   *Announcement `gorm:"constraint:OnDelete:CASCADE"`
	CreatedAt      time.Time     `gorm:"not null"`
}

// AnnouncementInput is what staff or a group's moderator sends to announce.
type AnnouncementInput struct {
	// Group is a group's slug; empty for a site-wide announcement (admins only).
	Group    string `json:"group" form:"group"`
	Title    string `json:"title" form:"title"`
	Body     string `json:"body" form:"body"`
	Severity string `json:"severity" form:"severity"`
	// StartsAt and EndsAt are RFC 3339 times, or "2006-01-02T15:04" (a form's
	// datetime-local field) read as UTC. StartsAt defaults to now; EndsAt is optional.
	StartsAt   string `json:"starts_at" form:"starts_at"`
	EndsAt     string `json:"ends_at" form:"ends_at"`
	RepliesOff bool   `json:"replies_off" form:"replies_off"`

	startsAt time.Time
	endsAt   *time.Time
}

// parseAnnouncementTime reads an RFC 3339 time or a form's datetime-local value (UTC).
func parseAnnouncementTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Round(time.Microsecond), true
		}
	}
	return time.Time{}, false
}

// Validate trims the input, fills in the default start (now) and reports what is
// wrong with it.
func (in *AnnouncementInput) Validate(now time.Time) error {
	in.Group = strings.TrimSpace(strings.ToLower(in.Group))
	in.Title = strings.TrimSpace(in.Title)
	in.Body = strings.TrimRight(in.Body, " \t\r\n")
	in.Severity = strings.TrimSpace(in.Severity)
	in.StartsAt = strings.TrimSpace(in.StartsAt)
	in.EndsAt = strings.TrimSpace(in.EndsAt)
	if in.Severity == "" {
		in.Severity = SeverityInfo
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
	switch n := utf8.RuneCountInString(strings.TrimSpace(in.Body)); {
	case n == 0:
		v.Add("body", "write the announcement first")
	case utf8.RuneCountInString(in.Body) > MaxBodyRunes:
		v.Add("body", "use at most 20000 characters")
	}
	switch in.Severity {
	case SeverityInfo, SeverityAdvisory, SeverityUrgent:
	default:
		v.Add("severity", "choose info, advisory or urgent")
	}
	in.startsAt = now
	if in.StartsAt != "" {
		t, ok := parseAnnouncementTime(in.StartsAt)
		if ok {
			in.startsAt = t
		} else {
			v.Add("starts_at", "give a date and time such as 2025-03-01T09:00:00Z")
		}
	}
	in.endsAt = nil
	if in.EndsAt != "" {
		t, ok := parseAnnouncementTime(in.EndsAt)
		switch {
		case !ok:
			v.Add("ends_at", "give a date and time such as 2025-03-01T18:00:00Z")
		case !t.After(in.startsAt):
			v.Add("ends_at", "the end must be after the start")
		default:
			in.endsAt = &t
		}
	}
	return v.Err()
}

// CreateAnnouncement publishes an announcement: site-wide for admins, or in a group
// for its moderators (and admins), who must be active members of the group because
// its discussion thread is opened under their pseudonym there. A group v may not see
// is ErrNotFound; anyone else is ErrForbidden. The announcement is audited and sent
// as a live event (site-wide ones to everyone, group ones to the group's readers).
func (s *Store) CreateAnnouncement(ctx context.Context, v *Viewer, in AnnouncementInput) (*Announcement, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	if !v.User.Active() {
		return nil, Errorf(EFORBIDDEN, "your account cannot post right now")
	}
	if in.Group == "" && !v.IsAdmin() {
		return nil, Errorf(EFORBIDDEN, "only staff can make site-wide announcements")
	}
	now := s.now()
	if err := in.Validate(now); err != nil {
		return nil, err
	}
	html, err := RenderMarkdown(in.Body)
	if err != nil {
		return nil, err
	}
	an := Announcement{Title: in.Title, Body: in.Body, BodyHTML: html, Severity: in.Severity,
		StartsAt: in.startsAt, EndsAt: in.endsAt, RepliesOff: in.RepliesOff, AuthorID: v.User.ID, CreatedAt: now}
	var postEvent *Event
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if in.Group != "" {
			a, err := s.groupAccess(ctx, tx, v, in.Group)
			if err != nil {
				return err
			}
			if !a.Moderates {
				return Errorf(EFORBIDDEN, "only this group's moderators can announce in it")
			}
			if !a.Joined() {
				return &ValidationError{Fields: map[string]string{"group": "join this group first: its discussion thread is opened under your pseudonym there"}}
			}
			t, p, err := s.openAnnouncementThread(ctx, tx, a, &an)
			if err != nil {
				return err
			}
			an.GroupID, an.Group, an.ThreadID = &a.Group.ID, a.Group, &t.ID
			postEvent = &Event{Kind: EventPost, GroupID: t.GroupID, ThreadID: t.ID, PostID: p.ID}
		}
		if err := tx.Omit("Group").Create(&an).Error; err != nil {
			return err
		}
		if an.GroupID != nil {
			// A moderator's act in the group: its modlog says so (the moderator redacted).
			if err := s.writeModlog(ctx, tx, v, *an.GroupID, "announce", "announcement", an.ID, an.Title, an.Severity); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, v, "announcement.create", "announcement", an.ID, an.Severity+": "+an.Title)
	})
	if err != nil {
		return nil, wrapErr("create announcement", err)
	}
	s.banners.reset()
	e := Event{Kind: EventAnnouncement, ItemID: an.ID}
	if an.GroupID != nil {
		e.GroupID = *an.GroupID
	}
	if !now.Before(an.StartsAt) {
		// A scheduled announcement is not on any page yet, so it is not streamed either.
		s.publish(ctx, e)
	}
	if postEvent != nil {
		s.publish(ctx, *postEvent)
	}
	return &an, nil
}

// openAnnouncementThread opens the discussion thread of a group announcement, in
// the transaction that writes it. Staff text is not screened like a member's post:
// it is published at once, and the audit log records who wrote it.
func (s *Store) openAnnouncementThread(ctx context.Context, tx *gorm.DB, a *GroupAccess, an *Announcement) (*Thread, *Post, error) {
	now := an.CreatedAt
	t := Thread{GroupID: a.Group.ID, MembershipID: a.Membership.ID, Title: an.Title, Kind: KindAnnouncement,
		Locked: an.RepliesOff, LastPostAt: now, CreatedAt: now, UpdatedAt: now}
	if err := tx.Create(&t).Error; err != nil {
		return nil, nil, err
	}
	p := Post{ThreadID: t.ID, MembershipID: &a.Membership.ID, Body: an.Body, BodyHTML: an.BodyHTML,
		Status: PostPublished, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := tx.Create(&p).Error; err != nil {
		return nil, nil, err
	}
	if err := tx.Model(a.Group).Updates(map[string]any{
		"thread_count": gorm.Expr("thread_count + 1"), "last_activity_at": now}).Error; err != nil {
		return nil, nil, err
	}
	if err := tx.Model(a.Membership).UpdateColumn("post_count", gorm.Expr("post_count + 1")).Error; err != nil {
		return nil, nil, err
	}
	t.Group, t.Membership, p.Membership = a.Group, a.Membership, a.Membership
	if err := s.afterPostWrite(ctx, tx, &t, &p); err != nil {
		return nil, nil, err
	}
	return &t, &p, nil
}

// AnnouncementPage is one page of the announcements v may see.
type AnnouncementPage struct {
	Announcements []Announcement // Group loaded for group announcements
	Page          int
	HasNext       bool
	Now           time.Time
}

// ListAnnouncements lists the announcements v may see, current ones first (newest
// start first), then the rest (scheduled and ended), newest start first. Group
// announcements are listed only to those who may read the group.
func (s *Store) ListAnnouncements(ctx context.Context, v *Viewer, page int) (*AnnouncementPage, error) {
	if page < 1 || page > MaxPage {
		return nil, &ValidationError{Fields: map[string]string{"page": fmt.Sprintf("use a page from 1 to %d", MaxPage)}}
	}
	readable, err := s.ReadableGroupIDs(ctx, v)
	if err != nil {
		return nil, err
	}
	now := s.now()
	q := s.rdb.WithContext(ctx).Preload("Group")
	q = whereReadable(q, "group_id", readable)
	var as []Announcement
	err = q.Clauses(clause.OrderBy{Expression: clause.Expr{
		SQL:                "CASE WHEN starts_at <= ? AND (ends_at IS NULL OR ends_at > ?) THEN 0 ELSE 1 END, starts_at DESC, id DESC",
		Vars:               []any{now, now},
		WithoutParentheses: true,
	}}).Offset((page - 1) * AnnouncementPageSize).Limit(AnnouncementPageSize + 1).Find(&as).Error
	if err != nil {
		return nil, fmt.Errorf("models: list announcements: %w", err)
	}
	ap := &AnnouncementPage{Page: page, Now: now}
	if len(as) > AnnouncementPageSize {
		ap.HasNext, as = true, as[:AnnouncementPageSize]
	}
	if page > 1 && len(as) == 0 {
		return nil, ErrNotFound
	}
	ap.Announcements = as
	return ap, nil
}

// whereReadable keeps rows that are site-wide (column NULL) or in a readable group.
func whereReadable(q *gorm.DB, column string, readable map[int64]bool) *gorm.DB {
	ids := make([]int64, 0, len(readable))
	for id := range readable {
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return q.Where(column + " IS NULL")
	}
	return q.Where(column+" IS NULL OR "+column+" IN ?", ids)
}

// Announcement loads one announcement that v may see; any other is ErrNotFound.
func (s *Store) Announcement(ctx context.Context, v *Viewer, id int64) (*Announcement, error) {
	var an Announcement
	if err := s.rdb.WithContext(ctx).Preload("Group").First(&an, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("models: announcement: %w", err)
	}
	if an.Group != nil {
		a, err := s.groupAccessFor(ctx, s.rdb, v, an.Group)
		if err != nil {
			return nil, err
		}
		if !a.CanRead {
			return nil, ErrNotFound
		}
	}
	return &an, nil
}

// CurrentAnnouncements lists the current info and advisory announcements of one
// group (groupID > 0) or the site (groupID 0), newest first: what the home and group
// pages show. The caller decides whether the viewer may read the group.
func (s *Store) CurrentAnnouncements(ctx context.Context, groupID int64) ([]Announcement, error) {
	now := s.now()
	q := s.rdb.WithContext(ctx).Where("severity IN ? AND starts_at <= ? AND (ends_at IS NULL OR ends_at > ?)",
		[]string{SeverityInfo, SeverityAdvisory}, now, now)
	if groupID == 0 {
		q = q.Where("group_id IS NULL")
	} else {
		q = q.Where("group_id = ?", groupID)
	}
	var as []Announcement
	if err := q.Order("starts_at DESC, id DESC").Limit(10).Find(&as).Error; err != nil {
		return nil, fmt.Errorf("models: current announcements: %w", err)
	}
	return as, nil
}

// Banner is a current urgent announcement as the banner on every page shows it.
type Banner struct {
	ID        int64
	Title     string
	BodyHTML  string
	StartsAt  time.Time
	EndsAt    *time.Time
	ThreadID  *int64
	GroupSlug *string
	GroupName *string
}

// maxBanners bounds how many urgent banners one page shows.
const maxBanners = 3

// bannerTTL is how long visitors' banners (site-wide and open groups') are cached.
const bannerTTL = 5 * time.Second

// bannerCache keeps the visitors' banners for a few seconds: every page shows them.
type bannerCache struct {
	mu   sync.Mutex
	at   time.Time
	list []Banner
	ok   bool
	// spans are the times of every urgent announcement not yet over, in any group,
	// as of spansAt: while none is current, no signed-in viewer has a banner and
	// their pages need not ask.
	spans   []bannerSpan
	spansAt time.Time
	spansOK bool
}

// bannerSpan is when an urgent announcement shows.
type bannerSpan struct {
	StartsAt time.Time
	EndsAt   *time.Time
}

func (c *bannerCache) reset() {
	c.mu.Lock()
	c.ok, c.spansOK = false, false
	c.mu.Unlock()
}

// anyUrgent reports whether any urgent announcement shows at now, anywhere, from a
// list of their times kept for bannerTTL.
func (s *Store) anyUrgent(ctx context.Context, now time.Time) (bool, error) {
	c := &s.banners
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.spansOK || now.Before(c.spansAt) || now.Sub(c.spansAt) >= bannerTTL {
		var spans []bannerSpan
		err := s.rdb.WithContext(ctx).Model(&Announcement{}).Select("starts_at", "ends_at").
			Where("severity = ? AND (ends_at IS NULL OR ends_at > ?)", SeverityUrgent, now).
			Order("starts_at").Limit(1000).Scan(&spans).Error
		if err != nil {
			return false, fmt.Errorf("models: urgent banners: %w", err)
		}
		c.spans, c.spansAt, c.spansOK = spans, now, true
		if len(spans) == 1000 {
			c.spansOK = false // too many to keep: ask every time
			return true, nil
		}
	}
	for _, sp := range c.spans {
		if !now.Before(sp.StartsAt) && (sp.EndsAt == nil || now.Before(*sp.EndsAt)) {
			return true, nil
		}
	}
	return false, nil
}

// UrgentBanners lists the current urgent announcements v may see and has not
// dismissed, newest first (at most three): one query for a member, and for visitors
// a list cached for a few seconds. Visitors dismiss banners with a cookie (see the
// app), so nothing is filtered here for them.
func (s *Store) UrgentBanners(ctx context.Context, v *Viewer) ([]Banner, error) {
	now := s.now()
	if v == nil {
		c := &s.banners
		c.mu.Lock()
		defer c.mu.Unlock()
		if !c.ok || now.Before(c.at) || now.Sub(c.at) >= bannerTTL {
			list, err := s.queryBanners(ctx, nil, now)
			if err != nil {
				return nil, err
			}
			c.list, c.at, c.ok = list, now, true
		}
		out := make([]Banner, 0, len(c.list))
		for _, b := range c.list {
			if !now.Before(b.StartsAt) && (b.EndsAt == nil || now.Before(*b.EndsAt)) {
				out = append(out, b)
			}
		}
		return out, nil
	}
	if any, err := s.anyUrgent(ctx, now); err != nil || !any {
		return nil, err
	}
	return s.queryBanners(ctx, v, now)
}

// queryBanners is UrgentBanners' one query. Group announcements follow the rules of
// access: open groups for everyone, closed and secret ones for active members,
// professional ones for verified clinicians, all for admins.
func (s *Store) queryBanners(ctx context.Context, v *Viewer, now time.Time) ([]Banner, error) {
	q := s.rdb.WithContext(ctx).Table("announcements AS a").
		Select("a.id, a.title, a.body_html, a.starts_at, a.ends_at, a.thread_id, g.slug AS group_slug, g.name AS group_name").
		Joins("LEFT JOIN groups g ON g.id = a.group_id").
		Where("a.severity = ? AND a.starts_at <= ? AND (a.ends_at IS NULL OR a.ends_at > ?)", SeverityUrgent, now, now)
	switch uid := v.UserID(); {
	case uid == 0:
		q = q.Where("a.group_id IS NULL OR g.visibility = ?", VisibilityOpen)
	default:
		if !v.IsAdmin() {
			q = q.Joins("LEFT JOIN memberships m ON m.group_id = a.group_id AND m.user_id = ? AND m.status = ?", uid, MemberActive)
			cond := "a.group_id IS NULL OR g.visibility = ? OR (g.visibility IN ? AND m.id IS NOT NULL)"
			args := []any{VisibilityOpen, []string{VisibilityClosed, VisibilitySecret}}
			if v.VerifiedClinician(now) {
				cond += " OR g.visibility = ?"
				args = append(args, VisibilityProfessional)
			}
			q = q.Where(cond, args...)
		}
		q = q.Where("NOT EXISTS (SELECT 1 FROM announcement_dismissals d WHERE d.announcement_id = a.id AND d.user_id = ?)", uid)
	}
	var out []Banner
	if err := q.Order("a.starts_at DESC, a.id DESC").Limit(maxBanners).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("models: urgent banners: %w", err)
	}
	return out, nil
}

// DismissAnnouncement closes an announcement's banner for a member, for good;
// dismissing twice is harmless. For a visitor it only checks that the announcement
// exists and is visible: visitors dismiss with a cookie that the app keeps.
func (s *Store) DismissAnnouncement(ctx context.Context, v *Viewer, id int64) error {
	if _, err := s.Announcement(ctx, v, id); err != nil {
		return err
	}
	if v == nil {
		return nil
	}
	d := AnnouncementDismissal{UserID: v.User.ID, AnnouncementID: id, CreatedAt: s.now()}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&d).Error
	})
	return wrapErr("dismiss announcement", err)
}

// AnnouncementScope says where v may announce: the whole site (admins) and the
// groups v moderates as an active member.
type AnnouncementScope struct {
	SiteWide bool
	Groups   []Group
}

// AnnouncementScope lists where v may announce; ErrForbidden when nowhere.
func (s *Store) AnnouncementScope(ctx context.Context, v *Viewer) (*AnnouncementScope, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	sc := &AnnouncementScope{SiteWide: v.IsAdmin()}
	q := s.rdb.WithContext(ctx).Table("groups").Select("groups.*").
		Joins("JOIN memberships m ON m.group_id = groups.id AND m.user_id = ? AND m.status = ?", v.User.ID, MemberActive)
	if !v.IsAdmin() {
		q = q.Where("m.role IN ?", []string{MemberModerator, MemberOwner})
	}
	err := q.Order("groups.name, groups.id").Find(&sc.Groups).Error
	if err != nil {
		return nil, fmt.Errorf("models: announcement scope: %w", err)
	}
	if !sc.SiteWide && len(sc.Groups) == 0 {
		return nil, Errorf(EFORBIDDEN, "only staff and group moderators can post announcements")
	}
	return sc, nil
}

// Now is the store's clock: announcement statuses are computed against it.
func (s *Store) Now() time.Time { return s.now() }
