package models

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// MaxGroupResources bounds a group's list of trusted links: a short, curated list.
const MaxGroupResources = 30

// GroupResource is a trusted link that a group's moderators recommend: a leaflet, a
// charity's guide, an official page. Links are https only.
type GroupResource struct {
	ID          int64     `gorm:"primaryKey"`
	GroupID     int64     `gorm:"not null;index:idx_resource_group,priority:1"`
	Group       *Group    `gorm:"constraint:OnDelete:CASCADE"`
	Title       string    `gorm:"size:200;not null"`
	SourceOrg   string    `gorm:"size:120;not null"`
	URL         string    `gorm:"size:2000;not null"`
	Description string    `gorm:"size:1000;not null;default:''"`
	Position    int       `gorm:"not null;default:0;index:idx_resource_group,priority:2"`
	CreatedAt   time.Time `gorm:"not null"`
}

// ResourceInput is what a moderator sends to add a resource. Position 0 puts it
// last.
type ResourceInput struct {
	Title       string `json:"title" form:"title"`
	SourceOrg   string `json:"source_org" form:"source_org"`
	URL         string `json:"url" form:"url"`
	Description string `json:"description" form:"description"`
	Position    int    `json:"position" form:"position"`
}

// Validate trims the input and reports what is wrong with it. The URL must be an
// absolute https:// address with a host and without a user name or password.
func (in *ResourceInput) Validate() error {
	in.Title = strings.TrimSpace(in.Title)
	in.SourceOrg = strings.TrimSpace(in.SourceOrg)
	in.URL = strings.TrimSpace(in.URL)
	in.Description = strings.TrimSpace(in.Description)
	var v ValidationError
	switch n := utf8.RuneCountInString(in.Title); {
	case n == 0:
		v.Add("title", "a title is required")
	case n < 3:
		v.Add("title", "use at least 3 characters")
	case n > 200:
		v.Add("title", "use at most 200 characters")
	}
	switch n := utf8.RuneCountInString(in.SourceOrg); {
	case n == 0:
		v.Add("source_org", "name the organisation behind the link, e.g. NHS or Diabetes UK")
	case n > 120:
		v.Add("source_org", "use at most 120 characters")
	}
	if msg := checkResourceURL(in.URL); msg != "" {
		v.Add("url", msg)
	}
	if utf8.RuneCountInString(in.Description) > 1000 {
		v.Add("description", "use at most 1000 characters")
	}
	if in.Position < 0 || in.Position > 1000 {
		v.Add("position", "choose a number from 0 to 1000")
	}
	return v.Err()
}

// checkResourceURL explains what is wrong with a resource's address, or returns "".
func checkResourceURL(raw string) string {
	if raw == "" {
		return "a link is required"
	}
	if len(raw) > 2000 {
		return "use at most 2000 characters"
	}
	if strings.ContainsAny(raw, " \t\r\n\"'<>\\") {
		return "a link cannot contain spaces, quotes or angle brackets"
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "this is not a valid link"
	case !strings.EqualFold(u.Scheme, "https"):
		return "use a secure link that starts with https://"
	case u.Hostname() == "" || u.Opaque != "":
		return "give a full address, e.g. https://www.nhs.uk/conditions/"
	case u.User != nil:
		return "a link cannot contain a user name or password"
	case !strings.Contains(u.Hostname(), "."):
		return "give a public address, e.g. https://www.nhs.uk/conditions/"
	}
	return ""
}

// GroupResources lists the group's resources, in order, when v may read the group:
// others get an empty list (and a group v may not see is ErrNotFound).
func (s *Store) GroupResources(ctx context.Context, v *Viewer, slug string) (*GroupAccess, []GroupResource, error) {
	a, err := s.GroupAccess(ctx, v, slug)
	if err != nil {
		return nil, nil, err
	}
	rs, err := s.resourcesOf(ctx, a)
	return a, rs, err
}

