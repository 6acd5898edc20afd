package models

import (
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Membership roles.
const (
	MemberRegular   = "member"
	MemberModerator = "moderator"
	MemberOwner     = "owner"
)

// Membership statuses.
const (
	MemberActive  = "active"
	MemberPending = "pending" // a join request to a closed group
	MemberLeft    = "left"
	MemberBanned  = "banned"
	MemberDenied  = "denied" // a join request a moderator turned down; the person may ask again
)

// PseudonymCooldown is how long a member waits between pseudonym changes.
const PseudonymCooldown = 24 * time.Hour

// Membership is a user in a group, under a pseudonym of that group alone. Posts,
// reactions and reports point here, never at the user.
type Membership struct {
	ID        int64  `gorm:"primaryKey"`
	UserID    int64  `gorm:"not null;uniqueIndex:idx_membership_user_group"`
	User      *User  `gorm:"constraint:OnDelete:CASCADE"`
	GroupID   int64  `gorm:"not null;uniqueIndex:idx_membership_user_group;uniqueIndex:idx_membership_pseudonym"`
	Group     *Group `gorm:"constraint:OnDelete:CASCADE"`
	Pseudonym string `gorm:"size:64;not null;uniqueIndex:idx_membership_pseudonym"`
	Role      string `gorm:"size:16;not null;default:member"`
	Status    string `gorm:"size:16;not null;default:active"`
	PostCount int    `gorm:"not null;default:0"`
	// MutedUntil, set by a moderator, makes the member read-only in the group until then.
	MutedUntil *time.Time
	// Memorial marks the posts of a member who has died "in memory" (see privacy.go).
	Memorial           bool      `gorm:"not null;default:false"`
	PseudonymChangedAt time.Time `gorm:"not null"`
	CreatedAt          time.Time `gorm:"not null"`
	UpdatedAt          time.Time
}

// IsModerator reports whether the membership moderates its group.
func (m *Membership) IsModerator() bool {
	return m != nil && m.Status == MemberActive && (m.Role == MemberModerator || m.Role == MemberOwner)
}

// JoinInput is what a member sends to join a group.
type JoinInput struct {
	// AcceptRules must be true to join a group that has rules.
	AcceptRules bool `json:"accept_rules" form:"accept_rules"`
}

// rulesAccepted checks that a joiner accepted the group's rules, if it has any.
func rulesAccepted(g *Group, in JoinInput) error {
	if strings.TrimSpace(g.Rules) != "" && !in.AcceptRules {
		return &ValidationError{Fields: map[string]string{"accept_rules": "Please read and accept the group's rules"}}
	}
	return nil
}

// Join is JoinGroup without accepting any rules: it joins only groups without rules.
func (s *Store) Join(ctx context.Context, v *Viewer, slug string) (*Membership, error) {
	return s.JoinGroup(ctx, v, slug, JoinInput{})
}

// JoinGroup makes v a member of the group: active in open and professional groups,
// pending (a join request) in closed ones. A group with rules needs in.AcceptRules,
// also to join again. A member who left gets their old pseudonym back.
func (s *Store) JoinGroup(ctx context.Context, v *Viewer, slug string, in JoinInput) (*Membership, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	if !v.User.Active() {
		return nil, Errorf(EFORBIDDEN, "your account cannot join groups right now")
	}
	var out Membership
	err := s.tx(ctx, func(tx *gorm.DB) error {
		a, err := s.groupAccess(ctx, tx, v, slug)
		if err != nil {
			return err
		}
		g := a.Group
		status := MemberActive
		if g.Visibility == VisibilityClosed && !v.IsAdmin() {
			status = MemberPending
		}
		if m := a.Membership; m != nil {
			switch m.Status {
			case MemberActive, MemberPending:
				out = *m
				return nil
			case MemberBanned:
				return Errorf(EFORBIDDEN, "you cannot rejoin this group")
			}
			if !a.CanJoin {
				return ErrNotFound
			}
			if err := rulesAccepted(g, in); err != nil {
				return err
			}
			if err := tx.Model(m).Updates(map[string]any{"status": status, "updated_at": s.now()}).Error; err != nil {
				return err
			}
			m.Status = status
			if status == MemberActive {
				if err := tx.Model(g).UpdateColumn("member_count", gorm.Expr("member_count + 1")).Error; err != nil {
					return err
				}
			} else if err := s.flagJoinRequest(ctx, tx, g, m); err != nil {
				return err
			}
			out = *m
			return nil
		}
		if !a.CanJoin {
			if g.Visibility == VisibilitySecret {
				return ErrNotFound
			}
			return ErrForbidden
		}
		if err := rulesAccepted(g, in); err != nil {
			return err
		}
		m, err := s.createMembership(ctx, tx, v.User.ID, g.ID, MemberRegular, status)
		if err != nil {
			return err
		}
		if status == MemberActive {
			if err := tx.Model(g).UpdateColumn("member_count", gorm.Expr("member_count + 1")).Error; err != nil {
				return err
			}
		} else if err := s.flagJoinRequest(ctx, tx, g, m); err != nil {
			return err
		}
		out = *m
		return nil
	})
	if err != nil {
		return nil, wrapErr("join", err)
	}
	return &out, nil
}

// createMembership inserts a membership under a fresh pseudonym unique in the group.
func (s *Store) createMembership(ctx context.Context, tx *gorm.DB, userID, groupID int64, role, status string) (*Membership, error) {
	now := s.now()
	for range 20 {
		p := NewPseudonym()
		var n int64
		if err := tx.WithContext(ctx).Model(&Membership{}).Where("group_id = ? AND pseudonym = ?", groupID, p).Count(&n).Error; err != nil {
			return nil, err
		}
		if n > 0 {
			continue
		}
		m := Membership{UserID: userID, GroupID: groupID, Pseudonym: p, Role: role, Status: status,
			PseudonymChangedAt: now, CreatedAt: now, UpdatedAt: now}
		if err := tx.WithContext(ctx).Create(&m).Error; err != nil {
			return nil, err
		}
		return &m, nil
	}
	return nil, Errorf(ECONFLICT, "could not find a free pseudonym; try again")
}

// Leave ends v's membership of the group. Posts stay, under the pseudonym.
func (s *Store) Leave(ctx context.Context, v *Viewer, slug string) error {
	if v == nil {
		return ErrUnauthenticated
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		a, err := s.groupAccess(ctx, tx, v, slug)
		if err != nil {
			return err
		}
		m := a.Membership
		if m == nil || (m.Status != MemberActive && m.Status != MemberPending) {
			return Errorf(ECONFLICT, "you are not a member of this group")
		}
		if m.Role == MemberOwner {
			var owners int64
			if err := tx.Model(&Membership{}).Where("group_id = ? AND role = ? AND status = ?", m.GroupID, MemberOwner, MemberActive).Count(&owners).Error; err != nil {
				return err
			}
			if owners <= 1 {
				return Errorf(ECONFLICT, "you are the group's only owner; make another member owner first")
			}
		}
		wasActive := m.Status == MemberActive
		if err := tx.Model(m).Updates(map[string]any{"status": MemberLeft, "role": MemberRegular, "updated_at": s.now()}).Error; err != nil {
			return err
		}
		if wasActive {
			return tx.Model(a.Group).UpdateColumn("member_count", gorm.Expr("member_count - 1")).Error
		}
		return s.closeJoinItem(ctx, tx, nil, m.ID, "withdrawn")
	})
	return wrapErr("leave", err)
}

