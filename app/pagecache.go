package app

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// Pages every visitor sees alike are built once and kept: a thread's page with its
// list of posts rendered to HTML, a group's page and the home page. Only the frame
// around them (flash, CSRF token, banners, the Path) is rendered per request, so a
// visitor's page costs no query at all while it is current. Signed-in viewers always
// get a fresh page: their reactions, mutes, moderator controls and tokens are theirs
// alone and are never cached.
//
// A cached page is current while nothing it shows was written since it was loaded:
// models.Versions stamps every write (on this instance through a GORM callback, on
// the others through the live broker, see forwardChanges), and an entry remembers the
// stamp sequence read before its page was loaded. Entries also expire after
// pageCacheTTL, so that "5 minutes ago" does not stay put.

// pageCacheTTL bounds how long a cached page is shown, however quiet its thread.
const pageCacheTTL = 30 * time.Second

// pageCacheSize bounds the number of cached pages, and pageCacheBudget the bytes of
// their rendered HTML.
const (
	pageCacheSize   = 4096
	pageCacheBudget = 48 << 20
)

// cachedPage is one visitor page's view model, as loaded at seq.
type cachedPage struct {
	seq      uint64
	at       time.Time
	kind     byte // 't' thread, 'g' group, 'h' home and group list
	threadID int64
	groupID  int64
	data     any

	// The whole page as a visitor without cookies sees it, rendered once, with
	// csrfPlaceholder where the token goes, and the banners it shows.
	mu      sync.Mutex
	html    [][]byte // the page split at the placeholder
	banners []int64
}

// pageCache holds visitors' pages by URL.
type pageCache struct {
	versions *models.Versions
	mu       sync.RWMutex
	entries  map[string]*cachedPage
	bytes    int // rendered HTML held by all entries
	hits     uint64
	misses   uint64
}

func newPageCache(vs *models.Versions) *pageCache {
	return &pageCache{versions: vs, entries: map[string]*cachedPage{}}
}

// get returns the current entry for key, or nil.
func (pc *pageCache) get(key string) *cachedPage {
	pc.mu.RLock()
	e := pc.entries[key]
	pc.mu.RUnlock()
	if e == nil || time.Since(e.at) > pageCacheTTL || pc.stamp(e) > e.seq {
		pc.mu.Lock()
		pc.misses++
		pc.mu.Unlock()
		return nil
	}
	pc.mu.Lock()
	pc.hits++
	pc.mu.Unlock()
	return e
}

func (pc *pageCache) stamp(e *cachedPage) uint64 {
	switch e.kind {
	case 't':
		return pc.versions.Thread(e.threadID, e.groupID)
	case 'g':
		return pc.versions.Group(e.groupID)
	}
	return pc.versions.Home()
}

// put keeps a page loaded at seq.
func (pc *pageCache) put(key string, e *cachedPage) {
	e.at = time.Now()
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if old := pc.entries[key]; old != nil {
		pc.bytes -= old.size()
	}
	if len(pc.entries) >= pageCacheSize {
		pc.dropLocked(pageCacheSize / 8)
	}
	pc.entries[key] = e
}

// dropLocked drops n entries (map order is random).
func (pc *pageCache) dropLocked(n int) {
	for k, e := range pc.entries {
		if n <= 0 {
			break
		}
		pc.bytes -= e.size()
		delete(pc.entries, k)
		n--
	}
	if len(pc.entries) == 0 {
		pc.bytes = 0
	}
}

// grew records n more bytes of rendered pages, and drops a quarter of the entries
// while past pageCacheBudget.
func (pc *pageCache) grew(n int) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	pc.bytes += n
	for pc.bytes > pageCacheBudget && len(pc.entries) > 0 {
		pc.dropLocked(max(1, len(pc.entries)/4))
	}
}

// size is the bytes of the entry's rendered page.
func (e *cachedPage) size() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, p := range e.html {
		n += len(p)
	}
	return n
}

// visitor reports whether the request may be answered from the cache: no one is
// signed in.
func visitor(c echo.Context) bool { return viewer(c) == nil }

// visitorThread is a thread's page for visitors, from the cache when current; its
// posts are rendered to PostsHTML once.
func (h *handler) visitorThread(c echo.Context, id int64, page int) (*cachedPage, error) {
	key := fmt.Sprintf("t/%d/%d", id, page)
	if e := h.pages.get(key); e != nil {
		return e, nil
	}
	seq := h.pages.versions.Seq()
	primaryReads(c)
	tv, err := h.threadView(c, id, page)
	if err != nil {
		return nil, err
	}
	if len(tv.Posts) > 0 {
		html, err := h.render.fragment("thread", "postlist", emptyFrame(tv))
		if err != nil {
			return nil, err
		}
		tv.PostsHTML = html
	}
	h.pages.versions.NoteThreads(tv.groupID, id)
	e := &cachedPage{seq: seq, kind: 't', threadID: id, groupID: tv.groupID, data: tv}
	h.pages.put(key, e)
	return e, nil
}

// primaryReads makes the rest of the request read from the primary database, not a
// replica: what is loaded to be cached must be as new as the change stamps say,
// whatever a replica's lag.
func primaryReads(c echo.Context) {
	r := c.Request()
	c.SetRequest(r.WithContext(models.ReadPrimary(r.Context())))
}

// emptyFrame is the frame a cached fragment is rendered in: no viewer, no token.
func emptyFrame(data any) page { return page{Data: data} }

