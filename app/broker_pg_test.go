package app

import (
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"haven/models"
)

// newTestAppOn starts Haven in local mode on an existing database (dsn), as one more
// instance of a site.
func newTestAppOn(t *testing.T, dsn string) *testApp {
	t.Helper()
	store, err := models.Open(dsn, models.Options{Secret: models.TestSecret})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate(); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	cfg := localConfig()
	srv := httptest.NewUnstartedServer(nil)
	cfg.BaseURL = "http://" + srv.Listener.Addr().String()
	cfg.Addr = "127.0.0.1:0"
	h, e, err := build(cfg, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	srv.Config.Handler = e
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(h.shutdown)
	return &testApp{t: t, store: store, srv: srv, cfg: cfg, echo: e, handler: h}
}

// on returns a client of another instance with c's cookies (sessions are signed
// cookies, good on every instance).
func (c *client) on(ta *testApp) *client {
	return &client{t: c.t, app: ta, http: c.http, csrf: c.csrf}
}

// settle waits until every event published so far has reached each instance: a marker
// sent after them arrives after them (PostgreSQL delivers notifications in order).
func settle(t *testing.T, from *testApp, to ...*testApp) {
	t.Helper()
	marker := fmt.Sprintf("settle-%d", time.Now().UnixNano())
	arrived := make(chan struct{}, len(to))
	for _, ta := range to {
		ta.broker().OnEvent(func(e liveEvent) {
			if e.Name == marker {
				arrived <- struct{}{}
			}
		})
	}
	from.broker().Publish(liveEvent{Name: marker})
	for range to {
		select {
		case <-arrived:
		case <-time.After(5 * time.Second):
			t.Fatal("events did not settle within 5s")
		}
	}
}

// TestTwoInstancesShareLiveEvents runs two instances on one PostgreSQL database: a
// post made through one reaches the other's subscribers with the same event id,
// visibility still applies there, a client can resume on either, and neither serves
// a stale page afterwards.
func TestTwoInstancesShareLiveEvents(t *testing.T) {
	if os.Getenv("HAVEN_TEST_POSTGRES") == "" {
		t.Skip("HAVEN_TEST_POSTGRES is not set")
	}
	dsn := models.TestDSN(t)
	a := newTestAppOn(t, dsn)
	b := newTestAppOn(t, dsn)
	if _, ok := a.broker().(*pgBroker); !ok {
		t.Fatalf("broker on PostgreSQL is %T, want *pgBroker", a.broker())
	}

	admin := a.signIn("admin", "admin")
	for _, g := range []map[string]any{
		{"slug": "open-group", "name": "Open group", "visibility": "open"},
		{"slug": "closed-group", "name": "Closed group", "visibility": "closed"},
	} {
		admin.do("POST", "/groups", g).mustStatus(201)
	}
	alice := a.signIn("alice", "member")
	alice.do("POST", "/groups/open-group/join", nil).mustStatus(200)
	th := alice.do("POST", "/groups/open-group/threads", map[string]any{"title": "Across instances", "body": "first"}).mustStatus(201).json()
	id := int(th["thread"].(map[string]any)["id"].(float64))
	admin.do("POST", "/groups/closed-group/join", nil).mustStatus(200)
	closed := admin.do("POST", "/groups/closed-group/threads", map[string]any{"title": "Members only", "body": "private"}).mustStatus(201).json()
	closedID := int(closed["thread"].(map[string]any)["id"].(float64))

	// A visitor's page on instance b, cached there.
	visitorB := b.newClient()
	path := fmt.Sprintf("/threads/%d", id)
	for range 2 {
		visitorB.getHTML(path).mustStatus(200)
	}

	settle(t, a, a, b)
	onB, stopB := visitorB.openStream(t, path+"/events", "")
	defer stopB()
	outsiderB := b.signIn("outsider", "member")
	siteB, stopSite := outsiderB.openStream(t, "/events", "")
	defer stopSite()
	onA, stopA := a.newClient().openStream(t, path+"/events", "")
	defer stopA()

	// Closed group: nothing reaches the outsider on b.
	admin.do("POST", fmt.Sprintf("/threads/%d/posts", closedID), map[string]any{"body": "still private"}).mustStatus(201)

	p := alice.do("POST", path+"/posts", map[string]any{"body": "posted through instance a"}).mustStatus(201).json()
	pid := int(p["post"].(map[string]any)["id"].(float64))
	eb, ea := next(t, onB), next(t, onA)
	if eb.name != "post" || !strings.Contains(eb.data, fmt.Sprintf(`"post_id":%d`, pid)) {
		t.Fatalf("instance b got %+v", eb)
	}
	if eb.id != ea.id || eb.data != ea.data {
		t.Fatalf("instances disagree: a %+v, b %+v", ea, eb)
	}
	if e := next(t, siteB); e.name != "post" || e.id != eb.id {
		t.Fatalf("outsider's site stream on b got %+v, want the open group's post %s", e, eb.id)
	}
	nothing(t, siteB)

	// Neither instance serves a stale page.
	for _, c := range []*client{visitorB, visitorB.on(a)} {
		if body := c.getHTML(path).mustStatus(200).body; !strings.Contains(body, "posted through instance a") {
			t.Fatalf("%s serves a stale thread page", c.app.srv.URL)
		}
	}

	// Resume on the other instance: a post made through b while away is replayed on a.
	stopB()
	alice.on(b).do("POST", path+"/posts", map[string]any{"body": "posted through instance b"}).mustStatus(201)
	if e := next(t, onA); e.name != "post" {
		t.Fatalf("instance a got %+v", e)
	}
	replay, stop := visitorB.on(a).openStream(t, path+"/events", eb.id)
	defer stop()
	if e := next(t, replay); e.name != "post" || e.id == eb.id {
		t.Fatalf("replay on a after %s: %+v", eb.id, e)
	}
}

// TestPGBrokerInternalEvents checks that an internal event (a cache invalidation)
// reaches OnEvent listeners on every instance but never a stream or the backlog.
func TestPGBrokerInternalEvents(t *testing.T) {
	if os.Getenv("HAVEN_TEST_POSTGRES") == "" {
		t.Skip("HAVEN_TEST_POSTGRES is not set")
	}
	dsn := models.TestDSN(t)
	a := newTestAppOn(t, dsn)
	b := newTestAppOn(t, dsn)
	got := make(chan liveEvent, 16)
	b.broker().OnEvent(func(e liveEvent) {
		if e.Name == "test_internal" {
			got <- e
		}
	})
	_, sub := b.broker().Subscribe(0, func(*liveEvent) bool { return true })
	defer sub.cancel()
	a.broker().Publish(liveEvent{Name: "test_internal", ThreadID: 7, Data: []byte(`{"x":1}`)})
	e := <-got
	if e.ThreadID != 7 || string(e.Data) != `{"x":1}` || e.ID == 0 {
		t.Fatalf("internal event %+v", e)
	}
	select {
	case e := <-sub.ch:
		t.Fatalf("internal event reached a subscriber: %+v", e)
	default:
	}
	if replay, s := b.broker().Subscribe(1, func(*liveEvent) bool { return true }); len(replay) != 0 {
		t.Fatalf("internal event in the backlog: %+v", replay)
	} else {
		s.cancel()
	}
}

// TestPGBrokerReconnects kills the listener's connection: the broker listens again,
// takes every kept page for stale (it may have missed other instances' changes), and
// events flow once more.
func TestPGBrokerReconnects(t *testing.T) {
	if os.Getenv("HAVEN_TEST_POSTGRES") == "" {
		t.Skip("HAVEN_TEST_POSTGRES is not set")
	}
	a := newTestAppOn(t, models.TestDSN(t))
	b := a.broker().(*pgBroker)
	vs := a.store.Versions()
	before := vs.Seq()
	db, err := sql.Open("pgx", os.Getenv("HAVEN_TEST_POSTGRES"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1", `LISTEN "`+b.channel+`"`)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("terminated %d listeners, want 1", n)
	}
	got := make(chan struct{}, 100)
	b.OnEvent(func(e liveEvent) {
		if e.Name == "reconnect_probe" {
			got <- struct{}{}
		}
	})
	deadline := time.After(10 * time.Second)
	for {
		b.Publish(liveEvent{Name: "reconnect_probe"})
		select {
		case <-got:
			if vs.Thread(1, 1) <= before || vs.Catalog() <= before {
				t.Fatal("listening again kept pages cached before the connection was lost")
			}
			return
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatal("no event 10s after the listener's connection was killed")
		}
	}
}
