package models

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Group visibilities.
const (
	VisibilityOpen         = "open"         // anyone reads; members post
	VisibilityClosed       = "closed"       // listed; threads for members; joining is a request
	VisibilitySecret       = "secret"       // invisible to non-members
	VisibilityProfessional = "professional" // verified clinicians only
)

// Group is a condition group: a community with its own members, pseudonyms and moderators.
type Group struct {
	ID                    int64     `gorm:"primaryKey"`
	Slug                  string    `gorm:"size:64;not null;uniqueIndex"`
	Name                  string    `gorm:"size:120;not null"`
	Description           string    `gorm:"size:2000;not null;default:''"`
	Rules                 string    `gorm:"size:10000;not null;default:''"`
	RulesHTML             string    `gorm:"type:text;not null;default:''"` // Rules rendered once, when written
	Visibility            string    `gorm:"size:16;not null;default:open;index"`
	PremoderateFirstPosts int       `gorm:"not null;default:0"`
	MemberCount           int       `gorm:"not null;default:0"`
	ThreadCount           int       `gorm:"not null;default:0"`
	LastActivityAt        time.Time `gorm:"not null;index"`
	CreatedAt             time.Time `gorm:"not null"`
	UpdatedAt             time.Time
}

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// GroupInput is what an admin sends to create a group.
type GroupInput struct {
	Slug                  string `json:"slug" form:"slug"`
	Name                  string `json:"name" form:"name"`
	Description           string `json:"description" form:"description"`
	Rules                 string `json:"rules" form:"rules"`
	Visibility            string `json:"visibility" form:"visibility"`
	PremoderateFirstPosts int    `json:"premoderate_first_posts" form:"premoderate_first_posts"`
}

// Validate trims the input and reports what is wrong with it.
func (in *GroupInput) Validate() error {
	in.Slug = strings.TrimSpace(strings.ToLower(in.Slug))
	in.Name = strings.TrimSpace(in.Name)
	in.Description = strings.TrimSpace(in.Description)
	in.Rules = strings.TrimSpace(in.Rules)
	if in.Visibility == "" {
		in.Visibility = VisibilityOpen
	}
	var v ValidationError
	switch {
	case in.Slug == "":
		v.Add("slug", "a slug is required, e.g. type-2-diabetes")
	case len(in.Slug) > 64:
		v.Add("slug", "use at most 64 characters")
	case !slugPattern.MatchString(in.Slug):
		v.Add("slug", "use lower-case letters, digits and single hyphens")
	}
	switch n := utf8.RuneCountInString(in.Name); {
	case n == 0:
		v.Add("name", "a name is required")
	case n > 120:
		v.Add("name", "use at most 120 characters")
	}
	if utf8.RuneCountInString(in.Description) > 2000 {
		v.Add("description", "use at most 2000 characters")
	}
	if utf8.RuneCountInString(in.Rules) > 10000 {
		v.Add("rules", "use at most 10000 characters")
	}
	switch in.Visibility {
	case VisibilityOpen, VisibilityClosed, VisibilitySecret, VisibilityProfessional:
	default:
		v.Add("visibility", "choose open, closed, secret or professional")
	}
	if in.PremoderateFirstPosts < 0 || in.PremoderateFirstPosts > 100 {
		v.Add("premoderate_first_posts", "choose a number from 0 to 100")
	}
	return v.Err()
}

// CreateGroup creates a group; admins only.
func (s *Store) CreateGroup(ctx context.Context, v *Viewer, in GroupInput) (*Group, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	if !v.IsAdmin() {
		return nil, ErrForbidden
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	rulesHTML := ""
	if in.Rules != "" {
		html, err := RenderMarkdown(in.Rules)
		if err != nil {
			return nil, err
		}
		rulesHTML = html
	}
	now := s.now()
	g := Group{Slug: in.Slug, Name: in.Name, Description: in.Description, Rules: in.Rules, RulesHTML: rulesHTML,
		Visibility: in.Visibility, PremoderateFirstPosts: in.PremoderateFirstPosts,
		LastActivityAt: now, CreatedAt: now, UpdatedAt: now}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Group{}).Where("slug = ?", g.Slug).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return &ValidationError{Fields: map[string]string{"slug": "a group with this slug exists"}}
		}
		if err := tx.Create(&g).Error; err != nil {
			return err
		}
		return s.audit(ctx, tx, v, "group.create", "group", g.ID, g.Slug)
	})
	if err != nil {
		return nil, wrapErr("create group", err)
	}
	return &g, nil
}

// GroupAccess is what a viewer may do in a group.
type GroupAccess struct {
	Group      *Group
	Membership *Membership // the viewer's, in any status; nil when none
	CanSee     bool        // the group's name and description
	CanRead    bool        // its threads and posts
	CanPost    bool
	CanJoin    bool
	Moderates  bool // group moderator or owner, or admin
}

// Joined reports whether the viewer is an active member.
func (a *GroupAccess) Joined() bool {
	return a.Membership != nil && a.Membership.Status == MemberActive
}

