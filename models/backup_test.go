package models

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// openBackupStore opens a migrated store on a real database (a SQLite file, or a
// fresh PostgreSQL schema) and returns it with its DSN.
func openBackupStore(t *testing.T) (*Store, string) {
	t.Helper()
	dsn := TestDSN(t)
	if dsn == ":memory:" {
		dsn = filepath.Join(t.TempDir(), "haven.db")
	}
	s, err := Open(dsn, Options{Secret: TestSecret})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(); err != nil {
		t.Fatal(err)
	}
	return s, dsn
}

func groupSlugs(t *testing.T, s *Store) []string {
	t.Helper()
	var slugs []string
	if err := s.db.Model(&Group{}).Order("slug").Pluck("slug", &slugs).Error; err != nil {
		t.Fatal(err)
	}
	return slugs
}

func TestBackupRestoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, dsn := openBackupStore(t)
	if s.Dialect() == "postgres" {
		if _, err := exec.LookPath("pg_dump"); err != nil {
			t.Skip("pg_dump is not installed")
		}
	}
	admin := mustViewer(t, s, "admin", RoleAdmin)
	member := mustViewer(t, s, "member", RoleMember)
	mustGroup(t, s, admin, "kept", "open")
	mustJoin(t, s, member, "kept", MemberActive)
	th, _, err := s.CreateThread(ctx, member, "kept", ThreadInput{Title: "Before the backup", Body: "Written **before** the backup."})
	if err != nil {
		t.Fatal(err)
	}

	file := filepath.Join(t.TempDir(), "haven.backup")
	if err := s.Backup(ctx, dsn, file); err != nil {
		t.Fatalf("Backup: %v", err)
	}
	if err := s.Backup(ctx, dsn, file); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("a second backup to the same file: %v, want a refusal", err)
	}
	// Written after the backup: the restore takes the database back to before it.
	mustGroup(t, s, admin, "lost", "open")
	if got, want := strings.Join(groupSlugs(t, s), ","), "kept,lost"; got != want {
		t.Fatalf("groups %s, want %s", got, want)
	}
	s.Close()

	if err := Restore(ctx, dsn, file); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	r, err := Open(dsn, Options{Secret: TestSecret})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Migrate(); err != nil {
		t.Fatalf("migrate the restored database: %v", err)
	}
	if got, want := strings.Join(groupSlugs(t, r), ","), "kept"; got != want {
		t.Fatalf("restored groups %s, want %s", got, want)
	}
	var p Post
	if err := r.db.Where("thread_id = ?", th.ID).First(&p).Error; err != nil {
		t.Fatalf("the thread's post is not restored: %v", err)
	}
	if !strings.Contains(p.BodyHTML, "<strong>before</strong>") {
		t.Fatalf("restored post %q", p.BodyHTML)
	}
	// The same identity signs in to the same user, with the same membership.
	again := mustViewer(t, r, "member", RoleMember)
	if again.UserID() != member.UserID() {
		t.Fatalf("restored sign-in is user %d, want %d", again.UserID(), member.UserID())
	}
	// The restored database takes writes.
	mustGroup(t, r, admin, "after", "open")

	if r.Dialect() == "sqlite" {
		aside, _ := filepath.Glob(dsn + ".before-restore-*")
		if len(aside) == 0 {
			t.Fatalf("the replaced database was not kept")
		}
	}
}

func TestRestoreRefusesWhatIsNotABackup(t *testing.T) {
	if os.Getenv("HAVEN_TEST_POSTGRES") != "" {
		t.Skip("checks SQLite backups")
	}
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk")
	os.WriteFile(junk, []byte("not a database at all, just some words"), 0o600)
	db := filepath.Join(dir, "haven.db")
	os.WriteFile(db, []byte("the current database"), 0o600)
	for _, backup := range []string{junk, filepath.Join(dir, "missing")} {
		if err := Restore(context.Background(), db, backup); err == nil {
			t.Fatalf("Restore(%s) succeeds", backup)
		}
	}
	if b, _ := os.ReadFile(db); string(b) != "the current database" {
		t.Fatalf("a refused restore touched the database")
	}
	if err := Restore(context.Background(), ":memory:", junk); err == nil {
		t.Fatalf("Restore into :memory: succeeds")
	}
}

func TestBackupWithoutPgDump(t *testing.T) {
	if os.Getenv("HAVEN_TEST_POSTGRES") == "" {
		t.Skip("PostgreSQL only")
	}
	t.Setenv("PATH", t.TempDir())
	s, dsn := openBackupStore(t)
	defer s.Close()
	err := s.Backup(context.Background(), dsn, filepath.Join(t.TempDir(), "x.dump"))
	if !errors.Is(err, ErrNoPgDump) {
		t.Fatalf("Backup without pg_dump: %v, want ErrNoPgDump", err)
	}
	if !strings.Contains(err.Error(), "pg_dump --format=custom") {
		t.Fatalf("the error does not say what to run: %v", err)
	}
}
