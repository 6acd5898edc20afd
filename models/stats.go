package models

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The dashboard reads pre-aggregated counters, never the posts themselves. A
// scheduled job (RefreshStats, run every minute by app/jobs.go) folds every new row into hourly counters, keyed by UTC hour
// and group, following id cursors: each tick reads only the posts, threads,
// memberships, reports and decisions written since the last one, so its cost does not
// grow with the size of the forum. A dashboard for 30 days then sums at most
// 720 rows per group, and active members are an index range of StatMemberLast.

// StatHour holds one group's activity in one UTC hour.
type StatHour struct {
	Hour       time.Time `gorm:"primaryKey"`
	GroupID    int64     `gorm:"primaryKey"`
	NewMembers int       `gorm:"not null;default:0"`
	Threads    int       `gorm:"not null;default:0"`
	Questions  int       `gorm:"not null;default:0"`
	Posts      int       `gorm:"not null;default:0"`
}

// StatMemberLast is the last hour in which a membership posted. The active members
// of a period that ends now are then a count over an index range, however long the
// period, with no DISTINCT over per-hour rows.
type StatMemberLast struct {
	MembershipID int64     `gorm:"primaryKey;autoIncrement:false"`
	GroupID      int64     `gorm:"not null;index:idx_stat_member_last,priority:2"`
	LastHour     time.Time `gorm:"not null;index:idx_stat_member_last,priority:1"`
}

// StatReasonHour counts the reports and automatic flags of one reason (lane) in a
// group in an hour.
type StatReasonHour struct {
	Hour    time.Time `gorm:"primaryKey"`
	GroupID int64     `gorm:"primaryKey"`
	Reason  string    `gorm:"primaryKey;size:32"`
	Count   int       `gorm:"not null;default:0"`
}

// Stat duration kinds.
const (
	// DurationAnswer is a question's wait for its first clinician answer; At is when the
	// question was asked.
	DurationAnswer = "answer"
	// DurationResolution is a queue item's time from opening to decision; At is the decision.
	DurationResolution = "resolution"
)

// StatDuration is one measured wait, for medians and percentiles.
type StatDuration struct {
	ID      int64     `gorm:"primaryKey"`
	Kind    string    `gorm:"size:16;not null;uniqueIndex:idx_stat_duration_ref;index:idx_stat_duration_at,priority:1"`
	RefID   int64     `gorm:"not null;uniqueIndex:idx_stat_duration_ref"`
	GroupID int64     `gorm:"not null"`
	Lane    string    `gorm:"size:16;not null;default:''"`
	At      time.Time `gorm:"not null;index:idx_stat_duration_at,priority:2"`
	Seconds int64     `gorm:"not null"`
}

// StatCursor is how far a background job has read a source table.
type StatCursor struct {
	Name      string `gorm:"primaryKey;size:32"`
	LastID    int64  `gorm:"not null;default:0"`
	LastAt    time.Time
	UpdatedAt time.Time
}

// statBatch bounds the rows one tick folds in per source table.
const statBatch = 50000

// migrateStats adds the indexes the dashboard's live queries use on tables it does
// not own: posts by time (emerging topics), crisis items by time, decisions by time.
func (s *Store) migrateStats(ctx context.Context) error {
	for _, q := range []string{
		// An index of an earlier version: the planner preferred it to the hour range.
		"DROP INDEX IF EXISTS idx_stat_hours_group_id",
		"CREATE INDEX IF NOT EXISTS idx_posts_created_at ON posts (created_at)",
		"CREATE INDEX IF NOT EXISTS idx_queue_items_lane_created ON queue_items (lane, created_at)",
		"CREATE INDEX IF NOT EXISTS idx_queue_items_status_resolved ON queue_items (status, resolved_at)",
	} {
		if err := s.db.WithContext(ctx).Exec(q).Error; err != nil {
			return fmt.Errorf("models: migrate stats: %w", err)
		}
	}
	return nil
}

// hourExpr is SQL for the UTC hour of a timestamp column, as "2006-01-02 15:00:00".
func (s *Store) hourExpr(col string) string {
	if s.dialect == "postgres" {
		return "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:00:00')"
	}
	return "strftime('%Y-%m-%d %H:00:00', " + col + ")"
}

