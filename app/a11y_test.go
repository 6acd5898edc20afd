package app

// Accessibility of every page type, in a real browser: axe-core (vendored in
// testdata/axe-core) finds no serious or critical violation of WCAG 2.0, 2.1 and 2.2
// A/AA, in the light and the dark colour scheme with every <details> open; the skip
// link is the first stop of the keyboard and moves focus to the content.

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
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

func TestBrowserAccessibility(t *testing.T) {
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
		{"alice", "/search", "/search?q=" + url.QueryEscape("walking"), 0},
		{"alice", "/groups/:slug/members/:pseudonym", memberHref, 0},
		{"dana", "/moderation/queue", "/moderation/queue", 0},
		{"dana", "/moderation/items/:id", item, 0},
		{"dana", "/groups/:slug", "/groups/type-2-diabetes", 0},
		{"dana", "/groups/:slug/edit", "/groups/type-2-diabetes/edit", 0},
		{"dana", "/groups/:slug/requests", "/groups/type-2-diabetes/requests", 0},
		{"dana", "/groups/:slug/invites", "/groups/type-2-diabetes/invites", 0},
		{"dana", "/groups/:slug/watched-words", "/groups/type-2-diabetes/watched-words", 0},
		{"dana", "/groups/:slug/resources", "/groups/type-2-diabetes/resources", 0},
		{"dana", "/groups/:slug/modlog", "/groups/type-2-diabetes/modlog", 0},
		{"dana", "/announcements/new", "/announcements/new?group=type-2-diabetes", 0},
		{"dana", "/threads/:id", thread, 0},
		{"admin", "/admin/groups", "/admin/groups", 0},
		{"admin", "/groups/new", "/groups/new", 0},
		{"admin", "/admin/watched-words", "/admin/watched-words", 0},
		{"admin", "/announcements/new", "/announcements/new", 0},
		{"admin", "/moderation/queue", "/moderation/queue", 0},
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

	var minor []string
	serious, axeRuns := 0, 0
	var axeTime time.Duration
	darkChecked := map[string]bool{}
	began := time.Now()
	for _, pg := range pages {
		tb := tabs[pg.who]
		if tb == nil {
			tb = b.newTab(pg.who)
			tb.signIn(pg.who, "member")
			tabs[pg.who] = tb
		}
		status := pg.status
		if status == 0 {
			status = 200
		}
		tb.openStatus(pg.path, status)
		where := pg.who + " " + pg.path

		// The skip link is the first Tab stop, shows itself, and moves focus to main.
		tb.focusTop()
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

		schemes := []string{"light", "dark"}
		if darkChecked[pg.route] {
			schemes = schemes[:1]
		}
		darkChecked[pg.route] = true
		for _, scheme := range schemes {
			var rules []string
			if scheme == "dark" {
				// Only colours change with the scheme, and each route's colours are
				// checked once. Reload rather than switch in place, so that no
				// transition is half-way when axe reads the colours.
				tb.setMedia("dark")
				tb.openStatus(pg.path, status)
				rules = []string{"color-contrast", "link-in-text-block"}
			}
			// Content behind <details> (content warnings, reveal panels) is checked too.
			eval[int](tb, `document.querySelectorAll("details").forEach(d => d.open = true), 0`)
			start := time.Now()
			vs := tb.axe(rules...)
			axeTime += time.Since(start)
			axeRuns++
			for _, v := range vs {
				line := fmt.Sprintf("%s [%s] %s (%s): %s", where, scheme, v.ID, v.Impact, v.Help)
				if v.Impact == "serious" || v.Impact == "critical" {
					serious++
					t.Errorf("%s\n%s", line, axeNodes(v))
				} else {
					minor = append(minor, line)
				}
			}
		}
		tb.setMedia("light")
	}
	if len(minor) > 0 {
		sort.Strings(minor)
		t.Logf("%d moderate or minor axe findings (not failures):\n  %s", len(minor), strings.Join(minor, "\n  "))
	}
	t.Logf("axe-core checked %d pages (%d routes also in the dark scheme): %d serious or critical violations; %d axe runs took %s of %s",
		len(pages), len(darkChecked), serious, axeRuns, axeTime.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))

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
