package app

import (
	"context"
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"haven/models"
)

// validateMetricsToken checks HAVEN_METRICS_TOKEN: empty (loopback scrapers only), or
// a long random token.
func validateMetricsToken(tok string) error {
	if tok == "" {
		return nil
	}
	if len(tok) < 24 || strings.ContainsAny(tok, " \t\r\n") {
		return errors.New("HAVEN_METRICS_TOKEN must be at least 24 characters without spaces; generate one with: openssl rand -hex 24 (or leave it unset to serve /metrics to loopback only)")
	}
	return nil
}

// metrics is Haven's Prometheus registry and the instruments the app updates.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	posts    prometheus.Counter
}

// newMetrics registers every metric: HTTP traffic by route, the queue by lane, posts
// published, live-event subscribers, database pools, and the Go runtime.
func newMetrics(store *models.Store, broker Broker) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "haven_http_requests_total", Help: "HTTP requests by method, route template and status code.",
	}, []string{"method", "route", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "haven_http_request_duration_seconds", Help: "HTTP request latency by method and route template.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"method", "route"})
	m.posts = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "haven_posts_created_total", Help: "Posts published through this instance (threads' first posts and replies).",
	})
	m.reg.MustRegister(m.requests, m.latency, m.posts,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&queueCollector{store: store},
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "haven_sse_subscribers", Help: "Open server-sent event streams on this instance.",
		}, func() float64 { return float64(broker.Subscribers()) }))
	for name, db := range store.DBs() {
		m.reg.MustRegister(collectors.NewDBStatsCollector(db, name))
	}
	return m
}

// middleware counts and times every request by its route template (c.Path(), such
// as /threads/:id), never the raw URL, so that the label set stays small.
func (m *metrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		status := c.Response().Status
		if err != nil {
			var he *echo.HTTPError
			if errors.As(err, &he) {
				status = he.Code
			} else if status < 400 {
				// The error handler decides the final status; classify as it will.
				status, _ = classify(err)
			}
		}
		route := c.Path()
		if route == "" || status == http.StatusNotFound && route == "/*" {
			route = "unmatched"
		}
		method := c.Request().Method
		m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
		m.latency.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
		return err
	}
}

// countingPublisher counts published posts on their way to the live broker.
type countingPublisher struct {
	next  models.Publisher
	posts prometheus.Counter
}

// Publish counts a new post and passes every event on.
func (p countingPublisher) Publish(ctx context.Context, e models.Event) {
	if e.Kind == models.EventPost {
		p.posts.Inc()
	}
	if p.next != nil {
		p.next.Publish(ctx, e)
	}
}

// queueCollector reads the queue's open and overdue items per lane at scrape time.
type queueCollector struct {
	store *models.Store
}

var (
	queueOpenDesc    = prometheus.NewDesc("haven_queue_open_items", "Open moderation queue items by lane.", []string{"lane"}, nil)
	queueOverdueDesc = prometheus.NewDesc("haven_queue_overdue_items", "Open moderation queue items past their deadline, by lane.", []string{"lane"}, nil)
	queueUpDesc      = prometheus.NewDesc("haven_queue_scrape_ok", "1 when the queue could be read at this scrape.", nil, nil)
)

// Describe sends the queue metrics' descriptions.
func (q *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueOpenDesc
	ch <- queueOverdueDesc
	ch <- queueUpDesc
}

// Collect reads the queue, within a few seconds.
func (q *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	gs, err := q.store.QueueGauges(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(queueUpDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(queueUpDesc, prometheus.GaugeValue, 1)
	for _, g := range gs {
		ch <- prometheus.MustNewConstMetric(queueOpenDesc, prometheus.GaugeValue, float64(g.Open), g.Lane)
		ch <- prometheus.MustNewConstMetric(queueOverdueDesc, prometheus.GaugeValue, float64(g.Overdue), g.Lane)
	}
}

// metricsAllowed reports whether a scrape may read /metrics: a request from a
// loopback address that no proxy forwarded, or one with the configured bearer token.
func (h *handler) metricsAllowed(r *http.Request) bool {
	if tok := h.cfg.MetricsToken; tok != "" {
		if got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok &&
			subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(tok)) == 1 {
			return true
		}
	}
	if r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Forwarded") != "" || r.Header.Get("X-Real-Ip") != "" {
		return false // a proxy on this host forwarded it: not a local scraper
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// serveMetrics handles GET /metrics (operators: loopback or bearer token).
func (h *handler) serveMetrics(c echo.Context) error {
	if !h.metricsAllowed(c.Request()) {
		// A plain 401 for scrapers, not the sign-in redirect people get.
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="haven metrics"`)
		return c.String(http.StatusUnauthorized, "metrics are open to loopback or the bearer token in HAVEN_METRICS_TOKEN\n")
	}
	promhttp.HandlerFor(h.metrics.reg, promhttp.HandlerOpts{}).ServeHTTP(c.Response(), c.Request())
	return nil
}
