package models

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/plugin/dbresolver"
)

// Read replicas (PostgreSQL only). With replicas, s.db stays the primary and s.rdb
// becomes a second GORM handle on the primary's own connection pool, with the
// dbresolver plugin sending its reads (queries, rows, raw SELECTs outside a
// transaction) to the replicas and anything else to the primary. Code that must
// read its own writes already reads through s.db or inside s.tx; a request can ask
// for every read to go to the primary with ReadPrimary (app marks the requests
// that follow a write, see app/replicas.go).

// primaryKey marks a context whose reads go to the primary.
type primaryKey struct{}

// ReadPrimary returns a context whose reads through the store go to the primary
// even when replicas are configured: for a request that wrote, or that follows its
// caller's write, so that it sees it whatever the replicas' lag.
func ReadPrimary(ctx context.Context) context.Context {
	return context.WithValue(ctx, primaryKey{}, true)
}

// readsPrimary reports whether ctx asks for the primary.
func readsPrimary(ctx context.Context) bool {
	v, _ := ctx.Value(primaryKey{}).(bool)
	return v
}

// HasReplicas reports whether reads may go to read replicas.
func (s *Store) HasReplicas() bool { return len(s.replicas) > 0 }

// useReplicas routes s.rdb's reads to the replicas at the given postgres:// URLs.
func (s *Store) useReplicas(cfg *gorm.Config, primary *sql.DB, urls []string) error {
	// A gorm.Config belongs to one handle: the reader gets its own, alike.
	rcfg := &gorm.Config{Logger: cfg.Logger, SkipDefaultTransaction: cfg.SkipDefaultTransaction,
		TranslateError: cfg.TranslateError, NowFunc: cfg.NowFunc}
	rdb, err := gorm.Open(postgres.New(postgres.Config{Conn: primary}), rcfg)
	if err != nil {
		return fmt.Errorf("models: open replicas: %w", err)
	}
	var replicas []gorm.Dialector
	for i, u := range urls {
		r, err := gorm.Open(postgres.Open(u), &gorm.Config{Logger: cfg.Logger})
		if err != nil {
			return fmt.Errorf("models: open replica %d: %w", i+1, err)
		}
		pool, err := r.DB()
		if err != nil {
			return fmt.Errorf("models: open replica %d: %w", i+1, err)
		}
		s.replicas = append(s.replicas, pool)
		pool.SetMaxOpenConns(32)
		pool.SetMaxIdleConns(32) // as many as may be open: a busy moment must not close and reopen connections
		pool.SetConnMaxIdleTime(5 * time.Minute)
		if err := pool.Ping(); err != nil {
			return fmt.Errorf("models: connect to replica %d: %w", i+1, err)
		}
		replicas = append(replicas, postgres.New(postgres.Config{Conn: pool}))
	}
	if err := rdb.Use(dbresolver.Register(dbresolver.Config{Replicas: replicas, Policy: dbresolver.RandomPolicy{}})); err != nil {
		return fmt.Errorf("models: open replicas: %w", err)
	}
	// A context marked with ReadPrimary reads from the primary.
	toPrimary := func(tx *gorm.DB) {
		if tx.Statement.Context != nil && readsPrimary(tx.Statement.Context) && !isTx(tx.Statement.ConnPool) {
			tx.Statement.ConnPool = primary
		}
	}
	cb := rdb.Callback()
	for _, err := range []error{
		cb.Query().After("gorm:db_resolver").Before("gorm:query").Register("haven:read_primary", toPrimary),
		cb.Row().After("gorm:db_resolver").Before("gorm:row").Register("haven:read_primary", toPrimary),
		cb.Raw().After("gorm:db_resolver").Before("gorm:raw").Register("haven:read_primary", toPrimary),
	} {
		if err != nil {
			return fmt.Errorf("models: open replicas: %w", err)
		}
	}
	s.rdb = rdb
	return nil
}

// isTx reports whether a connection pool is a transaction's.
func isTx(p gorm.ConnPool) bool {
	_, ok := p.(gorm.TxCommitter)
	return ok
}