func parseHour(sv string) (time.Time, error) {
	return time.ParseInLocation("2006-01-02 15:04:05", sv, time.UTC)
}

// RefreshStats folds everything written since the last call into the dashboard's
// counters. It is safe to call at any time, from several instances: the cursors are
// locked for the duration of a batch.
func (s *Store) RefreshStats(ctx context.Context) error {
	steps := []struct {
		name string
		fn   func(ctx context.Context, tx *gorm.DB, from, to int64) error
		tbl  string
	}{
		{"threads", s.foldThreads, "threads"},
		{"posts", s.foldPosts, "posts"},
		{"memberships", s.foldMemberships, "memberships"},
		{"reports", s.foldReports, "reports"},
	}
	for _, st := range steps {
		for {
			more, err := s.foldBatch(ctx, st.name, st.tbl, st.fn)
			if err != nil {
				return err
			}
			if !more {
				break
			}
		}
	}
	return s.foldResolutions(ctx)
}

// lockCursor reads a cursor inside tx, locking its row on PostgreSQL.
func (s *Store) lockCursor(tx *gorm.DB, name string) (*StatCursor, error) {
	c := StatCursor{Name: name}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&c).Error; err != nil {
		return nil, err
	}
	q := tx
	if s.dialect == "postgres" {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := q.Where("name = ?", name).First(&c).Error; err != nil {
		return nil, err
	}
	return &c, nil
}

// foldBatch folds the next batch of rows of one table; more is true when rows remain.
func (s *Store) foldBatch(ctx context.Context, name, table string, fn func(context.Context, *gorm.DB, int64, int64) error) (more bool, err error) {
	err = s.tx(ctx, func(tx *gorm.DB) error {
		c, err := s.lockCursor(tx, name)
		if err != nil {
			return err
		}
		var maxID int64
		if err := tx.Table(table).Select("COALESCE(MAX(id), 0)").Scan(&maxID).Error; err != nil {
			return err
		}
		if maxID <= c.LastID {
			return nil
		}
		to := min(maxID, c.LastID+statBatch)
		if err := fn(ctx, tx, c.LastID, to); err != nil {
			return err
		}
		more = to < maxID
		return tx.Model(&StatCursor{}).Where("name = ?", name).Updates(map[string]any{"last_id": to, "updated_at": s.now()}).Error
	})
	if err != nil {
		return false, fmt.Errorf("models: refresh stats (%s): %w", name, err)
	}
	return more, nil
}

type hourCount struct {
	Hour    string
	GroupID int64
	N       int
	Q       int
}

// addHours adds counts to StatHour rows, creating them as needed (one multi-row
// upsert per 500 rows; the rows of one call have distinct keys).
func (s *Store) addHours(tx *gorm.DB, rows []hourCount, set func(*StatHour, hourCount), cols ...string) error {
	if len(rows) == 0 {
		return nil
	}
	out := make([]StatHour, 0, len(rows))
	for _, r := range rows {
		h, err := parseHour(r.Hour)
		if err != nil {
			return err
		}
		sh := StatHour{Hour: h, GroupID: r.GroupID}
		set(&sh, r)
		out = append(out, sh)
	}
	assign := map[string]any{}
	for _, c := range cols {
		assign[c] = gorm.Expr("stat_hours." + c + " + excluded." + c)
	}
	return tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "hour"}, {Name: "group_id"}},
		DoUpdates: clause.Assignments(assign)}).CreateInBatches(out, 500).Error
}

func (s *Store) foldThreads(ctx context.Context, tx *gorm.DB, from, to int64) error {
	var rows []hourCount
	err := tx.Table("threads").Select(s.hourExpr("created_at")+" AS hour, group_id, COUNT(*) AS n, "+
		"SUM(CASE WHEN kind = ? THEN 1 ELSE 0 END) AS q", KindQuestion).
		Where("id > ? AND id <= ?", from, to).Group("1, group_id").Scan(&rows).Error
	if err != nil {
		return err
	}
	return s.addHours(tx, rows, func(h *StatHour, r hourCount) { h.Threads, h.Questions = r.N, r.Q }, "threads", "questions")
}

