package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // the database/sql driver RestoreSQLite checks backups with
)

// ErrNoPgDump is returned when a PostgreSQL backup or restore needs pg_dump or
// pg_restore and it is not installed; its message says what to run instead.
var ErrNoPgDump = errors.New(`PostgreSQL backups use pg_dump, which is not installed here.
Install the PostgreSQL client (e.g. apt-get install postgresql-client) and run this again, or run it yourself:
  pg_dump --format=custom --no-owner --file=haven.dump "$HAVEN_DATABASE"
and to restore (Haven stopped):
  pg_restore --clean --if-exists --no-owner --dbname="$HAVEN_DATABASE" haven.dump
For point-in-time recovery, use continuous WAL archiving (see the PostgreSQL manual, "Continuous Archiving").`)

// Backup writes a consistent copy of the whole database to path while Haven runs.
// On SQLite it is VACUUM INTO: a compact, self-contained database file, taken in one
// read transaction, so writes go on meanwhile. On PostgreSQL it runs pg_dump
// (custom format) when it is installed, and returns ErrNoPgDump when it is not.
// path must not exist yet.
func (s *Store) Backup(ctx context.Context, dsn, path string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s already exists: choose a new file name, so no backup is overwritten", path)
	}
	if s.dialect == "postgres" {
		return pgDump(ctx, dsn, path)
	}
	if err := s.db.WithContext(ctx).Exec("VACUUM INTO ?", path).Error; err != nil {
		return fmt.Errorf("models: backup to %s: %w", path, err)
	}
	return nil
}

// pgArgs splits a Haven PostgreSQL DSN for the command-line tools: libpq does not
// know search_path, so it becomes --schema.
func pgArgs(dsn string) (conn string, schema string, err error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", "", fmt.Errorf("models: database URL: %w", err)
	}
	q := u.Query()
	schema = q.Get("search_path")
	q.Del("search_path")
	u.RawQuery = q.Encode()
	return u.String(), schema, nil
}

func pgDump(ctx context.Context, dsn, path string) error {
	bin, err := exec.LookPath("pg_dump")
	if err != nil {
		return ErrNoPgDump
	}
	conn, schema, err := pgArgs(dsn)
	if err != nil {
		return err
	}
	args := []string{"--format=custom", "--no-owner", "--file=" + path}
	if schema != "" {
		args = append(args, "--schema="+schema)
	}
	out, err := exec.CommandContext(ctx, bin, append(args, "--dbname="+conn)...).CombinedOutput()
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("pg_dump: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Restore replaces the database named by dsn with the backup at path. Haven must
// not be running. On SQLite the backup is checked first (integrity, Haven's tables),
// and the database it replaces is kept beside it as FILE.before-restore-TIME; on
// PostgreSQL it runs pg_restore --clean.
func Restore(ctx context.Context, dsn, path string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	if IsPostgres(dsn) {
		return pgRestore(ctx, dsn, path)
	}
	if dsn == ":memory:" || strings.Contains(dsn, "mode=memory") {
		return errors.New("an in-memory database cannot be restored into")
	}
	if err := checkSQLiteBackup(path); err != nil {
		return err
	}
	dbPath := strings.TrimPrefix(dsn, "file:")
	if i := strings.IndexByte(dbPath, '?'); i >= 0 {
		dbPath = dbPath[:i]
	}
	tmp := dbPath + ".restoring"
	if err := copyFile(path, tmp); err != nil {
		return fmt.Errorf("models: restore: %w", err)
	}
	// Move the current database aside with its WAL: a stale WAL beside the restored
	// file would be replayed into it.
	if _, err := os.Stat(dbPath); err == nil {
		aside := dbPath + ".before-restore-" + time.Now().UTC().Format("20060102T150405Z")
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Rename(dbPath+suffix, aside+suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				os.Remove(tmp)
				return fmt.Errorf("models: restore: move the current database aside: %w", err)
			}
		}
	}
	if err := os.Rename(tmp, dbPath); err != nil {
		return fmt.Errorf("models: restore: %w", err)
	}
	return syncDir(filepath.Dir(dbPath))
}

// checkSQLiteBackup opens a backup read-only and checks that it is whole and Haven's.
func checkSQLiteBackup(path string) error {
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	defer db.Close()
	var ok string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&ok); err != nil {
		return fmt.Errorf("backup %s is not a SQLite database: %w", path, err)
	}
	if ok != "ok" {
		return fmt.Errorf("backup %s is damaged: %s", path, ok)
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('users', 'groups', 'posts')").Scan(&n); err != nil || n != 3 {
		return fmt.Errorf("backup %s is not a Haven database", path)
	}
	return nil
}

func pgRestore(ctx context.Context, dsn, path string) error {
	bin, err := exec.LookPath("pg_restore")
	if err != nil {
		return ErrNoPgDump
	}
	conn, schema, err := pgArgs(dsn)
	if err != nil {
		return err
	}
	args := []string{"--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error"}
	if schema != "" {
		args = append(args, "--schema="+schema)
	}
	args = append(args, "--dbname="+conn, path)
	if out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("pg_restore: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(to)
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	d.Sync()
	return nil
}
