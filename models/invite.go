package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Limits and defaults of invitation links.
const (
	DefaultInviteUses  = 1
	MaxInviteUses      = 100
	DefaultInviteHours = 168
	MaxInviteHours     = 720
	// MaxInvites bounds the list of a group's invitations.
	MaxInvites = 200
)

// ErrInviteInvalid is the answer for an invitation link that is unknown, expired,
// used up or revoked: the same for all four, so that a link tells nothing more.
var ErrInviteInvalid = &Error{Code: ENOTFOUND,
	Message: "This invitation link is no longer valid: it may have expired, been used up or been withdrawn. Please ask the moderator who sent it for a new one."}

// GroupInvite is an invitation link to a group, made by a moderator. Only a SHA-256
// hash of its token is stored: the link itself is shown once, to its maker.
type GroupInvite struct {
	ID      int64  `gorm:"primaryKey"`
	GroupID int64  `gorm:"not null;index"`
	Group   *Group `gorm:"constraint:OnDelete:CASCADE"`
	// TokenHash is the hex SHA-256 of the token in the link.
	TokenHash string `gorm:"size:64;not null;uniqueIndex"`
	// CreatedByMembershipID is the maker's membership; nil for an admin who is not a member.
	CreatedByMembershipID *int64      `gorm:"index"`
	CreatedByMembership   *Membership `gorm:"constraint:OnDelete:SET NULL"`
	UsesLeft              int         `gorm:"not null"`
	ExpiresAt             time.Time   `gorm:"not null"`
	CreatedAt             time.Time   `gorm:"not null"`
	RevokedAt             *time.Time
}

// Invite states, as Status reports them.
const (
	InviteActive  = "active"
	InviteUsedUp  = "used_up"
	InviteExpired = "expired"
	InviteRevoked = "revoked"
)

// Status says whether the invitation can still be used at now, and if not, why.
func (i *GroupInvite) Status(now time.Time) string {
	switch {
	case i.RevokedAt != nil:
		return InviteRevoked
	case !now.Before(i.ExpiresAt):
		return InviteExpired
	case i.UsesLeft <= 0:
		return InviteUsedUp
	}
	return InviteActive
}

// InviteInput is what a moderator sends to make an invitation link; zero values take
// the defaults (one use, valid for a week).
type InviteInput struct {
	MaxUses        int `json:"max_uses" form:"max_uses"`
	ExpiresInHours int `json:"expires_in_hours" form:"expires_in_hours"`
}

// Validate fills the defaults and reports what is wrong with the input.
func (in *InviteInput) Validate() error {
	if in.MaxUses == 0 {
		in.MaxUses = DefaultInviteUses
	}
	if in.ExpiresInHours == 0 {
		in.ExpiresInHours = DefaultInviteHours
	}
	var v ValidationError
	if in.MaxUses < 1 || in.MaxUses > MaxInviteUses {
		v.Add("max_uses", fmt.Sprintf("choose a number of uses from 1 to %d", MaxInviteUses))
	}
	if in.ExpiresInHours < 1 || in.ExpiresInHours > MaxInviteHours {
		v.Add("expires_in_hours", fmt.Sprintf("choose from 1 to %d hours (30 days)", MaxInviteHours))
	}
	return v.Err()
}

// inviteTokenHash is the stored form of an invitation token.
func inviteTokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// newInviteToken draws 32 random bytes, base64url-encoded without padding.
func newInviteToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("models: invite token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// CreateInvite makes an invitation link to a group that v moderates and returns it
// with its token, which is not stored and cannot be shown again. Audited.
func (s *Store) CreateInvite(ctx context.Context, v *Viewer, slug string, in InviteInput) (*GroupInvite, string, error) {
	if v == nil {
		return nil, "", ErrUnauthenticated
	}
	if err := in.Validate(); err != nil {
		return nil, "", err
	}
	token, err := newInviteToken()
	if err != nil {
		return nil, "", err
	}
	var inv GroupInvite
	err = s.tx(ctx, func(tx *gorm.DB) error {
		a, err := s.moderatedGroup(ctx, tx, v, slug)
		if err != nil {
			return err
		}
		now := s.now()
		inv = GroupInvite{GroupID: a.Group.ID, TokenHash: inviteTokenHash(token), UsesLeft: in.MaxUses,
			ExpiresAt: now.Add(time.Duration(in.ExpiresInHours) * time.Hour), CreatedAt: now}
		if a.Joined() {
			inv.CreatedByMembershipID = &a.Membership.ID
		}
		if err := tx.Create(&inv).Error; err != nil {
			return err
		}
		inv.Group = a.Group
		if a.Joined() {
			inv.CreatedByMembership = a.Membership
		}
		return s.audit(ctx, tx, v, "invite.create", "group_invite", inv.ID,
			fmt.Sprintf("in %s: %d uses, %d hours", a.Group.Slug, in.MaxUses, in.ExpiresInHours))
	})
	if err != nil {
		return nil, "", wrapErr("create invite", err)
	}
	return &inv, token, nil
}

// Invites lists a group's invitation links, newest first (at most MaxInvites), with
// their makers' memberships, for the group's moderators and admins.
func (s *Store) Invites(ctx context.Context, v *Viewer, slug string) (*GroupAccess, []GroupInvite, error) {
	a, err := s.moderatedGroup(ctx, s.rdb, v, slug)
	if err != nil {
		return nil, nil, wrapErr("invites", err)
	}
	var out []GroupInvite
	err = s.rdb.WithContext(ctx).Preload("CreatedByMembership").Where("group_id = ?", a.Group.ID).
		Order("id DESC").Limit(MaxInvites).Find(&out).Error
	if err != nil {
		return nil, nil, fmt.Errorf("models: invites: %w", err)
	}
	return a, out, nil
}

// RevokeInvite withdraws an invitation link of a group that v moderates. An id of
// another group is ErrNotFound; revoking twice changes nothing. Audited.
func (s *Store) RevokeInvite(ctx context.Context, v *Viewer, slug string, id int64) (*GroupInvite, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	var inv GroupInvite
	err := s.tx(ctx, func(tx *gorm.DB) error {
		a, err := s.moderatedGroup(ctx, tx, v, slug)
		if err != nil {
			return err
		}
		if err := tx.Where("id = ? AND group_id = ?", id, a.Group.ID).First(&inv).Error; err != nil {
			return err
		}
		if inv.RevokedAt != nil {
			return nil
		}
		now := s.now()
		if err := tx.Model(&inv).Update("revoked_at", now).Error; err != nil {
			return err
		}
		inv.RevokedAt = &now
		return s.audit(ctx, tx, v, "invite.revoke", "group_invite", inv.ID, "in "+a.Group.Slug)
	})
	if err != nil {
		return nil, wrapErr("revoke invite", err)
	}
	return &inv, nil
}

// InviteView is what an invitation link shows: the group it invites to, and the
// viewer's membership of it (nil for a visitor or a newcomer).
type InviteView struct {
	Invite     *GroupInvite
	Group      *Group
	Membership *Membership
}

// OpenInvite loads the group behind an invitation token, for anyone holding the
// link, signed in or not. An unknown, expired, used-up or revoked token is
// ErrInviteInvalid.
func (s *Store) OpenInvite(ctx context.Context, v *Viewer, token string) (*InviteView, error) {
	db := s.rdb.WithContext(ctx)
	inv, err := s.usableInvite(db, token)
	if err != nil {
		return nil, err
	}
	iv := &InviteView{Invite: inv, Group: inv.Group}
	if uid := v.UserID(); uid != 0 {
		var m Membership
		err := db.Where("group_id = ? AND user_id = ?", inv.GroupID, uid).First(&m).Error
		if err == nil {
			iv.Membership = &m
		} else if !errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, fmt.Errorf("models: open invite: %w", err)
		}
	}
	return iv, nil
}

