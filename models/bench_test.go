package models

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchStore opens a file database (WAL, one writer, a pool of readers, as in
// production) in a temporary folder, or a fresh PostgreSQL schema under
// HAVEN_TEST_POSTGRES, with a generated dataset.
func benchStore(b *testing.B, o ScaleOptions) *Store {
	b.Helper()
	dsn := filepath.Join(b.TempDir(), "bench.db")
	if pg := TestDSN(b); pg != ":memory:" {
		dsn = pg
	}
	s, err := Open(dsn, Options{Secret: TestSecret})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if err := s.Migrate(); err != nil {
		b.Fatal(err)
	}
	o.Seed = 1
	if _, err := s.SeedScale(context.Background(), o); err != nil {
		b.Fatal(err)
	}
	return s
}

// benchMembers signs in n generated members of the group, as viewers.
func benchMembers(b *testing.B, s *Store, groupID int64, n int) []*Viewer {
	b.Helper()
	ctx := context.Background()
	var ms []Membership
	if err := s.db.Where("group_id = ?", groupID).Order("id").Limit(n).Find(&ms).Error; err != nil {
		b.Fatal(err)
	}
	var vs []*Viewer
	for _, m := range ms {
		u, err := s.LocalSignIn(ctx, fmt.Sprintf("m%d", m.UserID), "member")
		if err != nil {
			b.Fatal(err)
		}
		v, err := s.ViewerByID(ctx, u.ID)
		if err != nil {
			b.Fatal(err)
		}
		vs = append(vs, v)
	}
	return vs
}

// busiestThread is the thread with the most replies.
func busiestThread(b *testing.B, s *Store) Thread {
	var t Thread
	if err := s.db.Order("reply_count DESC").First(&t).Error; err != nil {
		b.Fatal(err)
	}
	return t
}

var benchSizes = ScaleOptions{Groups: 20, Members: 2000, Threads: 2000, Posts: 20000}

// BenchmarkThreadPage loads the first page (50 posts) of the busiest thread.
func BenchmarkThreadPage(b *testing.B) {
	s := benchStore(b, benchSizes)
	t := busiestThread(b, s)
	member := benchMembers(b, s, t.GroupID, 1)[0]
	ctx := context.Background()
	for _, c := range []struct {
		name string
		v    *Viewer
	}{{"visitor", nil}, {"member", member}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					tp, err := s.ThreadPage(ctx, c.v, t.ID, 1)
					if err != nil || len(tp.Posts) != PageSize {
						b.Fatalf("thread page: %v, %d posts", err, len(tp.Posts))
					}
				}
			})
		})
	}
}

// BenchmarkCreatePost writes replies from many members at once, each through the
// whole write path (Markdown, detectors, counters, search index, notifications), and
// reports posts per second and "database is locked" errors (which must stay 0).
func BenchmarkCreatePost(b *testing.B) {
	s := benchStore(b, benchSizes)
	t := busiestThread(b, s)
	// 256 members of the busiest group reply across its threads, so that each thread
	// gathers followers (and each reply notifications) as on a real site.
	members := benchMembers(b, s, t.GroupID, 256)
	var threads []Thread
	if err := s.db.Where("group_id = ?", t.GroupID).Find(&threads).Error; err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var next, locked, failed atomic.Int64
	b.SetParallelism(8) // 8 × GOMAXPROCS concurrent writers
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			v := members[int(i)%len(members)]
			th := threads[int(i*7)%len(threads)]
			body := fmt.Sprintf("Reply %d: **pacing** helped me, and a *diary* of sleep.\n\n- rest early\n- one task a day", i)
			if _, err := s.CreatePost(ctx, v, th.ID, PostInput{Body: body}); err != nil {
				if strings.Contains(err.Error(), "locked") || strings.Contains(err.Error(), "busy") {
					locked.Add(1)
				} else {
					failed.Add(1)
				}
			}
		}
	})
	b.StopTimer()
	// CPU per post says what the machine could do when it is not shared.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/post")
	if sec := b.Elapsed().Seconds(); sec > 0 {
		b.ReportMetric(float64(b.N)/sec, "posts/s")
	}
	b.ReportMetric(float64(locked.Load()), "locked")
	if s.batch != nil && s.batch.commits.Load() > 0 {
		b.ReportMetric(float64(s.batch.txs.Load())/float64(s.batch.commits.Load()), "tx/commit")
	}
	if locked.Load() > 0 || failed.Load() > 0 {
		b.Fatalf("%d database-locked errors, %d other errors", locked.Load(), failed.Load())
	}
}

// BenchmarkSearch runs a two-word search over every group, as a visitor.
func BenchmarkSearch(b *testing.B) {
	s := benchStore(b, benchSizes)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r, err := s.Search(ctx, nil, SearchQuery{Text: "sleep diary"})
			if err != nil || len(r.Hits) == 0 {
				b.Fatalf("search: %v", err)
			}
		}
	})
}
