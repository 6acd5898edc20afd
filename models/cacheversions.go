package models

import (
	"regexp"
	"strings"
	"sync"
	"unicode"

	"gorm.io/gorm"
)

// Pages that every reader sees alike (a visitor's thread, group and home pages) are
// rendered once and cached by the app. Versions says when such a page may have
// changed: every write through the store is seen by a GORM callback, which names what
// it touched (a thread, a group, the list of groups, or anything at all when it cannot
// tell), and each of those gets a new stamp from one sequence. A cached page stays
// valid while none of the things it shows has a stamp newer than the sequence number
// read before the page was loaded.
//
// A write inside a transaction is stamped twice: when its statement runs, and again
// after the commit (see Store.tx), so that a page loaded between the two, which still
// saw the old rows, is never taken for current.

// Change names what a committed write changed. The zero Change changes nothing.
type Change struct {
	// All means anything may have changed: every cached page is stale.
	All bool `json:"all,omitempty"`
	// Home means the list of groups changed (names, counts, activity).
	Home    bool    `json:"home,omitempty"`
	Threads []int64 `json:"threads,omitempty"`
	Groups  []int64 `json:"groups,omitempty"`
	// Users names accounts whose row changed (role, status, name): the store's cache
	// of signed-in viewers drops them (see ViewerByID).
	Users []int64 `json:"users,omitempty"`
	// Badges means notifications or queue items changed: the header counts kept for
	// signed-in viewers (see HeaderCounts) are stale.
	Badges bool `json:"badges,omitempty"`
	// Catalog means a group was added, removed, renamed or changed in who may read
	// it, not only its counters: the groups kept for search are stale.
	Catalog bool `json:"catalog,omitempty"`
}

// Empty reports whether c changes nothing.
func (c Change) Empty() bool {
	return !c.All && !c.Home && !c.Badges && !c.Catalog && len(c.Threads) == 0 && len(c.Groups) == 0 && len(c.Users) == 0
}

func (c *Change) merge(o Change) {
	c.All = c.All || o.All
	c.Home = c.Home || o.Home
	c.Threads = append(c.Threads, o.Threads...)
	c.Groups = append(c.Groups, o.Groups...)
	c.Users = append(c.Users, o.Users...)
	c.Badges = c.Badges || o.Badges
	c.Catalog = c.Catalog || o.Catalog
}

// Versions stamps changes to what pages show; see the comment above.
type Versions struct {
	mu      sync.Mutex
	seq     uint64
	all     uint64 // the last change to everything
	home    uint64
	threads map[int64]uint64
	groups  map[int64]uint64
	users   map[int64]uint64
	badges  uint64 // the last change to notifications or queue items
	catalog uint64 // the last change to a group beyond its counters
	// threadGroup remembers the group of threads the app has shown, so that a change to
	// one of their posts also ages the group's page.
	threadGroup map[int64]int64
	// open holds the changes of transactions begun by Store.tx, until they commit.
	open  map[gorm.ConnPool]*Change
	hooks []func(Change)
}

// maxTracked bounds the per-thread and per-group maps; past it, everything is aged at
// once and the maps start again.
const maxTracked = 200000

func newVersions() *Versions {
	return &Versions{seq: 1, all: 1, threads: map[int64]uint64{}, groups: map[int64]uint64{}, users: map[int64]uint64{},
		threadGroup: map[int64]int64{}, open: map[gorm.ConnPool]*Change{}}
}

// Seq is the latest stamp. Read it before loading a page to cache.
func (vs *Versions) Seq() uint64 {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	return vs.seq
}

// Thread is the newest stamp of anything a thread page shows: the thread, its group,
// or everything.
func (vs *Versions) Thread(threadID, groupID int64) uint64 {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	return max(vs.all, vs.threads[threadID], vs.groups[groupID])
}

// Group is the newest stamp of anything a group page shows.
func (vs *Versions) Group(groupID int64) uint64 {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	return max(vs.all, vs.groups[groupID])
}

// User is the newest stamp of a user's account row.
func (vs *Versions) User(userID int64) uint64 {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	return max(vs.all, vs.users[userID])
}

// Badges is the newest stamp of anything a member's header counts show beyond their
// own memberships: notifications and queue items.
func (vs *Versions) Badges() uint64 {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	return max(vs.all, vs.badges)
}

