package app

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"haven/models"
	"haven/static"
	"haven/views"
)

// renderer holds every page template, parsed once at start-up.
type renderer struct {
	pages  map[string]*template.Template
	assets map[string]string // "css/haven.css" → content hash
}

func newRenderer() (*renderer, error) {
	r := &renderer{pages: map[string]*template.Template{}, assets: map[string]string{}}
	err := fs.WalkDir(static.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".go") {
			return err
		}
		b, err := fs.ReadFile(static.FS, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		r.assets[p] = hex.EncodeToString(sum[:])[:12]
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("app: hash assets: %w", err)
	}
	names, err := fs.Glob(views.FS, "pages/*.html")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		t, err := template.New("").Funcs(r.funcs()).ParseFS(views.FS, "layouts/*.html", "partials/*.html", name)
		if err != nil {
			return nil, fmt.Errorf("app: parse %s: %w", name, err)
		}
		r.pages[strings.TrimSuffix(path.Base(name), ".html")] = t
	}
	return r, nil
}

func (r *renderer) funcs() template.FuncMap {
	return template.FuncMap{
		"asset": func(name string) string {
			return "/static/" + name + "?v=" + r.assets[name]
		},
		// html marks HTML that the Markdown pipeline rendered and sanitised at write time.
		"html":    func(s string) template.HTML { return template.HTML(s) },
		"time":    func(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") },
		"isotime": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"ago":     ago,
		"plural": func(n int, one, many string) string {
			if n == 1 {
				return fmt.Sprintf("%d %s", n, one)
			}
			return fmt.Sprintf("%d %s", n, many)
		},
		"add": func(a, b int) int { return a + b },
		// badge is a header count, "99+" past models.BadgeCap.
		"badge": badge,
		// deref is the number a nullable count points to (0 for none).
		"deref": func(n *int) int {
			if n == nil {
				return 0
			}
			return *n
		},
		// postitem is one post of a thread page's list (see postfrags.go).
		"postitem": newPostItem,
		"field": func(errs map[string]string, name string) string {
			return errs[name]
		},
		// dict passes named values to a partial: {{template "textarea" dict "Name" "body" …}}.
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, fmt.Errorf("dict: odd number of arguments")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
	}
}

// ago says how long ago t was, in words.
func ago(t time.Time) string {
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 24*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	case d < 30*24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day") + " ago"
	}
	return t.UTC().Format("2 Jan 2006")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// page is what every template receives: the view model in Data, and the frame
// around it.
type page struct {
	Title     string
	Viewer    *models.Viewer
	CSRF      string
	LocalMode bool
	Flash     string
	Path      string
	Data      any
	// Unread is the signed-in viewer's unread notification count, for the bell.
	Unread int
	// IsModerator shows the header's Moderation link, with ModerationOpen open items.
	IsModerator    bool
	ModerationOpen int
	// Banners are the current urgent announcements the viewer may see and has not
	// dismissed (see announcements.go).
	Banners []models.Banner
	// IsClinician shows a verified clinician the question queue with ClinicianQuestions
	// unanswered questions; ClinicianReverify asks a lapsed one to re-verify (see clinicians.go).
	IsClinician        bool
	ClinicianQuestions int
	ClinicianReverify  bool
}

// wantsJSON reports whether the client asked for JSON.
func wantsJSON(c echo.Context) bool {
	return strings.Contains(c.Request().Header.Get(echo.HeaderAccept), echo.MIMEApplicationJSON)
}

// respond sends data as JSON to programs and as the named page to browsers.
func (h *handler) respond(c echo.Context, status int, name string, data any) error {
	if wantsJSON(c) {
		return c.JSON(status, data)
	}
	return h.html(c, status, name, data)
}

// html renders the named page around data.
func (h *handler) html(c echo.Context, status int, name string, data any) error {
	t, ok := h.render.pages[name]
	if !ok {
		return fmt.Errorf("app: no page template %q", name)
	}
	p := h.newPage(c, data)
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledPage {
			buf.Reset()
			pageBuffers.Put(buf)
		}
	}()
	if err := t.ExecuteTemplate(buf, "base", p); err != nil {
		return fmt.Errorf("app: render %s: %w", name, err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}

// pageBuffers are the buffers pages are rendered into, kept for the next page.
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledPage is the largest buffer kept for reuse.
const maxPooledPage = 1 << 20

// newPage is the frame of a page for this request around data.
func (h *handler) newPage(c echo.Context, data any) page {
	p := page{
		Viewer:    viewer(c),
		CSRF:      csrfToken(c),
		LocalMode: h.cfg.LocalMode(),
		Flash:     h.sessions.takeFlash(c),
		Path:      c.Request().URL.Path,
		Data:      data,
		Banners:   h.banners(c),
	}
	if p.Viewer != nil {
		h.headerBadges(c, &p)
	}
	return p
}

// headerBadges fills the header's counts for a signed-in viewer in one query, each
// capped at models.BadgeCap (shown as "99+", see badge): unread notifications, the
// Moderation link with its open items for those who moderate something, and the
// clinician links (see clinicianBadge). A failure shows no counts.
func (h *handler) headerBadges(c echo.Context, p *page) {
	h.clinicianBadge(p)
	hc, err := h.store.HeaderCounts(c.Request().Context(), p.Viewer)
	if err != nil {
		h.log.Warn("count header badges", "err", err)
		return
	}
	p.Unread, p.IsModerator, p.ModerationOpen = hc.Unread, hc.Moderates, hc.ModerationOpen
	if p.IsClinician {
		p.ClinicianQuestions = hc.ClinicianQuestions
	}
}

// badge is a header count as shown: "99+" from models.BadgeCap on.
func badge(n int) string {
	if n >= models.BadgeCap {
		return fmt.Sprintf("%d+", models.BadgeCap-1)
	}
	return strconv.Itoa(n)
}

// redirect answers a browser's form POST with 303 See Other.
func redirect(c echo.Context, to string) error {
	return c.Redirect(http.StatusSeeOther, to)
}

// csrfToken is the token forms must send back.
func csrfToken(c echo.Context) string {
	s, _ := c.Get("csrf").(string)
	return s
}
