package app

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// A signed-in viewer's page of a thread or a group differs from another viewer's only
// in small things: which reaction buttons are pressed, which posts they may edit,
// quote or report, what they have not read yet, their pseudonym, their badges. What
// every viewer sees alike (the thread and its posts, the group and its threads,
// authors, labels, counts) is loaded once per version into a snapshot, and the page is
// put together from HTML rendered once and kept in the snapshot's fragSet:
//
//   - each item of the list (a post, a thread) once for each combination of what the
//     viewer may do with it or how it is shown to them, and
//   - the page around the list (the frame, the header, the forms) once for each
//     combination of the viewer's badges and rights, with markers where the viewer's
//     own text goes (their token, their pseudonym) and where the list goes.
//
// A page view then costs the viewer's own few queries and copying bytes. Whatever is
// the viewer's alone beyond that (a flash message, a draft, form errors, a moderator's
// controls) makes the page be rendered in full. Snapshots are current while nothing
// they show was written since they were loaded (the visitor page cache's version
// stamps, see pagecache.go) and for at most pageCacheTTL, so that "5 minutes ago"
// moves on; the kept HTML is bounded by snapFragBudget bytes in all.

// snapFragBudget bounds the bytes of rendered HTML kept for all snapshots.
const snapFragBudget = 48 << 20

// snapCacheSize bounds the number of snapshots kept.
const snapCacheSize = 1024

// snapshot is a thread's or group's page as every signed-in viewer sees it.
type snapshot interface {
	frags() *fragSet
	current(vs *models.Versions) bool
}

// snapCache holds the snapshots by page.
type snapCache struct {
	versions *models.Versions
	mu       sync.Mutex
	entries  map[string]snapshot
	bytes    int // rendered bytes held by all entries
}

func newSnapCache(vs *models.Versions) *snapCache {
	return &snapCache{versions: vs, entries: map[string]snapshot{}}
}

// get returns the current snapshot under key, or nil.
func (sc *snapCache) get(key string) snapshot {
	sc.mu.Lock()
	s := sc.entries[key]
	sc.mu.Unlock()
	if s == nil || !s.current(sc.versions) {
		return nil
	}
	return s
}

// put keeps s under key.
func (sc *snapCache) put(key string, s snapshot) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if old := sc.entries[key]; old != nil {
		sc.bytes -= old.frags().size()
	}
	if len(sc.entries) >= snapCacheSize {
		sc.dropLocked(snapCacheSize / 8)
	}
	sc.entries[key] = s
}

// dropLocked drops n snapshots (map order is random), or all of them when n < 0.
func (sc *snapCache) dropLocked(n int) {
	for k, s := range sc.entries {
		if n == 0 {
			break
		}
		sc.bytes -= s.frags().size()
		delete(sc.entries, k)
		n--
	}
	if len(sc.entries) == 0 {
		sc.bytes = 0
	}
}

// grew records n more rendered bytes, and drops everything past the budget.
func (sc *snapCache) grew(n int) {
	if n == 0 {
		return
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.bytes += n
	if sc.bytes > snapFragBudget {
		sc.dropLocked(-1)
	}
}

// snapStamp is when a snapshot was loaded: the version sequence and the clock.
type snapStamp struct {
	seq uint64
	at  time.Time
}

func newSnapStamp(seq uint64) snapStamp { return snapStamp{seq: seq, at: time.Now()} }

// fresh reports whether a snapshot loaded at st is current, stamp being the newest
// version of what it shows.
func (st snapStamp) fresh(stamp uint64) bool {
	return time.Since(st.at) <= pageCacheTTL && stamp <= st.seq
}

// fragSet is the HTML rendered from one snapshot: list items by key, each split where
// the viewer's token goes, and shells by key.
type fragSet struct {
	mu     sync.Mutex
	items  map[any][][]byte
	shells map[any][]shellPart
}

func (fs *fragSet) size() int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	n := 0
	for _, f := range fs.items {
		for _, part := range f {
			n += len(part)
		}
	}
	for _, sh := range fs.shells {
		for _, part := range sh {
			n += len(part.text)
		}
	}
	return n
}

// kept returns the item kept for key, if there is one.
func (fs *fragSet) kept(key any) ([][]byte, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f, ok := fs.items[key]
	return f, ok
}

// item returns the kept rendering of the named template for key, rendering data
// (whose token must be csrfPlaceholder) the first time.
func (h *handler) item(fs *fragSet, t *template.Template, key any, name string, data any) ([][]byte, error) {
	if f, ok := fs.kept(key); ok {
		return f, nil
	}
	var f [][]byte
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		return nil, fmt.Errorf("app: render %s: %w", name, err)
	}
	f = bytes.Split(buf.Bytes(), csrfPlaceholder)
	fs.mu.Lock()
	if fs.items == nil {
		fs.items = map[any][][]byte{}
	}
	fs.items[key] = f
	fs.mu.Unlock()
	h.snaps.grew(buf.Len())
	return f, nil
}

// itemList is a viewer's list of kept items: written out in order with the viewer's
// token between the parts of each, never rendered again.
type itemList struct {
	items [][][]byte
}

func (l *itemList) add(f [][]byte) { l.items = append(l.items, f) }

func (l *itemList) size(token []byte) int {
	n := 0
	for _, f := range l.items {
		for _, part := range f {
			n += len(part)
		}
		n += (len(f) - 1) * len(token)
	}
	return n
}

