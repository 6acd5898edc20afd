package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"haven/models"
)

// pgBroker is the Broker for several instances on one PostgreSQL database. Publish
// sends the event with NOTIFY on the site's channel (numbered from a shared
// sequence); every instance, this one included, LISTENs on a dedicated connection and
// hands what arrives to its in-process broker, which keeps the replay backlog and
// serves its own subscribers. So every instance sees the same events, with the same
// ids, in the same order (the order PostgreSQL committed them), and a client may
// resume with Last-Event-ID on any instance. Events published while an instance's
// listener is reconnecting do not reach that instance's streams; so that none of its
// kept pages outlives a change it did not hear of, it takes everything it keeps for
// stale once it listens again.
type pgBroker struct {
	*memoryBroker
	store   *models.Store
	log     *slog.Logger
	channel string
}

// pgPayload is an event as it travels in a notification (after its id).
type pgPayload struct {
	Name     string          `json:"n"`
	GroupID  int64           `json:"g,omitempty"`
	ThreadID int64           `json:"t,omitempty"`
	Data     json.RawMessage `json:"d,omitempty"`
}

// newPGBroker starts listening and returns once the listener is ready, so that no
// event published after it returns is missed. The listener stops when ctx ends;
// done is closed when it has.
func newPGBroker(ctx context.Context, store *models.Store, log *slog.Logger) (b *pgBroker, done <-chan struct{}, err error) {
	channel, err := store.EventChannel(ctx)
	if err != nil {
		return nil, nil, err
	}
	b = &pgBroker{memoryBroker: newMemoryBroker(), store: store, log: log, channel: channel}
	ready := make(chan struct{})
	var once sync.Once
	stopped := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		defer close(stopped)
		err := store.Listen(ctx, channel,
			func(first bool) {
				once.Do(func() { close(ready) })
				if !first {
					// Changes other instances made in the gap were not heard: every
					// kept page, snapshot and list is stale.
					store.Versions().Apply(models.Change{All: true})
					log.Info("live events: listening again; kept pages dropped", "channel", channel)
				}
			},
			func(err error) { log.Warn("live events: listener lost its connection; reconnecting", "err", err) },
			b.receive)
		if err != nil {
			errc <- err
		}
	}()
	select {
	case <-ready:
		return b, stopped, nil
	case err := <-errc:
		return nil, nil, fmt.Errorf("app: live events: %w", err)
	case <-time.After(15 * time.Second):
		return nil, nil, fmt.Errorf("app: live events: PostgreSQL listener not ready after 15s")
	}
}

// Publish sends e to every instance through PostgreSQL. It returns once PostgreSQL
// has taken the notification; this instance's subscribers get it from the listener,
// like everyone else's.
func (b *pgBroker) Publish(e liveEvent) {
	payload, err := json.Marshal(pgPayload{Name: e.Name, GroupID: e.GroupID, ThreadID: e.ThreadID, Data: e.Data})
	if err != nil {
		b.log.Error("live events: encode", "event", e.Name, "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.store.NotifyEvent(ctx, b.channel, string(payload)); err != nil {
		b.log.Error("live events: notify", "event", e.Name, "err", err)
	}
}

// receive delivers one notification ("ID PAYLOAD") to this instance.
func (b *pgBroker) receive(n string) {
	idText, body, ok := strings.Cut(n, " ")
	id, err := strconv.ParseUint(idText, 10, 64)
	var p pgPayload
	if !ok || err != nil || id == 0 || json.Unmarshal([]byte(body), &p) != nil {
		b.log.Warn("live events: unreadable notification", "bytes", len(n))
		return
	}
	b.deliver(liveEvent{ID: id, Name: p.Name, GroupID: p.GroupID, ThreadID: p.ThreadID, Data: p.Data})
}
