package app

// Accessibility of every page type, in a real browser: axe-core (vendored in
// testdata/axe-core) finds no serious or critical violation of WCAG 2.0, 2.1 and 2.2
// A/AA or of axe's best practices, with every <details> open, in the light colour
// scheme and (for pages covering every component, darkPages) the dark one; the skip
// link is the first stop of the keyboard and moves focus to the content; each page
// has one h1. Moderate and minor findings are logged.

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp/kb"
)

// a11yPage is one page to check: who looks at it, the route it stands for, and
// where it is.
type a11yPage struct {
	who    string // visitor, or a demo person signed in (see newSeededApp)
	route  string // the route pattern, for the coverage list
	path   string
	status int64 // expected status; 0 means 200
}

// TestBrowserAccessibility checks every page type as a visitor, a member, a group's
// moderator, an admin and a clinician. GET routes it does not visit are logged.
func TestBrowserAccessibility(t *testing.T) {
	if os.Getenv("HAVEN_TEST_POSTGRES") != "" && os.Getenv("HAVEN_A11Y_ON_POSTGRES") == "" {
		// The pages are the same templates on either database, and this is the slowest
		// browser test; the flows in e2e_test.go run on PostgreSQL too.
		t.Skip("accessibility is checked in the SQLite run (set HAVEN_A11Y_ON_POSTGRES=1 to check it on PostgreSQL too)")
	}
	ta := newSeededApp(t)
	b := newBrowser(t, ta)
	people := map[string]string{"visitor": "", "alice": "member", "dana": "member", "admin": "admin", "dr-rivera": "clinician"}
	tabs := map[string]*tab{}
	for _, who := range []string{"visitor", "alice", "dana", "admin", "dr-rivera"} {
		tabs[who] = b.newTab(who)
		if role := people[who]; role != "" {
			tabs[who].signIn(who, role)
		}
	}

	// What the pages need: a thread, a post of someone else's, a post of alice's with
	// an edit, a member's page, a reported post in dana's queue, an invitation.
	alice, dana := tabs["alice"], tabs["dana"]
	alice.open("/groups/type-2-diabetes")
	thread := alice.attr(".thread-list .thread-title a", "href")
	alice.open(thread)
	reportHref := alice.attr(".report-link", "href") // /posts/N/report
	memberHref := alice.attr("a.member-link", "href")
	if reportHref == "" || memberHref == "" {
		t.Fatalf("the seeded thread %s has no post to report or no member link", thread)
	}
	postID := strings.TrimSuffix(strings.TrimPrefix(reportHref, "/posts/"), "/report")
	ac := ta.signIn("alice", "member")
	ac.do("POST", "/posts/"+postID+"/reports", map[string]any{"reason": "spam", "note": "Looks like an advert."}).mustStatus(201)
	var created struct {
		Post struct {
			ID      int64 `json:"id"`
			Version int   `json:"version"`
		} `json:"post"`
	}
	ac.do("POST", thread+"/posts", map[string]any{"body": "Walking after meals helps my numbers.", "content_warning": "blood sugar numbers"}).mustStatus(201).decode(&created)
	own := strconv.FormatInt(created.Post.ID, 10)
	ac.do("PATCH", "/posts/"+own, map[string]any{"body": "Walking after meals helps my numbers a lot.", "version": created.Post.Version}).mustStatus(200)
	dc := ta.signIn("dana", "member")
	var inv struct {
		Invite struct {
			URL string `json:"url"`
		} `json:"invite"`
	}
	dc.do("POST", "/groups/type-2-diabetes/invites", map[string]any{"max_uses": 5, "days": 7}).decode(&inv)
	dana.open("/moderation/queue")
	item := dana.attr("[data-row] a[data-open]", "href")
	if item == "" {
		t.Fatal("no item in dana's queue")
	}

	pages := []a11yPage{
		{"visitor", "/", "/", 0},
		{"visitor", "/groups", "/groups", 0},
		{"visitor", "/groups/:slug", "/groups/type-2-diabetes", 0},
		{"visitor", "/groups/:slug", "/groups/dementia-caregivers", 0}, // closed
		{"visitor", "/threads/:id", thread, 0},
		{"visitor", "/groups/:slug/members/:pseudonym", memberHref, 0},
		{"visitor", "/search", "/search?q=" + url.QueryEscape("tired"), 0},
		{"visitor", "/signin", "/signin", 0},
		{"visitor", "/auth/local", "/auth/local", 0},
		{"visitor", "/crisis", "/crisis", 0},
		{"visitor", "/announcements", "/announcements", 0},
		{"visitor", "/groups/:slug/modlog", "/groups/type-2-diabetes/modlog", 0},
		{"visitor", "/groups/:slug/resources", "/groups/type-2-diabetes/resources", 0},
		{"visitor", "(not found)", "/no/such/page", 404},
		{"alice", "/", "/", 0},
		{"alice", "/me", "/me", 0},
		{"alice", "/notifications", "/notifications", 0},
		{"alice", "/groups/:slug", "/groups/type-2-diabetes", 0},
		{"alice", "/groups/:slug", "/groups/chronic-pain", 0}, // not a member: join form with rules
		{"alice", "/threads/:id", thread, 0},
		{"alice", "/groups/:slug/threads/new", "/groups/type-2-diabetes/threads/new", 0},
		{"alice", "/posts/:id/report", reportHref, 0},
		{"alice", "/posts/:id/edit", "/posts/" + own + "/edit", 0},
		{"alice", "/posts/:id/revisions", "/posts/" + own + "/revisions", 0},
		{"dana", "/moderation/queue", "/moderation/queue", 0},
		{"dana", "/moderation/items/:id", item, 0},
		{"dana", "/groups/:slug", "/groups/type-2-diabetes", 0},
		{"dana", "/groups/:slug/edit", "/groups/type-2-diabetes/edit", 0},
		{"dana", "/groups/:slug/requests", "/groups/type-2-diabetes/requests", 0},
		{"dana", "/groups/:slug/invites", "/groups/type-2-diabetes/invites", 0},
		{"dana", "/groups/:slug/watched-words", "/groups/type-2-diabetes/watched-words", 0},
		{"dana", "/groups/:slug/resources", "/groups/type-2-diabetes/resources", 0},
		{"dana", "/announcements/new", "/announcements/new?group=type-2-diabetes", 0},
		{"dana", "/threads/:id", thread, 0},
		{"admin", "/admin/groups", "/admin/groups", 0},
		{"admin", "/groups/new", "/groups/new", 0},
		{"admin", "/admin/watched-words", "/admin/watched-words", 0},
		{"admin", "/announcements/new", "/announcements/new", 0},
		{"dr-rivera", "/threads/:id", thread, 0},
		{"dr-rivera", "/clinicians/questions", "/clinicians/questions", 0},
		{"dr-rivera", "/posts/:id/label", reportHref[:len(reportHref)-len("/report")] + "/label", 0},
		{"alice", "/clinicians/apply", "/clinicians/apply", 0},
		{"dana", "/groups/:slug/dashboard", "/groups/type-2-diabetes/dashboard", 0},
		{"admin", "/admin/dashboard", "/admin/dashboard", 0},
		{"admin", "/admin/audit", "/admin/audit", 0},
		{"admin", "/admin/reveal", "/admin/reveal", 0},
		{"admin", "/admin/users", "/admin/users", 0},
		{"admin", "/admin/users/memorialise", "/admin/users/memorialise", 0},
		{"admin", "/admin/scraping", "/admin/scraping", 0},
		{"admin", "/admin/clinicians", "/admin/clinicians", 0},
	}
	if inv.Invite.URL != "" {
		pages = append(pages, a11yPage{"visitor", "/invites/:token", inv.Invite.URL, 0}, a11yPage{"ben", "/invites/:token", inv.Invite.URL, 0})
	}
	// Pages of features still being built are checked once their route exists.
	routes := routeSet(ta)
	pages = slices.DeleteFunc(pages, func(pg a11yPage) bool {
		_, ok := routes[pg.route]
		return !ok && strings.HasPrefix(pg.route, "/")
	})

	darkPage := map[int]bool{}
	for i, pg := range pages {
		darkPage[i] = darkPages[pg.who+" "+pg.route]
	}
	// Each person's tab runs its pages in a parallel subtest: the browser runs a
	// renderer process per tab, so they overlap.
	for _, pg := range pages {
		if tabs[pg.who] == nil {
			tabs[pg.who] = b.newTab(pg.who)
			tabs[pg.who].signIn(pg.who, "member")
		}
	}
	var res a11yResults
	began := time.Now()
	t.Run("pages", func(t *testing.T) {
		for who, tb := range tabs {
			t.Run(who, func(t *testing.T) {
				t.Parallel()
				tb := tb.withT(t)
				for i, pg := range pages {
					if pg.who == who {
						checkA11y(t, tb, pg, darkPage[i], &res)
					}
				}
			})
		}
	})
	if len(res.minor) > 0 {
		sort.Strings(res.minor)
		t.Logf("%d moderate or minor axe findings (not failures):\n  %s", len(res.minor), strings.Join(res.minor, "\n  "))
	}
	t.Logf("axe-core checked %d pages (%d also in the dark scheme): %d serious or critical violations; %d axe runs took %s, the pages %s",
		len(pages), len(darkPages), res.serious, res.runs, res.axeTime.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))

	// Pages other features add: list the ones this test does not visit yet.
	checked := map[string]bool{}
	for _, pg := range pages {
		checked[pg.route] = true
	}
	var missing []string
	for r := range routes {
		if !checked[r] && !nonPageRoute.MatchString(r) {
			missing = append(missing, r)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Logf("GET routes not checked for accessibility here (add them to the table): %s", strings.Join(missing, ", "))
	}
}

