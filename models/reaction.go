package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Reaction kinds.
const (
	ReactionSupport  = "support"
	ReactionHelpful  = "helpful"
	ReactionSameHere = "same_here"
)

// ReactionKinds lists the kinds in the order pages show them.
var ReactionKinds = []string{ReactionSupport, ReactionHelpful, ReactionSameHere}

// reactionColumns maps a kind to its counter on the post row.
var reactionColumns = map[string]string{
	ReactionSupport:  "support_count",
	ReactionHelpful:  "helpful_count",
	ReactionSameHere: "same_here_count",
}

// Reaction is one member's reaction of one kind to one post. It belongs to the
// membership, never the user; a membership has at most one of each kind per post.
type Reaction struct {
	ID           int64       `gorm:"primaryKey"`
	PostID       int64       `gorm:"not null;uniqueIndex:idx_reaction_once,priority:1"`
	Post         *Post       `gorm:"constraint:OnDelete:CASCADE"`
	MembershipID int64       `gorm:"not null;uniqueIndex:idx_reaction_once,priority:2;index"`
	Membership   *Membership `gorm:"constraint:OnDelete:CASCADE"`
	Kind         string      `gorm:"size:16;not null;uniqueIndex:idx_reaction_once,priority:3"`
	CreatedAt    time.Time   `gorm:"not null"`
}

// ReactionState is a post's reaction counts and the viewer's own reactions to it.
type ReactionState struct {
	PostID   int64
	ThreadID int64
	Support  int
	Helpful  int
	SameHere int
	Mine     []string // kinds, in ReactionKinds order
}

// ToggleReaction adds v's reaction of kind to a post, or takes it back when v already
// reacted so. The post's counter changes in the same transaction. v must be an active
// member of the group; tombstones and posts waiting for a moderator take no reactions.
func (s *Store) ToggleReaction(ctx context.Context, v *Viewer, postID int64, kind string) (*ReactionState, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	col, ok := reactionColumns[kind]
	if !ok {
		return nil, &ValidationError{Fields: map[string]string{"kind": "choose support, helpful or same_here"}}
	}
	var st ReactionState
	err := s.tx(ctx, func(tx *gorm.DB) error {
		pc, err := s.loadPost(ctx, tx, v, postID)
		if err != nil {
			return err
		}
		if err := postAllowed(v, pc.Access); err != nil {
			return err
		}
		p, m := pc.Post, pc.Access.Membership
		switch {
		case p.Tombstone():
			return Errorf(ECONFLICT, "this post was deleted or removed, so it cannot take reactions")
		case p.Status != PostPublished:
			return Errorf(ECONFLICT, "this post is waiting for a moderator, so it cannot take reactions yet")
		}
		del := tx.Where("post_id = ? AND membership_id = ? AND kind = ?", p.ID, m.ID, kind).Delete(&Reaction{})
		if del.Error != nil {
			return del.Error
		}
		delta := -1
		if del.RowsAffected == 0 {
			// ON CONFLICT DO NOTHING: when a second click races the first, the row
			// exists once and the counter moves once.
			ins := tx.Clauses(clause.OnConflict{DoNothing: true}).
				Create(&Reaction{PostID: p.ID, MembershipID: m.ID, Kind: kind, CreatedAt: s.now()})
			if ins.Error != nil {
				return ins.Error
			}
			delta = int(ins.RowsAffected)
		}
		if delta != 0 {
			if err := tx.Model(&Post{}).Where("id = ?", p.ID).
				UpdateColumn(col, gorm.Expr(col+" + ?", delta)).Error; err != nil {
				return err
			}
		}
		var counts Post
		if err := tx.Select("id", "thread_id", "support_count", "helpful_count", "same_here_count").First(&counts, p.ID).Error; err != nil {
			return err
		}
		mine, err := s.reactionsOf(ctx, tx, m.ID, []int64{p.ID})
		if err != nil {
			return err
		}
		st = ReactionState{PostID: p.ID, ThreadID: counts.ThreadID, Support: counts.SupportCount,
			Helpful: counts.HelpfulCount, SameHere: counts.SameHereCount, Mine: mine[p.ID]}
		if st.Mine == nil {
			st.Mine = []string{}
		}
		return nil
	})
	if err != nil {
		return nil, wrapErr("toggle reaction", err)
	}
	return &st, nil
}

// reactionsOf returns the kinds membership m gave each of the posts, in ReactionKinds order.
func (s *Store) reactionsOf(ctx context.Context, db *gorm.DB, membershipID int64, postIDs []int64) (map[int64][]string, error) {
	var rs []Reaction
	if err := db.WithContext(ctx).Select("post_id", "kind").
		Where("membership_id = ? AND post_id IN ?", membershipID, postIDs).Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("models: reactions: %w", err)
	}
	return kindsByPost(rs), nil
}

// kindsByPost gathers reactions' kinds by post, each post's in ReactionKinds order.
func kindsByPost(rs []Reaction) map[int64][]string {
	given := map[int64]map[string]bool{}
	for _, r := range rs {
		if given[r.PostID] == nil {
			given[r.PostID] = map[string]bool{}
		}
		given[r.PostID][r.Kind] = true
	}
	out := make(map[int64][]string, len(given))
	for id, kinds := range given {
		for _, k := range ReactionKinds {
			if kinds[k] {
				out[id] = append(out[id], k)
			}
		}
	}
	return out
}
