package app

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// sseEvent is one event read from a stream.
type sseEvent struct {
	id, name, data string
}

// openStream opens an event stream as c and returns a channel of its events.
func (c *client) openStream(t *testing.T, path, lastID string) (<-chan sseEvent, func()) {
	t.Helper()
	if _, ok := c.app.broker().(*pgBroker); ok {
		// Events published before the stream opens must not arrive after it does.
		settle(t, c.app, c.app)
	}
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", c.app.srv.URL+path, nil)
	req.Header.Set("Accept", "text/event-stream")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := c.http.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if res.StatusCode != 200 {
		cancel()
		res.Body.Close()
		t.Fatalf("GET %s: %d", path, res.StatusCode)
	}
	ch := make(chan sseEvent, 16)
	go func() {
		defer close(ch)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		var e sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if e.name != "" {
					ch <- e
				}
				e = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				e.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				e.name = line[7:]
			case strings.HasPrefix(line, "data: "):
				e.data = line[6:]
			}
		}
	}()
	// Wait until the subscription is registered, so no event is missed.
	deadline := time.Now().Add(2 * time.Second)
	for c.app.broker().Subscribers() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	return ch, cancel
}

func next(t *testing.T, ch <-chan sseEvent) sseEvent {
	t.Helper()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatal("the stream ended")
		}
		return e
	case <-time.After(3 * time.Second):
		t.Fatal("no event within 3s")
	}
	return sseEvent{}
}

func nothing(t *testing.T, ch <-chan sseEvent) {
	t.Helper()
	select {
	case e := <-ch:
		t.Fatalf("unexpected event %+v", e)
	case <-time.After(300 * time.Millisecond):
	}
}

func TestLiveThreadEvents(t *testing.T) {
	ta, _ := setupForum(t)
	alice := ta.signIn("alice", "member")
	bob := ta.signIn("bob", "member")
	alice.do("POST", "/groups/type-2-diabetes/join", nil).mustStatus(200)
	bob.do("POST", "/groups/type-2-diabetes/join", nil).mustStatus(200)
	th := alice.do("POST", "/groups/type-2-diabetes/threads", map[string]any{"title": "Live", "body": "first"}).mustStatus(201).json()
	id := int(th["thread"].(map[string]any)["id"].(float64))

	visitor := ta.newClient()
	ch, stop := visitor.openStream(t, fmt.Sprintf("/threads/%d/events", id), "")
	defer stop()
	p := bob.do("POST", fmt.Sprintf("/threads/%d/posts", id), map[string]any{"body": "hello live"}).mustStatus(201).json()
	pid := int(p["post"].(map[string]any)["id"].(float64))
	e := next(t, ch)
	if e.name != "post" || !strings.Contains(e.data, fmt.Sprintf(`"post_id":%d`, pid)) || e.id == "" {
		t.Fatalf("event %+v", e)
	}
	if userIDPattern.MatchString(e.data) {
		t.Fatalf("event leaks a user id: %s", e.data)
	}
	stop()

	// Reconnecting with Last-Event-ID replays what was missed.
	bob.do("POST", fmt.Sprintf("/threads/%d/posts", id), map[string]any{"body": "while you were away"}).mustStatus(201)
	ch2, stop2 := visitor.openStream(t, fmt.Sprintf("/threads/%d/events", id), e.id)
	defer stop2()
	if r := next(t, ch2); r.name != "post" || r.id == e.id {
		t.Fatalf("replayed %+v", r)
	}
}

func TestLiveEventsRespectVisibility(t *testing.T) {
	ta, admin := setupForum(t)
	admin.do("POST", "/groups/carers/join", nil).mustStatus(200)
	th := admin.do("POST", "/groups/carers/threads", map[string]any{"title": "Private", "body": "members only"}).mustStatus(201).json()
	id := int(th["thread"].(map[string]any)["id"].(float64))

	outsider := ta.signIn("outsider", "member")
	outsider.get(fmt.Sprintf("/threads/%d/events", id)).mustStatus(404)
	ch, stop := outsider.openStream(t, "/events", "")
	defer stop()
	admin.do("POST", fmt.Sprintf("/threads/%d/posts", id), map[string]any{"body": "secret reply"}).mustStatus(201)
	nothing(t, ch)
	// An open group's post does reach the outsider's site-wide stream.
	admin.do("POST", "/groups/type-2-diabetes/join", nil).mustStatus(200)
	admin.do("POST", "/groups/type-2-diabetes/threads", map[string]any{"title": "Open", "body": "hello all"}).mustStatus(201)
	if e := next(t, ch); e.name != "post" {
		t.Fatalf("event %+v", e)
	}
}

