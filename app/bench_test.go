package app

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// benchApp is a test app with a generated dataset, and the thread with the most
// replies (at least a full page of 50 posts).
func benchApp(b *testing.B) (*testApp, int64, models.Thread) {
	b.Helper()
	ta := newTestApp(b)
	ctx := context.Background()
	if _, err := ta.store.SeedScale(ctx, models.ScaleOptions{Groups: 5, Members: 300, Threads: 100, Posts: 3000, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	gp, err := ta.store.Search(ctx, nil, models.SearchQuery{Text: "diary"})
	if err != nil || len(gp.Hits) == 0 {
		b.Fatalf("search: %v", err)
	}
	var best models.Thread
	for i := 1; i <= 100; i++ {
		tp, err := ta.store.ThreadPage(ctx, nil, int64(i), 1)
		if err == nil && tp.Thread.ReplyCount > best.ReplyCount {
			best = tp.Thread
		}
	}
	if best.ReplyCount < models.PageSize {
		b.Fatalf("busiest thread has %d replies", best.ReplyCount)
	}
	return ta, best.ID, best
}

// serve runs one request through the app in process.
func serve(b *testing.B, e *echo.Echo, path string, cookies []*http.Cookie) int {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("GET %s: %d", path, rec.Code)
	}
	return rec.Body.Len()
}

// BenchmarkThreadPage renders a thread page of 50 posts for a visitor (from the
// page cache), for a signed-in member (always fresh), and serves the visitor's bytes
// as a static file through the same server, for comparison.
func BenchmarkThreadPage(b *testing.B) {
	ta, id, t := benchApp(b)
	path := fmt.Sprintf("/threads/%d", id)
	// A member of the thread's group: generated members sign in as m<user id>.
	names, err := ta.store.ScaleMemberNames(context.Background(), t.GroupID, 1)
	if err != nil || len(names) == 0 {
		b.Fatalf("members: %v", err)
	}
	member := ta.signIn(names[0], "member")
	u, _ := url.Parse(ta.srv.URL)
	cookies := member.http.Jar.Cookies(u)

	page := ta.newClient().getHTML(path).mustStatus(200).body
	file := filepath.Join(b.TempDir(), "page.html")
	if err := os.WriteFile(file, []byte(page), 0o600); err != nil {
		b.Fatal(err)
	}
	ta.echo.GET("/static/bench/page.html", func(c echo.Context) error { return c.File(file) })

	for _, c := range []struct {
		name    string
		path    string
		cookies []*http.Cookie
	}{
		{"static-same-bytes", "/static/bench/page.html", nil},
		{"visitor", path, nil},
		{"member", path, cookies},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			n := serve(b, ta.echo, c.path, c.cookies)
			b.SetBytes(int64(n))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					serve(b, ta.echo, c.path, c.cookies)
				}
			})
		})
	}
}

// BenchmarkGroupAndHome renders a group's page and the home page for a visitor.
func BenchmarkGroupAndHome(b *testing.B) {
	ta, _, t := benchApp(b)
	var g models.Group
	gs, err := ta.store.ListGroups(context.Background(), nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range gs {
		if l.Group.ID == t.GroupID {
			g = l.Group
		}
	}
	for _, path := range []string{"/groups/" + g.Slug, "/"} {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			serve(b, ta.echo, path, nil)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					serve(b, ta.echo, path, nil)
				}
			})
		})
	}
}