// Catalog is the newest stamp of a change to the groups beyond their counters and
// activity: one added or removed, renamed, or changed in who may read it.
func (vs *Versions) Catalog() uint64 {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	return max(vs.all, vs.catalog)
}

// Home is the newest stamp of anything the home page and the list of groups show.
func (vs *Versions) Home() uint64 {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	return max(vs.all, vs.home)
}

// NoteThreads records the group of threads about to be cached, so that a change to
// one of their posts ages the group's page too.
func (vs *Versions) NoteThreads(groupID int64, threadIDs ...int64) {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	if len(vs.threadGroup)+len(threadIDs) > maxTracked {
		vs.threadGroup = map[int64]int64{}
	}
	for _, id := range threadIDs {
		vs.threadGroup[id] = groupID
	}
}

// OnChange registers fn to receive every change this process commits (not those
// applied with Apply): the app forwards them to its other instances.
func (vs *Versions) OnChange(fn func(Change)) {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	vs.hooks = append(vs.hooks, fn)
}

// Apply ages what c names, as a change committed elsewhere (another instance).
func (vs *Versions) Apply(c Change) {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	vs.stampLocked(c)
}

func (vs *Versions) stampLocked(c Change) {
	if c.Empty() {
		return
	}
	vs.seq++
	n := vs.seq
	if c.All || len(vs.threads) > maxTracked || len(vs.groups) > maxTracked || len(vs.users) > maxTracked {
		vs.all = n
		clear(vs.threads)
		clear(vs.groups)
		clear(vs.users)
		return
	}
	if c.Badges {
		vs.badges = n
	}
	if c.Catalog {
		vs.catalog = n
	}
	for _, id := range c.Users {
		vs.users[id] = n
	}
	if c.Home {
		vs.home = n
	}
	for _, id := range c.Threads {
		vs.threads[id] = n
		if g, ok := vs.threadGroup[id]; ok {
			vs.groups[g] = n
		}
	}
	for _, id := range c.Groups {
		vs.groups[id] = n
	}
}

// begin starts collecting the changes of a transaction.
func (vs *Versions) begin(pool gorm.ConnPool) {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	vs.open[pool] = &Change{}
}

// end stamps a transaction's changes again once it is over, and tells the hooks
// when it committed.
func (vs *Versions) end(pool gorm.ConnPool, committed bool) {
	vs.mu.Lock()
	c := vs.open[pool]
	delete(vs.open, pool)
	if c == nil || c.Empty() {
		vs.mu.Unlock()
		return
	}
	vs.stampLocked(*c)
	hooks := vs.hooks
	vs.mu.Unlock()
	if committed {
		for _, fn := range hooks {
			fn(*c)
		}
	}
}

// written stamps one statement's change at once; inside a transaction begun by
// Store.tx it is also kept for end, otherwise (autocommit) the hooks hear of it now.
func (vs *Versions) written(pool gorm.ConnPool, c Change) {
	vs.mu.Lock()
	vs.stampLocked(c)
	if open := vs.open[pool]; open != nil {
		open.merge(c)
		vs.mu.Unlock()
		return
	}
	hooks := vs.hooks
	vs.mu.Unlock()
	for _, fn := range hooks {
		fn(c)
	}
}

// Versions is the store's change stamps, for caches of rendered pages.
func (s *Store) Versions() *Versions { return s.versions }

// registerVersionCallbacks makes every write on db stamp what it changed.
func (s *Store) registerVersionCallbacks(db *gorm.DB) error {
	fn := func(db *gorm.DB) {
		if db.Error != nil || db.Statement == nil || db.Statement.RowsAffected == 0 {
			return
		}
		c := changeOf(db.Statement)
		if c.Empty() {
			return
		}
		s.versions.written(db.Statement.ConnPool, c)
	}
	cb := db.Callback()
	if err := cb.Create().After("gorm:create").Register("haven:versions", fn); err != nil {
		return err
	}
	if err := cb.Update().After("gorm:update").Register("haven:versions", fn); err != nil {
		return err
	}
	if err := cb.Delete().After("gorm:delete").Register("haven:versions", fn); err != nil {
		return err
	}
	return cb.Raw().After("gorm:raw").Register("haven:versions", fn)
}

