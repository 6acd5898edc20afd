package models

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Store is Haven's data layer: every read and write of domain data goes through it.
// Writes go to db; on SQLite, reads that need no transaction go to a pool of readers.
type Store struct {
	db      *gorm.DB // the writer (one connection on SQLite)
	rdb     *gorm.DB // readers; the same as db on PostgreSQL and in-memory SQLite
	secret  []byte
	dialect string
	now     func() time.Time
	// deadlines overrides DefaultLaneDeadlines per lane.
	deadlines map[string]time.Duration
	// publisher receives live events after commits.
	publisher Publisher
	// words caches compiled watched-word patterns (see watched.go).
	words wordCache
	// banners caches visitors' urgent announcement banners (see announcement.go).
	banners bannerCache
	// viewers caches signed-in viewers' accounts (see ViewerByID), members their
	// memberships (see groupAccessCached).
	viewers      viewerCache
	members      memberCache
	headerCounts headerCountCache
	// searchGroups keeps the list of groups search reads (see catalog).
	searchGroups searchCatalog
	// versions stamps every write, for caches of rendered pages (see cacheversions.go).
	versions *Versions
	// batch, on SQLite, runs concurrent transactions with one commit (writebatch.go).
	batch *writeBatcher
	// jobLocks keeps scheduled jobs from overlapping on SQLite (see jobs.go).
	jobLocks sync.Map
	// replicas are the read replicas' pools, on PostgreSQL (see replicas.go).
	replicas []*sql.DB
}

// Options tunes Open.
type Options struct {
	// Secret keys the hashes of provider subjects. Required.
	Secret []byte
	// Log, when set, receives slow or failing queries.
	Log *slog.Logger
	// Replicas are postgres:// URLs of read replicas of a PostgreSQL database; reads
	// that need no fresh data go to them (see replicas.go).
	Replicas []string
}

// IsPostgres reports whether dsn selects PostgreSQL.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens the database named by dsn: a postgres:// URL selects PostgreSQL, anything
// else is a SQLite file (":memory:" for a throwaway database). It does not migrate.
func Open(dsn string, opts Options) (*Store, error) {
	if len(opts.Secret) == 0 {
		return nil, fmt.Errorf("models: open: a secret is required")
	}
	cfg := &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		TranslateError:         true,
		NowFunc:                func() time.Time { return time.Now().UTC().Round(time.Microsecond) },
	}
	s := &Store{secret: opts.Secret, now: func() time.Time { return time.Now().UTC().Round(time.Microsecond) }}
	if IsPostgres(dsn) {
		db, err := gorm.Open(postgres.Open(dsn), cfg)
		if err != nil {
			return nil, fmt.Errorf("models: open postgres: %w", err)
		}
		sqlDB, err := db.DB()
		if err != nil {
			return nil, fmt.Errorf("models: open postgres: %w", err)
		}
		sqlDB.SetMaxOpenConns(32)
		sqlDB.SetMaxIdleConns(32) // as many as may be open: a busy moment must not close and reopen connections
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
		if err := sqlDB.Ping(); err != nil {
			return nil, fmt.Errorf("models: connect to postgres: %w", err)
		}
		s.db, s.rdb, s.dialect = db, db, "postgres"
		if len(opts.Replicas) > 0 {
			if err := s.useReplicas(cfg, sqlDB, opts.Replicas); err != nil {
				s.Close()
				return nil, err
			}
		}
		return s, s.trackVersions()
	}
	if len(opts.Replicas) > 0 {
		return nil, fmt.Errorf("models: open: read replicas need a PostgreSQL database")
	}

	s.dialect = "sqlite"
	memory := dsn == ":memory:" || strings.Contains(dsn, "mode=memory")
	writer, err := openSQLite(dsn, cfg, true)
	if err != nil {
		return nil, err
	}
	sqlDB, _ := writer.DB()
	sqlDB.SetMaxOpenConns(1)
	sqlDB.SetMaxIdleConns(1)
	sqlDB.SetConnMaxLifetime(0)
	sqlDB.SetConnMaxIdleTime(0)
	s.db, s.rdb = writer, writer
	if !memory {
		// Readers keep their prepared statements: preparing costs a page view more
		// than running most of its queries. The cache is bounded (least recently used).
		rcfg := *cfg
		rcfg.PrepareStmt, rcfg.PrepareStmtMaxSize, rcfg.PrepareStmtTTL = true, 512, time.Hour
		reader, err := openSQLite(dsn, &rcfg, false)
		if err != nil {
			return nil, err
		}
		rDB, _ := reader.DB()
		n := max(4, runtime.NumCPU()*2)
		rDB.SetMaxOpenConns(n)
		rDB.SetMaxIdleConns(n)
		rDB.SetConnMaxIdleTime(0)
		rDB.SetConnMaxLifetime(0)
		s.rdb = reader
	}
	// One writer goroutine commits concurrent transactions together (writebatch.go).
	s.batch = newWriteBatcher(s)
	return s, s.trackVersions()
}