// usableInvite loads the invitation with the token and its group, or ErrInviteInvalid.
func (s *Store) usableInvite(db *gorm.DB, token string) (*GroupInvite, error) {
	if token == "" || len(token) > 100 {
		return nil, ErrInviteInvalid
	}
	var inv GroupInvite
	err := db.Preload("Group").Where("token_hash = ?", inviteTokenHash(token)).First(&inv).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrInviteInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("models: load invite: %w", err)
	}
	if inv.Status(s.now()) != InviteActive || inv.Group == nil {
		return nil, ErrInviteInvalid
	}
	return &inv, nil
}

// JoinByInvite makes v an active member of the invitation's group, whatever its
// visibility: a closed group's request is skipped, and a pending request becomes
// active. The group's rules must be accepted as for JoinGroup; a professional group
// still needs a verified clinician. It consumes one use of the link; an active member
// using it again consumes nothing.
func (s *Store) JoinByInvite(ctx context.Context, v *Viewer, token string, in JoinInput) (*Membership, *Group, error) {
	if v == nil {
		return nil, nil, ErrUnauthenticated
	}
	if !v.User.Active() {
		return nil, nil, Errorf(EFORBIDDEN, "your account cannot join groups right now")
	}
	var out Membership
	var g *Group
	err := s.tx(ctx, func(tx *gorm.DB) error {
		inv, err := s.usableInvite(tx.WithContext(ctx), token)
		if err != nil {
			return err
		}
		g = inv.Group
		var m *Membership
		var mm Membership
		err = tx.Where("group_id = ? AND user_id = ?", g.ID, v.User.ID).First(&mm).Error
		switch {
		case err == nil:
			m = &mm
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return err
		}
		if m != nil && m.Status == MemberActive {
			out = *m
			return nil
		}
		if m != nil && m.Status == MemberBanned {
			return Errorf(EFORBIDDEN, "you cannot rejoin this group")
		}
		if g.Visibility == VisibilityProfessional && !v.IsAdmin() && !v.VerifiedClinician(s.now()) {
			return Errorf(EFORBIDDEN, "This group is for verified clinicians only.")
		}
		if err := rulesAccepted(g, in); err != nil {
			return err
		}
		// Conditional, so that two people cannot share the last use.
		now := s.now()
		res := tx.Model(&GroupInvite{}).Where("id = ? AND uses_left > 0 AND revoked_at IS NULL AND expires_at > ?", inv.ID, now).
			UpdateColumn("uses_left", gorm.Expr("uses_left - 1"))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrInviteInvalid
		}
		if m != nil {
			if err := tx.Model(m).Updates(map[string]any{"status": MemberActive, "updated_at": now}).Error; err != nil {
				return err
			}
			m.Status = MemberActive
			if err := s.closeJoinItem(ctx, tx, nil, m.ID, "withdrawn"); err != nil {
				return err
			}
		} else if m, err = s.createMembership(ctx, tx, v.User.ID, g.ID, MemberRegular, MemberActive); err != nil {
			return err
		}
		if err := tx.Model(g).UpdateColumn("member_count", gorm.Expr("member_count + 1")).Error; err != nil {
			return err
		}
		g.MemberCount++
		out = *m
		return nil
	})
	if err != nil {
		return nil, nil, wrapErr("join by invite", err)
	}
	return &out, g, nil
}