func TestMemoryBrokerDropsSlowSubscribers(t *testing.T) {
	b := newMemoryBroker()
	_, sub := b.Subscribe(0, func(*liveEvent) bool { return true })
	for range 100 {
		b.Publish(liveEvent{Name: "post"})
	}
	select {
	case <-sub.lost:
	default:
		t.Fatal("a subscriber that never reads was not dropped")
	}
	if b.Subscribers() != 0 {
		t.Fatalf("%d subscribers left", b.Subscribers())
	}
	replay, sub2 := b.Subscribe(90, func(*liveEvent) bool { return true })
	defer sub2.cancel()
	if len(replay) != 10 || replay[0].ID != 91 {
		t.Fatalf("replay after 90: %d events starting %d", len(replay), replay[0].ID)
	}
}

func TestLiveEditAndRemovalEvents(t *testing.T) {
	ta, _ := setupForum(t)
	alice := ta.signIn("alice", "member")
	alice.do("POST", "/groups/type-2-diabetes/join", nil).mustStatus(200)
	th := alice.do("POST", "/groups/type-2-diabetes/threads", map[string]any{"title": "Edits", "body": "first"}).mustStatus(201).json()
	id := int(th["thread"].(map[string]any)["id"].(float64))
	p := alice.do("POST", fmt.Sprintf("/threads/%d/posts", id), map[string]any{"body": "a reply"}).mustStatus(201).json()
	pid := int(p["post"].(map[string]any)["id"].(float64))

	ch, stop := ta.newClient().openStream(t, fmt.Sprintf("/threads/%d/events", id), "")
	defer stop()
	alice.do("PATCH", fmt.Sprintf("/posts/%d", pid), map[string]any{"body": "a better reply", "version": 1}).mustStatus(200)
	if e := next(t, ch); e.name != "post_updated" || !strings.Contains(e.data, fmt.Sprintf(`"post_id":%d`, pid)) {
		t.Fatalf("after an edit: %+v", e)
	}
	alice.do("DELETE", fmt.Sprintf("/posts/%d", pid), nil).mustStatus(200)
	if e := next(t, ch); e.name != "post_removed" || !strings.Contains(e.data, fmt.Sprintf(`"post_id":%d`, pid)) {
		t.Fatalf("after a deletion: %+v", e)
	}
}

func TestMemoryBrokerReplayFollowsArrivalOrder(t *testing.T) {
	b := newMemoryBroker()
	all := func(*liveEvent) bool { return true }
	// Ids given by the PostgreSQL sequence may arrive out of numeric order.
	for _, id := range []uint64{10, 12, 11, 13} {
		b.deliver(liveEvent{ID: id, Name: "post"})
	}
	replay, sub := b.Subscribe(12, all)
	sub.cancel()
	var got []uint64
	for _, e := range replay {
		got = append(got, e.ID)
	}
	if fmt.Sprint(got) != "[11 13]" {
		t.Fatalf("replay after 12: %v, want [11 13]", got)
	}
	// An id no longer in the backlog falls back to numbers.
	replay, sub = b.Subscribe(5, all)
	sub.cancel()
	if len(replay) != 4 {
		t.Fatalf("replay after 5: %d events, want 4", len(replay))
	}
	// Internal events reach hooks, not subscribers or the backlog.
	var hooked []string
	b.OnEvent(func(e liveEvent) { hooked = append(hooked, e.Name) })
	_, sub = b.Subscribe(0, all)
	defer sub.cancel()
	b.Publish(liveEvent{Name: "cache", GroupID: -1})
	select {
	case e := <-sub.ch:
		t.Fatalf("internal event streamed: %+v", e)
	default:
	}
	if fmt.Sprint(hooked) != "[cache]" {
		t.Fatalf("hooks got %v", hooked)
	}
	if replay, s := b.Subscribe(13, all); len(replay) != 0 {
		t.Fatalf("internal event in the backlog: %+v", replay)
	} else {
		s.cancel()
	}
}
