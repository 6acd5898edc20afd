package models

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	_ "github.com/jackc/pgx/v5/stdlib" // the database/sql driver used to make test schemas
)

// TestSecret is the secret test stores use.
var TestSecret = []byte("haven-test-secret-0123456789abcdef")

// NewTestStore opens a fresh, migrated database for one test and closes it when the
// test ends: an in-memory SQLite database, or, when HAVEN_TEST_POSTGRES holds a
// postgres:// URL, a new schema in that database that is dropped afterwards. With
// HAVEN_TEST_REPLICAS=1 as well, the PostgreSQL store reads through a "replica" that
// is the same schema (see replicas.go).
func NewTestStore(tb testing.TB) *Store {
	tb.Helper()
	dsn := TestDSN(tb)
	opts := Options{Secret: TestSecret}
	if IsPostgres(dsn) && os.Getenv("HAVEN_TEST_REPLICAS") == "1" {
		opts.Replicas = []string{dsn}
	}
	s, err := Open(dsn, opts)
	if err != nil {
		tb.Fatalf("open test store: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	if s.dialect == "postgres" {
		// Migrating from scratch costs a second of catalogue queries per schema on
		// PostgreSQL; the first test store records the statements that built its
		// schema and every later one replays them.
		if err := s.replayTestSchema(); err != nil {
			tb.Fatalf("migrate test store: %v", err)
		}
		return s
	}
	if err := s.Migrate(); err != nil {
		tb.Fatalf("migrate test store: %v", err)
	}
	return s
}

// NewTestFileStore is NewTestStore on a SQLite file in a temporary folder (with its
// pool of readers beside the writer, as Haven runs), or on PostgreSQL when
// HAVEN_TEST_POSTGRES is set. Benchmarks use it.
func NewTestFileStore(tb testing.TB) *Store {
	tb.Helper()
	if os.Getenv("HAVEN_TEST_POSTGRES") != "" {
		return NewTestStore(tb)
	}
	s, err := Open(filepath.Join(tb.TempDir(), "haven.db"), Options{Secret: TestSecret})
	if err != nil {
		tb.Fatalf("open test store: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(); err != nil {
		tb.Fatalf("migrate test store: %v", err)
	}
	return s
}

var testSchema struct {
	sync.Mutex
	stmts []string // the statements that migrated an empty schema, in order
}

// replayTestSchema migrates the store's empty schema, recording the statements on
// the first call and replaying them afterwards.
func (s *Store) replayTestSchema() error {
	testSchema.Lock()
	defer testSchema.Unlock()
	if testSchema.stmts != nil {
		return s.db.Transaction(func(tx *gorm.DB) error {
			for _, q := range testSchema.stmts {
				if err := tx.Exec(q).Error; err != nil {
					return fmt.Errorf("replay %q: %w", q, err)
				}
			}
			return nil
		})
	}
	rec := &ddlRecorder{Interface: logger.Discard}
	db, rdb := s.db, s.rdb
	s.db = db.Session(&gorm.Session{Logger: rec})
	s.rdb = s.db
	err := s.Migrate()
	s.db, s.rdb = db, rdb
	if err != nil {
		return err
	}
	testSchema.stmts = rec.stmts
	return nil
}

// ddlRecorder is a GORM logger that keeps every statement that succeeded and is not
// a query.
type ddlRecorder struct {
	logger.Interface
	mu    sync.Mutex
	stmts []string
}

func (r *ddlRecorder) LogMode(logger.LogLevel) logger.Interface { return r }

func (r *ddlRecorder) Trace(_ context.Context, _ time.Time, fc func() (string, int64), err error) {
	q, _ := fc()
	head := strings.ToUpper(strings.TrimSpace(q))
	if err != nil || strings.HasPrefix(head, "SELECT") || strings.HasPrefix(head, "WITH") {
		return
	}
	r.mu.Lock()
	r.stmts = append(r.stmts, q)
	r.mu.Unlock()
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