// resourcesOf lists a group's resources when the access allows reading it.
func (s *Store) resourcesOf(ctx context.Context, a *GroupAccess) ([]GroupResource, error) {
	rs := []GroupResource{}
	if !a.CanRead {
		return rs, nil
	}
	if err := s.rdb.WithContext(ctx).Where("group_id = ?", a.Group.ID).Order("position, id").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("models: group resources: %w", err)
	}
	return rs, nil
}

// AddGroupResource adds a trusted link to a group; its moderators and admins only.
// It writes the modlog and the audit log.
func (s *Store) AddGroupResource(ctx context.Context, v *Viewer, slug string, in ResourceInput) (*GroupResource, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var r GroupResource
	err := s.tx(ctx, func(tx *gorm.DB) error {
		a, err := s.moderatedGroup(ctx, tx, v, slug)
		if err != nil {
			return err
		}
		var n int64
		var last struct{ Max *int }
		db := tx.Model(&GroupResource{}).Where("group_id = ?", a.Group.ID)
		if err := db.Count(&n).Error; err != nil {
			return err
		}
		if n >= MaxGroupResources {
			return &ValidationError{Fields: map[string]string{"url": fmt.Sprintf("a group keeps at most %d resources: remove one first", MaxGroupResources)}}
		}
		if err := tx.Model(&GroupResource{}).Select("MAX(position) AS max").Where("group_id = ?", a.Group.ID).Scan(&last).Error; err != nil {
			return err
		}
		pos := in.Position
		if pos == 0 {
			pos = 1
			if last.Max != nil {
				pos = *last.Max + 1
			}
		}
		r = GroupResource{GroupID: a.Group.ID, Title: in.Title, SourceOrg: in.SourceOrg, URL: in.URL,
			Description: in.Description, Position: pos, CreatedAt: s.now()}
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		return s.modlog(ctx, tx, v, a.Group.ID, "resource_add", "resource", r.ID, r.Title, clipRunes(r.URL, 1000))
	})
	if err != nil {
		return nil, wrapErr("add resource", err)
	}
	return &r, nil
}

// RemoveGroupResource removes a trusted link from a group; its moderators and
// admins only. It writes the modlog and the audit log.
func (s *Store) RemoveGroupResource(ctx context.Context, v *Viewer, slug string, id int64) (*GroupResource, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	var r GroupResource
	err := s.tx(ctx, func(tx *gorm.DB) error {
		a, err := s.moderatedGroup(ctx, tx, v, slug)
		if err != nil {
			return err
		}
		if err := tx.Where("id = ? AND group_id = ?", id, a.Group.ID).First(&r).Error; err != nil {
			return err
		}
		if err := tx.Delete(&r).Error; err != nil {
			return err
		}
		return s.modlog(ctx, tx, v, a.Group.ID, "resource_remove", "resource", r.ID, r.Title, clipRunes(r.URL, 1000))
	})
	if err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrNotFound
		}
		return nil, wrapErr("remove resource", err)
	}
	return &r, nil
}

// clipRunes shortens s to at most n characters.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// GroupExtras is what a group's page shows beside its threads.
type GroupExtras struct {
	// Announcements are the group's current info and advisory announcements.
	Announcements []Announcement
	Resources     []GroupResource
}

// GroupExtras loads a group's current announcements and resources for a viewer with
// access a; both are empty when a does not allow reading the group.
func (s *Store) GroupExtras(ctx context.Context, a *GroupAccess) (*GroupExtras, error) {
	ex := &GroupExtras{Announcements: []Announcement{}, Resources: []GroupResource{}}
	if !a.CanRead {
		return ex, nil
	}
	var err error
	if ex.Announcements, err = s.CurrentAnnouncements(ctx, a.Group.ID); err != nil {
		return nil, err
	}
	if ex.Resources, err = s.resourcesOf(ctx, a); err != nil {
		return nil, err
	}
	return ex, nil
}
