package app

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"haven/models"
)

// Live-update costs (issue: an SSE connection costs no busy loop and little memory):
//
//	go test ./app -run '^$' -bench 'SSE' -benchtime 2000x
//
// BenchmarkSSEIdleSubscribers reports the memory of each idle subscriber (Go heap and
// stacks, measured in the process after 1,000 streams are open) and the cost of one
// event that none of them may receive. BenchmarkSSEPostToSubscriber reports the time
// from a post's commit (the store's publish call, made after the commit) to the event
// being read by a subscriber over HTTP, with no other stream open and with 1,000
// idle streams (watching another thread) open. With
// HAVEN_TEST_POSTGRES set, both run on PostgreSQL through LISTEN/NOTIFY.

// idleSubscribers is how many idle streams the benchmarks hold open.
const idleSubscribers = 1000

// rawStream opens an event stream with a bare TCP connection (no client goroutine,
// so the process's growth is the server's) and reads up to the first "retry" field.
func rawStream(tb testing.TB, addr, path string) (net.Conn, *bufio.Reader) {
	tb.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", path, addr)
	r := bufio.NewReaderSize(conn, 1024)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			tb.Fatalf("open %s: %v", path, err)
		}
		if strings.HasPrefix(line, "retry:") {
			return conn, r
		}
	}
}

// openIdle opens n idle streams on path and waits until the broker holds them.
func openIdle(tb testing.TB, ta *testApp, path string, n int) []net.Conn {
	tb.Helper()
	addr := strings.TrimPrefix(ta.srv.URL, "http://")
	before := ta.broker().Subscribers()
	conns := make([]net.Conn, 0, n)
	for range n {
		c, _ := rawStream(tb, addr, path)
		conns = append(conns, c)
	}
	for ta.broker().Subscribers() < before+n {
		time.Sleep(time.Millisecond)
	}
	tb.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	return conns
}

func memInUse() (heap, stack uint64) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse, ms.StackInuse
}

func BenchmarkSSEIdleSubscribers(b *testing.B) {
	ta := newTestApp(b)
	heap0, stack0 := memInUse()
	g0 := runtime.NumGoroutine()
	openIdle(b, ta, "/events", idleSubscribers)
	heap1, stack1 := memInUse()
	g1 := runtime.NumGoroutine()
	// Idle means idle: the process's CPU time over half a second with every stream open.
	cpu0 := processCPU()
	time.Sleep(500 * time.Millisecond)
	idleCPU := processCPU() - cpu0

	// The cost of publishing an event that no subscriber may receive.
	br := ta.broker()
	for b.Loop() {
		br.Publish(liveEvent{Name: models.EventPost, GroupID: -2, ThreadID: -2, Data: []byte(`{}`)})
	}
	b.ReportMetric(float64(heap1-heap0)/idleSubscribers, "heap-B/sub")
	b.ReportMetric(float64(stack1-stack0)/idleSubscribers, "stack-B/sub")
	b.ReportMetric(float64(heap1+stack1-heap0-stack0)/idleSubscribers, "B/sub")
	b.ReportMetric(float64(g1-g0)/idleSubscribers, "goroutines/sub")
	b.ReportMetric(float64(idleCPU)/float64(time.Millisecond)/0.5, "idle-cpu-ms/s")
}

// timingPublisher notes when the store publishes each post event (just after its
// commit), then passes it on.
type timingPublisher struct {
	next models.Publisher
	mu   sync.Mutex
	at   map[int64]time.Time
}

func (p *timingPublisher) Publish(ctx context.Context, e models.Event) {
	if e.Kind == models.EventPost {
		p.mu.Lock()
		p.at[e.PostID] = time.Now()
		p.mu.Unlock()
	}
	p.next.Publish(ctx, e)
}

func BenchmarkSSEPostToSubscriber(b *testing.B) {
	for _, idle := range []int{0, idleSubscribers} {
		b.Run(fmt.Sprintf("idle=%d", idle), func(b *testing.B) { benchPostToSubscriber(b, idle) })
	}
}

func benchPostToSubscriber(b *testing.B, idle int) {
	ta := newTestApp(b)
	admin := ta.signIn("admin", "admin")
	admin.do("POST", "/groups", map[string]any{"slug": "bench", "name": "Bench", "visibility": "open"}).mustStatus(201)
	alice := ta.signIn("alice", "member")
	alice.do("POST", "/groups/bench/join", nil).mustStatus(200)
	th := alice.do("POST", "/groups/bench/threads", map[string]any{"title": "Latency", "body": "first"}).mustStatus(201).json()
	threadID := int64(th["thread"].(map[string]any)["id"].(float64))
	ctx := context.Background()
	u, err := ta.store.LocalSignIn(ctx, "alice", "member")
	if err != nil {
		b.Fatal(err)
	}
	v, err := ta.store.ViewerByID(ctx, u.ID)
	if err != nil {
		b.Fatal(err)
	}
	tp := &timingPublisher{next: &livePublisher{broker: ta.broker(), store: ta.store, log: ta.handler.log}, at: map[int64]time.Time{}}
	ta.store.SetPublisher(tp)

	// The idle streams watch another thread: they hear nothing of these posts.
	other := alice.do("POST", "/groups/bench/threads", map[string]any{"title": "Quiet", "body": "nothing here"}).mustStatus(201).json()
	openIdle(b, ta, fmt.Sprintf("/threads/%d/events", int64(other["thread"].(map[string]any)["id"].(float64))), idle)
	conn, r := rawStream(b, strings.TrimPrefix(ta.srv.URL, "http://"), fmt.Sprintf("/threads/%d/events", threadID))
	defer conn.Close()
	type arrival struct {
		postID int64
		at     time.Time
	}
	arrivals := make(chan arrival, 16)
	go func() {
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				close(arrivals)
				return
			}
			if data, ok := strings.CutPrefix(line, "data: "); ok {
				now := time.Now()
				var e models.Event
				if json.Unmarshal([]byte(data), &e) == nil && e.Kind == models.EventPost {
					arrivals <- arrival{e.PostID, now}
				}
			}
		}
	}()

	lat := make([]time.Duration, 0, b.N)
	i := 0
	for b.Loop() {
		i++
		p, err := ta.store.CreatePost(ctx, v, threadID, models.PostInput{Body: fmt.Sprintf("update %d, **still** fine", i)})
		if err != nil {
			b.Fatal(err)
		}
		select {
		case a, ok := <-arrivals:
			if !ok {
				b.Fatal("the stream ended")
			}
			if a.postID != p.ID {
				b.Fatalf("event for post %d, want %d", a.postID, p.ID)
			}
			tp.mu.Lock()
			lat = append(lat, a.at.Sub(tp.at[p.ID]))
			tp.mu.Unlock()
		case <-time.After(5 * time.Second):
			b.Fatalf("post %d: no event within 5s", p.ID)
		}
	}
	slices.Sort(lat)
	pct := func(q float64) float64 {
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds())
	}
	b.ReportMetric(pct(0.5), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds()), "max-µs")
}

// processCPU is the CPU time the process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
