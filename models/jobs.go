package models

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Scheduled jobs (claim-lease expiry, and whatever periodic work is added: deadline
// checks, digests, trends) run on one instance at a time, however many instances
// share the database: on PostgreSQL each run holds a session advisory lock
// (pg_try_advisory_lock) named for the job, and an instance that cannot take it skips
// the run. A job also runs at most once per interval across instances: the time of
// its last run is kept in job_runs and checked under the lock. On SQLite there is one
// instance, and an in-process lock does the same.

// Job is one piece of periodic work.
type Job struct {
	// Name identifies the job across instances (its lock and its row in job_runs).
	Name string
	// Every is the least time between two runs.
	Every time.Duration
	// Run does the work; it should finish well within Every.
	Run func(ctx context.Context) error
}

// JobRun records when a scheduled job last ran, on whichever instance.
type JobRun struct {
	Name      string    `gorm:"primaryKey;size:64"`
	LastRunAt time.Time `gorm:"not null"`
}

// jobLockKey is the advisory lock key of a job: a hash of the schema and its name,
// so that sites sharing a database in different schemas do not block each other.
func jobLockKey(schema, name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("haven job\x00" + schema + "\x00" + name))
	return int64(h.Sum64())
}

// RunJob runs j if it is due (its last run, on any instance, was at least j.Every
// ago) and no other instance is running it. It reports whether it ran.
func (s *Store) RunJob(ctx context.Context, j Job) (bool, error) {
	if s.dialect != "postgres" {
		mu, _ := s.jobLocks.LoadOrStore(j.Name, &sync.Mutex{})
		if !mu.(*sync.Mutex).TryLock() {
			return false, nil
		}
		defer mu.(*sync.Mutex).Unlock()
		return s.runIfDue(ctx, j)
	}
	conn, err := s.dedicatedConn(ctx)
	if err != nil {
		return false, fmt.Errorf("models: job %s: %w", j.Name, err)
	}
	defer conn.Close()
	var schema string
	if err := conn.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return false, fmt.Errorf("models: job %s: %w", j.Name, err)
	}
	key := jobLockKey(schema, j.Name)
	var locked bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&locked); err != nil {
		return false, fmt.Errorf("models: job %s: lock: %w", j.Name, err)
	}
	if !locked {
		return false, nil
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", key)
	return s.runIfDue(ctx, j)
}

// runIfDue runs j unless it ran less than j.Every ago, and records the run. The
// caller holds the job's lock.
func (s *Store) runIfDue(ctx context.Context, j Job) (bool, error) {
	now := s.now()
	var last JobRun
	err := s.db.WithContext(ctx).Where("name = ?", j.Name).Take(&last).Error
	switch {
	case err == nil:
		if now.Sub(last.LastRunAt) < j.Every && !now.Before(last.LastRunAt) {
			return false, nil
		}
	case errors.Is(err, gorm.ErrRecordNotFound):
	default:
		return false, fmt.Errorf("models: job %s: %w", j.Name, err)
	}
	runErr := j.Run(ctx)
	err = s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "name"}}, DoUpdates: clause.AssignmentColumns([]string{"last_run_at"}),
	}).Create(&JobRun{Name: j.Name, LastRunAt: now}).Error
	if runErr != nil {
		return true, fmt.Errorf("models: job %s: %w", j.Name, runErr)
	}
	if err != nil {
		return true, fmt.Errorf("models: job %s: record run: %w", j.Name, err)
	}
	return true, nil
}

// RunSchedule checks every job each tick and runs those that are due (see RunJob),
// until ctx ends. Errors go to onError.
func (s *Store) RunSchedule(ctx context.Context, tick time.Duration, jobs []Job, onError func(job string, err error)) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, j := range jobs {
			if _, err := s.RunJob(ctx, j); err != nil && ctx.Err() == nil {
				onError(j.Name, err)
			}
		}
	}
}

// ReleaseExpiredClaims clears the claims on open queue items whose lease has run
// out, so the queue shows them unclaimed; it returns how many it released. (A claim
// past its lease is already free to take; this tidies the rows.)
func (s *Store) ReleaseExpiredClaims(ctx context.Context) (int64, error) {
	now := s.now()
	res := s.db.WithContext(ctx).Model(&QueueItem{}).
		Where("status = ? AND claimed_by IS NOT NULL AND claim_expires_at < ?", ItemOpen, now).
		Updates(map[string]any{"claimed_by": nil, "claim_expires_at": nil})
	if res.Error != nil {
		return 0, fmt.Errorf("models: release expired claims: %w", res.Error)
	}
	return res.RowsAffected, nil
}