func (l *itemList) writeTo(buf *bytes.Buffer, token []byte) {
	for _, f := range l.items {
		for j, part := range f {
			if j > 0 {
				buf.Write(token)
			}
			buf.Write(part)
		}
	}
}

// Markers in a kept shell; random per process, so no page text can contain them.
var (
	listMarkers     = [2]string{randomMarker("list"), randomMarker("list")}
	listMarker      = listMarkers[0]
	pseudonymMarker = randomMarker("pseudonym")
)

func randomMarker(prefix string) string {
	b := make([]byte, 12)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// Slots of a shell where the viewer's text goes.
const (
	slotNone = iota
	slotToken
	slotPseudonym
	slotList // and slotList+1 for a page's second list
)

// shellPart is kept page text followed by a slot.
type shellPart struct {
	text []byte
	slot int
}

// frameKey is what the frame of a signed-in page shows that is not the viewer's own
// text: their badges, links and banners.
type frameKey struct {
	admin, moderator, clinician, reverify bool
	unread, modOpen, questions            int
	banners                               string
}

// frameKeyOf is the key of p's frame, or false when it holds something of the
// viewer's alone (a flash message).
func frameKeyOf(p *page) (frameKey, bool) {
	if p.Flash != "" {
		return frameKey{}, false
	}
	k := frameKey{admin: p.Viewer.IsAdmin(), moderator: p.IsModerator, clinician: p.IsClinician,
		reverify: p.ClinicianReverify, unread: p.Unread, modOpen: p.ModerationOpen, questions: p.ClinicianQuestions}
	if len(p.Banners) > 0 {
		var b strings.Builder
		for _, bn := range p.Banners {
			b.WriteString(strconv.FormatInt(bn.ID, 10))
			b.WriteByte(',')
		}
		k.banners = b.String()
	}
	return k, true
}

// splitShell cuts a rendered page at the markers.
func splitShell(page []byte) []shellPart {
	markers := []struct {
		m    []byte
		slot int
	}{{csrfPlaceholder, slotToken}, {[]byte(pseudonymMarker), slotPseudonym},
		{[]byte(listMarkers[0]), slotList}, {[]byte(listMarkers[1]), slotList + 1}}
	var parts []shellPart
	for {
		at, slot, n := -1, slotNone, 0
		for _, mk := range markers {
			if i := bytes.Index(page, mk.m); i >= 0 && (at < 0 || i < at) {
				at, slot, n = i, mk.slot, len(mk.m)
			}
		}
		if at < 0 {
			return append(parts, shellPart{text: page})
		}
		parts = append(parts, shellPart{text: page[:at], slot: slot})
		page = page[at+n:]
	}
}

// shellPage is a signed-in page put together from a kept shell and a list.
type shellPage struct {
	name string // the page template
	p    page
	// key names the shell; keep is false when the page is the viewer's alone and is
	// rendered in full (around the list).
	key  any
	keep bool
	// mark puts the markers in the page's data: the lists' (listMarkers) always, the
	// pseudonym's (replacing the viewer's) when keep is true.
	mark func(keep bool)
	// pseudonym is the viewer's pseudonym the shell shows, if any.
	pseudonym *string
	lists     []*itemList
}

// writeShellPage answers with sp: the shell, kept or rendered now, with the viewer's
// token, pseudonym and list in its slots, put together in one buffer and written at
// once (a write per item would be a system call per few kilobytes).
func (h *handler) writeShellPage(c echo.Context, fs *fragSet, sp shellPage) error {
	t, ok := h.render.pages[sp.name]
	if !ok {
		return fmt.Errorf("app: no page template %q", sp.name)
	}
	var pseudonym []byte
	if sp.pseudonym != nil {
		pseudonym = []byte(template.HTMLEscapeString(*sp.pseudonym))
	}
	var parts []shellPart
	if sp.keep {
		fs.mu.Lock()
		parts = fs.shells[sp.key]
		fs.mu.Unlock()
	}
	if parts == nil {
		sp.mark(sp.keep)
		if sp.keep {
			sp.p.CSRF = string(csrfPlaceholder)
		}
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, "base", sp.p); err != nil {
			return fmt.Errorf("app: render %s: %w", sp.name, err)
		}
		parts = splitShell(buf.Bytes())
		if sp.keep {
			fs.mu.Lock()
			if fs.shells == nil {
				fs.shells = map[any][]shellPart{}
			}
			fs.shells[sp.key] = parts
			fs.mu.Unlock()
			h.snaps.grew(buf.Len())
		}
	}
	token := []byte(csrfToken(c))
	n := 0
	for _, part := range parts {
		n += len(part.text)
		switch part.slot {
		case slotToken:
			n += len(token)
		case slotPseudonym:
			n += len(pseudonym)
		case slotList, slotList + 1:
			if i := part.slot - slotList; i < len(sp.lists) {
				n += sp.lists[i].size(token)
			}
		}
	}
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledPage {
			buf.Reset()
			pageBuffers.Put(buf)
		}
	}()
	buf.Grow(n)
	for _, part := range parts {
		buf.Write(part.text)
		switch part.slot {
		case slotToken:
			buf.Write(token)
		case slotPseudonym:
			buf.Write(pseudonym)
		case slotList, slotList + 1:
			if i := part.slot - slotList; i < len(sp.lists) {
				sp.lists[i].writeTo(buf, token)
			}
		}
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}
