package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
)

// User roles.
const (
	RoleMember    = "member"
	RoleClinician = "clinician"
	RoleAdmin     = "admin"
)

// User statuses.
const (
	UserActive    = "active"
	UserSuspended = "suspended"
	UserBanned    = "banned"
)

// User is a person with an account. It holds no name, email or avatar: members are
// known only by their per-group pseudonyms.
type User struct {
	ID        int64     `gorm:"primaryKey"`
	Role      string    `gorm:"size:16;not null;default:member"`
	Status    string    `gorm:"size:16;not null;default:active"`
	CreatedAt time.Time `gorm:"not null"`
	LastSeen  *time.Time
}

// IsAdmin reports whether u is site staff.
func (u *User) IsAdmin() bool { return u != nil && u.Role == RoleAdmin }

// Active reports whether u may act (not suspended or banned).
func (u *User) Active() bool { return u != nil && u.Status == UserActive }

// Identity links a user to a sign-in provider. The provider's subject is stored only
// as a keyed hash; nothing else of the provider's profile is kept.
type Identity struct {
	ID          int64     `gorm:"primaryKey"`
	UserID      int64     `gorm:"not null;index"`
	User        *User     `gorm:"constraint:OnDelete:CASCADE"`
	Provider    string    `gorm:"size:64;not null;uniqueIndex:idx_identity_subject"`
	SubjectHash string    `gorm:"size:64;not null;uniqueIndex:idx_identity_subject"`
	CreatedAt   time.Time `gorm:"not null"`
}

// Clinician is a member's professional credential. It is visible to other members
// only through posts made as clinician; the licence number is for admins alone.
type Clinician struct {
	ID            int64  `gorm:"primaryKey"`
	UserID        int64  `gorm:"not null;uniqueIndex"`
	User          *User  `gorm:"constraint:OnDelete:CASCADE"`
	DisplayName   string `gorm:"size:120;not null"`
	Credential    string `gorm:"size:40;not null"`
	Specialty     string `gorm:"size:120"`
	Jurisdiction  string `gorm:"size:120"`
	LicenseNumber string `gorm:"size:80" json:"-"`
	Status        string `gorm:"size:16;not null;default:pending"` // pending, verified, rejected, expired
	ExpiresAt     *time.Time
	CreatedAt     time.Time `gorm:"not null"`
	UpdatedAt     time.Time
}

// Verified reports whether the credential is verified and has not lapsed at now.
func (c *Clinician) Verified(now time.Time) bool {
	if c == nil || c.Status != "verified" {
		return false
	}
	return c.ExpiresAt == nil || now.Before(*c.ExpiresAt)
}

// Viewer is who is asking: nil for a visitor.
type Viewer struct {
	User      *User
	Clinician *Clinician
}

// IsAdmin reports whether the viewer is site staff.
func (v *Viewer) IsAdmin() bool { return v != nil && v.User.IsAdmin() }

// UserID is the viewer's user id, or 0 for a visitor.
func (v *Viewer) UserID() int64 {
	if v == nil || v.User == nil {
		return 0
	}
	return v.User.ID
}

// VerifiedClinician reports whether the viewer is a clinician with a current credential.
func (v *Viewer) VerifiedClinician(now time.Time) bool {
	return v != nil && v.Clinician.Verified(now)
}

// SignIn finds the user behind provider + subject, creating one on first sign-in.
// Accounts are matched by provider and hashed subject only, never by email.
func (s *Store) SignIn(ctx context.Context, provider, subject string) (*User, error) {
	provider = strings.TrimSpace(provider)
	if provider == "" || subject == "" {
		return nil, &ValidationError{Fields: map[string]string{"subject": "the provider sent no subject"}}
	}
	hash := s.SubjectHash(provider, subject)
	var user User
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var id Identity
		err := tx.Where("provider = ? AND subject_hash = ?", provider, hash).First(&id).Error
		if err == nil {
			return tx.First(&user, id.UserID).Error
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		user = User{Role: RoleMember, Status: UserActive, CreatedAt: s.now()}
		if err := tx.Create(&user).Error; err != nil {
			return err
		}
		return tx.Create(&Identity{UserID: user.ID, Provider: provider, SubjectHash: hash, CreatedAt: s.now()}).Error
	})
	if err != nil {
		return nil, fmt.Errorf("models: sign in: %w", err)
	}
	if user.Status == UserBanned {
		return nil, Errorf(EFORBIDDEN, "this account has been closed")
	}
	return &user, nil
}

// LocalSignIn signs in a development identity by name with the given role; it exists
// for local mode only, and the caller must ensure local mode. A clinician comes verified.
func (s *Store) LocalSignIn(ctx context.Context, name, role string) (*User, error) {
	name = strings.TrimSpace(strings.ToLower(name))
	var v ValidationError
	if name == "" {
		v.Add("name", "pick a name")
	} else if len(name) > 40 {
		v.Add("name", "use at most 40 characters")
	}
	switch role {
	case RoleMember, RoleClinician, RoleAdmin:
	default:
		v.Add("role", "choose member, clinician or admin")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	u, err := s.SignIn(ctx, "local", name)
	if err != nil {
		return nil, err
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(u).Update("role", role).Error; err != nil {
			return err
		}
		u.Role = role
		if role != RoleClinician {
			return nil
		}
		var c Clinician
		err := tx.Where("user_id = ?", u.ID).First(&c).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			c = Clinician{UserID: u.ID, DisplayName: clinicianName(name), Credential: "MD", Specialty: "General practice",
				Jurisdiction: "Local", Status: "verified", CreatedAt: s.now()}
			return tx.Create(&c).Error
		}
		if err != nil {
			return err
		}
		return tx.Model(&c).Updates(map[string]any{"status": "verified", "expires_at": nil}).Error
	})
	if err != nil {
		return nil, fmt.Errorf("models: local sign in: %w", err)
	}
	return u, nil
}

