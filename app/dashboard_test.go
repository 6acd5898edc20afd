package app

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"haven/models"
)

func TestDashboardHTTP(t *testing.T) {
	w := setupModeration(t)
	if err := w.ta.store.RefreshStats(context.Background()); err != nil {
		t.Fatal(err)
	}
	var d struct {
		Period string `json:"period"`
		Totals struct {
			Posts      int `json:"posts"`
			Threads    int `json:"threads"`
			NewMembers int `json:"new_members"`
			Active     int `json:"active_members"`
		} `json:"totals"`
		Groups []struct {
			Group string `json:"group"`
			Posts int    `json:"posts"`
		} `json:"groups"`
		Series []map[string]any `json:"series"`
		Queue  []map[string]any `json:"queue"`
	}
	w.admin.get("/admin/dashboard?period=7d").mustStatus(200).decode(&d)
	// Alice's thread with two replies, and Carol's thread; the members of A, B and C.
	if d.Period != "7d" || d.Totals.Posts != 4 || d.Totals.Threads != 2 || d.Totals.Active != 3 || len(d.Series) != 7 || len(d.Queue) != len(models.Lanes) {
		t.Errorf("dashboard = %+v", d)
	}
	if d.Totals.NewMembers != 7 {
		t.Errorf("new members = %d, want 7", d.Totals.NewMembers)
	}
	res := w.admin.getHTML("/admin/dashboard")
	res.mustStatus(200)
	for _, want := range []string{`<svg class="chart sparkline"`, `role="img"`, "<title id=\"chart-posts-t\">", "<desc", "Queue health", "Emerging topics"} {
		if !strings.Contains(res.body, want) {
			t.Errorf("dashboard page lacks %q", want)
		}
	}

	// A group's moderators see their group, and only it; members see nothing.
	var gd struct {
		Groups []struct {
			Group string `json:"group"`
			Posts int    `json:"posts"`
		} `json:"groups"`
	}
	w.modA.get("/groups/group-a/dashboard").mustStatus(200).decode(&gd)
	if len(gd.Groups) != 1 || gd.Groups[0].Group != "group-a" || gd.Groups[0].Posts != 3 {
		t.Errorf("group A dashboard = %+v", gd)
	}
	w.modA.getHTML("/groups/group-a/dashboard?period=30d").mustStatus(200)
	for _, c := range []struct {
		name string
		c    *client
		path string
		want int
	}{
		{"moderator, site-wide", w.modA, "/admin/dashboard", 404},
		{"moderator, another group", w.modA, "/groups/group-b/dashboard", 404},
		{"member", w.alice, "/groups/group-a/dashboard", 404},
		{"visitor", w.ta.newClient(), "/groups/group-a/dashboard", 401},
		{"bad period", w.admin, "/admin/dashboard?period=1y", 422},
	} {
		if got := c.c.get(c.path).StatusCode; got != c.want {
			t.Errorf("%s: %s answered %d, want %d", c.name, c.path, got, c.want)
		}
	}
	// Emerging topics, on the page with their counts, trend chart and links.
	for _, body := range []string{"A rash on my arms", "Same rash here", "The rash itches"} {
		modReply(t, w.bob, w.threadID, body)
	}
	if err := w.ta.store.RefreshTopics(context.Background()); err != nil {
		t.Fatal(err)
	}
	page := w.modA.getHTML("/groups/group-a/dashboard").mustStatus(200).body
	for _, want := range []string{"“rash”", `id="chart-topic-0-t"`, `href="/posts/`} {
		if !strings.Contains(page, want) {
			t.Errorf("the group dashboard lacks %q", want)
		}
	}
	if strings.Contains(w.modB.getHTML("/groups/group-b/dashboard").mustStatus(200).body, "“rash”") {
		t.Error("group A's topics show on group B's dashboard")
	}
	// No user id in the moderator's JSON.
	if body := w.modA.get("/groups/group-a/dashboard").body; userIDPattern.MatchString(body) {
		t.Errorf("the group dashboard carries a user id: %s", body)
	}
}

// scrape asks for /metrics as if from addr, with optional headers.
func scrape(ta *testApp, addr string, headers map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.RemoteAddr = addr
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	ta.echo.ServeHTTP(rec, req)
	return rec
}

