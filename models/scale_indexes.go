package models

import (
	"context"
	"fmt"
)

// scaleIndexes are the indexes the hot read paths need at millions of posts, beyond
// those the models' tags declare: a thread's posts in id order (its pages, and a
// post's page number), without sorting the whole thread on each request; and those
// of the header's capped counts and the keyset pages (see badges.go, cursor.go).
var scaleIndexes = []string{
	// Status and author ride along, so that what a member has not read of a thread is
	// counted from the index alone (see threadUnreads); it replaces idx_post_thread_id.
	`CREATE INDEX IF NOT EXISTS idx_post_thread_read ON posts (thread_id, id, status, membership_id)`,
	`DROP INDEX IF EXISTS idx_post_thread_id`,
	// The groups search reads on every request, by name, from the index alone (a
	// group's row carries its description and rules).
	`CREATE INDEX IF NOT EXISTS idx_group_search ON groups (name, id, slug, visibility)`,
	// An admin's open queue items (moderators' use idx_queue_triage).
	`CREATE INDEX IF NOT EXISTS idx_queue_open ON queue_items (status, group_id)`,
	// Open questions for clinicians' badge and queue.
	`CREATE INDEX IF NOT EXISTS idx_thread_questions ON threads (kind, clinician_answered, group_id)`,
	// A member's notifications newest first, and a member's posts newest first.
	`CREATE INDEX IF NOT EXISTS idx_notification_membership_id ON notifications (membership_id, id)`,
	`CREATE INDEX IF NOT EXISTS idx_post_membership_created ON posts (membership_id, created_at, id)`,
	// A member's reactions on one page of a thread (the member's part of a thread page,
	// on every view). On PostgreSQL the prepared query's generic plan, made without the
	// page's post ids, could only filter the member's reactions by them; it looked so
	// much dearer than a plan for the given ids that the query was planned again on
	// every view, 0.1 ms of the database's time against 0.01 ms to run it.
	`CREATE INDEX IF NOT EXISTS idx_reaction_membership_post ON reactions (membership_id, post_id)`,
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
