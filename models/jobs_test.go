package models

import (
	"context"
	"os"
	"testing"
	"time"
)

// blockingJob returns a job that signals when it starts and waits to be released.
func blockingJob(name string) (Job, chan struct{}, chan struct{}) {
	started, release := make(chan struct{}, 1), make(chan struct{})
	return Job{Name: name, Every: time.Hour, Run: func(ctx context.Context) error {
		started <- struct{}{}
		<-release
		return nil
	}}, started, release
}

// testJobExclusion runs a job on a, and while it runs tries it on b (the same store
// on SQLite, a second instance on PostgreSQL): b must skip it, and, once it has run,
// both must skip it until its interval has passed.
func testJobExclusion(t *testing.T, a, b *Store) {
	t.Helper()
	ctx := context.Background()
	j, started, release := blockingJob("exclusive")
	done := make(chan bool)
	go func() {
		ran, err := a.RunJob(ctx, j)
		if err != nil {
			t.Error(err)
		}
		done <- ran
	}()
	<-started
	if ran, err := b.RunJob(ctx, j); err != nil || ran {
		t.Fatalf("second runner while the first runs: ran %v, err %v; want skipped", ran, err)
	}
	close(release)
	if !<-done {
		t.Fatal("the first runner did not run the job")
	}
	count := 0
	j.Run = func(context.Context) error { count++; return nil }
	for _, s := range []*Store{a, b} {
		if ran, err := s.RunJob(ctx, j); err != nil || ran {
			t.Fatalf("job ran again within its interval: ran %v, err %v", ran, err)
		}
	}
	later := time.Now().Add(2 * time.Hour)
	b.SetClock(func() time.Time { return later })
	if ran, err := b.RunJob(ctx, j); err != nil || !ran || count != 1 {
		t.Fatalf("job after its interval: ran %v, err %v, count %d", ran, err, count)
	}
}

func TestJobsRunOneAtATime(t *testing.T) {
	s := NewTestStore(t)
	testJobExclusion(t, s, s)
}

// TestJobsRunOnOneInstance proves the advisory lock: two stores (two instances) on
// one PostgreSQL database.
func TestJobsRunOnOneInstance(t *testing.T) {
	if os.Getenv("HAVEN_TEST_POSTGRES") == "" {
		t.Skip("HAVEN_TEST_POSTGRES is not set")
	}
	dsn := TestDSN(t)
	var stores []*Store
	for range 2 {
		s, err := Open(dsn, Options{Secret: TestSecret})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Migrate(); err != nil {
			t.Fatal(err)
		}
		stores = append(stores, s)
	}
	testJobExclusion(t, stores[0], stores[1])
}

func TestReleaseExpiredClaims(t *testing.T) {
	s := NewTestStore(t)
	ctx := context.Background()
	g := Group{Slug: "g", Name: "G", Visibility: VisibilityOpen}
	if err := s.db.Create(&g).Error; err != nil {
		t.Fatal(err)
	}
	now := s.now()
	uid := int64(1)
	past, future := now.Add(-time.Minute), now.Add(time.Minute)
	for i, exp := range []*time.Time{&past, &future, nil} {
		it := QueueItem{GroupID: g.ID, TargetType: TargetPost, TargetID: int64(i + 1), Lane: LaneOther,
			DeadlineAt: now.Add(time.Hour), ClaimExpiresAt: exp, CreatedAt: now}
		if exp != nil {
			it.ClaimedBy = &uid
		}
		if err := s.db.Create(&it).Error; err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.ReleaseExpiredClaims(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := n, int64(1); got != want {
		t.Fatalf("released %d, want %d", got, want)
	}
	var claimed int64
	s.db.Model(&QueueItem{}).Where("claimed_by IS NOT NULL").Count(&claimed)
	if got, want := claimed, int64(1); got != want {
		t.Fatalf("%d items still claimed, want %d (the live claim)", got, want)
	}
}