// unshownTables are written without changing what a shared page shows: per-viewer
// state, the moderators' side, the search index and logs.
var unshownTables = map[string]bool{
	"thread_reads": true, "thread_follows": true, "notifications": true, "audit_entries": true,
	"queue_items": true, "reports": true, "modlog_entries": true, "member_notes": true,
	"post_revisions": true, "announcement_dismissals": true, "identities": true,
	"member_mutes": true, "group_invites": true, "watched_words": true, "post_search": true, "post_search_text": true,
	"post_search_group": true,
	// Staff's dashboard counters, emerging topics and alarms, and job bookkeeping:
	// written by the scheduled jobs, shown on staff pages only.
	"job_runs": true, "scraping_alerts": true, "stat_cursors": true, "stat_durations": true,
	"stat_hours": true, "stat_member_lasts": true, "stat_reason_hours": true, "term_days": true,
	"emerging_topics": true, "clinician_decisions": true, "haven_schema": true,
}

var writeSQL = regexp.MustCompile(`(?is)^\s*(?:insert\s+(?:or\s+\w+\s+)?into|update|delete\s+from)\s+["` + "`" + `]?(\w+)`)

// changeOf says what a write statement changed.
func changeOf(st *gorm.Statement) Change {
	table := st.Table
	if table == "" {
		q := st.SQL.String()
		if !writesRows(q) {
			return Change{} // a read, a savepoint, a pragma, DDL: most raw SQL
		}
		m := writeSQL.FindStringSubmatch(q)
		if m == nil {
			return Change{All: true} // a write we cannot place
		}
		table = strings.ToLower(m[1])
	}
	if table == "users" {
		if u, ok := st.Model.(*User); ok && u.ID != 0 {
			return Change{Users: []int64{u.ID}}
		}
		return Change{All: true}
	}
	if table == "notifications" || table == "queue_items" {
		return Change{Badges: true}
	}
	if unshownTables[table] {
		return Change{}
	}
	switch table {
	case "posts":
		if p, ok := st.Model.(*Post); ok && p.ThreadID != 0 {
			return Change{Threads: []int64{p.ThreadID}}
		}
	case "threads":
		if t, ok := st.Model.(*Thread); ok && t.ID != 0 && t.GroupID != 0 {
			return Change{Threads: []int64{t.ID}, Groups: []int64{t.GroupID}}
		}
	case "groups":
		if g, ok := st.Model.(*Group); ok && g.ID != 0 {
			// A post or thread moves a group's counters and activity; anything else
			// may change what search reads.
			counters := onlyColumns(st.Dest, "post_count", "thread_count", "member_count", "last_activity_at", "updated_at")
			return Change{Home: true, Groups: []int64{g.ID}, Catalog: !counters}
		}
	case "memberships":
		if onlyColumns(st.Dest, "post_count", "updated_at") {
			return Change{} // a member's own counter: no shared page shows it
		}
		// The member's user is stamped too: their cached memberships (see
		// groupAccessCached) are dropped. A row without its user ages everything.
		if m, ok := st.Model.(*Membership); ok && m.GroupID != 0 && m.UserID != 0 {
			return Change{Home: true, Groups: []int64{m.GroupID}, Users: []int64{m.UserID}}
		}
	}
	return Change{All: true}
}

// writesRows reports whether raw SQL changes rows (or may: a WITH that writes). It
// runs on every raw statement, reads included, so it looks at the first word only,
// and at the whole text only for a WITH.
func writesRows(q string) bool {
	q = strings.TrimLeftFunc(q, unicode.IsSpace)
	head := q[:min(len(q), 8)]
	for _, w := range []string{"insert", "update", "delete", "replace", "merge", "truncate"} {
		if len(head) >= len(w) && strings.EqualFold(head[:len(w)], w) {
			return true
		}
	}
	if len(head) < 4 || !strings.EqualFold(head[:4], "with") {
		return false
	}
	l := strings.ToLower(q)
	return strings.Contains(l, "insert") || strings.Contains(l, "update") || strings.Contains(l, "delete")
}

// onlyColumns reports whether an update's values (a map) set only the named columns.
func onlyColumns(dest any, cols ...string) bool {
	m, ok := dest.(map[string]any)
	if !ok || len(m) == 0 {
		return false
	}
	for k := range m {
		found := false
		for _, c := range cols {
			if k == c {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}
