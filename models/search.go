package models

import (
	"context"

	"gorm.io/gorm"
)

// indexPost adds or refreshes a post (and, for an opening post, its thread's title)
// in the full-text index, inside the transaction that wrote it.
func (s *Store) indexPost(ctx context.Context, tx *gorm.DB, t *Thread, p *Post) error {
	return nil
}
