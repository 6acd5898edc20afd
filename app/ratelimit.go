package app

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"haven/models"
)

// Abuse limits. Each limited action has a token bucket per member and a looser one
// per client IP address (people behind one hospital or mobile network share an
// address). A refused request is 429 rate_limited with Retry-After. Reading threads is
// never refused, but one account reading unusually many distinct threads in a window
// raises a scraping alert for staff (models.FlagScraping).

// Rate limit classes: which actions share a bucket.
const (
	limitSignIn = "signin"
	limitPost   = "post"
	limitReport = "report"
	limitReact  = "react"
	limitSearch = "search"
	limitJoin   = "join"
)

// limitedRoutes maps "METHOD /route/:pattern" to its rate limit class.
var limitedRoutes = map[string]string{
	"POST /auth/local":                limitSignIn,
	"GET /auth/:provider":             limitSignIn,
	"GET /auth/:provider/callback":    limitSignIn,
	"POST /groups/:slug/threads":      limitPost,
	"POST /threads/:id/posts":         limitPost,
	"POST /posts/:id/edit":            limitPost,
	"PATCH /posts/:id":                limitPost,
	"POST /posts/:id/reports":         limitReport,
	"POST /posts/:id/appeal":          limitReport,
	"POST /posts/:id/reactions":       limitReact,
	"GET /search":                     limitSearch,
	"POST /groups/:slug/join":         limitJoin,
	"POST /invites/:token":            limitJoin,
	"POST /groups/:slug/pseudonym":    limitJoin,
	"POST /announcements/:id/dismiss": limitReact,
}

// threadViewRoute is the route whose successful reads count towards the scraping alarm.
const threadViewRoute = "GET /threads/:id"

// RateLimit is one bucket: Events per Per, all of which may come at once.
type RateLimit struct {
	Events int
	Per    time.Duration
}

func (l RateLimit) String() string { return fmt.Sprintf("%d/%s", l.Events, l.Per) }

// RateLimits is the parsed HAVEN_RATE_LIMITS.
type RateLimits struct {
	// Off turns every limit and the scraping alarm off.
	Off bool
	// Member is the per-member limit of each class.
	Member map[string]RateLimit
	// IPFactor multiplies a class's member limit for the per-IP bucket.
	IPFactor int
	// Views is the scraping alarm: more distinct threads than Events within Per.
	Views RateLimit
}

// DefaultRateLimits are generous for a person and tight for a script.
func DefaultRateLimits() RateLimits {
	return RateLimits{
		Member: map[string]RateLimit{
			limitSignIn: {10, time.Minute},
			limitPost:   {30, 10 * time.Minute},
			limitReport: {20, time.Hour},
			limitReact:  {120, 10 * time.Minute},
			limitSearch: {60, time.Minute},
			limitJoin:   {20, time.Hour},
		},
		IPFactor: 5,
		Views:    RateLimit{300, time.Hour},
	}
}

// ParseRateLimits reads HAVEN_RATE_LIMITS: "" for the defaults, "off", or
// comma-separated overrides such as "post=10/1m,search=30/1m,ip=3,views=200/1h,scale=10"
// (scale multiplies every count; tests use it to relax the limits).
func ParseRateLimits(spec string) (RateLimits, error) {
	l := DefaultRateLimits()
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return l, nil
	}
	if spec == "off" {
		l.Off = true
		return l, nil
	}
	scale := 1
	for _, part := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return l, fmt.Errorf("HAVEN_RATE_LIMITS: %q is not name=value (e.g. post=10/1m)", part)
		}
		switch k {
		case "ip", "scale":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return l, fmt.Errorf("HAVEN_RATE_LIMITS: %s=%q must be a whole number of at least 1", k, v)
			}
			if k == "ip" {
				l.IPFactor = n
			} else {
				scale = n
			}
			continue
		}
		n, per, ok := strings.Cut(v, "/")
		events, err1 := strconv.Atoi(n)
		d, err2 := time.ParseDuration(per)
		if !ok || err1 != nil || err2 != nil || events < 1 || d <= 0 {
			return l, fmt.Errorf("HAVEN_RATE_LIMITS: %s=%q must be COUNT/DURATION, e.g. %s=10/1m", k, v, k)
		}
		if k == "views" {
			l.Views = RateLimit{events, d}
			continue
		}
		if _, known := l.Member[k]; !known {
			return l, fmt.Errorf("HAVEN_RATE_LIMITS: unknown limit %q (known: signin, post, report, react, search, join, views, ip, scale)", k)
		}
		l.Member[k] = RateLimit{events, d}
	}
	for k, m := range l.Member {
		l.Member[k] = RateLimit{m.Events * scale, m.Per}
	}
	l.Views.Events *= scale
	return l, nil
}

// keyedLimiter is a token bucket per key. A key idle long enough for its bucket to
// refill is forgotten, which loses nothing: a new bucket starts full.
type keyedLimiter struct {
	mu        sync.Mutex
	limit     rate.Limit
	burst     int
	idle      time.Duration
	entries   map[string]*limiterEntry
	lastSweep time.Time
}

type limiterEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

func newKeyedLimiter(l RateLimit) *keyedLimiter {
	return &keyedLimiter{limit: rate.Limit(float64(l.Events) / l.Per.Seconds()), burst: l.Events,
		idle: l.Per, entries: map[string]*limiterEntry{}}
}