// access computes what v may do in g, given v's membership (nil when none).
func (s *Store) access(v *Viewer, g *Group, m *Membership) *GroupAccess {
	a := &GroupAccess{Group: g, Membership: m}
	admin := v.IsAdmin()
	active := m != nil && m.Status == MemberActive
	clinician := v.VerifiedClinician(s.now())
	a.CanSee = canSee(g, m, admin, clinician)
	switch g.Visibility {
	case VisibilityOpen:
		a.CanRead = true
	case VisibilityClosed, VisibilitySecret:
		a.CanRead = active || admin
	case VisibilityProfessional:
		a.CanRead = a.CanSee
	}
	a.Moderates = admin || (active && (m.Role == MemberModerator || m.Role == MemberOwner))
	if v != nil && v.User.Active() {
		a.CanPost = active && m.Status == MemberActive
		canJoinHere := admin || (g.Visibility != VisibilitySecret && (g.Visibility != VisibilityProfessional || clinician))
		a.CanJoin = !active && (m == nil || m.Status == MemberLeft || m.Status == MemberDenied) && canJoinHere
	}
	return a
}

// canSee reports whether a viewer (admin or not, verified clinician or not) with
// membership m (nil for none) may know that g exists.
func canSee(g *Group, m *Membership, admin, clinician bool) bool {
	switch g.Visibility {
	case VisibilityOpen, VisibilityClosed:
		return true
	case VisibilitySecret:
		return admin || (m != nil && (m.Status == MemberActive || m.Status == MemberLeft))
	case VisibilityProfessional:
		return clinician || admin
	}
	return false
}

// GroupAccess loads a group by slug with what v may do there. A group v may not see
// is ErrNotFound.
func (s *Store) GroupAccess(ctx context.Context, v *Viewer, slug string) (*GroupAccess, error) {
	return s.groupAccess(ctx, s.rdb, v, slug)
}

func (s *Store) groupAccess(ctx context.Context, db *gorm.DB, v *Viewer, slug string) (*GroupAccess, error) {
	var g Group
	if err := db.WithContext(ctx).Where("slug = ?", slug).First(&g).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("models: load group: %w", err)
	}
	return s.groupAccessFor(ctx, db, v, &g)
}

func (s *Store) groupAccessFor(ctx context.Context, db *gorm.DB, v *Viewer, g *Group) (*GroupAccess, error) {
	var m *Membership
	if uid := v.UserID(); uid != 0 {
		var mm Membership
		err := db.WithContext(ctx).Where("group_id = ? AND user_id = ?", g.ID, uid).First(&mm).Error
		if err == nil {
			m = &mm
		} else if !errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, fmt.Errorf("models: load membership: %w", err)
		}
	}
	a := s.access(v, g, m)
	if !a.CanSee {
		return nil, ErrNotFound
	}
	return a, nil
}

// GroupListing is one group in a list, with whether the viewer has joined it.
type GroupListing struct {
	Group      Group
	Membership *Membership
}

// ListGroups lists the groups v may see, most recently active first.
func (s *Store) ListGroups(ctx context.Context, v *Viewer) ([]GroupListing, error) {
	groups, err := s.AllGroups(ctx)
	if err != nil {
		return nil, err
	}
	return s.ListGroupsFrom(ctx, v, groups)
}

// AllGroups loads every group, most recently active first, without any access check:
// the app keeps the list for EachVisibleGroup.
func (s *Store) AllGroups(ctx context.Context) ([]Group, error) {
	var groups []Group
	if err := s.rdb.WithContext(s.rowsContext(ctx)).Order("last_activity_at DESC, id").Find(&groups).Error; err != nil {
		return nil, fmt.Errorf("models: list groups: %w", err)
	}
	return groups, nil
}

// ListGroupsFrom is ListGroups from a list of every group (AllGroups): those v may
// see, with v's memberships. The listings' groups are copies.
func (s *Store) ListGroupsFrom(ctx context.Context, v *Viewer, groups []Group) ([]GroupListing, error) {
	out := make([]GroupListing, 0, len(groups))
	err := s.EachVisibleGroup(ctx, v, groups, func(g *Group, m *Membership) bool {
		out = append(out, GroupListing{Group: *g, Membership: m})
		return true
	})
	return out, err
}

// EachVisibleGroup calls fn, in order, with each of groups (from AllGroups) that v
// may see and v's membership of it (nil for none), until fn returns false: one query,
// for v's memberships.
func (s *Store) EachVisibleGroup(ctx context.Context, v *Viewer, groups []Group, fn func(g *Group, m *Membership) bool) error {
	mine := map[int64]*Membership{}
	if uid := v.UserID(); uid != 0 {
		var ms []Membership
		if err := s.rdb.WithContext(ctx).Where("user_id = ?", uid).Find(&ms).Error; err != nil {
			return fmt.Errorf("models: list groups: %w", err)
		}
		for i := range ms {
			mine[ms[i].GroupID] = &ms[i]
		}
	}
	admin, clinician := v.IsAdmin(), v.VerifiedClinician(s.now())
	for i := range groups {
		g := &groups[i]
		if canSee(g, mine[g.ID], admin, clinician) && !fn(g, mine[g.ID]) {
			break
		}
	}
	return nil
}

// wrapErr passes domain errors through and wraps anything else with a prefix.
func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var de *Error
	var ve *ValidationError
	var pd *PersonalDataError
	if errors.As(err, &de) || errors.As(err, &ve) || errors.As(err, &pd) {
		return err
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return Errorf(ECONFLICT, "that already exists")
	}
	return fmt.Errorf("models: %s: %w", op, err)
}
