package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// MemberMute records that one member muted another in their group: the muted
// member's posts are collapsed for the muter alone. It is the muter's private
// choice: nothing shows it to the muted member, and it is not a moderation act.
// (A moderator's time-limited posting pause is Membership.MutedUntil.)
type MemberMute struct {
	ID                int64       `gorm:"primaryKey"`
	MuterMembershipID int64       `gorm:"not null;uniqueIndex:idx_member_mute"`
	Muter             *Membership `gorm:"foreignKey:MuterMembershipID;constraint:OnDelete:CASCADE"`
	MutedMembershipID int64       `gorm:"not null;uniqueIndex:idx_member_mute;index"`
	Muted             *Membership `gorm:"foreignKey:MutedMembershipID;constraint:OnDelete:CASCADE"`
	CreatedAt         time.Time   `gorm:"not null"`
}

// MuteMember mutes the member of the group with the given pseudonym for v, an active
// member of the group. Muting oneself is a validation error; muting twice changes
// nothing. A group v may not read, or an unknown pseudonym, is ErrNotFound.
func (s *Store) MuteMember(ctx context.Context, v *Viewer, slug, pseudonym string) (*Membership, error) {
	return s.setMute(ctx, v, slug, pseudonym, true)
}

// UnmuteMember undoes MuteMember; unmuting someone not muted changes nothing.
func (s *Store) UnmuteMember(ctx context.Context, v *Viewer, slug, pseudonym string) (*Membership, error) {
	return s.setMute(ctx, v, slug, pseudonym, false)
}

func (s *Store) setMute(ctx context.Context, v *Viewer, slug, pseudonym string, mute bool) (*Membership, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	op := "unmute"
	if mute {
		op = "mute"
	}
	var target Membership
	err := s.tx(ctx, func(tx *gorm.DB) error {
		a, err := s.groupAccess(ctx, tx, v, slug)
		if err != nil {
			return err
		}
		if !a.CanRead {
			return ErrNotFound
		}
		if !a.Joined() {
			return Errorf(EFORBIDDEN, "Join this group to mute its members.")
		}
		m, err := s.memberByPseudonym(tx.WithContext(ctx), a.Group.ID, pseudonym)
		if err != nil {
			return err
		}
		if m.ID == a.Membership.ID {
			return &ValidationError{Fields: map[string]string{"pseudonym": "You cannot mute yourself."}}
		}
		target = *m
		if !mute {
			return tx.Where("muter_membership_id = ? AND muted_membership_id = ?", a.Membership.ID, m.ID).
				Delete(&MemberMute{}).Error
		}
		mm := MemberMute{MuterMembershipID: a.Membership.ID, MutedMembershipID: m.ID, CreatedAt: s.now()}
		return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&mm).Error
	})
	if err != nil {
		return nil, wrapErr(op, err)
	}
	return &target, nil
}

// mutedAmong returns which of the memberships ids the muter muted, in one query.
func (s *Store) mutedAmong(db *gorm.DB, muterID int64, ids []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	var muted []int64
	err := db.Model(&MemberMute{}).Where("muter_membership_id = ? AND muted_membership_id IN ?", muterID, ids).
		Pluck("muted_membership_id", &muted).Error
	if err != nil {
		return nil, fmt.Errorf("models: load mutes: %w", err)
	}
	for _, id := range muted {
		out[id] = true
	}
	return out, nil
}

// loadThreadMutes fills tp.Muted with the authors on the page whom the viewer muted:
// one query, and none for a viewer without a membership of the group.
func (s *Store) loadThreadMutes(ctx context.Context, tp *ThreadPage) error {
	m := tp.Access.Membership
	if m == nil {
		return nil
	}
	seen := map[int64]bool{}
	var ids []int64
	for _, p := range tp.Posts {
		if p.MembershipID != nil && *p.MembershipID != m.ID && !seen[*p.MembershipID] {
			seen[*p.MembershipID] = true
			ids = append(ids, *p.MembershipID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	muted, err := s.mutedAmong(s.rdb.WithContext(ctx), m.ID, ids)
	if err != nil {
		return err
	}
	tp.Muted = muted
	return nil
}