// RegeneratePseudonym gives v a new pseudonym in the group, at most once per
// PseudonymCooldown. Earlier posts show the new pseudonym.
func (s *Store) RegeneratePseudonym(ctx context.Context, v *Viewer, slug string) (*Membership, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	var out Membership
	err := s.tx(ctx, func(tx *gorm.DB) error {
		a, err := s.groupAccess(ctx, tx, v, slug)
		if err != nil {
			return err
		}
		m := a.Membership
		if m == nil || m.Status != MemberActive {
			return Errorf(EFORBIDDEN, "join the group first")
		}
		if next := m.PseudonymChangedAt.Add(PseudonymCooldown); s.now().Before(next) && m.PseudonymChangedAt.After(m.CreatedAt) {
			return Errorf(ERATELIMITED, "you can change your pseudonym again after "+next.Format("2 Jan 15:04 MST"))
		}
		for range 20 {
			p := NewPseudonym()
			var n int64
			if err := tx.Model(&Membership{}).Where("group_id = ? AND pseudonym = ?", m.GroupID, p).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			now := s.now()
			if err := tx.Model(m).Updates(map[string]any{"pseudonym": p, "pseudonym_changed_at": now, "updated_at": now}).Error; err != nil {
				return err
			}
			m.Pseudonym, m.PseudonymChangedAt = p, now
			out = *m
			return nil
		}
		return Errorf(ECONFLICT, "could not find a free pseudonym; try again")
	})
	if err != nil {
		return nil, wrapErr("regenerate pseudonym", err)
	}
	return &out, nil
}

