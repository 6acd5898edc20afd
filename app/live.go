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
	Name     string // post, post_updated, post_removed, announcement
	GroupID  int64  // 0: site-wide
	ThreadID int64
	Data     []byte // JSON; ids only, never anything a subscriber may not see
}

// Broker fans live events out to subscribers. The in-process broker serves one
// instance; a PostgreSQL LISTEN/NOTIFY broker can serve several behind the same
// interface.
type Broker interface {
	// Publish sends an event to every subscriber whose filter accepts it.
	Publish(e liveEvent)
	// Subscribe returns the backlog after lastID that the filter accepts, and a
	// subscription for what comes next. Cancel it when done.
	Subscribe(lastID uint64, filter func(*liveEvent) bool) ([]liveEvent, *subscription)
	// Subscribers counts the open subscriptions.
	Subscribers() int
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

// memoryBroker is the in-process Broker: a bounded backlog and one buffered channel
// per subscriber. A subscriber costs a channel and its handler's blocked goroutine;
// nothing polls.
type memoryBroker struct {
	mu      sync.Mutex
	seq     uint64
	backlog []liveEvent // ring of the last backlogSize events, oldest first
	subs    map[*subscription]struct{}
}

func newMemoryBroker() *memoryBroker {
	return &memoryBroker{subs: map[*subscription]struct{}{}}
}

func (b *memoryBroker) Publish(e liveEvent) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq++
	e.ID = b.seq
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
	s := &subscription{ch: make(chan liveEvent, 64), filter: filter, lost: make(chan struct{})}
	b.mu.Lock()
	defer b.mu.Unlock()
	var replay []liveEvent
	if lastID > 0 {
		for _, e := range b.backlog {
			if e.ID > lastID && filter(&e) {
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