// darkPages are the pages ("who route") also checked in the dark colour scheme: the
// palette is shared, so these cover every component (posts, warnings, badges, forms,
// the queue and item, tables and charts) without checking every page twice.
var darkPages = map[string]bool{
	"visitor /": true, "visitor /crisis": true, "visitor /search": true, "visitor /signin": true,
	"alice /me": true, "alice /notifications": true, "alice /threads/:id": true, "alice /groups/:slug/threads/new": true,
	"dana /moderation/queue": true, "dana /moderation/items/:id": true, "dana /groups/:slug": true, "dana /groups/:slug/edit": true,
	"dr-rivera /threads/:id": true, "admin /admin/dashboard": true, "admin /admin/audit": true,
}

// a11yResults gathers what the parallel page checks found.
type a11yResults struct {
	mu      sync.Mutex
	minor   []string // moderate and minor findings, reported but not failures
	serious int
	runs    int
	axeTime time.Duration
}

// checkA11y opens one page in tb and checks it: the status, the skip link, one h1,
// and axe-core in the light scheme (and the dark one too when dark), with every
// <details> open so that content behind warnings is checked too.
func checkA11y(t *testing.T, tb *tab, pg a11yPage, dark bool, res *a11yResults) {
	t.Helper()
	status := pg.status
	if status == 0 {
		status = 200
	}
	began := time.Now()
	defer func() { t.Logf("%s %s checked in %s", pg.who, pg.path, time.Since(began).Round(time.Millisecond)) }()
	tb.openStatus(pg.path, status)
	where := pg.who + " " + pg.path

	// The skip link is the first Tab stop, shows itself, and moves focus to main.
	tb.press(kb.Tab)
	if f := tb.focused("a.skip-link"); !f.Matches || !f.Visible {
		t.Errorf("%s: first Tab stop is %s (visible %v), want the skip link, visibly", where, f.Desc, f.Visible)
	} else {
		tb.press(kb.Enter)
		if f := tb.focused("main#main"); !f.Matches {
			t.Errorf("%s: the skip link moved focus to %s, want main", where, f.Desc)
		}
	}
	if n := tb.count("h1"); n != 1 {
		t.Errorf("%s: %d h1 headings, want 1", where, n)
	}

	schemes := []string{"light"}
	if dark {
		schemes = append(schemes, "dark")
	}
	for _, scheme := range schemes {
		var rules []string
		if scheme == "dark" {
			// Only colours change with the scheme. Reload rather than switch in place,
			// so that no transition is half-way when axe reads the colours.
			tb.setMedia("dark")
			tb.openStatus(pg.path, status)
			rules = []string{"color-contrast", "link-in-text-block"}
		}
		eval[int](tb, `document.querySelectorAll("details").forEach(d => d.open = true), 0`)
		start := time.Now()
		vs := tb.axe(rules...)
		res.mu.Lock()
		res.axeTime += time.Since(start)
		res.runs++
		for _, v := range vs {
			line := fmt.Sprintf("%s [%s] %s (%s): %s", where, scheme, v.ID, v.Impact, v.Help)
			if v.Impact == "serious" || v.Impact == "critical" {
				res.serious++
				t.Errorf("%s\n%s", line, axeNodes(v))
			} else {
				res.minor = append(res.minor, line)
			}
		}
		res.mu.Unlock()
	}
	if dark {
		tb.setMedia("light")
	}
}

// nonPageRoute matches GET routes that are not HTML pages a person reads: assets,
// feeds, event streams, redirects.
var nonPageRoute = regexp.MustCompile(`^/(static|healthz|metrics|events|auth/:provider)|\.atom$|/events$|/export$|^/notifications/:id$`)

// routeSet is the set of the app's GET route patterns.
func routeSet(ta *testApp) map[string]struct{} {
	m := map[string]struct{}{}
	for _, r := range ta.echo.Routes() {
		if r.Method == "GET" {
			m[r.Path] = struct{}{}
		}
	}
	return m
}

// axeNodes lists the elements that fail a rule, at most five.
func axeNodes(v axeViolation) string {
	var b strings.Builder
	for i, n := range v.Nodes {
		if i == 5 {
			fmt.Fprintf(&b, "    … and %d more\n", len(v.Nodes)-5)
			break
		}
		html := n.HTML
		if len(html) > 160 {
			html = html[:160] + "…"
		}
		fmt.Fprintf(&b, "    %v %s\n      %s\n", n.Target, html, strings.ReplaceAll(n.Summary, "\n", " "))
	}
	return b.String()
}