// SetModerator changes the role of the member with the given pseudonym: admins and the
// group's owners may appoint or remove moderators.
func (s *Store) SetModerator(ctx context.Context, v *Viewer, slug, pseudonym, role string) (*Membership, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	if role != MemberModerator && role != MemberRegular && role != MemberOwner {
		return nil, &ValidationError{Fields: map[string]string{"role": "choose moderator, member or (admins only) owner"}}
	}
	var out Membership
	err := s.tx(ctx, func(tx *gorm.DB) error {
		a, err := s.groupAccess(ctx, tx, v, slug)
		if err != nil {
			return err
		}
		owner := a.Membership != nil && a.Membership.Status == MemberActive && a.Membership.Role == MemberOwner
		if !v.IsAdmin() && !owner {
			if a.CanRead {
				return ErrForbidden
			}
			return ErrNotFound
		}
		if role == MemberOwner && !v.IsAdmin() {
			return ErrForbidden
		}
		var m Membership
		err = tx.Where("group_id = ? AND pseudonym = ? AND status = ?", a.Group.ID, strings.TrimSpace(pseudonym), MemberActive).First(&m).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return &ValidationError{Fields: map[string]string{"pseudonym": "no active member has that pseudonym here"}}
		}
		if err != nil {
			return err
		}
		if err := tx.Model(&m).Updates(map[string]any{"role": role, "updated_at": s.now()}).Error; err != nil {
			return err
		}
		m.Role = role
		out = m
		return s.audit(ctx, tx, v, "membership.role."+role, "membership", m.ID, "in "+a.Group.Slug)
	})
	if err != nil {
		return nil, wrapErr("set moderator", err)
	}
	return &out, nil
}

// MyMembership is one of the viewer's memberships with its group.
type MyMembership struct {
	Membership Membership
	Group      Group
}

// Memberships lists v's own memberships (not those they left), for v alone to see.
func (s *Store) Memberships(ctx context.Context, v *Viewer) ([]MyMembership, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	var ms []Membership
	err := s.rdb.WithContext(ctx).Preload("Group").
		Where("user_id = ? AND status IN ?", v.User.ID, []string{MemberActive, MemberPending, MemberBanned}).
		Order("id").Find(&ms).Error
	if err != nil {
		return nil, wrapErr("memberships", err)
	}
	out := make([]MyMembership, 0, len(ms))
	for _, m := range ms {
		g := *m.Group
		m.Group = nil
		out = append(out, MyMembership{Membership: m, Group: g})
	}
	return out, nil
}