// GrantAdmin makes the user behind provider + subject an admin, creating the user if
// need be. It is how the first admin is made outside local mode.
func (s *Store) GrantAdmin(ctx context.Context, provider, subject string) (*User, error) {
	u, err := s.SignIn(ctx, provider, subject)
	if err != nil {
		return nil, err
	}
	if err := s.db.WithContext(ctx).Model(u).Update("role", RoleAdmin).Error; err != nil {
		return nil, fmt.Errorf("models: grant admin: %w", err)
	}
	u.Role = RoleAdmin
	if err := s.audit(ctx, s.db, nil, "admin.grant", "user", u.ID, "granted from the command line"); err != nil {
		return nil, err
	}
	return u, nil
}

// ViewerByID loads the viewer for a session's user id; ErrNotFound when the user is
// gone, and ErrForbidden when the account is banned.
func (s *Store) ViewerByID(ctx context.Context, id int64) (*Viewer, error) {
	if v, ok := s.viewers.get(s.versions, id); ok {
		return v, nil
	}
	seq := s.versions.Seq()
	v, err := s.loadViewer(ctx, id)
	if err == nil {
		s.viewers.put(id, v, seq)
	}
	return v, err
}

// viewerTTL bounds how long a signed-in viewer's account is kept between changes.
const viewerTTL = time.Minute

// viewerCache keeps signed-in viewers' accounts, loaded on every request, while no
// write touched them (Versions.User: on this instance at once, on others through
// the broker) and for at most viewerTTL.
type viewerCache struct {
	mu sync.Mutex
	m  map[int64]cachedViewer
}

type cachedViewer struct {
	user      User
	clinician *Clinician
	seq       uint64
	at        time.Time
}

// get returns a copy of the kept viewer, so that no request changes another's.
func (c *viewerCache) get(vs *Versions, id int64) (*Viewer, bool) {
	c.mu.Lock()
	e, ok := c.m[id]
	c.mu.Unlock()
	if !ok || time.Since(e.at) > viewerTTL || vs.User(id) > e.seq {
		return nil, false
	}
	u := e.user
	v := &Viewer{User: &u}
	if e.clinician != nil {
		cl := *e.clinician
		v.Clinician = &cl
	}
	return v, true
}

func (c *viewerCache) put(id int64, v *Viewer, seq uint64) {
	e := cachedViewer{user: *v.User, seq: seq, at: time.Now()}
	if v.Clinician != nil {
		cl := *v.Clinician
		e.clinician = &cl
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= 50000 {
		c.m = map[int64]cachedViewer{}
	}
	c.m[id] = e
}

// memberCache keeps signed-in viewers' memberships by group for the pages every
// member reads (see groupAccessCached), on the same terms as viewerCache: until a
// write to one of the user's memberships (Versions.User) and for at most viewerTTL.
type memberCache struct {
	mu sync.Mutex
	m  map[[2]int64]cachedMember
}

type cachedMember struct {
	m   *Membership // nil: no membership
	seq uint64
	at  time.Time
}

// groupAccessCached is groupAccessFor with the viewer's membership kept between page
// views. Only read paths use it; writes check the membership they write under.
func (s *Store) groupAccessCached(ctx context.Context, v *Viewer, g *Group) (*GroupAccess, error) {
	uid := v.UserID()
	if uid == 0 {
		return s.groupAccessFor(ctx, s.rdb, v, g)
	}
	key := [2]int64{uid, g.ID}
	c := &s.members
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if !ok || time.Since(e.at) > viewerTTL || s.versions.User(uid) > e.seq {
		seq := s.versions.Seq()
		a, err := s.groupAccessFor(ctx, s.rdb, v, g)
		var m *Membership
		if err == nil && a.Membership != nil {
			mm := *a.Membership
			m = &mm
		}
		if err == nil || errors.Is(err, ErrNotFound) {
			c.mu.Lock()
			if c.m == nil || len(c.m) >= 100000 {
				c.m = map[[2]int64]cachedMember{}
			}
			c.m[key] = cachedMember{m: m, seq: seq, at: time.Now()}
			c.mu.Unlock()
		}
		return a, err
	}
	var m *Membership
	if e.m != nil {
		mm := *e.m
		m = &mm
	}
	a := s.access(v, g, m)
	if !a.CanSee {
		return nil, ErrNotFound
	}
	return a, nil
}

// loadViewer reads a viewer's account (and clinician record) from the database.
func (s *Store) loadViewer(ctx context.Context, id int64) (*Viewer, error) {
	var u User
	if err := s.rdb.WithContext(ctx).First(&u, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("models: load viewer: %w", err)
	}
	if u.Status == UserBanned {
		return nil, ErrForbidden
	}
	if u.Status == UserErased { // deleted by its owner: every session ends
		return nil, ErrNotFound
	}
	v := &Viewer{User: &u}
	if u.Role == RoleClinician || u.Role == RoleAdmin {
		var c Clinician
		err := s.rdb.WithContext(ctx).Where("user_id = ?", u.ID).First(&c).Error
		if err == nil {
			v.Clinician = &c
		} else if !errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, fmt.Errorf("models: load clinician: %w", err)
		}
	}
	return v, nil
}

// clinicianName makes a display name for a local development clinician:
// "dr-rivera" becomes "Dr. Rivera".
func clinicianName(name string) string {
	words := strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '_' || r == '.' || r == ' ' })
	if len(words) > 1 && (words[0] == "dr" || words[0] == "doctor") {
		words = words[1:]
	}
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return "Dr. " + strings.Join(words, " ")
}