func TestMetricsProtected(t *testing.T) {
	cfg := localConfig()
	cfg.MetricsToken = "metrics-token-0123456789abcdef"
	ta := newTestAppWith(t, cfg)
	for _, c := range []struct {
		name    string
		addr    string
		headers map[string]string
		want    int
	}{
		{"loopback", "127.0.0.1:5000", nil, 200},
		{"loopback v6", "[::1]:5000", nil, 200},
		{"remote", "203.0.113.7:5000", nil, 401},
		{"remote, wrong token", "203.0.113.7:5000", map[string]string{"Authorization": "Bearer nope"}, 401},
		{"remote, token", "203.0.113.7:5000", map[string]string{"Authorization": "Bearer " + cfg.MetricsToken}, 200},
		{"forwarded through a local proxy", "127.0.0.1:5000", map[string]string{"X-Forwarded-For": "203.0.113.7"}, 401},
	} {
		if got := scrape(ta, c.addr, c.headers).Code; got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	// Without a token, only loopback.
	ta2 := newTestApp(t)
	if got := scrape(ta2, "203.0.113.7:5000", map[string]string{"Authorization": "Bearer "}).Code; got != 401 {
		t.Errorf("remote without a configured token: %d", got)
	}
}

func TestMetricsContent(t *testing.T) {
	w := setupModeration(t)
	w.bob.get("/threads/" + strconv.FormatInt(w.threadID, 10)).mustStatus(200)
	w.bob.get("/threads/999999").mustStatus(404)
	modReply(t, w.bob, w.threadID, "I want to kill myself") // a crisis item
	body := scrape(w.ta, "127.0.0.1:1", nil).Body.String()
	for _, want := range []string{
		`haven_http_requests_total{code="200",method="GET",route="/threads/:id"}`,
		`haven_http_requests_total{code="404",method="GET",route="/threads/:id"}`,
		`haven_http_request_duration_seconds_bucket{method="GET",route="/threads/:id",le="0.005"}`,
		`haven_queue_open_items{lane="crisis"} 1`,
		`haven_queue_overdue_items{lane="crisis"} 0`,
		`haven_posts_created_total 5`,
		`haven_sse_subscribers 0`,
		`go_sql_open_connections{db_name="writer"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, `route="/threads/`+strconv.FormatInt(w.threadID, 10)) {
		t.Error("a raw URL became a label")
	}
}

func TestRevealHTTP(t *testing.T) {
	w := setupModeration(t)
	// Alice joins group B too.
	pb, _ := modJoin(t, w.alice, "group-b")
	body := map[string]any{"group": "group-a", "pseudonym": w.alicePseudonym, "reason": "Safeguarding: threats made in group A"}
	for _, c := range []*client{w.modA, w.alice} {
		c.do("POST", "/admin/reveal", body).mustStatus(404)
	}
	bad := map[string]any{"group": "group-a", "pseudonym": w.alicePseudonym}
	if code := w.admin.do("POST", "/admin/reveal", bad).mustStatus(422).errorCode(); code != "invalid" {
		t.Errorf("no reason: code %q", code)
	}
	res := w.admin.do("POST", "/admin/reveal", body).mustStatus(200)
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", res.Header.Get("Cache-Control"))
	}
	var out models.RevealResult
	res.decode(&out)
	found := map[string]string{}
	for _, m := range out.Memberships {
		found[m.Group] = m.Pseudonym
	}
	if found["group-a"] != w.alicePseudonym || found["group-b"] != pb {
		t.Errorf("revealed %v", found)
	}
	// The browser form shows the result in the response itself, not after a redirect.
	form := url.Values{"group": {"group-a"}, "pseudonym": {w.alicePseudonym}, "reason": {"Ban evasion suspected in B"}}
	page := w.admin.postForm("/admin/reveal", form).mustStatus(200)
	if !strings.Contains(page.body, pb) {
		t.Error("the reveal page does not show the other pseudonym")
	}
	if strings.Contains(w.admin.getHTML("/admin/reveal").mustStatus(200).body, pb) {
		t.Error("the reveal result is shown again on a later page")
	}
	// Audited with its reason; group B's moderator sees that it happened, not what.
	var audit struct {
		Entries []auditEntryJSON `json:"entries"`
	}
	w.admin.get("/admin/audit?action=admin.reveal").mustStatus(200).decode(&audit)
	if len(audit.Entries) != 2 || audit.Entries[1].Reason != body["reason"] {
		t.Fatalf("audit = %+v", audit.Entries)
	}
	modlog := w.modB.get("/groups/group-b/modlog").mustStatus(200).body
	if !strings.Contains(modlog, `"reveal"`) || strings.Contains(modlog, pb) || strings.Contains(modlog, w.alicePseudonym) || strings.Contains(modlog, "Safeguarding") {
		t.Errorf("group B's modlog: %s", modlog)
	}
	if strings.Contains(w.carol.get("/groups/group-b/modlog").mustStatus(200).body, `"reveal"`) {
		t.Error("a member sees the reveal in the modlog")
	}
}

