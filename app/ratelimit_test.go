package app

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestParseRateLimits(t *testing.T) {
	def := DefaultRateLimits()
	tests := []struct {
		spec    string
		check   func(RateLimits) bool
		wantErr bool
	}{
		{"", func(l RateLimits) bool { return !l.Off && l.Member[limitPost] == def.Member[limitPost] }, false},
		{"off", func(l RateLimits) bool { return l.Off }, false},
		{"post=5/1m", func(l RateLimits) bool { return l.Member[limitPost] == RateLimit{5, time.Minute} }, false},
		{"search=2/10s, ip=3", func(l RateLimits) bool {
			return l.Member[limitSearch] == RateLimit{2, 10 * time.Second} && l.IPFactor == 3
		}, false},
		{"views=5/1h,scale=10", func(l RateLimits) bool {
			return l.Views == RateLimit{50, time.Hour} && l.Member[limitJoin].Events == def.Member[limitJoin].Events*10
		}, false},
		{"post", nil, true},
		{"post=5", nil, true},
		{"post=0/1m", nil, true},
		{"post=5/never", nil, true},
		{"teleport=5/1m", nil, true},
		{"ip=0", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			l, err := ParseRateLimits(tt.spec)
			if got, want := err != nil, tt.wantErr; got != want {
				t.Fatalf("error %v, want error: %v", err, want)
			}
			if tt.check != nil && !tt.check(l) {
				t.Fatalf("parsed %+v", l)
			}
		})
	}
	cfg := localConfig()
	cfg.RateLimits = "post=lots"
	if err := cfg.Validate(); err == nil {
		t.Fatalf("Validate accepts HAVEN_RATE_LIMITS=post=lots")
	}
}

func TestKeyedLimiter(t *testing.T) {
	k := newKeyedLimiter(RateLimit{3, time.Minute})
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for i := range 3 {
		if _, ok := k.allow("a", now); !ok {
			t.Fatalf("request %d refused within the burst", i+1)
		}
	}
	wait, ok := k.allow("a", now)
	if ok {
		t.Fatalf("a fourth request in the same instant is allowed")
	}
	if wait <= 0 || wait > 20*time.Second {
		t.Fatalf("retry after %s, want about 20s (one token of 3 a minute)", wait)
	}
	if _, ok := k.allow("b", now); !ok {
		t.Fatalf("another key shares the bucket")
	}
	if _, ok := k.allow("a", now.Add(wait)); !ok {
		t.Fatalf("refused after waiting the advertised %s", wait)
	}
	// Many one-off keys are forgotten once their buckets are full again.
	for i := range 1000 {
		k.allow(strconv.Itoa(i), now)
	}
	if got := k.size(); got < 1000 {
		t.Fatalf("%d keys held, want all of them while they are fresh", got)
	}
	k.allow("late", now.Add(2*time.Minute))
	if got, want := k.size(), 1; got != want {
		t.Fatalf("%d keys held after they all went idle, want %d", got, want)
	}
}

func TestViewTrackerCountsDistinctThreads(t *testing.T) {
	v := &viewTracker{limit: RateLimit{3, time.Hour}, windows: map[int64]*viewWindow{}}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for range 10 {
		if _, over := v.see(1, "7", now); over {
			t.Fatalf("rereading one thread raises the alarm")
		}
	}
	for i, thread := range []string{"8", "9"} {
		if _, over := v.see(1, thread, now.Add(time.Duration(i)*time.Minute)); over {
			t.Fatalf("%d threads raise the alarm at a limit of 3", i+2)
		}
	}
	n, over := v.see(1, "10", now.Add(5*time.Minute))
	if !over || n != 4 {
		t.Fatalf("4 distinct threads: over=%v n=%d, want the alarm with 4", over, n)
	}
	if _, over := v.see(1, "11", now.Add(6*time.Minute)); over {
		t.Fatalf("the alarm is raised twice in one window")
	}
	if _, over := v.see(2, "10", now.Add(6*time.Minute)); over {
		t.Fatalf("another account inherits the count")
	}
	// A new window starts from nothing.
	for i := range 3 {
		if _, over := v.see(1, strconv.Itoa(100+i), now.Add(2*time.Hour)); over {
			t.Fatalf("the count carries over into a new window")
		}
	}
}

