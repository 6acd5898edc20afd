package app

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// benchApp is a test app with a generated dataset, and the thread with the most
// replies (at least a full page of 50 posts).
func benchApp(b *testing.B) (*testApp, int64, models.Thread) {
	b.Helper()
	// A database file with its pool of readers, as Haven runs.
	ta := newTestAppOnStore(b, localConfig(), models.NewTestFileStore(b))
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

// serve runs one request through the app in process. The body is counted, not kept,
// as a network connection would send it on.
func serve(b *testing.B, e *echo.Echo, path string, cookies []*http.Cookie) int {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	w := &countingWriter{header: http.Header{}}
	e.ServeHTTP(w, req)
	if w.code != http.StatusOK {
		b.Fatalf("GET %s: %d", path, w.code)
	}
	return w.n
}

// countingWriter is an http.ResponseWriter that counts the bytes of the body.
type countingWriter struct {
	header http.Header
	code   int
	n      int
}

func (w *countingWriter) Header() http.Header { return w.header }

func (w *countingWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.n += len(p)
	return len(p), nil
}

// BenchmarkThreadPage renders a thread page of 50 posts for a visitor (from the
// page cache) and for a signed-in member of its group, and serves the visitor's bytes
// as a static file through the same server, for comparison.
func BenchmarkThreadPage(b *testing.B) {
	ta, id, t := benchApp(b)
	benchPage(b, ta, fmt.Sprintf("/threads/%d", id), benchMember(b, ta, t.GroupID))
}

// BenchmarkGroupAndHome does the same for the thread's group's page and the home
// page.
func BenchmarkGroupAndHome(b *testing.B) {
	ta, _, t := benchApp(b)
	var g models.Group
	gs, err := ta.store.AllGroups(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	for _, one := range gs {
		if one.ID == t.GroupID {
			g = one
		}
	}
	cookies := benchMember(b, ta, g.ID)
	for _, path := range []string{"/groups/" + g.Slug, "/"} {
		name := "group"
		if path == "/" {
			name = "home"
		}
		b.Run(name, func(b *testing.B) { benchPage(b, ta, path, cookies) })
	}
}

// benchMember signs in a generated member (not a moderator) of a group and returns
// their cookies.
func benchMember(b *testing.B, ta *testApp, groupID int64) []*http.Cookie {
	names, err := ta.store.ScaleMemberNames(context.Background(), groupID, 1)
	if err != nil || len(names) == 0 {
		b.Fatalf("members: %v", err)
	}
	member := ta.signIn(names[0], "member") // generated members sign in as m<user id>
	u, _ := url.Parse(ta.srv.URL)
	return member.http.Jar.Cookies(u)
}

// benchPage serves path to a visitor and to the member with cookies, and the
// visitor's bytes as a static file.
func benchPage(b *testing.B, ta *testApp, path string, cookies []*http.Cookie) {
	page := ta.newClient().getHTML(path).mustStatus(200).body
	file := filepath.Join(b.TempDir(), "page.html")
	if err := os.WriteFile(file, []byte(page), 0o600); err != nil {
		b.Fatal(err)
	}
	static := "/static/bench" + strconv.Itoa(len(benchRoutes)) + "/page.html"
	benchRoutes = append(benchRoutes, static)
	ta.echo.GET(static, func(c echo.Context) error { return c.File(file) })
	for _, c := range []struct {
		name    string
		path    string
		cookies []*http.Cookie
	}{
		{"static-same-bytes", static, nil},
		{"visitor", path, nil},
		{"member", path, cookies},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			n := serve(b, ta.echo, c.path, c.cookies)
			b.SetBytes(int64(n))
			cpu := processCPU()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					serve(b, ta.echo, c.path, c.cookies)
				}
			})
			b.StopTimer()
			reportCPU(b, cpu)
		})
	}
}

// benchRoutes are the static routes added so far (one per page benchmarked).
var benchRoutes []string

// reportCPU reports the process's CPU time per operation since start, garbage
// collection included: unlike ns/op, it does not grow when other work shares the
// machine.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
}