func TestAuditViewerHTTP(t *testing.T) {
	w := setupModeration(t)
	w.alice.get("/admin/audit").mustStatus(404)
	w.modA.get("/admin/audit").mustStatus(404)
	var page struct {
		Entries []auditEntryJSON `json:"entries"`
		Page    pageJSON         `json:"page"`
	}
	w.admin.get("/admin/audit?action=membership.role.").mustStatus(200).decode(&page)
	if len(page.Entries) != 4 {
		t.Errorf("%d moderator appointments audited, want 4: %+v", len(page.Entries), page.Entries)
	}
	w.admin.get("/admin/audit?from=tomorrow").mustStatus(422)
	w.admin.getHTML("/admin/audit?action=membership.role.").mustStatus(200)
	res := w.admin.getHTML("/admin/audit?action=membership.role.&format=csv").mustStatus(200)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type %q", ct)
	}
	rows, err := csv.NewReader(strings.NewReader(res.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || rows[0][3] != "action" || !strings.HasPrefix(rows[1][3], "membership.role.") {
		t.Errorf("csv rows = %v", rows)
	}
	if got := w.alice.getHTML("/admin/audit?format=csv").StatusCode; got != 404 {
		t.Errorf("a member's CSV export: %d", got)
	}
	if csvSafe("=HYPERLINK()") != "'=HYPERLINK()" {
		t.Error("a formula is exported as a formula")
	}
}

func TestSiteWideSuspensionHTTP(t *testing.T) {
	w := setupModeration(t)
	modJoin(t, w.alice, "group-b")
	body := map[string]any{"group": "group-a", "pseudonym": w.alicePseudonym, "action": "suspend", "reason": "spam everywhere"}
	w.modA.do("POST", "/admin/users/sanction", body).mustStatus(404)
	res := w.admin.do("POST", "/admin/users/sanction", body).mustStatus(200).body
	if strings.Contains(res, "group-b") {
		t.Errorf("the answer reveals the other memberships: %s", res)
	}
	for _, slug := range []string{"group-a", "group-b"} {
		if got := w.alice.do("POST", "/groups/"+slug+"/threads", map[string]any{"title": "Still here", "body": "Hello"}).StatusCode; got != http.StatusForbidden {
			t.Errorf("a suspended member posted in %s: %d", slug, got)
		}
	}
	w.alice.get("/me").mustStatus(200) // still signed in, as a suspended account
	body["action"] = "ban"
	w.admin.do("POST", "/admin/users/sanction", body).mustStatus(200)
	w.alice.get("/me").mustStatus(401)
	w.admin.getHTML("/admin/users").mustStatus(200)
	form := url.Values{"group": {"group-a"}, "pseudonym": {w.alicePseudonym}, "action": {"reinstate"}, "reason": {"appeal upheld"}}
	if got := w.admin.postForm("/admin/users/sanction", form).StatusCode; got != http.StatusSeeOther {
		t.Errorf("form: %d", got)
	}
}

func TestMetricsTokenConfig(t *testing.T) {
	for _, c := range []struct {
		token string
		ok    bool
	}{{"", true}, {"short", false}, {"has spaces in it 0123456789abcdef", false}, {"0123456789abcdef0123456789", true}} {
		cfg := localConfig()
		cfg.MetricsToken = c.token
		if err := cfg.Validate(); (err == nil) != c.ok {
			t.Errorf("token %q: %v", c.token, err)
		}
	}
	if got := ConfigFromEnv(func(k string) string {
		if k == "HAVEN_METRICS_TOKEN" {
			return "x"
		}
		return ""
	}).MetricsToken; got != "x" {
		t.Errorf("HAVEN_METRICS_TOKEN read as %q", got)
	}
}