// allow takes one token from key's bucket at now, or says how long until one is there.
func (k *keyedLimiter) allow(key string, now time.Time) (time.Duration, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if now.Sub(k.lastSweep) > k.idle {
		k.sweep(now)
	}
	e := k.entries[key]
	if e == nil {
		e = &limiterEntry{lim: rate.NewLimiter(k.limit, k.burst)}
		k.entries[key] = e
	}
	e.seen = now
	r := e.lim.ReserveN(now, 1)
	if !r.OK() {
		return k.idle, false
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d, false
	}
	return 0, true
}

// sweep forgets keys whose buckets are full again.
func (k *keyedLimiter) sweep(now time.Time) {
	for key, e := range k.entries {
		if now.Sub(e.seen) > k.idle {
			delete(k.entries, key)
		}
	}
	k.lastSweep = now
}

// size is the number of keys held.
func (k *keyedLimiter) size() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.entries)
}

// viewWindow is one account's distinct thread reads in the current window.
type viewWindow struct {
	start   time.Time
	threads map[string]struct{}
	flagged bool
}

// viewTracker counts each account's distinct thread reads per fixed window.
type viewTracker struct {
	mu        sync.Mutex
	limit     RateLimit
	windows   map[int64]*viewWindow
	lastSweep time.Time
}

// see records that user read thread at now, and reports the count when it has just
// gone over the limit (once per window).
func (t *viewTracker) see(user int64, thread string, now time.Time) (int, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if now.Sub(t.lastSweep) > t.limit.Per {
		for id, w := range t.windows {
			if now.Sub(w.start) > t.limit.Per {
				delete(t.windows, id)
			}
		}
		t.lastSweep = now
	}
	w := t.windows[user]
	if w == nil || now.Sub(w.start) > t.limit.Per {
		w = &viewWindow{start: now, threads: map[string]struct{}{}}
		t.windows[user] = w
	}
	if w.flagged {
		return 0, false
	}
	w.threads[thread] = struct{}{}
	if len(w.threads) > t.limit.Events {
		w.flagged = true
		n := len(w.threads)
		w.threads = nil
		return n, true
	}
	return 0, false
}

// rateLimiter holds every bucket of a running Haven.
type rateLimiter struct {
	cfg    RateLimits
	now    func() time.Time
	member map[string]*keyedLimiter
	ip     map[string]*keyedLimiter
	views  *viewTracker
}

func newRateLimiter(cfg RateLimits) *rateLimiter {
	r := &rateLimiter{cfg: cfg, now: time.Now, member: map[string]*keyedLimiter{}, ip: map[string]*keyedLimiter{},
		views: &viewTracker{limit: cfg.Views, windows: map[int64]*viewWindow{}}}
	for class, l := range cfg.Member {
		r.member[class] = newKeyedLimiter(l)
		ip := RateLimit{l.Events * max(cfg.IPFactor, 1), l.Per}
		if class == limitSignIn {
			// Nobody is signed in yet: the address is the only key, at the limit as set.
			ip = l
		}
		r.ip[class] = newKeyedLimiter(ip)
	}
	return r
}

// check takes a token for class from the member's and the address's buckets.
func (r *rateLimiter) check(class string, userID int64, ip string) error {
	now := r.now()
	if userID != 0 {
		if wait, ok := r.member[class].allow(strconv.FormatInt(userID, 10), now); !ok {
			return limitedError(class, wait)
		}
	}
	if wait, ok := r.ip[class].allow(ip, now); !ok {
		return limitedError(class, wait)
	}
	return nil
}

var limitedWhat = map[string]string{
	limitSignIn: "sign-in attempts", limitPost: "posts", limitReport: "reports", limitReact: "reactions",
	limitSearch: "searches", limitJoin: "group joins",
}

func limitedError(class string, wait time.Duration) error {
	e := &models.RateLimitError{RetryAfter: wait}
	e.Message = fmt.Sprintf("That is a lot of %s in a short time. Please wait %s and try again (your browser's Back button returns to what you typed).",
		limitedWhat[class], waitText(e.RetryAfterSeconds()))
	return e
}

func waitText(seconds int) string {
	if seconds < 90 {
		return plural(seconds, "second")
	}
	return plural((seconds+59)/60, "minute")
}

// clientIP is the address the request came from. Behind a reverse proxy every
// request would come from the proxy, so X-Forwarded-For is believed only when
// HAVEN_TRUST_PROXY is set; otherwise anyone could choose their own bucket.
func (h *handler) clientIP(c echo.Context) string {
	if h.cfg.TrustProxy {
		return echo.ExtractIPFromXFFHeader()(c.Request())
	}
	return echo.ExtractIPDirect()(c.Request())
}

// rateLimit is the middleware that applies the abuse limits and the scraping alarm.
// It runs after routing, so c.Path() is the route pattern.
func (h *handler) rateLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		rl := h.limiter
		if rl == nil || rl.cfg.Off {
			return next(c)
		}
		route := c.Request().Method + " " + c.Path()
		v := viewer(c)
		if class, ok := limitedRoutes[route]; ok {
			if err := rl.check(class, v.UserID(), h.clientIP(c)); err != nil {
				return err
			}
		}
		err := next(c)
		if route == threadViewRoute && err == nil && v != nil && c.Response().Status == http.StatusOK {
			if n, over := rl.views.see(v.UserID(), c.Param("id"), rl.now()); over {
				ctx := context.WithoutCancel(c.Request().Context())
				if _, ferr := h.store.FlagScraping(ctx, v.UserID(), n, rl.cfg.Views.Per); ferr != nil {
					h.log.Error("scraping alarm", "err", ferr)
				} else {
					h.log.Warn("scraping alarm: an account read unusually many threads", "threads", n)
				}
			}
		}
		return err
	}
}