// newLimitedApp starts a test app with the given HAVEN_RATE_LIMITS.
func newLimitedApp(t *testing.T, spec string) *testApp {
	t.Helper()
	cfg := localConfig()
	cfg.RateLimits = spec
	return newTestAppWith(t, cfg)
}

// mustBeLimited checks a 429 rate_limited answer with a Retry-After header.
func mustBeLimited(t *testing.T, res *response) {
	t.Helper()
	res.mustStatus(http.StatusTooManyRequests)
	if got, want := res.errorCode(), "rate_limited"; got != want {
		t.Fatalf("error code %q, want %q: %s", got, want, res.body)
	}
	s, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if err != nil || s < 1 {
		t.Fatalf("Retry-After %q, want whole seconds", res.Header.Get("Retry-After"))
	}
}

func TestRateLimitPerMemberAndPerIP(t *testing.T) {
	ta := newLimitedApp(t, "search=3/1m,ip=2")
	alice := ta.signIn("alice", "member")
	bob := ta.signIn("bob", "member")
	for i := range 3 {
		alice.get("/search?q=sleep" + strconv.Itoa(i)).mustStatus(http.StatusOK)
	}
	mustBeLimited(t, alice.get("/search?q=sleep"))
	// A browser sees the error page, with the same status and header.
	res := alice.getHTML("/search?q=sleep")
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("browser: status %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	// Bob has his own bucket, but shares the address's (2 × 3 = 6): alice spent 3 of it.
	for i := range 3 {
		bob.get("/search?q=pain" + strconv.Itoa(i)).mustStatus(http.StatusOK)
	}
	mustBeLimited(t, bob.get("/search?q=pain"))
	mustBeLimited(t, ta.newClient().get("/search?q=pain"))
	// Routes without a limit are untouched.
	alice.get("/groups").mustStatus(http.StatusOK)
}

func TestRateLimitActions(t *testing.T) {
	ta := newLimitedApp(t, "post=2/1m,react=2/1m,report=1/1h,join=2/1h,signin=4/1m,ip=10")
	admin := ta.signIn("admin", "admin")
	for _, slug := range []string{"one", "two", "three"} {
		admin.do("POST", "/groups", map[string]any{"slug": slug, "name": slug, "visibility": "open"}).mustStatus(http.StatusCreated)
	}
	alice := ta.signIn("alice", "member")
	alice.do("POST", "/groups/one/join", nil).mustStatus(http.StatusOK)
	alice.do("POST", "/groups/two/join", nil).mustStatus(http.StatusOK)
	mustBeLimited(t, alice.do("POST", "/groups/three/join", nil))

	var created struct {
		Thread struct{ ID int64 } `json:"thread"`
		Post   struct{ ID int64 } `json:"post"`
	}
	alice.do("POST", "/groups/one/threads", map[string]any{"title": "Mornings", "body": "How do you start the day?"}).
		mustStatus(http.StatusCreated).decode(&created)
	alice.do("POST", fmt.Sprintf("/threads/%d/posts", created.Thread.ID), map[string]any{"body": "Slowly, for me."}).
		mustStatus(http.StatusCreated)
	mustBeLimited(t, alice.do("POST", fmt.Sprintf("/threads/%d/posts", created.Thread.ID), map[string]any{"body": "And tea."}))

	bob := ta.signIn("bob", "member")
	bob.do("POST", "/groups/one/join", nil).mustStatus(http.StatusOK)
	post := fmt.Sprintf("/posts/%d", created.Post.ID)
	bob.do("POST", post+"/reactions", map[string]any{"kind": "support"}).mustStatus(http.StatusOK)
	bob.do("POST", post+"/reactions", map[string]any{"kind": "support"}).mustStatus(http.StatusOK)
	mustBeLimited(t, bob.do("POST", post+"/reactions", map[string]any{"kind": "support"}))
	bob.do("POST", post+"/reports", map[string]any{"reason": "spam"}).mustStatus(http.StatusCreated)
	mustBeLimited(t, bob.do("POST", post+"/reports", map[string]any{"reason": "other"}))

	// Sign-in is limited per address: 3 sign-ins so far, then one more.
	c := ta.newClient()
	c.fetchCSRF()
	c.do("POST", "/auth/local", map[string]any{"name": "carol", "role": "member"}).mustStatus(http.StatusOK)
	d := ta.newClient()
	d.fetchCSRF()
	mustBeLimited(t, d.do("POST", "/auth/local", map[string]any{"name": "dave", "role": "member"}))
}

func TestRateLimitsOff(t *testing.T) {
	ta := newLimitedApp(t, "off")
	alice := ta.signIn("alice", "member")
	for range 100 {
		alice.get("/search?q=x").mustStatus(http.StatusOK)
	}
}

func TestScrapingAlarm(t *testing.T) {
	ta := newLimitedApp(t, "views=3/1h,scale=1")
	admin := ta.signIn("admin", "admin")
	admin.do("POST", "/groups", map[string]any{"slug": "open", "name": "Open", "visibility": "open"}).mustStatus(http.StatusCreated)
	admin.do("POST", "/groups/open/join", nil).mustStatus(http.StatusOK)
	var ids []int64
	for i := range 5 {
		var created struct {
			Thread struct{ ID int64 } `json:"thread"`
		}
		admin.do("POST", "/groups/open/threads", map[string]any{"title": fmt.Sprintf("Thread %d", i), "body": "Hello."}).
			mustStatus(http.StatusCreated).decode(&created)
		ids = append(ids, created.Thread.ID)
	}
	reader := ta.signIn("reader", "member")
	for range 5 {
		reader.get(fmt.Sprintf("/threads/%d", ids[0])).mustStatus(http.StatusOK)
	}
	// Visitors are not accounts: they are never flagged.
	for _, id := range ids {
		ta.newClient().get(fmt.Sprintf("/threads/%d", id)).mustStatus(http.StatusOK)
	}
	var alerts struct {
		Status string              `json:"status"`
		Alerts []scrapingAlertJSON `json:"alerts"`
	}
	admin.get("/admin/scraping").mustStatus(http.StatusOK).decode(&alerts)
	if len(alerts.Alerts) != 0 {
		t.Fatalf("alerts before any scraping: %+v", alerts.Alerts)
	}
	for _, id := range ids[1:4] {
		reader.get(fmt.Sprintf("/threads/%d", id)).mustStatus(http.StatusOK)
	}
	// Reading is never refused: the fifth thread is served, and the account flagged.
	reader.get(fmt.Sprintf("/threads/%d", ids[4])).mustStatus(http.StatusOK)
	admin.get("/admin/scraping").mustStatus(http.StatusOK).decode(&alerts)
	if got, want := len(alerts.Alerts), 1; got != want {
		t.Fatalf("%d alerts, want %d", got, want)
	}
	a := alerts.Alerts[0]
	if a.Threads != 4 || a.WindowSeconds != 3600 || a.Status != "open" {
		t.Fatalf("alert %+v, want 4 threads in 3600s, open", a)
	}
	admin.getHTML("/admin/scraping").mustStatus(http.StatusOK)
	// Members and visitors cannot see or close alerts.
	reader.get("/admin/scraping").mustStatus(http.StatusNotFound)
	reader.do("POST", fmt.Sprintf("/admin/scraping/%d/resolve", a.ID), map[string]any{"reason": "me"}).mustStatus(http.StatusNotFound)
	ta.newClient().get("/admin/scraping").mustStatus(http.StatusUnauthorized)

	admin.do("POST", fmt.Sprintf("/admin/scraping/%d/resolve", a.ID), map[string]any{"reason": ""}).mustStatus(http.StatusUnprocessableEntity)
	admin.do("POST", fmt.Sprintf("/admin/scraping/%d/resolve", a.ID), map[string]any{"reason": "a volunteer archiving with permission"}).
		mustStatus(http.StatusOK)
	admin.do("POST", fmt.Sprintf("/admin/scraping/%d/resolve", a.ID), map[string]any{"reason": "again"}).mustStatus(http.StatusConflict)
	admin.get("/admin/scraping?status=resolved").mustStatus(http.StatusOK).decode(&alerts)
	if len(alerts.Alerts) != 1 || alerts.Alerts[0].Resolution != "a volunteer archiving with permission" {
		t.Fatalf("resolved alerts %+v", alerts.Alerts)
	}

	// Both the alarm and the decision are in the audit log.
	ctx := context.Background()
	u, err := ta.store.LocalSignIn(ctx, "admin", "admin")
	if err != nil {
		t.Fatal(err)
	}
	av, err := ta.store.ViewerByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := ta.store.AuditLog(ctx, av, 50)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		seen[e.Action] = true
	}
	if !seen["scraping.flagged"] || !seen["scraping.resolved"] {
		t.Fatalf("audit log lacks the scraping entries: %+v", entries)
	}
}
