package models

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// TestDashboardAtScale times the dashboard on a generated dataset. It runs only when
// HAVEN_SCALE_POSTS is set (e.g. 1000000), on a SQLite file, or on PostgreSQL under
// HAVEN_TEST_POSTGRES; HAVEN_SCALE_DB names an existing database to measure instead:
//
//	HAVEN_SCALE_POSTS=1000000 go test ./models -run TestDashboardAtScale -v -timeout 60m
func TestDashboardAtScale(t *testing.T) {
	posts, _ := strconv.Atoi(os.Getenv("HAVEN_SCALE_POSTS"))
	if posts == 0 {
		t.Skip("set HAVEN_SCALE_POSTS to run")
	}
	dsn, reuse := os.Getenv("HAVEN_SCALE_DB"), true
	if _, err := os.Stat(dsn); dsn != "" && err != nil {
		reuse = false // seed it, and keep it for the next run
	}
	if dsn == "" {
		dsn, reuse = TestDSN(t), false
		if dsn == ":memory:" {
			dsn = filepath.Join(t.TempDir(), "scale.db")
		}
	}
	s, err := Open(dsn, Options{Secret: TestSecret})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if !reuse {
		res, err := s.SeedScale(ctx, ScaleOptions{Groups: 40, Members: posts / 20, Threads: posts / 10, Posts: posts, Seed: 8})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("seeded %d posts, %d threads, %d memberships in %v", res.Posts, res.Threads, res.Memberships, time.Since(start))
	}
	start = time.Now()
	if err := s.RefreshStats(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("counters backfilled in %v", time.Since(start))
	start = time.Now()
	if err := s.RefreshTopics(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("emerging topics (with four weeks of baseline) in %v", time.Since(start))
	start = time.Now()
	if err := s.RefreshStats(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("an idle counter refresh in %v", time.Since(start))
	admin := mustViewer(t, s, "scale-admin", RoleAdmin)
	var g Group
	s.db.Order("member_count DESC").First(&g)
	for _, f := range []DashboardFilter{{Period: Period24h}, {Period: Period7d}, {Period: Period30d}, {Period: Period30d, Group: g.Slug}} {
		var took []time.Duration
		var d *Dashboard
		for range 5 {
			t0 := time.Now()
			d, err = s.Dashboard(ctx, admin, f)
			if err != nil {
				t.Fatal(err)
			}
			took = append(took, time.Since(t0))
		}
		slices.Sort(took)
		worst := took[len(took)-1]
		t.Logf("dashboard %s group=%q: median of 5 %v, worst %v (%d posts, %d active, %d topics)", f.Period, f.Group, took[2], worst,
			d.Totals.Posts, d.Totals.Active, len(d.Topics))
		if worst > 300*time.Millisecond {
			t.Errorf("dashboard %+v took %v, over 300 ms", f, worst)
		}
	}
}
