package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// FeedSize is the number of entries in an Atom feed.
const FeedSize = 50

// Feeds are public by nature: anyone can subscribe to a URL and pass it on. So they
// carry only what a visitor may read: announcements that are site-wide or in open
// groups, and the new threads of open groups. Closed, secret and professional groups
// have no feed at all, whoever asks.

// FeedAnnouncements lists the newest announcements that have started, site-wide or
// in open groups, with their groups loaded.
func (s *Store) FeedAnnouncements(ctx context.Context) ([]Announcement, error) {
	var as []Announcement
	err := s.rdb.WithContext(ctx).Preload("Group").
		Where("starts_at <= ?", s.now()).
		Where("group_id IS NULL OR group_id IN (?)", s.rdb.Model(&Group{}).Select("id").Where("visibility = ?", VisibilityOpen)).
		Order("starts_at DESC, id DESC").Limit(FeedSize).Find(&as).Error
	if err != nil {
		return nil, fmt.Errorf("models: announcements feed: %w", err)
	}
	return as, nil
}

// FeedThread is a new thread as a group's feed shows it: its opening post and the
// pseudonym it was opened under.
type FeedThread struct {
	ID             int64
	Title          string
	Kind           string
	CreatedAt      time.Time
	Pseudonym      string
	BodyHTML       string
	ContentWarning string
	EditedAt       *time.Time
}

// GroupFeed loads an open group and its newest threads whose opening post is
// published (not held, removed or deleted). Any other group is ErrNotFound, for
// everyone: feeds are public.
func (s *Store) GroupFeed(ctx context.Context, slug string) (*Group, []FeedThread, error) {
	var g Group
	if err := s.rdb.WithContext(ctx).Where("slug = ? AND visibility = ?", slug, VisibilityOpen).First(&g).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, nil, ErrNotFound
		}
		return nil, nil, fmt.Errorf("models: group feed: %w", err)
	}
	var ts []FeedThread
	err := s.rdb.WithContext(ctx).Table("threads AS t").
		Select("t.id, t.title, t.kind, t.created_at, COALESCE(m.pseudonym, c.display_name, '') AS pseudonym, p.body_html, p.content_warning, p.edited_at").
		Joins("JOIN posts p ON p.id = (SELECT MIN(f.id) FROM posts f WHERE f.thread_id = t.id)").
		Joins("LEFT JOIN memberships m ON m.id = t.membership_id AND t.clinician_id IS NULL"). // never a clinician's pseudonym
		Joins("LEFT JOIN clinicians c ON c.id = t.clinician_id").
		Where("t.group_id = ? AND p.status = ?", g.ID, PostPublished).
		Order("t.created_at DESC, t.id DESC").Limit(FeedSize).Scan(&ts).Error
	if err != nil {
		return nil, nil, fmt.Errorf("models: group feed: %w", err)
	}
	return &g, ts, nil
}
