package models

import (
	"context"
	"fmt"
)

// scaleIndexes are the indexes the hot read paths need at millions of posts, beyond
// those the models' tags declare: a thread's posts in id order (its pages, and a
// post's page number), without sorting the whole thread on each request.
var scaleIndexes = []string{
	`CREATE INDEX IF NOT EXISTS idx_post_thread_id ON posts (thread_id, id)`,
}

// migrateScaleIndexes creates scaleIndexes if they are missing.
func (s *Store) migrateScaleIndexes(ctx context.Context) error {
	for _, q := range scaleIndexes {
		if err := s.db.WithContext(ctx).Exec(q).Error; err != nil {
			return fmt.Errorf("models: migrate indexes: %w", err)
		}
	}
	return nil
}
