package models

import (
	"context"
	"time"
)

// PostRevision keeps a post's text as it was before one edit: Version is the version
// that text had, EditedAt when it was replaced. BodyHTML is the rendering stored with
// that version, so history is served as it was shown. The editor is the author's
// membership, or none for an edit in the clinician voice or by a moderator; EditedBy
// says which ("author" or "moderator").
type PostRevision struct {
	ID                 int64       `gorm:"primaryKey"`
	PostID             int64       `gorm:"not null;uniqueIndex:idx_revision_post_version,priority:1"`
	Post               *Post       `gorm:"constraint:OnDelete:CASCADE"`
	Version            int         `gorm:"not null;uniqueIndex:idx_revision_post_version,priority:2"`
	Body               string      `gorm:"type:text;not null"`
	BodyHTML           string      `gorm:"type:text;not null"`
	ContentWarning     string      `gorm:"size:60;not null;default:''"`
	EditedAt           time.Time   `gorm:"not null"`
	EditorMembershipID *int64      `gorm:"index"`
	EditorMembership   *Membership `gorm:"constraint:OnDelete:SET NULL"`
	EditedBy           string      `gorm:"size:16;not null;default:author"`
}

// RevisionHistory is a post as it is now with its earlier versions, newest first.
type RevisionHistory struct {
	PostContext
	Revisions []PostRevision
}

// PostRevisions lists a post's earlier versions. Only its author and the group's
// moderators (and admins) see them; to anyone else the history is ErrNotFound.
func (s *Store) PostRevisions(ctx context.Context, v *Viewer, postID int64) (*RevisionHistory, error) {
	if v == nil {
		return nil, ErrNotFound
	}
	pc, err := s.loadPost(ctx, s.rdb, v, postID)
	if err != nil {
		return nil, err
	}
	if !pc.Access.Moderates && !pc.Post.AuthoredBy(v, pc.Access.Membership) {
		return nil, ErrNotFound
	}
	var revs []PostRevision
	if err := s.rdb.WithContext(ctx).Where("post_id = ?", postID).Order("version DESC").Find(&revs).Error; err != nil {
		return nil, wrapErr("post revisions", err)
	}
	if !pc.Access.Moderates {
		revs = withoutRedacted(revs)
	}
	return &RevisionHistory{PostContext: *pc, Revisions: revs}, nil
}