// visitorGroup is a group's page for visitors, from the cache when current.
func (h *handler) visitorGroup(c echo.Context, slug string, n int) (*cachedPage, error) {
	key := fmt.Sprintf("g/%s/%d", slug, n)
	if e := h.pages.get(key); e != nil {
		return e, nil
	}
	seq := h.pages.versions.Seq()
	primaryReads(c)
	gp, err := h.store.GroupPage(c.Request().Context(), nil, slug, n)
	if err != nil {
		return nil, err
	}
	gv := newGroupPageView(gp)
	if err := h.addGroupExtras(c, &gv, gp.Access); err != nil {
		return nil, err
	}
	ids := make([]int64, len(gp.Threads))
	for i := range gp.Threads {
		ids[i] = gp.Threads[i].ID
	}
	h.pages.versions.NoteThreads(gp.Access.Group.ID, ids...)
	e := &cachedPage{seq: seq, kind: 'g', groupID: gp.Access.Group.ID, data: &gv}
	h.pages.put(key, e)
	return e, nil
}

// visitorHome is the home page for visitors, from the cache when current.
func (h *handler) visitorHome(c echo.Context, build func() (*homeView, error)) (*cachedPage, error) {
	if e := h.pages.get("home"); e != nil {
		return e, nil
	}
	seq := h.pages.versions.Seq()
	primaryReads(c)
	hv, err := build()
	if err != nil {
		return nil, err
	}
	e := &cachedPage{seq: seq, kind: 'h', data: hv}
	h.pages.put("home", e)
	return e, nil
}

// csrfPlaceholder stands for the CSRF token in a visitor's cached page; it is random
// per process, so no post can contain it.
var csrfPlaceholder = func() []byte {
	b := make([]byte, 12)
	rand.Read(b)
	return []byte("csrf" + hex.EncodeToString(b))
}()

// respondCached answers with a cached visitor page: JSON from its view model, or the
// HTML rendered once. Only the token differs between visitors without cookies; a
// visitor with a flash message or dismissed banners gets the frame rendered afresh
// around the cached view.
func (h *handler) respondCached(c echo.Context, name string, e *cachedPage) error {
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, e.data)
	}
	if hasCookie(c, flashCookie) || hasCookie(c, dismissedCookie) {
		return h.html(c, http.StatusOK, name, e.data)
	}
	bs := h.banners(c)
	ids := make([]int64, len(bs))
	for i := range bs {
		ids[i] = bs[i].ID
	}
	e.mu.Lock()
	parts := e.html
	grown := 0
	if parts == nil || !slices.Equal(ids, e.banners) {
		t, ok := h.render.pages[name]
		if !ok {
			e.mu.Unlock()
			return fmt.Errorf("app: no page template %q", name)
		}
		p := h.newPage(c, e.data)
		p.CSRF = string(csrfPlaceholder)
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, "base", p); err != nil {
			e.mu.Unlock()
			return fmt.Errorf("app: render %s: %w", name, err)
		}
		for _, p := range e.html {
			grown -= len(p)
		}
		parts = bytes.Split(buf.Bytes(), csrfPlaceholder)
		e.html, e.banners = parts, ids
		grown += buf.Len() - (len(parts)-1)*len(csrfPlaceholder)
	}
	e.mu.Unlock()
	if grown != 0 {
		h.pages.grew(grown)
	}
	// Write the parts around this visitor's token: no copy of the page per request.
	token := []byte(csrfToken(c))
	n := (len(parts) - 1) * len(token)
	for _, p := range parts {
		n += len(p)
	}
	res := c.Response()
	res.Header().Set("Cache-Control", "no-store")
	res.Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	res.Header().Set(echo.HeaderContentLength, strconv.Itoa(n))
	res.WriteHeader(http.StatusOK)
	for i, p := range parts {
		if i > 0 {
			if _, err := res.Write(token); err != nil {
				return nil
			}
		}
		if _, err := res.Write(p); err != nil {
			return nil // the client went away
		}
	}
	return nil
}

// hasCookie reports whether the request carries the named cookie.
func hasCookie(c echo.Context, name string) bool {
	_, err := c.Cookie(name)
	return err == nil
}

// fragment renders one named template of a page's set to HTML, to be cached.
func (r *renderer) fragment(pageName, name string, data any) (template.HTML, error) {
	t, ok := r.pages[pageName]
	if !ok {
		return "", fmt.Errorf("app: no page template %q", pageName)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		return "", fmt.Errorf("app: render %s/%s: %w", pageName, name, err)
	}
	return template.HTML(buf.String()), nil
}

// cacheEventName is the live event that carries a models.Change between instances.
// Its group id is -1, so that no subscriber's filter ever passes it on to a browser.
const cacheEventName = "cache"

// forwardChanges sends every change this instance commits to the broker, for the
// other instances' caches.
func (h *handler) forwardChanges() {
	if _, local := h.broker.(*memoryBroker); local {
		return // one instance: nobody else to tell
	}
	h.store.Versions().OnChange(func(ch models.Change) {
		data, err := json.Marshal(cacheEvent{Origin: h.instance, Change: ch})
		if err != nil {
			return
		}
		h.broker.Publish(liveEvent{Name: cacheEventName, GroupID: -1, Data: data})
	})
}

// newInstanceID names this process among the instances sharing a database.
func newInstanceID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// cacheEvent is the data of a cache event.
type cacheEvent struct {
	Origin string        `json:"origin"`
	Change models.Change `json:"change"`
}

// applyLiveEvent ages this instance's cached pages for a cache event from another
// instance, which names what that instance changed. (This instance's own writes were
// stamped by the store as they happened; its own events come back and are ignored.)
func (h *handler) applyLiveEvent(e liveEvent) {
	if e.Name != cacheEventName {
		return
	}
	vs := h.store.Versions()
	var ce cacheEvent
	if json.Unmarshal(e.Data, &ce) != nil {
		vs.Apply(models.Change{All: true})
		return
	}
	if ce.Origin != h.instance {
		vs.Apply(ce.Change)
	}
}
