package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// liveEvent is one server-sent event with its place in the stream.
type liveEvent struct {
	ID       uint64
	Name     string // post, post_updated, post_removed, announcement; others are internal (models.Streamed)
	GroupID  int64  // 0: site-wide
	ThreadID int64
	Data     []byte // JSON; ids only, never anything a subscriber may not see
}

// Broker fans live events out to subscribers. The in-process broker serves one
// instance; the PostgreSQL broker (broker_pg.go) serves several on one database
// through LISTEN/NOTIFY, behind the same interface.
type Broker interface {
	// Publish sends an event to every subscriber whose filter accepts it, on every
	// instance. Events of a kind that is not streamed (see models.Streamed), such as
	// cache invalidations, reach only OnEvent listeners.
	Publish(e liveEvent)
	// Subscribe returns the backlog after lastID that the filter accepts, and a
	// subscription for what comes next. Cancel it when done.
	Subscribe(lastID uint64, filter func(*liveEvent) bool) ([]liveEvent, *subscription)
	// Subscribers counts the open subscriptions on this instance.
	Subscribers() int
	// OnEvent registers fn to receive every event that reaches this instance, in
	// order: its own and other instances', internal ones included. It is the hook for
	// caches that must be invalidated on every instance. fn runs, under the broker's
	// lock, before any subscriber hears of the event: it must be quick, must not block
	// and must not call the broker.
	OnEvent(fn func(liveEvent))
}

// subscription is one open event stream.
type subscription struct {
	ch     chan liveEvent
	filter func(*liveEvent) bool
	// lost is closed when the subscriber fell too far behind; it must reconnect.
	lost   chan struct{}
	cancel func()
}

// backlogSize bounds the replay kept for reconnecting clients (Last-Event-ID).
const backlogSize = 1024

// subscriberBuffer is how many events a subscriber may fall behind before it is
// dropped (and reconnects with Last-Event-ID).
const subscriberBuffer = 32

// memoryBroker is the in-process Broker: a bounded backlog and one buffered channel
// per subscriber. A subscriber costs a channel and its handler's blocked goroutine;
// nothing polls.
type memoryBroker struct {
	mu      sync.Mutex
	seq     uint64
	backlog []liveEvent // ring of the last backlogSize events, oldest first
	subs    map[*subscription]struct{}
	hooks   []func(liveEvent)
}

func newMemoryBroker() *memoryBroker {
	return &memoryBroker{subs: map[*subscription]struct{}{}}
}

func (b *memoryBroker) Publish(e liveEvent) {
	e.ID = 0
	b.deliver(e)
}

// deliver numbers e (unless it already has its id, given by the PostgreSQL broker),
// gives it to the OnEvent hooks, keeps it for replay and sends it to the subscribers
// that accept it. Internal events skip the backlog and the subscribers.
func (b *memoryBroker) deliver(e liveEvent) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e.ID == 0 {
		b.seq++
		e.ID = b.seq
	} else if e.ID > b.seq {
		b.seq = e.ID
	}
	// Hooks first: a cache must forget a page before a subscriber, told of the
	// change, asks for it again.
	for _, fn := range b.hooks {
		fn(e)
	}
	if !models.Streamed(e.Name) {
		return
	}
	if len(b.backlog) == backlogSize {
		copy(b.backlog, b.backlog[1:])
		b.backlog = b.backlog[:backlogSize-1]
	}
	b.backlog = append(b.backlog, e)
	for s := range b.subs {
		if !s.filter(&e) {
			continue
		}
		select {
		case s.ch <- e:
		default:
			// Too slow: drop it; the client reconnects with Last-Event-ID and replays.
			delete(b.subs, s)
			close(s.lost)
		}
	}
}

func (b *memoryBroker) Subscribe(lastID uint64, filter func(*liveEvent) bool) ([]liveEvent, *subscription) {
	s := &subscription{ch: make(chan liveEvent, subscriberBuffer), filter: filter, lost: make(chan struct{})}
	b.mu.Lock()
	defer b.mu.Unlock()
	var replay []liveEvent
	if lastID > 0 {
		// Replay what came after lastID in the order events arrived. Ids from the
		// PostgreSQL broker are numbered when sent, and two instances' events may
		// arrive out of numeric order; only an id no longer (or never) in the backlog
		// falls back to comparing numbers.
		from := -1
		for i := len(b.backlog) - 1; i >= 0; i-- {
			if b.backlog[i].ID == lastID {
				from = i + 1
				break
			}
		}
		for i, e := range b.backlog {
			if (from >= 0 && i >= from || from < 0 && e.ID > lastID) && filter(&e) {
				replay = append(replay, e)
			}
		}
	}
	b.subs[s] = struct{}{}
	s.cancel = func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if _, ok := b.subs[s]; ok {
			delete(b.subs, s)
			close(s.lost)
		}
	}
	return replay, s
}