// trackVersions makes every write stamp what it changed (see cacheversions.go).
func (s *Store) trackVersions() error {
	s.versions = newVersions()
	if err := s.registerVersionCallbacks(s.db); err != nil {
		return fmt.Errorf("models: open: %w", err)
	}
	return nil
}

func openSQLite(path string, cfg *gorm.Config, writer bool) (*gorm.DB, error) {
	q := url.Values{}
	q.Set("_busy_timeout", "10000")
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", "NORMAL")
	if path != ":memory:" {
		q.Set("_journal_mode", "WAL")
	}
	if writer {
		q.Set("_txlock", "immediate")
	} else {
		q.Set("mode", "ro")
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	dsn := path
	if !strings.HasPrefix(dsn, "file:") {
		dsn = "file:" + dsn
	}
	db, err := gorm.Open(sqlite.Open(dsn+sep+q.Encode()), cfg)
	if err != nil {
		return nil, fmt.Errorf("models: open sqlite %s: %w", path, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("models: open sqlite %s: %w", path, err)
	}
	if err := sqlDB.Ping(); err != nil {
		return nil, fmt.Errorf("models: open sqlite %s: %w", path, err)
	}
	return db, nil
}

// Close closes every connection.
func (s *Store) Close() error {
	if s.batch != nil {
		s.batch.close()
	}
	for _, g := range []*gorm.DB{s.db, s.rdb} {
		if g == nil {
			continue
		}
		if sqlDB, err := g.DB(); err == nil {
			sqlDB.Close()
		}
		if g == s.rdb && s.rdb == s.db {
			break
		}
	}
	for _, r := range s.replicas {
		r.Close()
	}
	return nil
}

// Dialect is "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Migrate creates or updates every table and index. The table definitions are
// checked once per build of Haven (see schema.go); the rest is cheap and always runs.
func (s *Store) Migrate() error {
	ctx := context.Background()
	fp := buildFingerprint()
	if fp == "" || s.migratedBy(ctx) != fp {
		if err := s.autoMigrate(); err != nil {
			return err
		}
		if fp != "" {
			if err := s.markMigrated(ctx, fp); err != nil {
				return err
			}
		}
	}
	return s.migrateRaw()
}

// autoMigrate brings every table up to its model. On SQLite, GORM changes a column or
// constraint by copying the table and dropping the old one; with foreign keys on, that
// drop would cascade and delete every row that references the table (every post of
// every thread), so foreign keys are off while it runs and checked afterwards.
func (s *Store) autoMigrate() error {
	err := s.withoutForeignKeys(func(db *gorm.DB) error { return db.AutoMigrate(allModels()...) })
	if err != nil {
		return fmt.Errorf("models: migrate: %w", err)
	}
	return nil
}

// withoutForeignKeys runs a schema change with SQLite's foreign keys off, then checks
// that every reference still holds. On PostgreSQL it just runs fn.
func (s *Store) withoutForeignKeys(fn func(db *gorm.DB) error) error {
	if s.dialect != "sqlite" {
		return fn(s.db)
	}
	if err := s.db.Exec("PRAGMA foreign_keys = OFF").Error; err != nil {
		return err
	}
	rec := &ddlRecorder{Interface: logger.Discard}
	err := fn(s.db.Session(&gorm.Session{Logger: rec}))
	if on := s.db.Exec("PRAGMA foreign_keys = ON").Error; err == nil {
		err = on
	}
	if err != nil {
		return err
	}
	if !changesTables(rec.stmts) {
		return nil // nothing was rebuilt: no reference can have broken (the check reads every row)
	}
	var broken []map[string]any
	if err := s.db.Raw("PRAGMA foreign_key_check").Scan(&broken).Error; err != nil {
		return err
	}
	if len(broken) > 0 {
		return fmt.Errorf("%d rows break a foreign key, e.g. %v", len(broken), broken[0])
	}
	return nil
}

// rowsContext is ctx for a read that returns many rows. mattn/go-sqlite3 starts a
// goroutine for each row it steps when the context can be cancelled, which costs more
// than the row itself; these reads are bounded, so on SQLite they run to the end
// whatever the request does. PostgreSQL keeps ctx.
func (s *Store) rowsContext(ctx context.Context) context.Context {
	if s.dialect == "sqlite" {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// changesTables reports whether any of a migration's statements created, copied,
// dropped or altered a table (GORM rebuilds a SQLite table to change it), rather than
// only reading the schema or adding an index.
func changesTables(stmts []string) bool {
	for _, q := range stmts {
		head := strings.ToUpper(strings.TrimSpace(q))
		for _, w := range []string{"CREATE TABLE", "ALTER", "DROP TABLE", "INSERT", "UPDATE", "DELETE"} {
			if strings.HasPrefix(head, w) {
				return true
			}
		}
	}
	return false
}

// migrateRaw runs the migrations GORM does not express: raw indexes, data fixes.
func (s *Store) migrateRaw() error {
	// The full-text index is raw SQL (an FTS4 table, or a tsvector table): see search.go.
	if err := s.migrateSearch(context.Background()); err != nil {
		return err
	}
	// Indexes the dashboard's queries need on other tables (see stats.go).
	if err := s.migrateStats(context.Background()); err != nil {
		return err
	}
	// Groups stored before rules were rendered at write time.
	if err := s.renderMissingRules(context.Background()); err != nil {
		return err
	}
	// The live-event sequence on PostgreSQL (see notify.go).
	if err := s.migrateNotify(context.Background()); err != nil {
		return err
	}
	// Indexes for the hot read paths at scale (see scale_indexes.go).
	if err := s.migrateScaleIndexes(context.Background()); err != nil {
		return err
	}
	return nil
}

func allModels() []any {
	return []any{
		&User{}, &Identity{}, &Clinician{},
		&Group{}, &Membership{}, &GroupInvite{}, &MemberMute{},
		&Thread{}, &Post{}, &PostRevision{}, &Reaction{},
		&ThreadFollow{}, &ThreadRead{}, &Notification{},
		&QueueItem{}, &Report{}, &ModlogEntry{}, &MemberNote{},
		&WatchedWord{},
		&Announcement{}, &AnnouncementDismissal{}, &GroupResource{},
		&AuditEntry{},
		// The dashboard's counters and emerging topics (see stats.go, topics.go).
		&StatHour{}, &StatMemberLast{}, &StatReasonHour{}, &StatDuration{}, &StatCursor{},
		&TermDay{}, &EmergingTopic{},
		&JobRun{},
		&ScrapingAlert{},
		&ClinicianDecision{}, &FactCheckLabel{}, &LabelRevision{},
	}
}

// SubjectHash is the keyed hash under which a provider subject is stored.
// The subject itself is never stored.
func (s *Store) SubjectHash(provider, subject string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(provider))
	m.Write([]byte{0})
	m.Write([]byte(subject))
	return hex.EncodeToString(m.Sum(nil))
}

// SetClock replaces the store's clock; tests use it to move time.
func (s *Store) SetClock(now func() time.Time) { s.now = now }

func (s *Store) tx(ctx context.Context, fn func(tx *gorm.DB) error) (err error) {
	if s.batch != nil {
		return s.batch.do(ctx, fn) // SQLite: group commit (writebatch.go)
	}
	// The transaction's changes are stamped again once it is over (see cacheversions.go).
	var pool gorm.ConnPool
	defer func() {
		if pool != nil {
			s.versions.end(pool, err == nil)
		}
	}()
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		pool = tx.Statement.ConnPool
		s.versions.begin(pool)
		return fn(tx)
	})
}