func (s *Store) foldPosts(ctx context.Context, tx *gorm.DB, from, to int64) error {
	var rows []hourCount
	err := tx.Table("posts").Select(s.hourExpr("posts.created_at")+" AS hour, threads.group_id, COUNT(*) AS n").
		Joins("JOIN threads ON threads.id = posts.thread_id").
		Where("posts.id > ? AND posts.id <= ?", from, to).Group("1, threads.group_id").Scan(&rows).Error
	if err != nil {
		return err
	}
	if err := s.addHours(tx, rows, func(h *StatHour, r hourCount) { h.Posts = r.N }, "posts"); err != nil {
		return err
	}
	// Active members: the last hour each membership posted.
	var active []struct {
		GroupID      int64
		MembershipID int64
		Hour         string
	}
	err = tx.Table("posts").Select("threads.group_id, posts.membership_id, MAX("+s.hourExpr("posts.created_at")+") AS hour").
		Joins("JOIN threads ON threads.id = posts.thread_id").
		Where("posts.id > ? AND posts.id <= ? AND posts.membership_id IS NOT NULL", from, to).
		Group("threads.group_id, posts.membership_id").Scan(&active).Error
	if err != nil {
		return err
	}
	ms := make([]StatMemberLast, 0, len(active))
	for _, a := range active {
		h, err := parseHour(a.Hour)
		if err != nil {
			return err
		}
		ms = append(ms, StatMemberLast{MembershipID: a.MembershipID, GroupID: a.GroupID, LastHour: h})
	}
	if len(ms) > 0 {
		later := "CASE WHEN excluded.last_hour > stat_member_lasts.last_hour THEN excluded.last_hour ELSE stat_member_lasts.last_hour END"
		if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "membership_id"}},
			DoUpdates: clause.Assignments(map[string]any{"last_hour": gorm.Expr(later)})}).CreateInBatches(ms, 500).Error; err != nil {
			return err
		}
	}
	// First clinician answers to questions: posts are read in id order, so the first
	// one stored for a thread is its first answer.
	var answers []struct {
		ThreadID   int64
		GroupID    int64
		AskedAt    time.Time
		AnsweredAt time.Time
		// Recorded is the thread's own record of the wait (Thread.ClinicianAnswerSeconds),
		// preferred when set; older threads have none.
		Recorded *int64
	}
	err = tx.Table("posts").Select("posts.thread_id, threads.group_id, threads.created_at AS asked_at, posts.created_at AS answered_at, "+
		"threads.clinician_answer_seconds AS recorded").
		Joins("JOIN threads ON threads.id = posts.thread_id").
		Where("posts.id > ? AND posts.id <= ? AND posts.clinician_id IS NOT NULL AND threads.kind = ?", from, to, KindQuestion).
		Order("posts.id").Scan(&answers).Error
	if err != nil {
		return err
	}
	seen := map[int64]bool{}
	ds := make([]StatDuration, 0, len(answers))
	for _, a := range answers {
		if seen[a.ThreadID] {
			continue
		}
		seen[a.ThreadID] = true
		secs := int64(max(a.AnsweredAt.Sub(a.AskedAt), 0) / time.Second)
		if a.Recorded != nil {
			secs = *a.Recorded
		}
		ds = append(ds, StatDuration{Kind: DurationAnswer, RefID: a.ThreadID, GroupID: a.GroupID, At: a.AskedAt.UTC(), Seconds: secs})
	}
	if len(ds) > 0 {
		return tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(ds, 500).Error
	}
	return nil
}

func (s *Store) foldMemberships(ctx context.Context, tx *gorm.DB, from, to int64) error {
	var rows []hourCount
	err := tx.Table("memberships").Select(s.hourExpr("created_at")+" AS hour, group_id, COUNT(*) AS n").
		Where("id > ? AND id <= ?", from, to).Group("1, group_id").Scan(&rows).Error
	if err != nil {
		return err
	}
	return s.addHours(tx, rows, func(h *StatHour, r hourCount) { h.NewMembers = r.N }, "new_members")
}