func (b *memoryBroker) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

func (b *memoryBroker) OnEvent(fn func(liveEvent)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.hooks = append(b.hooks, fn)
}

// livePublisher turns the store's events into live events.
type livePublisher struct {
	broker Broker
	store  *models.Store
	log    *slog.Logger
}

// Publish implements models.Publisher.
func (p *livePublisher) Publish(ctx context.Context, e models.Event) {
	if e.ThreadID == 0 && e.PostID != 0 {
		tid, gid, err := p.store.PostPlace(context.WithoutCancel(ctx), e.PostID)
		if err != nil {
			p.log.Warn("live event: locate post", "post", e.PostID, "err", err)
			return
		}
		e.ThreadID, e.GroupID = tid, gid
	}
	data, _ := json.Marshal(e)
	p.broker.Publish(liveEvent{Name: e.Kind, GroupID: e.GroupID, ThreadID: e.ThreadID, Data: data})
}

// heartbeat keeps idle streams open through proxies.
const heartbeat = 25 * time.Second

// stream writes server-sent events until the client goes away.
func (h *handler) stream(c echo.Context, filter func(*liveEvent) bool) error {
	var last uint64
	if s := c.Request().Header.Get("Last-Event-ID"); s != "" {
		last, _ = strconv.ParseUint(s, 10, 64)
	}
	replay, sub := h.broker.Subscribe(last, filter)
	defer sub.cancel()

	res := c.Response()
	res.Header().Set(echo.HeaderContentType, "text/event-stream")
	res.Header().Set("Cache-Control", "no-store")
	res.Header().Set("X-Accel-Buffering", "no")
	res.WriteHeader(http.StatusOK)
	write := func(e liveEvent) error {
		_, err := fmt.Fprintf(res, "id: %d\nevent: %s\ndata: %s\n\n", e.ID, e.Name, e.Data)
		return err
	}
	fmt.Fprint(res, "retry: 3000\n\n")
	for _, e := range replay {
		if err := write(e); err != nil {
			return nil
		}
	}
	res.Flush()
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	ctx := c.Request().Context()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-sub.lost:
			return nil
		case <-h.closing:
			return nil
		case e := <-sub.ch:
			if err := write(e); err != nil {
				return nil
			}
			res.Flush()
		case <-tick.C:
			if _, err := fmt.Fprint(res, ": keep-alive\n\n"); err != nil {
				return nil
			}
			res.Flush()
		}
	}
}

// threadEvents handles GET /threads/:id/events: live changes to one thread, for
// those who may read it.
func (h *handler) threadEvents(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if _, err := h.store.ThreadPage(c.Request().Context(), viewer(c), id, 1); err != nil {
		return err
	}
	return h.stream(c, func(e *liveEvent) bool { return e.ThreadID == id })
}

// events handles GET /events: site-wide announcements and changes in every group the
// viewer may read, as of when the stream opened.
func (h *handler) events(c echo.Context) error {
	groups, err := h.store.ReadableGroupIDs(c.Request().Context(), viewer(c))
	if err != nil {
		return err
	}
	return h.stream(c, func(e *liveEvent) bool { return e.GroupID == 0 || groups[e.GroupID] })
}

// startLive sets up live events and background work: the broker (PostgreSQL
// LISTEN/NOTIFY when the store is on PostgreSQL, so that several instances act as
// one; in-process otherwise), the store's publisher, and the scheduled jobs. shutdown
// stops them.
func (h *handler) startLive() error {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	if h.store.Dialect() == "postgres" {
		b, done, err := newPGBroker(ctx, h.store, h.log)
		if err != nil {
			cancel()
			return err
		}
		h.broker = b
		wg.Add(1)
		go func() { <-done; wg.Done() }()
		// Other instances' writes age this instance's cached pages.
		b.OnEvent(h.applyLiveEvent)
	} else {
		h.broker = newMemoryBroker()
	}
	h.store.SetPublisher(&livePublisher{broker: h.broker, store: h.store, log: h.log})
	wg.Add(1)
	go func() {
		defer wg.Done()
		h.store.RunSchedule(ctx, jobTick, h.jobs(), func(job string, err error) {
			h.log.Error("scheduled job failed", "job", job, "err", err)
		})
	}()
	h.stopLive = func() { cancel(); wg.Wait() }
	return nil
}

// shutdown ends the live streams and stops the broker's listener and the scheduled
// jobs. The server calls it when it starts shutting down; calling it again does
// nothing.
func (h *handler) shutdown() {
	h.shutdownOnce.Do(func() {
		close(h.closing)
		if h.stopLive != nil {
			h.stopLive()
		}
	})
}
