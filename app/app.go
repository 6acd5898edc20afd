// Package app is Haven's HTTP layer: routes, handlers, middleware, sign-in and sessions.
package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"haven/models"
	"haven/static"
)

// handler carries what every handler needs.
type handler struct {
	cfg       Config
	store     *models.Store
	log       *slog.Logger
	render    *renderer
	sessions  *sessions
	providers []provider
	broker    Broker
	// closing is closed when the server starts shutting down, to end live streams
	// (which would otherwise hold a graceful shutdown open).
	closing chan struct{}
	// stopLive stops the broker's listener and the scheduled jobs; shutdown calls it
	// once (see live.go).
	stopLive     func()
	shutdownOnce sync.Once
	// limiter applies the abuse limits and the scraping alarm (see ratelimit.go).
	limiter *rateLimiter
	// pages caches what every visitor sees alike; instance tells this process's cache
	// events from other instances' (see pagecache.go).
	pages    *pageCache
	instance string
	// snaps holds the shared part of signed-in viewers' thread pages (postfrags.go).
	snaps *snapCache
	// metrics is the Prometheus registry behind /metrics (see metrics.go).
	metrics *metrics
}

// New builds Haven's HTTP server: renderer, error handler, middleware and routes.
func New(cfg Config, store *models.Store, log *slog.Logger) (*echo.Echo, error) {
	_, e, err := build(cfg, store, log)
	return e, err
}

// build is New, also returning the handler for tests to look inside.
func build(cfg Config, store *models.Store, log *slog.Logger) (*handler, *echo.Echo, error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	r, err := newRenderer()
	if err != nil {
		return nil, nil, err
	}
	h := &handler{cfg: cfg, store: store, log: log, render: r,
		sessions: newSessions(cfg.SecretBytes(), cfg.SecureCookies())}
	if h.providers, err = setupProviders(cfg); err != nil {
		return nil, nil, err
	}
	limits, err := ParseRateLimits(cfg.RateLimits)
	if err != nil {
		return nil, nil, err
	}
	h.limiter = newRateLimiter(limits)
	h.closing = make(chan struct{})
	h.pages, h.instance = newPageCache(store.Versions()), newInstanceID()
	h.snaps = newSnapCache(store.Versions())
	// The broker, the store's publisher and scheduled jobs (see live.go).
	if err := h.startLive(); err != nil {
		return nil, nil, err
	}
	h.forwardChanges()
	// Prometheus metrics; the publisher wrapper counts published posts (see metrics.go).
	h.metrics = newMetrics(store, h.broker)
	store.SetPublisher(countingPublisher{next: store.Publisher(), posts: h.metrics.posts})
	if d, _ := parseLaneDeadlines(cfg.LaneDeadlines); d != nil { // checked by Validate
		store.SetLaneDeadlines(d)
	}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = h.handleError
	e.Server.RegisterOnShutdown(h.shutdown)
	e.Server.ReadHeaderTimeout = 10 * time.Second
	e.Server.IdleTimeout = 120 * time.Second

	e.Use(h.metrics.middleware)
	e.Use(h.recoverPanics)
	e.Use(middleware.RequestID())
	e.Use(h.logRequests())
	e.Use(h.secureHeaders)
	e.Use(middleware.BodyLimit("1M"))
	e.Use(h.readYourWrites)
	e.Use(h.loadViewer)
	e.Use(h.rateLimit)
	e.Use(middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "header:X-CSRF-Token,form:csrf",
		CookieName:     csrfCookie,
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   cfg.SecureCookies(),
		CookieSameSite: http.SameSiteLaxMode,
		CookieMaxAge:   int(csrfMaxAge / time.Second),
		Skipper: func(c echo.Context) bool {
			return strings.HasPrefix(c.Path(), "/static/")
		},
		ErrorHandler: func(err error, c echo.Context) error {
			return h.csrfFailed(c) // a draft comes back with a fresh token (see drafts.go)
		},
	}))
	h.routes(e)
	return h, e, nil
}

// recoverPanics turns a panic into a 500 page; the stack goes to the log, never to
// the client.
func (h *handler) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				h.log.Error("panic", "panic", fmt.Sprint(r), "path", c.Request().URL.Path, "stack", string(debug.Stack()))
				err = fmt.Errorf("app: panic: %v", r)
			}
		}()
		return next(c)
	}
}

// logRequests writes one structured line per request, with its request id.
func (h *handler) logRequests() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogURIPath: true, LogMethod: true, LogLatency: true, LogRequestID: true, LogError: true,
		HandleError: true,
		Skipper: func(c echo.Context) bool {
			return strings.HasPrefix(c.Request().URL.Path, "/static/") || c.Request().URL.Path == "/healthz"
		},
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			if v.Status >= 500 {
				level = slog.LevelError
			}
			h.log.LogAttrs(context.Background(), level, "request",
				slog.String("method", v.Method), slog.String("path", redactInvitePath(v.URIPath)), slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency), slog.String("request_id", v.RequestID))
			return nil
		},
	})
}

// contentSecurityPolicy allows only Haven's own scripts, styles and images.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// secureHeaders sets the security headers every response carries.
func (h *handler) secureHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		hd := c.Response().Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		if h.cfg.SecureCookies() {
			hd.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		hd.Add("Vary", "Accept")
		return next(c)
	}
}

// loadViewer puts the signed-in viewer, if any, in the context as "viewer".
func (h *handler) loadViewer(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if strings.HasPrefix(c.Request().URL.Path, "/static/") {
			return next(c)
		}
		id := h.sessions.userID(c.Request())
		if id == 0 {
			return next(c)
		}
		v, err := h.store.ViewerByID(c.Request().Context(), id)
		switch {
		case err == nil:
			c.Set("viewer", v)
		case errors.Is(err, models.ErrNotFound), errors.Is(err, models.ErrForbidden):
			h.sessions.signOut(c)
		default:
			return err
		}
		return next(c)
	}
}

// requireUser lets only signed-in users through.
func requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if viewer(c) == nil {
			return models.ErrUnauthenticated
		}
		return next(c)
	}
}

// requireAdmin lets only admins through; everyone else gets a 404.
func requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		v := viewer(c)
		if v == nil {
			return models.ErrUnauthenticated
		}
		if !v.IsAdmin() {
			return models.ErrNotFound
		}
		return next(c)
	}
}

// staticFiles serves the embedded assets. Their URLs carry a content hash (see
// asset), so they may be cached for a year.
func staticFiles() echo.HandlerFunc {
	sub, _ := fs.Sub(static.FS, ".")
	fileServer := http.StripPrefix("/static/", http.FileServer(http.FS(sub)))
	return func(c echo.Context) error {
		p := c.Param("*")
		if p == "" || strings.HasSuffix(p, "/") || strings.HasSuffix(p, ".go") {
			return models.ErrNotFound
		}
		if _, err := fs.Stat(sub, p); err != nil {
			return models.ErrNotFound
		}
		if c.QueryParam("v") != "" {
			c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			c.Response().Header().Set("Cache-Control", "public, max-age=300")
		}
		fileServer.ServeHTTP(c.Response(), c.Request())
		return nil
	}
}

// TuneGC sets the garbage collector for serving, unless GOGC or GOMEMLIMIT say
// otherwise: collect when the heap has grown to five times what is live, not twice
// (a page view allocates much that dies at once, and the heap stays small), and more
// often as Go's memory nears 192 MiB, so that the process (with SQLite's own memory,
// which Go does not count) stays under 300 MB whatever the caches hold.
func TuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(192 << 20)
	}
}
