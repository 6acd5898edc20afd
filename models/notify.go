package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Live events between instances travel through PostgreSQL LISTEN/NOTIFY (see the
// app's PostgreSQL broker). Each notification is numbered from one sequence, so every
// instance knows an event by the same id, and a client that reconnects to another
// instance can resume with its Last-Event-ID. On SQLite there is one instance and
// none of this is used.

// liveEventSequence numbers live events across instances.
const liveEventSequence = "haven_live_event_id"

// ErrNotPostgres is returned by the PostgreSQL-only methods on SQLite.
var ErrNotPostgres = errors.New("models: only on PostgreSQL")

// migrateNotify creates the live-event sequence on PostgreSQL.
func (s *Store) migrateNotify(ctx context.Context) error {
	if s.dialect != "postgres" {
		return nil
	}
	if err := s.db.WithContext(ctx).Exec("CREATE SEQUENCE IF NOT EXISTS " + liveEventSequence).Error; err != nil {
		return fmt.Errorf("models: migrate live events: %w", err)
	}
	return nil
}

// EventChannel is the notification channel live events travel on: one per schema,
// so that sites (or test runs) sharing a database in different schemas do not hear
// each other. PostgreSQL only.
func (s *Store) EventChannel(ctx context.Context) (string, error) {
	if s.dialect != "postgres" {
		return "", ErrNotPostgres
	}
	var schema string
	if err := s.db.WithContext(ctx).Raw("SELECT current_schema()").Scan(&schema).Error; err != nil {
		return "", fmt.Errorf("models: event channel: %w", err)
	}
	ch := "haven_events_" + schema
	if len(ch) > 63 { // PostgreSQL truncates identifiers at 63 bytes
		ch = ch[:63]
	}
	return ch, nil
}

// NotifyEvent sends payload on channel as the next live event: every listener on
// every instance, this one included, receives "ID PAYLOAD", with ID from the shared
// sequence. PostgreSQL only; payloads are limited to about 8,000 bytes.
func (s *Store) NotifyEvent(ctx context.Context, channel, payload string) error {
	if s.dialect != "postgres" {
		return ErrNotPostgres
	}
	err := s.db.WithContext(ctx).Exec("SELECT pg_notify(?, nextval('"+liveEventSequence+"')::text || ' ' || ?)", channel, payload).Error
	if err != nil {
		return fmt.Errorf("models: notify: %w", err)
	}
	return nil
}

// pgConfig returns the connection settings of the store's pool (its DSN, search
// path included), for connections that must live outside the pool.
func (s *Store) pgConfig(ctx context.Context) (*pgx.ConnConfig, error) {
	if s.dialect != "postgres" {
		return nil, ErrNotPostgres
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var cfg *pgx.ConnConfig
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("unexpected PostgreSQL driver %T", dc)
		}
		cfg = c.Conn().Config().Copy()
		// The pool connection's own notification buffer; pgx sets a fresh one.
		cfg.OnNotification = nil
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("models: connection settings: %w", err)
	}
	return cfg, nil
}

// Listen keeps a dedicated connection listening on channel and calls fn with each
// notification's payload, in the order PostgreSQL delivers them (the order their
// transactions committed, the same on every instance), until ctx ends. After a lost
// connection it reconnects with a growing pause; notifications sent meanwhile are
// lost. onListen is called each time listening (re)starts (first is true the first
// time), and onError with each lost connection. PostgreSQL only.
func (s *Store) Listen(ctx context.Context, channel string, onListen func(first bool), onError func(error), fn func(payload string)) error {
	cfg, err := s.pgConfig(ctx)
	if err != nil {
		return err
	}
	first := true
	pause := 100 * time.Millisecond
	for {
		err := listenOnce(ctx, cfg, channel, func() { onListen(first); first = false; pause = 100 * time.Millisecond }, fn)
		if ctx.Err() != nil {
			return nil
		}
		onError(err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(pause):
		}
		pause = min(2*pause, 5*time.Second)
	}
}

// listenOnce connects, listens and delivers until the connection fails or ctx ends.
func listenOnce(ctx context.Context, cfg *pgx.ConnConfig, channel string, ready func(), fn func(string)) error {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := pgx.ConnectConfig(cctx, cfg)
	cancel()
	if err != nil {
		return err
	}
	defer func() {
		c, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(c)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	ready()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		fn(n.Payload)
	}
}

// dedicatedConn returns one connection of the pool for session-scoped work (advisory
// locks); close it to give it back.
func (s *Store) dedicatedConn(ctx context.Context) (*sql.Conn, error) {
	sqlDB, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	return sqlDB.Conn(ctx)
}
