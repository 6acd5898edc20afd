package models

import (
	"context"
	"testing"

	"gorm.io/gorm"
)

func TestMigrateRecordsBuildAndSkipsRepeat(t *testing.T) {
	s := NewTestStore(t)
	ctx := context.Background()
	fp := buildFingerprint()
	if fp == "" {
		t.Fatal("no build fingerprint")
	}
	if got := s.migratedBy(ctx); got != fp {
		t.Fatalf("migratedBy = %q, want this build %q", got, fp)
	}
	// Another build migrated last: this one migrates again and records itself.
	if err := s.markMigrated(ctx, "another-build"); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Exec("DROP TABLE " + "job_runs").Error; err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(); err != nil {
		t.Fatal(err)
	}
	if !s.db.Migrator().HasTable("job_runs") {
		t.Fatal("a new build did not migrate")
	}
	if got := s.migratedBy(ctx); got != fp {
		t.Fatalf("migratedBy = %q after migrating, want %q", got, fp)
	}
	// The same build again: nothing to do.
	if err := s.db.Exec("DROP TABLE job_runs").Error; err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(); err != nil {
		t.Fatal(err)
	}
	if s.db.Migrator().HasTable("job_runs") {
		t.Fatal("the same build migrated twice")
	}
}

// A table rebuild during migration (how GORM changes a column on SQLite) must not
// cascade into the rows that reference the table.
func TestSchemaChangeKeepsReferencingRows(t *testing.T) {
	s := NewTestStore(t)
	if _, err := s.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	var before, after int64
	s.db.Model(&Post{}).Count(&before)
	if before == 0 {
		t.Fatal("the seed wrote no posts")
	}
	err := s.withoutForeignKeys(func(db *gorm.DB) error {
		// What AutoMigrate does when a new build adds a foreign key to threads.
		if err := db.Migrator().DropConstraint(&Thread{}, "Clinician"); err != nil {
			return err
		}
		return db.Migrator().CreateConstraint(&Thread{}, "Clinician")
	})
	if err != nil {
		t.Fatal(err)
	}
	s.db.Model(&Post{}).Count(&after)
	if after != before {
		t.Fatalf("posts after a rebuild of threads = %d, want %d", after, before)
	}
}
