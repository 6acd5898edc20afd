package models

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the database/sql driver used to make test schemas
)

// TestSecret is the secret test stores use.
var TestSecret = []byte("haven-test-secret-0123456789abcdef")

// NewTestStore opens a fresh, migrated database for one test and closes it when the
// test ends: an in-memory SQLite database, or, when HAVEN_TEST_POSTGRES holds a
// postgres:// URL, a new schema in that database that is dropped afterwards.
func NewTestStore(tb testing.TB) *Store {
	tb.Helper()
	dsn := TestDSN(tb)
	s, err := Open(dsn, Options{Secret: TestSecret})
	if err != nil {
		tb.Fatalf("open test store: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(); err != nil {
		tb.Fatalf("migrate test store: %v", err)
	}
	return s
}

// TestDSN returns a DSN for a fresh empty database for one test (see NewTestStore).
func TestDSN(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("HAVEN_TEST_POSTGRES")
	if base == "" {
		return ":memory:"
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "haven_test_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("connect to HAVEN_TEST_POSTGRES: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		tb.Fatalf("create test schema: %v", err)
	}
	tb.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		db.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("parse HAVEN_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
