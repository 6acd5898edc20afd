package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sync"
)

// Migrating an up-to-date database still costs one catalogue query per table and
// column (seconds on a busy PostgreSQL server), so Migrate records which build of
// Haven last migrated the database and skips the work when the same build starts
// again. Any change to the code is a new executable, so a new build always migrates.

var buildFingerprint = sync.OnceValue(func() string {
	path, err := os.Executable()
	if err != nil {
		return ""
	}
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
})

// migratedBy returns the fingerprint of the build that last migrated the database,
// or "" when there is none.
func (s *Store) migratedBy(ctx context.Context) string {
	if !s.db.Migrator().HasTable("haven_schema") {
		return ""
	}
	var fp string
	s.db.WithContext(ctx).Raw("SELECT fingerprint FROM haven_schema WHERE id = 1").Scan(&fp)
	return fp
}

// markMigrated records that this build has migrated the database.
func (s *Store) markMigrated(ctx context.Context, fp string) error {
	db := s.db.WithContext(ctx)
	if err := db.Exec("CREATE TABLE IF NOT EXISTS haven_schema (id INTEGER PRIMARY KEY, fingerprint TEXT NOT NULL)").Error; err != nil {
		return fmt.Errorf("models: record schema: %w", err)
	}
	if err := db.Exec("DELETE FROM haven_schema").Error; err != nil {
		return fmt.Errorf("models: record schema: %w", err)
	}
	if err := db.Exec("INSERT INTO haven_schema (id, fingerprint) VALUES (1, ?)", fp).Error; err != nil {
		return fmt.Errorf("models: record schema: %w", err)
	}
	return nil
}
