package models

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ThreadFollow records that a membership follows a thread: its new posts become
// "reply" notifications for that membership. A follow belongs to the membership (one
// pseudonym in one group), never to the user.
//
// Following is false after an explicit unfollow. The row is kept so that replying
// later does not make the member follow the thread again: authors follow their own
// threads and repliers follow the threads they reply in, unless they said otherwise.
type ThreadFollow struct {
	ThreadID     int64       `gorm:"primaryKey;autoIncrement:false"`
	Thread       *Thread     `gorm:"constraint:OnDelete:CASCADE"`
	MembershipID int64       `gorm:"primaryKey;autoIncrement:false;index"`
	Membership   *Membership `gorm:"constraint:OnDelete:CASCADE"`
	Following    bool        `gorm:"not null;default:true"`
	CreatedAt    time.Time   `gorm:"not null"`
	UpdatedAt    time.Time
}

// Follow makes v's membership follow the thread. Only active members of the group
// who may read the thread can follow it; a thread v may not read is ErrNotFound.
func (s *Store) Follow(ctx context.Context, v *Viewer, threadID int64) error {
	return s.setFollowing(ctx, v, threadID, true)
}

// Unfollow stops v's membership following the thread, and remembers the choice:
// replying later does not follow the thread again (Follow does).
func (s *Store) Unfollow(ctx context.Context, v *Viewer, threadID int64) error {
	return s.setFollowing(ctx, v, threadID, false)
}

func (s *Store) setFollowing(ctx context.Context, v *Viewer, threadID int64, following bool) error {
	if v == nil {
		return ErrUnauthenticated
	}
	op := "unfollow"
	if following {
		op = "follow"
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var t Thread
		if err := tx.Preload("Group").First(&t, threadID).Error; err != nil {
			return err
		}
		a, err := s.groupAccessFor(ctx, tx, v, t.Group)
		if err != nil {
			return err
		}
		if !a.CanRead {
			return ErrNotFound
		}
		if !a.Joined() {
			return Errorf(EFORBIDDEN, "join this group to follow its threads")
		}
		if following && !v.User.Active() {
			return Errorf(EFORBIDDEN, "your account cannot follow threads right now")
		}
		now := s.now()
		f := ThreadFollow{ThreadID: t.ID, MembershipID: a.Membership.ID, Following: following, CreatedAt: now, UpdatedAt: now}
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "thread_id"}, {Name: "membership_id"}},
			DoUpdates: clause.Assignments(map[string]any{"following": following, "updated_at": now}),
		}).Create(&f).Error
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return wrapErr(op, err)
}

// autoFollow makes a post's author follow its thread, unless they unfollowed it
// before, and records the thread as read up to the post when they have no read
// position yet (they wrote in it, so the thread is not "new" to them).
// Clinician-voice posts link to no membership, so they follow nothing.
func (s *Store) autoFollow(ctx context.Context, tx *gorm.DB, t *Thread, p *Post) error {
	if p.MembershipID == nil {
		return nil
	}
	now := s.now()
	f := ThreadFollow{ThreadID: t.ID, MembershipID: *p.MembershipID, Following: true, CreatedAt: now, UpdatedAt: now}
	if err := tx.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&f).Error; err != nil {
		return err
	}
	r := ThreadRead{MembershipID: *p.MembershipID, ThreadID: t.ID, LastReadPostID: p.ID, UpdatedAt: now}
	return tx.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&r).Error
}