func (s *Store) foldReports(ctx context.Context, tx *gorm.DB, from, to int64) error {
	var rows []struct {
		Hour    string
		GroupID int64
		Reason  string
		N       int
	}
	err := tx.Table("reports").Select(s.hourExpr("reports.created_at")+" AS hour, queue_items.group_id, reports.reason, COUNT(*) AS n").
		Joins("JOIN queue_items ON queue_items.id = reports.queue_item_id").
		Where("reports.id > ? AND reports.id <= ?", from, to).Group("1, queue_items.group_id, reports.reason").Scan(&rows).Error
	if err != nil {
		return err
	}
	out := make([]StatReasonHour, 0, len(rows))
	for _, r := range rows {
		h, err := parseHour(r.Hour)
		if err != nil {
			return err
		}
		out = append(out, StatReasonHour{Hour: h, GroupID: r.GroupID, Reason: r.Reason, Count: r.N})
	}
	if len(out) == 0 {
		return nil
	}
	return tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "hour"}, {Name: "group_id"}, {Name: "reason"}},
		DoUpdates: clause.Assignments(map[string]any{"count": gorm.Expr("stat_reason_hours.count + excluded.count")})}).
		CreateInBatches(out, 500).Error
}

// foldResolutions records the time to decision of queue items decided since the last
// call (with a minute's overlap; an item is recorded once).
func (s *Store) foldResolutions(ctx context.Context) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		c, err := s.lockCursor(tx, "resolutions")
		if err != nil {
			return err
		}
		since := c.LastAt.Add(-time.Minute)
		var items []QueueItem
		if err := tx.Select("id", "group_id", "lane", "created_at", "resolved_at").
			Where("status = ? AND resolved_at >= ?", ItemResolved, since).Order("resolved_at").Find(&items).Error; err != nil {
			return err
		}
		if len(items) == 0 {
			return nil
		}
		ds := make([]StatDuration, 0, len(items))
		last := c.LastAt
		for _, it := range items {
			ds = append(ds, StatDuration{Kind: DurationResolution, RefID: it.ID, GroupID: it.GroupID, Lane: it.Lane,
				At: it.ResolvedAt.UTC(), Seconds: int64(max(it.ResolvedAt.Sub(it.CreatedAt), 0) / time.Second)})
			if it.ResolvedAt.After(last) {
				last = *it.ResolvedAt
			}
		}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(ds, 500).Error; err != nil {
			return err
		}
		return tx.Model(&StatCursor{}).Where("name = ?", "resolutions").Updates(map[string]any{"last_at": last, "updated_at": s.now()}).Error
	})
	if err != nil {
		return fmt.Errorf("models: refresh stats (resolutions): %w", err)
	}
	return nil
}

// DBs returns the connection pools by name ("writer", and "readers" when separate),
// for pool metrics.
func (s *Store) DBs() map[string]*sql.DB {
	out := map[string]*sql.DB{}
	if w, err := s.db.DB(); err == nil {
		out["writer"] = w
	}
	if s.rdb != s.db {
		if r, err := s.rdb.DB(); err == nil && r != out["writer"] {
			out["readers"] = r
		}
	}
	for i, r := range s.replicas {
		out[fmt.Sprintf("replica%d", i+1)] = r
	}
	return out
}

// Publisher returns where the store sends events, so that it can be wrapped.
func (s *Store) Publisher() Publisher { return s.publisher }

// QueueGauge is the number of open and overdue queue items of one lane.
type QueueGauge struct {
	Lane    string
	Open    int
	Overdue int
}

// QueueGauges counts the open and overdue items of every lane, site-wide, for
// metrics. It checks no permission: only operators' metrics call it.
func (s *Store) QueueGauges(ctx context.Context) ([]QueueGauge, error) {
	var rows []QueueGauge
	err := s.rdb.WithContext(ctx).Model(&QueueItem{}).Select("lane, COUNT(*) AS open, SUM(CASE WHEN deadline_at < ? THEN 1 ELSE 0 END) AS overdue", s.now()).
		Where("status = ?", ItemOpen).Group("lane").Scan(&rows).Error
	if err != nil {
		return nil, wrapErr("queue gauges", err)
	}
	out := make([]QueueGauge, 0, len(Lanes))
	for _, l := range Lanes {
		g := QueueGauge{Lane: l}
		for _, r := range rows {
			if r.Lane == l {
				g.Open, g.Overdue = r.Open, r.Overdue
			}
		}
		out = append(out, g)
	}
	return out, nil
}
