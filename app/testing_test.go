package app

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// testApp is a running Haven on a fresh database.
type testApp struct {
	t     testing.TB
	store *models.Store
	srv   *httptest.Server
	cfg   Config
	echo  *echo.Echo
	// handler is the app's handler, for tests that look inside.
	handler *handler
}

// localConfig is a local-mode configuration for tests.
func localConfig() Config {
	c := ConfigFromEnv(func(string) string { return "" })
	c.Secret = string(models.TestSecret)
	// Relaxed abuse limits: every test signs in from 127.0.0.1 (see ratelimit_test.go).
	c.RateLimits = "scale=1000"
	return c
}

// newTestApp starts Haven in local mode on a fresh database.
func newTestApp(t testing.TB) *testApp {
	t.Helper()
	return newTestAppWith(t, localConfig())
}

// newTestAppWith starts Haven with cfg on a fresh database. cfg.BaseURL is replaced
// by the test server's address.
func newTestAppWith(t testing.TB, cfg Config) *testApp {
	t.Helper()
	return newTestAppOnStore(t, cfg, models.NewTestStore(t))
}

// newTestAppOnStore starts Haven with cfg on store.
func newTestAppOnStore(t testing.TB, cfg Config, store *models.Store) *testApp {
	t.Helper()
	ta := &testApp{t: t, store: store}
	// Start the listener first so that callbacks can name the real address.
	srv := httptest.NewUnstartedServer(nil)
	cfg.BaseURL = "http://" + srv.Listener.Addr().String()
	cfg.Addr = "127.0.0.1:0"
	h, e, err := build(cfg, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	srv.Config.Handler = e
	srv.Start()
	t.Cleanup(srv.Close)
	// First (cleanups run last in, first out): end live streams, stop the broker's
	// listener and scheduled jobs.
	t.Cleanup(h.shutdown)
	ta.srv, ta.cfg, ta.echo, ta.handler = srv, cfg, e, h
	return ta
}

// broker returns the running app's broker.
func (ta *testApp) broker() Broker { return ta.handler.broker }

// client is one browser or program talking to the test app, with its own cookies.
type client struct {
	t    testing.TB
	app  *testApp
	http *http.Client
	csrf string
}

// newClient returns a client with an empty cookie jar that does not follow redirects.
func (ta *testApp) newClient() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: ta.t, app: ta, http: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signIn returns a client signed in on /auth/local as name with role, holding a CSRF token.
func (ta *testApp) signIn(name, role string) *client {
	c := ta.newClient()
	c.fetchCSRF()
	res := c.do("POST", "/auth/local", map[string]any{"name": name, "role": role})
	if res.StatusCode != 200 {
		ta.t.Fatalf("local sign-in as %s: status %d: %s", name, res.StatusCode, res.body)
	}
	var me struct {
		CSRFToken string `json:"csrf_token"`
	}
	res.decode(&me)
	c.csrf = me.CSRFToken
	return c
}

// fetchCSRF loads a page to get a CSRF cookie and reads the token from it.
func (c *client) fetchCSRF() {
	res := c.get("/signin")
	if res.StatusCode != 200 {
		c.t.Fatalf("GET /signin: %d", res.StatusCode)
	}
	u, _ := url.Parse(c.app.srv.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == csrfCookie {
			c.csrf = ck.Value
		}
	}
	if c.csrf == "" {
		c.t.Fatalf("no CSRF cookie after GET /signin")
	}
}

// response is a finished response with its body read.
type response struct {
	*http.Response
	body string
	t    testing.TB
}

// decode unmarshals the JSON body into v.
func (r *response) decode(v any) {
	r.t.Helper()
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		r.t.Fatalf("decode %s: %v: %s", r.Request.URL.Path, err, r.body)
	}
}

// json returns the body as a generic map.
func (r *response) json() map[string]any {
	r.t.Helper()
	var m map[string]any
	r.decode(&m)
	return m
}

// errorCode returns error.code of a JSON error body.
func (r *response) errorCode() string {
	var e struct {
		Error apiError `json:"error"`
	}
	json.Unmarshal([]byte(r.body), &e)
	return e.Error.Code
}

// get sends a GET asking for JSON.
func (c *client) get(path string) *response {
	return c.send("GET", path, nil, "application/json", "")
}

// getHTML sends a GET as a browser would.
func (c *client) getHTML(path string) *response {
	return c.send("GET", path, nil, "text/html", "")
}

// do sends body as JSON with the CSRF header, asking for JSON.
func (c *client) do(method, path string, body any) *response {
	c.t.Helper()
	var r io.Reader
	ct := ""
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		r, ct = strings.NewReader(string(b)), "application/json"
	}
	req := c.request(method, path, r, "application/json", ct)
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	return c.roundTrip(req)
}

// postForm sends an HTML form with the CSRF field, as a browser would.
func (c *client) postForm(path string, form url.Values) *response {
	if form == nil {
		form = url.Values{}
	}
	if c.csrf != "" && form.Get("csrf") == "" {
		form.Set("csrf", c.csrf)
	}
	return c.send("POST", path, strings.NewReader(form.Encode()), "text/html", "application/x-www-form-urlencoded")
}

func (c *client) send(method, path string, body io.Reader, accept, contentType string) *response {
	return c.roundTrip(c.request(method, path, body, accept, contentType))
}

func (c *client) request(method, path string, body io.Reader, accept, contentType string) *http.Request {
	req, err := http.NewRequest(method, c.app.srv.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Accept", accept)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req
}

func (c *client) roundTrip(req *http.Request) *response {
	c.t.Helper()
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return &response{Response: res, body: string(b), t: c.t}
}

// mustStatus fails the test unless the response has the wanted status.
func (r *response) mustStatus(want int) *response {
	r.t.Helper()
	if r.StatusCode != want {
		r.t.Fatalf("%s %s: status %d, want %d: %.600s", r.Request.Method, r.Request.URL.Path, r.StatusCode, want, r.body)
	}
	return r
}

// userIDPattern finds anything in a payload that looks like a user id field.
var userIDPattern = regexp.MustCompile(`(?i)"(user_id|userid|user|subject|subject_hash|email|identity)"\s*:`)
