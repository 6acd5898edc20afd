package models

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/text/unicode/norm"
	"gorm.io/gorm"
	"gorm.io/plugin/dbresolver"
)

// Full-text search.
//
// The index is one row per published post, keyed by the post's id, holding plain text:
// the thread's title (for a thread's opening post only) and the post's text, extracted
// from its sanitised BodyHTML so that Markdown syntax and markup are never indexed or
// shown, and a word naming the post's group (groupToken). indexPost keeps it up to date
// inside every transaction that writes a post, and removes any post that is not
// published (held, removed, deleted). Searching still joins back to posts and threads
// and applies the status and group rules at query time, so a stale row can never show
// something the caller may not read.
//
// SQLite: an FTS4 table (mattn/go-sqlite3's default build has FTS3/4, not FTS5) with the
// unicode61 tokenizer, case- and diacritic-insensitive, and a second one of the same
// text split by group (groupIndexSpec). PostgreSQL: a table with a
// generated, weighted tsvector ('english': stemmed, stop words dropped) and a GIN index;
// "<" is hidden from its parser, which would otherwise drop "<b>"-like text as markup.
//
// Ranking: matching posts the caller may read are fetched newest first, at most
// searchCandidates of them, and ranked in Go by relevance, then recency. On SQLite FTS4
// has no bm25, so relevance is a BM25-like term-frequency score from matchinfo('pcyl'):
// per term, the hits in the title (weighted searchTitleWeight) and in the body
// (saturated, with a mild length normalisation). It deliberately uses only the row's own
// counts, not index-wide statistics, which would let posts the caller may not read
// influence the order. On PostgreSQL relevance is ts_rank over the weighted tsvector
// (title A, body B).
//
// Cost: a search reads a bounded number of index entries, however common its words, so
// that it costs about the same on a forum of 10,000 posts or 10 million.
//   - The groups a caller may read are decided from a kept list of every group
//     (catalog) and the caller's memberships: one query.
//   - When the caller searches at most searchGroupIndexes groups (one group, or a
//     member's few), each group's own index is read (SQLite, see groupIndexSpec): a
//     group's index holds only its posts, so its newest searchCandidates matches cost
//     the same in a group of a forum of 10 million posts as in a forum of one group.
//   - When the caller may read all groups but at most searchGroupFilter, or searches at
//     most that many, the query names those groups' words, and the index intersects
//     them with the searched words: the newest searchCandidates matches the caller may
//     read are ranked, however old.
//   - Otherwise only the newest searchScanLimit matches of the whole forum are
//     considered, and of those the first searchCandidates the caller may read are
//     ranked. The price: on such a forum an old post matching only common words may
//     fall outside the candidates. PostgreSQL then reads every match when too few of
//     those were the caller's.
//
// SQLite's index stores its doclists newest first (order=DESC) and the MATCH expression
// has no prefix queries, so FTS4 reads them incrementally and stops at the limit instead
// of loading every match (see ftsMatch; a quoted phrase is still read whole, at the cost
// of its rarest word). PostgreSQL walks post_search's primary key backwards, testing
// each document, when the words are common, and reads the GIN index when they are rare.
//
// Snippets are cut for the page's posts only, from the stored plain text with sentinel
// characters around the matches (highlight in Go on SQLite, where FTS4's snippet()
// would run the query again; ts_headline on PostgreSQL), which the plain text can never
// contain; they are turned into SnippetParts, which the app escapes before it adds
// <mark>. Nothing the highlighter produces is trusted as HTML.

// Search limits.
const (
	MaxSearchQueryRunes = 200 // longer queries are a validation error
	SearchPageSize      = 20  // results per page
	searchMaxTerms      = 12  // words and phrases used from one query
	searchTitleWeight   = 2.5 // a title hit counts this much more than a body hit
)

// Sentinels mark highlighted words in the highlighter's output. Indexed text never
// contains control characters, so they cannot be forged by a post.
const (
	markStart = "\x01"
	markStop  = "\x02"
	startRune = '\x01'
	stopRune  = '\x02'
)

// SearchQuery is what a caller searches for.
type SearchQuery struct {
	Text  string // the words typed; quoted phrases are kept together
	Group string // a group's slug, or "" for every group the caller may read
	Page  int    // 1-based; 0 means 1
}

// SnippetPart is a run of plain text in a snippet; Mark is true for matched words.
// The text is not escaped: whoever renders it must escape it.
type SnippetPart struct {
	Text string
	Mark bool
}

// SearchHit is one matching post with its thread and group.
type SearchHit struct {
	Post    Post // with Membership and Clinician loaded, for the author
	Thread  Thread
	Group   Group
	Opening bool          // the post opens its thread: the hit is the thread itself
	Title   []SnippetPart // the thread's title, matches marked on an opening post
	Snippet []SnippetPart // an excerpt of the post's text around the matches
}

// SearchResults is one page of search results.
type SearchResults struct {
	Query string  // the query as typed, trimmed
	Group *Group  // the group searched, nil for all
	Scope []Group // the groups the caller may read and so search, by name
	// Mine are the groups of Scope the caller is an active member of.
	Mine    []Group
	Hits    []SearchHit
	Page    int
	HasNext bool
}

// Validate trims the query and reports what is wrong with it.
func (q *SearchQuery) Validate() error {
	q.Text = strings.TrimSpace(q.Text)
	q.Group = strings.TrimSpace(q.Group)
	if q.Page == 0 {
		q.Page = 1
	}
	var v ValidationError
	if utf8.RuneCountInString(q.Text) > MaxSearchQueryRunes {
		v.Add("q", fmt.Sprintf("use at most %d characters", MaxSearchQueryRunes))
	}
	if q.Page < 1 || q.Page > MaxPage {
		v.Add("page", fmt.Sprintf("use a page from 1 to %d", MaxPage))
	}
	return v.Err()
}

// Search finds the published posts matching q in the groups v may read, best match
// first. A group filter naming a group v may not see is ErrNotFound; an empty query
// (or one with nothing searchable in it) finds nothing.
func (s *Store) Search(ctx context.Context, v *Viewer, q SearchQuery) (*SearchResults, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	ctx = s.rowsContext(ctx) // up to 500 candidates
	res := &SearchResults{Query: q.Text, Page: q.Page}
	scope, mine, others, err := s.readableGroups(ctx, v)
	if err != nil {
		return nil, err
	}
	res.Scope, res.Mine = scope, mine
	ids := make([]int64, 0, len(scope))
	for _, g := range scope {
		ids = append(ids, g.ID)
	}
	if q.Group != "" {
		a, err := s.GroupAccess(ctx, v, q.Group)
		if err != nil {
			return nil, err
		}
		res.Group, others = a.Group, append(others, ids...)
		others = slices.DeleteFunc(others, func(id int64) bool { return id == a.Group.ID })
		ids = nil
		if a.CanRead {
			ids = []int64{a.Group.ID}
		}
	}
	terms := parseSearchTerms(q.Text)
	if len(terms) == 0 || len(ids) == 0 {
		return res, nil
	}
	cands, err := s.searchCandidates(ctx, terms, ids, others)
	if err != nil {
		return nil, fmt.Errorf("models: search: %w", err)
	}
	slices.SortFunc(cands, func(a, b searchCandidate) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(b.PostID, a.PostID)) // best, then newest
	})
	from := (q.Page - 1) * SearchPageSize
	if from >= len(cands) {
		return res, nil
	}
	page := cands[from:min(from+SearchPageSize, len(cands))]
	res.HasNext = len(cands) > from+SearchPageSize
	hits, err := s.loadSearchHits(ctx, terms, page, ids)
	if err != nil {
		return nil, fmt.Errorf("models: search: %w", err)
	}
	res.Hits = hits
	return res, nil
}

// searchCatalog keeps every group's id, slug, name and visibility, by name: what
// search needs to decide which groups a caller may read. It is kept until a group is
// added, removed, renamed or changes who may read it (Versions.Catalog), so that a
// search does not read 1,000s of groups; a post moving a group's counters keeps it.
type searchCatalog struct {
	mu     sync.Mutex
	seq    uint64
	at     time.Time
	groups []Group
}

// catalog returns the kept list of groups (shared: callers must not change it).
func (s *Store) catalog(ctx context.Context) ([]Group, error) {
	c := &s.searchGroups
	c.mu.Lock()
	groups, seq, at := c.groups, c.seq, c.at
	c.mu.Unlock()
	// At most viewerTTL old in any case: another instance's change reaches this one's
	// stamps through the broker, which an instance of an older version may not use.
	if groups != nil && s.versions.Catalog() <= seq && time.Since(at) < viewerTTL {
		return groups, nil
	}
	seq = s.versions.Seq() // before the read: a change during it is seen next time
	groups = []Group{}
	// From the primary: a replica behind a change just stamped would be kept as current.
	err := s.rdb.WithContext(ReadPrimary(ctx)).Select("id", "slug", "name", "visibility").Order("name, id").Find(&groups).Error
	if err != nil {
		return nil, fmt.Errorf("models: search groups: %w", err)
	}
	c.mu.Lock()
	if seq >= c.seq {
		c.groups, c.seq, c.at = groups, seq, time.Now()
	}
	c.mu.Unlock()
	return groups, nil
}

// readableGroups lists the groups v may read, by name, with the same rules as
// GroupAccess, those of them v has joined, and the ids of every other group: one
// query, for v's memberships, however many groups there are.
func (s *Store) readableGroups(ctx context.Context, v *Viewer) (readable, joined []Group, others []int64, err error) {
	groups, err := s.catalog(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	mine := map[int64]*Membership{}
	if uid := v.UserID(); uid != 0 {
		var ms []Membership
		if err := s.rdb.WithContext(ctx).Where("user_id = ?", uid).Find(&ms).Error; err != nil {
			return nil, nil, nil, fmt.Errorf("models: search groups: %w", err)
		}
		for i := range ms {
			mine[ms[i].GroupID] = &ms[i]
		}
	}
	for i := range groups {
		a := s.access(v, &groups[i], mine[groups[i].ID])
		if !a.CanRead {
			others = append(others, groups[i].ID)
			continue
		}
		readable = append(readable, groups[i])
		if a.Joined() {
			joined = append(joined, groups[i])
		}
	}
	return readable, joined, others, nil
}

// searchCandidate is a matching post and its relevance.
type searchCandidate struct {
	PostID int64
	Score  float64
}

// searchGroupFilter is how many groups a search names in its full-text query: when
// the caller searches at most this many groups (a member of several private ones),
// or may read every group but at most this many, the index itself keeps or leaves out
// the groups' posts (their group words, see groupToken). A variable for the tests.
var searchGroupFilter = 50

// searchGroupIndexes is how many groups a search on SQLite reads from the groups' own
// index, one group at a time, before it names them in the query instead (see
// searchGroupFilter): each group read costs about as much as a search of a forum of
// that group alone. A variable for the tests.
var searchGroupIndexes = 8

// searchCandidates returns the newest matching published posts in groups (others
// being every other group) with their relevance: at most searchCandidates of them.
//
// A few groups are read from their own indexes (searchGroupIndexes). When the groups
// can be named in the query (see searchGroupFilter), the index intersects the words
// with the groups' posts, and every match in them is a candidate, however old.
// Otherwise only the newest searchScanLimit matches of the whole forum are considered.
func (s *Store) searchCandidates(ctx context.Context, terms []searchTerm, groups, others []int64) ([]searchCandidate, error) {
	if s.dialect == "postgres" {
		return s.pgCandidates(ctx, terms, groups)
	}
	match, phraseTerm := ftsMatch(terms)
	if len(groups) <= searchGroupIndexes {
		return s.groupIndexCandidates(ctx, match, phraseTerm, len(terms), groups)
	}
	db := s.rdb.WithContext(ctx)
	buckets, err := s.searchBuckets(ctx)
	if err != nil {
		return nil, err
	}
	cands := make([]searchCandidate, 0, 64)
	read := 0 // rows read, dropped ones too (see matchinfoScore), as one LIMIT would count
	if len(others) <= searchGroupFilter || len(groups) <= searchGroupFilter {
		// The smaller side is named: the groups the caller may read, or (NOT) the
		// others, whose words' matches are then read too.
		if len(others) <= len(groups) {
			if len(others) > 0 {
				match += " NOT " + ftsGroups(others)
			}
		} else {
			match += " " + ftsGroups(groups)
		}
		// Bucket by bucket, newest first, until there are enough. The index holds
		// published posts only, written in the same transaction as they are, and the
		// groups are in the query: not joined to the posts here (that took most of
		// the time); loadSearchHits checks the page's hits.
		for _, b := range buckets {
			if read >= searchCandidates {
				break
			}
			rows, err := db.Raw(`SELECT docid AS post_id, matchinfo(post_search, 'pcyl') AS info
FROM post_search WHERE post_search MATCH ? AND bucket = ? ORDER BY docid DESC LIMIT ?`,
				match, b, searchCandidates-read).Rows()
			if err != nil {
				return nil, err
			}
			if cands, err = scanCandidates(rows, phraseTerm, len(terms), cands, &read); err != nil {
				return nil, err
			}
		}
		return cands, nil
	}
	// The oldest of the newest scan matches, bucket by bucket: the walk below stops
	// there.
	floor, seen := int64(0), 0
	for _, b := range buckets {
		if seen >= searchScanLimit {
			break
		}
		var r struct {
			N    int
			Last int64
		}
		if err := db.Raw(`SELECT COUNT(*) AS n, COALESCE(MIN(docid), 0) AS last FROM (SELECT docid FROM post_search
  WHERE post_search MATCH ? AND bucket = ? ORDER BY docid DESC LIMIT ?)`, match, b, searchScanLimit-seen).Scan(&r).Error; err != nil {
			return nil, err
		}
		if seen += r.N; seen >= searchScanLimit {
			floor = r.Last
		}
	}
	// Each bucket is read newest first and incrementally (see ftsTableSpec), and the
	// walk stops once searchCandidates matches are in the groups (and published), or
	// at the floor. matchinfo runs on those rows only.
	for _, b := range buckets {
		if read >= searchCandidates || b < floor>>searchBucketShift {
			break
		}
		rows, err := db.Raw(`SELECT post_search.docid AS post_id, matchinfo(post_search, 'pcyl') AS info
FROM post_search
JOIN posts p ON p.id = post_search.docid
JOIN threads t ON t.id = p.thread_id
WHERE post_search MATCH ? AND post_search.bucket = ? AND post_search.docid >= ? AND p.status = ? AND t.group_id IN ?
ORDER BY post_search.docid DESC
LIMIT ?`, match, b, floor, PostPublished, groups, searchCandidates-read).Rows()
		if err != nil {
			return nil, err
		}
		if cands, err = scanCandidates(rows, phraseTerm, len(terms), cands, &read); err != nil {
			return nil, err
		}
	}
	return cands, nil
}

// searchBuckets lists the buckets of SQLite's index that hold anything, newest first
// (see ftsTableSpec): a bucket is an FTS4 language, whose segments' levels start at
// language × 1024 in post_search_segdir, a table of a few rows a segment. Ids far
// apart cost no walk through the empty buckets between them.
func (s *Store) searchBuckets(ctx context.Context) ([]int64, error) {
	var buckets []int64
	err := s.rdb.WithContext(ctx).Raw(`SELECT DISTINCT level >> 10 FROM post_search_segdir ORDER BY 1 DESC`).Scan(&buckets).Error
	return buckets, err
}

// groupIndexCandidates is searchCandidates on SQLite for a few groups, read from each
// group's own index: its newest matches, the newest searchCandidates of them all.
func (s *Store) groupIndexCandidates(ctx context.Context, match string, phraseTerm []int, nTerms int, groups []int64) ([]searchCandidate, error) {
	db := s.rdb.WithContext(ctx)
	cands := make([]searchCandidate, 0, 64)
	for _, g := range groups {
		// The group's index holds its published posts only, written in the same
		// transaction as they are. Not joined to the posts here (that took most of the
		// time): loadSearchHits checks the status and group rules of the page's hits.
		rows, err := db.Raw(`SELECT pg.docid AS post_id, matchinfo(post_search_group, 'pcyl') AS info
FROM post_search_group pg
WHERE post_search_group MATCH ? AND pg.grp_id = ?
ORDER BY pg.docid DESC
LIMIT ?`, match, g, searchCandidates).Rows()
		if err != nil {
			return nil, err
		}
		if cands, err = scanCandidates(rows, phraseTerm, nTerms, cands, nil); err != nil {
			return nil, err
		}
	}
	if len(groups) > 1 {
		slices.SortFunc(cands, func(a, b searchCandidate) int { return cmp.Compare(b.PostID, a.PostID) })
		cands = cands[:min(len(cands), searchCandidates)]
	}
	return cands, nil
}

// scanCandidates appends the candidates of rows of post ids and matchinfo('pcyl'),
// scored, to cands, and closes rows; read, when not nil, counts the rows read. Scanned
// by hand: up to searchCandidates rows, on every search.
func scanCandidates(rows *sql.Rows, phraseTerm []int, nTerms int, cands []searchCandidate, read *int) ([]searchCandidate, error) {
	defer rows.Close()
	for rows.Next() {
		if read != nil {
			*read++
		}
		var c searchCandidate
		var info []byte
		if err := rows.Scan(&c.PostID, &info); err != nil {
			return nil, err
		}
		var ok bool
		if c.Score, ok = matchinfoScore(info, phraseTerm, nTerms); ok {
			cands = append(cands, c)
		}
	}
	return cands, rows.Err()
}

// pgCandidates is searchCandidates on PostgreSQL.
func (s *Store) pgCandidates(ctx context.Context, terms []searchTerm, groups []int64) ([]searchCandidate, error) {
	if len(groups) <= searchGroupFilter {
		// The GIN index intersects the words with the groups' words: every match.
		cands, _, err := s.pgCandidatesWithin(ctx, terms, pgGroups(groups), groups, 0)
		return cands, err
	}
	cands, complete, err := s.pgCandidatesWithin(ctx, terms, "", groups, searchScanLimit)
	if err != nil || complete || len(cands) >= searchCandidates {
		return cands, err
	}
	// Too few of the newest matches are the caller's to read: every match, as GIN finds
	// them, joined to the groups.
	cands, _, err = s.pgCandidatesWithin(ctx, terms, "", groups, 0)
	return cands, err
}

// pgCandidatesWithin is searchCandidates on PostgreSQL among the newest scan matches
// (every match when scan is 0), with the documents also matching within when it is not
// empty (the groups' words); complete says that no match was left out.
func (s *Store) pgCandidatesWithin(ctx context.Context, terms []searchTerm, within string, groups []int64, scan int) ([]searchCandidate, bool, error) {
	// The newest scan matches (the planner walks the primary key backwards and tests
	// each document when the words are common, or reads the GIN index when they are
	// rare), then the first searchCandidates the caller may read, ranked after the LIMIT
	// so that ts_rank runs on those rows only. The tsquery is written inline so that the
	// planner can estimate how many rows match. LIMIT NULL is no limit.
	var limit any
	if scan > 0 {
		limit = scan
	}
	// The groups' words are a second condition, not part of the words' tsquery: a
	// query of words PostgreSQL drops (stop words) is an empty tsquery, which matches
	// nothing, but joined to another with && it would be the groups' words alone.
	query := "websearch_to_tsquery('english', ?)"
	args := []any{tsQueryText(terms)}
	if within != "" {
		query = "websearch_to_tsquery('english', ?) AND ps.document @@ ?::tsquery"
		args = append(args, within)
	}
	args = append(args, limit, PostPublished, groups, searchCandidates, tsQueryText(terms))
	var cands []searchCandidate
	// Planned for these words every time: a prepared statement's generic plan, made
	// without knowing how common the words are, walks the primary key backwards for
	// every search, which took seconds for a word found nowhere on 2,000,000 posts.
	// Without parallel workers: starting them cost more than the bounded scan.
	db := s.rdb.WithContext(ctx)
	if s.HasReplicas() && !readsPrimary(ctx) {
		db = db.Clauses(dbresolver.Read) // a read: on a replica, like other reads
	}
	err := db.Transaction(func(tx *gorm.DB) error {
		// Both settings in one round trip; set_config(…, true) is SET LOCAL.
		if err := tx.Exec(`SELECT set_config('plan_cache_mode', 'force_custom_plan', true),
  set_config('max_parallel_workers_per_gather', '0', true)`).Error; err != nil {
			return err
		}
		return tx.Raw(`WITH c AS (
  SELECT m.post_id, m.document
  FROM (SELECT ps.post_id, ps.document FROM post_search ps
    WHERE ps.document @@ `+query+`
    ORDER BY ps.post_id DESC
    LIMIT ?) m
  JOIN posts p ON p.id = m.post_id
  JOIN threads t ON t.id = p.thread_id
  WHERE p.status = ? AND t.group_id IN ?
  ORDER BY m.post_id DESC
  LIMIT ?)
SELECT c.post_id, ts_rank(c.document, websearch_to_tsquery('english', ?)) AS score FROM c`, args...).Scan(&cands).Error
	})
	if err != nil {
		return nil, false, err
	}
	return cands, scan == 0, nil
}

// searchCandidates is how many of the newest readable matches are ranked (a variable
// for the tests).
var searchCandidates = 500

// searchScanLimit is how many of the newest matches of the whole forum a search reads
// to find its candidates when its groups cannot be named in the query (a variable for
// the tests).
var searchScanLimit = 10000

// matchinfoScore is the relevance of one row from FTS4 matchinfo('pcyl'): p phrases,
// c columns (title, body, and grp in post_search), y the hits of each phrase in each column, l each
// column's length in tokens. phraseTerm maps the query's phrases to its terms (see
// ftsMatch); ok is false when one of the terms is found only in the grp column, which
// holds no words of the post.
func matchinfoScore(info []byte, phraseTerm []int, nTerms int) (score float64, ok bool) {
	if len(info) < 8 {
		return 0, false
	}
	u := make([]uint32, len(info)/4)
	for i := range u {
		u[i] = binary.NativeEndian.Uint32(info[i*4:])
	}
	p, c := int(u[0]), int(u[1])
	if c < 2 || p < len(phraseTerm) || len(u) < 2+p*c+c {
		return 0, false
	}
	hits, length := u[2:2+p*c], u[2+p*c:]
	// BM25's term-frequency part with k1 = 1.2, b = 0.5 and a fixed typical length of
	// 60 tokens; the title is short and not length-normalised.
	const k1, b, typical = 1.2, 0.5, 60.0
	sat := func(tf, norm float64) float64 { return tf * (k1 + 1) / (tf + k1*norm) }
	bodyNorm := 1 - b + b*float64(length[1])/typical
	found := make([]bool, nTerms)
	for i, term := range phraseTerm {
		title, body := float64(hits[i*c]), float64(hits[i*c+1])
		if title > 0 {
			score += searchTitleWeight * sat(title, 1)
		}
		if body > 0 {
			score += sat(body, bodyNorm)
		}
		if term < nTerms && title+body > 0 {
			found[term] = true
		}
	}
	if slices.Contains(found, false) {
		return 0, false
	}
	return math.Round(score*1e6) / 1e6, true // equal inputs compare equal
}

// loadSearchHits loads the posts of one page of candidates, in order, with their
// threads, groups, authors and snippets: a fixed number of queries. Only published
// posts of the searched groups are kept, whatever the index said.
func (s *Store) loadSearchHits(ctx context.Context, terms []searchTerm, page []searchCandidate, groups []int64) ([]SearchHit, error) {
	db := s.rdb.WithContext(ctx)
	ids := make([]int64, len(page))
	for i, c := range page {
		ids[i] = c.PostID
	}
	var posts []Post
	if err := db.Preload("Membership").Preload("Clinician").Where("id IN ?", ids).Find(&posts).Error; err != nil {
		return nil, err
	}
	byID := make(map[int64]*Post, len(posts))
	threadIDs := make([]int64, 0, len(posts))
	for i := range posts {
		byID[posts[i].ID] = &posts[i]
		threadIDs = append(threadIDs, posts[i].ThreadID)
	}
	var threads []Thread
	if err := db.Preload("Group").Where("id IN ?", threadIDs).Find(&threads).Error; err != nil {
		return nil, err
	}
	threadByID := make(map[int64]*Thread, len(threads))
	for i := range threads {
		threadByID[threads[i].ID] = &threads[i]
	}
	// Whether each hit opens its thread (the thread's first post, by idx_post_thread).
	var openings []struct {
		ID      int64
		Opening bool
	}
	err := db.Raw(`SELECT p.id,
  p.id = (SELECT f.id FROM posts f WHERE f.thread_id = p.thread_id ORDER BY f.created_at, f.id LIMIT 1) AS opening
FROM posts p WHERE p.id IN ?`, ids).Scan(&openings).Error
	if err != nil {
		return nil, err
	}
	opening := map[int64]bool{}
	for _, o := range openings {
		opening[o.ID] = o.Opening
	}
	titles, snippets, err := s.searchSnippets(ctx, terms, ids)
	if err != nil {
		return nil, err
	}
	hits := make([]SearchHit, 0, len(page))
	for _, id := range ids {
		p := byID[id]
		if p == nil || p.Status != PostPublished {
			continue
		}
		t := threadByID[p.ThreadID]
		if t == nil || t.Group == nil || !slices.Contains(groups, t.GroupID) {
			continue
		}
		h := SearchHit{Post: *p, Thread: *t, Group: *t.Group, Opening: opening[id],
			Title: []SnippetPart{{Text: t.Title}}, Snippet: parseSnippet(snippets[id])}
		h.Thread.Group = nil
		if h.Opening && strings.Contains(titles[id], markStart) {
			h.Title = parseSnippet(titles[id])
		}
		hits = append(hits, h)
	}
	return hits, nil
}

// searchSnippets highlights the matches in the stored title and text of the given
// posts, with the sentinel markers.
func (s *Store) searchSnippets(ctx context.Context, terms []searchTerm, ids []int64) (titles, bodies map[int64]string, err error) {
	var rows []struct {
		PostID int64
		Title  string
		Body   string
	}
	db := s.rdb.WithContext(ctx)
	if s.dialect == "postgres" {
		// The whole text highlighted; cutSnippet picks the words around the first match.
		const opts = "HighlightAll=true, StartSel=" + markStart + ", StopSel=" + markStop
		err = db.Raw(`SELECT ps.post_id,
  ts_headline('english', replace(ps.title, '<', chr(3)), q.query, ?) AS title,
  ts_headline('english', replace(ps.body, '<', chr(3)), q.query, ?) AS body
FROM post_search ps CROSS JOIN websearch_to_tsquery('english', ?) AS q(query)
WHERE ps.post_id IN ?`, opts, opts, tsQueryText(terms), ids).Scan(&rows).Error
	} else {
		// The stored text, by docid, highlighted here: FTS4's snippet() needs the query
		// to be run again, which walks every match from the newest down to the page's
		// oldest post.
		err = db.Raw(`SELECT docid AS post_id, title, body FROM post_search_text WHERE docid IN ?`, ids).Scan(&rows).Error
		for i := range rows {
			rows[i].Title, rows[i].Body = highlight(rows[i].Title, terms, 0), highlight(rows[i].Body, terms, 32)
		}
	}
	if err != nil {
		return nil, nil, err
	}
	titles, bodies = make(map[int64]string, len(rows)), make(map[int64]string, len(rows))
	for _, r := range rows {
		titles[r.PostID], bodies[r.PostID] = r.Title, r.Body
		if s.dialect == "postgres" {
			// The parser reads "<…>" as markup and leaves it out: it was hidden as chr(3).
			titles[r.PostID] = strings.ReplaceAll(r.Title, "\x03", "<")
			bodies[r.PostID] = cutSnippet(strings.ReplaceAll(r.Body, "\x03", "<"), 8, 32)
		}
	}
	return titles, bodies, nil
}

// cutSnippet keeps about n words of highlighted text, starting up to before words
// ahead of the first match, with an ellipsis where it cuts. Indexed text is single-
// spaced, so splitting at spaces loses nothing, and a match is a single word.
func cutSnippet(s string, before, n int) string {
	words := strings.Fields(s)
	first := slices.IndexFunc(words, func(w string) bool { return strings.Contains(w, markStart) })
	from := max(0, first-before)
	to := min(len(words), from+n)
	from = max(0, min(from, to-n))
	out := strings.Join(words[from:to], " ")
	if from > 0 {
		out = "… " + out
	}
	if to < len(words) {
		out += " …"
	}
	return out
}

// highlight marks, with the sentinels, the words of text that match terms as the
// index matches them (case and diacritics ignored, a long word's singular and plural
// forms, phrases word by word), and keeps the window of n words with the most
// different terms in it, with an ellipsis where it cuts (the whole text when n is 0).
func highlight(text string, terms []searchTerm, n int) string {
	type word struct {
		from, to int
		fold     string
	}
	var words []word
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !isWordRune(r) {
			i += size
			continue
		}
		j := i + size
		for j < len(text) {
			r, size := utf8.DecodeRuneInString(text[j:])
			if !isWordRune(r) {
				break
			}
			j += size
		}
		words = append(words, word{from: i, to: j, fold: foldWord(text[i:j])})
		i = j
	}
	// What each term matches: word sequences, folded like the text.
	alts := make([][][]string, len(terms))
	for i, t := range terms {
		for _, seq := range t.sequences() {
			for j, w := range seq {
				seq[j] = foldWord(w)
			}
			alts[i] = append(alts[i], seq)
		}
	}
	marked := make([]bool, len(words))
	type hit struct{ at, term int }
	var hits []hit
	for at := range words {
		for ti, as := range alts {
			for _, seq := range as {
				if at+len(seq) > len(words) {
					continue
				}
				ok := true
				for k, w := range seq {
					if words[at+k].fold != w {
						ok = false
						break
					}
				}
				if ok {
					hits = append(hits, hit{at, ti})
					for k := range seq {
						marked[at+k] = true
					}
				}
			}
		}
	}
	from, to := 0, len(words)
	if n > 0 && len(words) > n {
		best, before := -1, min(4, n/4) // words of context ahead of a match
		to = n
		for _, h := range hits {
			a := min(max(0, h.at-before), len(words)-n)
			seen := map[int]bool{}
			for _, o := range hits {
				if o.at >= a && o.at < a+n {
					seen[o.term] = true
				}
			}
			if len(seen) > best {
				best, from, to = len(seen), a, a+n
			}
		}
	}
	if len(words) == 0 {
		return text
	}
	var b strings.Builder
	start, end := 0, len(text) // the whole text, unless words are cut off
	if from > 0 {
		start = words[from].from
	}
	if to < len(words) {
		end = words[to-1].to
	}
	if start > 0 {
		b.WriteString("… ")
	}
	at := start
	for k := from; k < to; k++ {
		if !marked[k] {
			continue
		}
		b.WriteString(text[at:words[k].from])
		b.WriteString(markStart + text[words[k].from:words[k].to] + markStop)
		at = words[k].to
	}
	b.WriteString(text[at:end])
	if end < len(text) {
		b.WriteString(" …")
	}
	return b.String()
}

// isWordRune reports whether r is part of a word, as the index's tokenizer reads it.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// foldWord is a word as the index compares it: lower case, without diacritics.
func foldWord(w string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(w) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// parseSnippet splits highlighter output at the sentinels into plain-text parts.
// Unbalanced or stray sentinels and other control characters are dropped.
func parseSnippet(s string) []SnippetPart {
	var parts []SnippetPart
	var b strings.Builder
	mark := false
	flush := func() {
		if b.Len() > 0 {
			parts = append(parts, SnippetPart{Text: b.String(), Mark: mark})
			b.Reset()
		}
	}
	for _, r := range s {
		switch {
		case r == startRune:
			flush()
			mark = true
		case r == stopRune:
			flush()
			mark = false
		case r == utf8.RuneError || (unicode.IsControl(r) && r != '\n' && r != '\t'):
		default:
			b.WriteRune(r)
		}
	}
	flush()
	return parts
}

// indexPost adds or refreshes a post (and, for an opening post, its thread's title)
// in the full-text index, inside the transaction that wrote it; a post that is not
// published (held, removed, deleted) is taken out of the index. Call it after every
// write that changes a post's text or status, or its thread's title (with the opening
// post). Hard-deleted posts leave the index by themselves (a trigger on SQLite, a
// foreign key on PostgreSQL).
func (s *Store) indexPost(ctx context.Context, tx *gorm.DB, t *Thread, p *Post) error {
	tx = tx.WithContext(ctx)
	if p.Status != PostPublished {
		if err := s.unindexPost(tx, p.ID); err != nil {
			return fmt.Errorf("models: index post: %w", err)
		}
		return nil
	}
	// The opening post is the thread's first (idx_post_thread: thread, created).
	var first int64
	if err := tx.Model(&Post{}).Where("thread_id = ?", p.ThreadID).Order("created_at, id").Limit(1).
		Pluck("id", &first).Error; err != nil {
		return fmt.Errorf("models: index post: %w", err)
	}
	if t == nil || t.ID != p.ThreadID || t.GroupID == 0 {
		t = &Thread{}
		if err := tx.Select("id", "title", "group_id").First(t, p.ThreadID).Error; err != nil {
			return fmt.Errorf("models: index post: %w", err)
		}
	}
	title := ""
	if first == p.ID {
		title = t.Title
	}
	if err := s.writeIndex(tx, p.ID, t.GroupID, indexText(title), PlainText(p.BodyHTML)); err != nil {
		return fmt.Errorf("models: index post: %w", err)
	}
	return nil
}

func (s *Store) writeIndex(tx *gorm.DB, postID, groupID int64, title, body string) error {
	if s.dialect == "postgres" {
		return tx.Exec(`INSERT INTO post_search (post_id, group_id, title, body) VALUES (?, ?, ?, ?)
ON CONFLICT (post_id) DO UPDATE SET group_id = EXCLUDED.group_id, title = EXCLUDED.title, body = EXCLUDED.body`,
			postID, groupID, title, body).Error
	}
	// The old row out of the indexes first, while the content table still holds the
	// words to take out; then the new text, then its words.
	if err := s.unindexPost(tx, postID); err != nil {
		return err
	}
	grp := groupToken(groupID, s.dialect)
	if err := tx.Exec(`INSERT INTO post_search_text (docid, title, body, grp) VALUES (?, ?, ?, ?)`,
		postID, title, body, grp).Error; err != nil {
		return err
	}
	// Each index's language (bucket, group) as the text table computes it, which is
	// what a delete will read.
	if err := tx.Exec(`INSERT INTO post_search (docid, title, body, grp, bucket)
SELECT docid, title, body, grp, bucket FROM post_search_text WHERE docid = ?`, postID).Error; err != nil {
		return err
	}
	return tx.Exec(`INSERT INTO post_search_group (docid, title, body, grp_id)
SELECT docid, title, body, grp_id FROM post_search_text WHERE docid = ?`, postID).Error
}

func (s *Store) unindexPost(tx *gorm.DB, postID int64) error {
	if s.dialect == "postgres" {
		return tx.Exec(`DELETE FROM post_search WHERE post_id = ?`, postID).Error
	}
	// The indexes first: they read the words to take out from the text.
	for _, q := range []string{`DELETE FROM post_search WHERE docid = ?`, `DELETE FROM post_search_group WHERE docid = ?`} {
		if err := tx.Exec(q, postID).Error; err != nil {
			return err
		}
	}
	return tx.Exec(`DELETE FROM post_search_text WHERE docid = ?`, postID).Error
}

// migrateSearch creates the search index if it is missing, then indexes any published
// post that is not in it yet (a database from before search, or rows written in bulk).
func (s *Store) migrateSearch(ctx context.Context) error {
	migrate := s.migrateSearchSQLite
	if s.dialect == "postgres" {
		migrate = s.migrateSearchPG
	}
	if err := migrate(ctx); err != nil {
		return fmt.Errorf("models: migrate search: %w", err)
	}
	if err := s.indexMissing(ctx, s.db); err != nil {
		return fmt.Errorf("models: migrate search: %w", err)
	}
	return nil
}

// migrateSearchPG creates PostgreSQL's index, or gives an older one its groups.
func (s *Store) migrateSearchPG(ctx context.Context) error {
	if err := s.addSearchGroupsPG(ctx); err != nil {
		return err
	}
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS post_search (
  post_id bigint PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
  group_id bigint NOT NULL DEFAULT 0,
  title text NOT NULL DEFAULT '',
  body text NOT NULL DEFAULT '',
  document tsvector GENERATED ALWAYS AS (` + pgDocument + `) STORED)`,
		`CREATE INDEX IF NOT EXISTS idx_post_search_document ON post_search USING GIN (document)`,
	} {
		if err := s.db.WithContext(ctx).Exec(q).Error; err != nil {
			return err
		}
	}
	return nil
}

// migrateSearchSQLite creates SQLite's kept text and its two indexes, writes again
// what an older version wrote (rebuildSearchIndex), and fills what is missing: an
// index made here over text already kept (its table dropped by hand, say) is filled
// from that text, and the groups' index gets the rows after its last (fillGroupIndex;
// before indexMissing, which writes every index and so moves that mark).
func (s *Store) migrateSearchSQLite(ctx context.Context) error {
	db := s.db.WithContext(ctx)
	if err := s.rebuildSearchIndex(ctx); err != nil {
		return err
	}
	if err := db.Exec(searchTextTable).Error; err != nil {
		return err
	}
	if err := addSearchTextColumns(db); err != nil {
		return err
	}
	var missing int64
	err := db.Raw(`SELECT COUNT(*) = 0 FROM sqlite_master WHERE type = 'table' AND name = 'post_search'`).Scan(&missing).Error
	if err != nil {
		return err
	}
	if missing == 1 {
		// Made and filled in one transaction: an index left empty would stay so, as
		// indexMissing goes by the kept text.
		err := db.Transaction(func(tx *gorm.DB) error {
			for _, q := range []string{`CREATE VIRTUAL TABLE post_search USING ` + ftsTableSpec,
				`INSERT INTO post_search (post_search) VALUES ('rebuild')`, optimizeSearch} {
				if err := tx.Exec(q).Error; err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	const groupIndex = `CREATE VIRTUAL TABLE IF NOT EXISTS post_search_group USING ` + groupIndexSpec
	if err := db.Exec(groupIndex).Error; err != nil {
		return err
	}
	if err := s.searchDeleteTrigger(ctx); err != nil {
		return err
	}
	return s.fillGroupIndex(ctx, s.db, 0, 0)
}

// pgDocument is PostgreSQL's indexed document: the title's words (weight A), the
// body's (B), and the post's group (groupToken, a word no text is parsed into).
const pgDocument = `setweight(to_tsvector('english', replace(title, '<', ' ')), 'A') ||
    setweight(to_tsvector('english', replace(body, '<', ' ')), 'B') ||
    array_to_tsvector(ARRAY['g_' || group_id::text])`

// addSearchGroupsPG adds the posts' groups to a PostgreSQL index written before it
// held them, once (the table is rewritten).
func (s *Store) addSearchGroupsPG(ctx context.Context) error {
	var cols []string
	err := s.db.WithContext(ctx).Raw(`SELECT column_name FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = 'post_search'`).Scan(&cols).Error
	if err != nil || len(cols) == 0 || slices.Contains(cols, "group_id") {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, q := range []string{
			`ALTER TABLE post_search ADD COLUMN group_id bigint NOT NULL DEFAULT 0`,
			`UPDATE post_search ps SET group_id = t.group_id FROM posts p JOIN threads t ON t.id = p.thread_id
WHERE p.id = ps.post_id`,
			`ALTER TABLE post_search DROP COLUMN document`, // and its index
			`ALTER TABLE post_search ADD COLUMN document tsvector GENERATED ALWAYS AS (` + pgDocument + `) STORED`,
		} {
			if err := tx.Exec(q).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

// ftsTableSpec defines the SQLite index: a post's title and text, and its group's
// word (groupToken) in grp, so that a search in a few groups intersects the words'
// doclists with the groups' instead of reading every match.
//
// order=DESC stores doclists newest first, so that a MATCH ordered by docid DESC reads
// them incrementally and stops at its LIMIT instead of loading every match into memory
// first. The text is kept in a table of its own (content=, searchTextTable): FTS4
// never "defers" a word of a table like that, which would load the whole doclist of
// the rarest word of a phrase, so phrases are read incrementally too.
//
// The index is split into buckets of 2^searchBucketShift (524,288) consecutive posts,
// each a "language" of its own (languageid; see groupIndexSpec), and searched bucket by
// bucket, newest first, until there are enough matches. In one index of 2,000,000
// posts every lookup of a common word read the word's whole doclist, about 2.5 MB (630
// pages) a word at that size, and so more the larger the forum; in a bucket it reads a
// few pages. A word found nowhere costs a lookup per bucket (4 at 2,000,000 posts).
const ftsTableSpec = `fts4(content="post_search_text", title, body, grp, languageid="bucket", tokenize=unicode61 "remove_diacritics=2", order=DESC)`

// searchBucketShift is the size of the index's buckets, as a power of two: a post's
// bucket is its id >> searchBucketShift (searchBucket says the same in SQL).
const searchBucketShift = 19

// optimizeSearch merges each bucket's segments into one, after the index was written
// in bulk (9 s for 2,000,000 posts): a word is looked up once per segment, and a word
// found nowhere cost 2.2 ms with the 18–20 segments a bucket had after a bulk write,
// 1.5 ms with one. Posts written one by one add segments to the newest bucket only,
// which FTS4 merges 16 at a time.
const optimizeSearch = `INSERT INTO post_search (post_search) VALUES ('optimize')`

// searchBucket is post_search_text's bucket, computed from the post's id as it is read.
const searchBucket = `bucket INTEGER GENERATED ALWAYS AS (docid >> 19) VIRTUAL`

// groupIndexSpec defines SQLite's second index of the same text, post_search_group,
// split by group: FTS4 keeps the segments of each "language" (languageid) apart and a
// query reads one language's only, so with the post's group as its language a search
// in one group reads that group's matches alone. In post_search a common word in a
// small group meant reading the word's matches across the forum until enough were
// the group's (FTS4 cannot skip through a doclist), about 500 × (forum ÷ group)
// entries. The price is a second index, about as large as the first; the text is not
// kept twice.
//
// FTS4 starts a new segment whenever the language changes from one written row to the
// next, so rows are written to it in bulk group by group (fillGroupIndex), and one by
// one as posts are written.
//
// FTS4 reads a language as a 32-bit integer: group ids stay far below 2^31.
const groupIndexSpec = `fts4(content="post_search_text", title, body, languageid="grp_id", tokenize=unicode61 "remove_diacritics=2", order=DESC)`

// searchTextTable holds the indexed text of SQLite's indexes: they read a post's old
// words from it to take them out, so a row leaves the indexes before it leaves this
// table, and enters this table before the indexes (writeIndex, unindexPost). grp_id,
// the group's id read from grp, is post_search_group's language (searchGroupID), and
// bucket post_search's (searchBucket).
const searchTextTable = `CREATE TABLE IF NOT EXISTS post_search_text (
  docid INTEGER PRIMARY KEY, title TEXT NOT NULL DEFAULT '', body TEXT NOT NULL DEFAULT '', grp TEXT NOT NULL DEFAULT '',
  ` + searchGroupID + `,
  ` + searchBucket + `)`

// searchGroupID is post_search_text's group id, computed from grp as it is read: no
// more is stored, and a table written before it is given it without being rewritten.
const searchGroupID = `grp_id INTEGER GENERATED ALWAYS AS (CAST(substr(grp, 2) AS INTEGER)) VIRTUAL`

// searchTrigger takes a post deleted outright (or by a cascade) out of SQLite's
// indexes, which as virtual tables have no foreign keys: the indexes first.
const searchTrigger = `CREATE TRIGGER post_search_post_deleted AFTER DELETE ON posts
BEGIN DELETE FROM post_search WHERE docid = old.id; DELETE FROM post_search_group WHERE docid = old.id;
DELETE FROM post_search_text WHERE docid = old.id; END`

// searchDeleteTrigger writes searchTrigger unless it is there as it is, in place of
// any older one, in one transaction.
func (s *Store) searchDeleteTrigger(ctx context.Context) error {
	var def string
	err := s.db.WithContext(ctx).Raw(`SELECT COALESCE(MAX(sql), '') FROM sqlite_master WHERE type = 'trigger' AND name = 'post_search_post_deleted'`).
		Scan(&def).Error
	if err != nil || def == searchTrigger {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`DROP TRIGGER IF EXISTS post_search_post_deleted`).Error; err != nil {
			return err
		}
		return tx.Exec(searchTrigger).Error
	})
}

// addSearchTextColumns gives a text table written before the indexes' languages its
// grp_id and bucket (computed columns: nothing is rewritten).
func addSearchTextColumns(db *gorm.DB) error {
	var have []string
	if err := db.Raw(`SELECT name FROM pragma_table_xinfo('post_search_text')`).Scan(&have).Error; err != nil {
		return err
	}
	const addGroupID, addBucket = `ALTER TABLE post_search_text ADD COLUMN ` + searchGroupID,
		`ALTER TABLE post_search_text ADD COLUMN ` + searchBucket
	if !slices.Contains(have, "grp_id") {
		if err := db.Exec(addGroupID).Error; err != nil {
			return err
		}
	}
	if !slices.Contains(have, "bucket") {
		return db.Exec(addBucket).Error
	}
	return nil
}

// fillGroupIndex writes to post_search_group the kept text of posts from up to (but
// not including) to, group by group and oldest first, so that each group's rows make
// one segment: the rows a bulk write such as the scale seeder added. With from 0 it
// writes the kept text after the last row the index holds (all of it for a new index;
// what an interrupted seed left): live writes index their post in every index in one
// transaction (writeIndex), so nothing before the last row can be missing.
func (s *Store) fillGroupIndex(ctx context.Context, db *gorm.DB, from, to int64) error {
	if from == 0 {
		return db.WithContext(ctx).Exec(`INSERT INTO post_search_group (docid, title, body, grp_id)
SELECT docid, title, body, grp_id FROM post_search_text
WHERE docid > (SELECT COALESCE(MAX(docid), 0) FROM post_search_group_docsize)
ORDER BY grp_id, docid`).Error
	}
	return db.WithContext(ctx).Exec(`INSERT INTO post_search_group (docid, title, body, grp_id)
SELECT docid, title, body, grp_id FROM post_search_text WHERE docid >= ? AND docid < ?
ORDER BY grp_id, docid`, from, to).Error
}

// rebuildSearchIndex writes SQLite's index again when it was written by an older
// version, once: an index over kept text (content=) but without buckets is written
// again from that text (about 30 s for 2,000,000 posts); an index from before the text
// was kept apart and held the posts' groups (or before order=DESC) gives its text to a
// new text table first (about a minute).
func (s *Store) rebuildSearchIndex(ctx context.Context) error {
	var def string
	err := s.db.WithContext(ctx).Raw(`SELECT COALESCE(MAX(sql), '') FROM sqlite_master WHERE type = 'table' AND name = 'post_search'`).
		Scan(&def).Error
	if err != nil || def == "" || strings.Contains(def, ftsTableSpec) {
		return err
	}
	if strings.Contains(def, `content="post_search_text"`) {
		return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := addSearchTextColumns(tx); err != nil {
				return err
			}
			// The delete trigger stays: dropping a table it names leaves it as it is.
			for _, q := range []string{
				`DROP TABLE post_search`,
				`CREATE VIRTUAL TABLE post_search USING ` + ftsTableSpec,
				// In id order, so that each bucket's rows make few segments.
				`INSERT INTO post_search (docid, title, body, grp, bucket)
SELECT docid, title, body, grp, bucket FROM post_search_text ORDER BY docid`,
				optimizeSearch,
			} {
				if err := tx.Exec(q).Error; err != nil {
					return err
				}
			}
			return nil
		})
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, q := range []string{
			// An older trigger, written again by migrateSearch (searchDeleteTrigger).
			`DROP TRIGGER IF EXISTS post_search_post_deleted`,
			`DROP TABLE IF EXISTS post_search_group`, // filled again by migrateSearch
			`DROP TABLE IF EXISTS post_search_text`,
			searchTextTable,
			`INSERT INTO post_search_text (docid, title, body, grp)
SELECT ps.docid, ps.title, ps.body, 'g' || t.group_id FROM post_search ps
JOIN posts p ON p.id = ps.docid JOIN threads t ON t.id = p.thread_id ORDER BY ps.docid`,
			`DROP TABLE post_search`,
			`CREATE VIRTUAL TABLE post_search USING ` + ftsTableSpec,
			`INSERT INTO post_search (post_search) VALUES ('rebuild')`,
			optimizeSearch,
		} {
			if err := tx.Exec(q).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

// indexMissing indexes, in batches, every published post that is not in the index.
func (s *Store) indexMissing(ctx context.Context, db *gorm.DB) error {
	key := "MAX(docid), 0) FROM post_search_text"
	if s.dialect == "postgres" {
		key = "MAX(post_id), 0) FROM post_search"
	}
	const batch = 200
	// Every write indexes its post in its own transaction, and this indexes in id
	// order, so only posts after the highest indexed one can be missing: a cheap check
	// at every start-up, even with millions of posts (a NOT EXISTS per post took tens
	// of seconds).
	for {
		var posts []Post
		err := db.WithContext(ctx).Preload("Thread").
			Where("status = ? AND posts.id > (SELECT COALESCE("+key+")", PostPublished).
			Order("id").Limit(batch).Find(&posts).Error
		if err != nil {
			return err
		}
		if len(posts) == 0 {
			return nil
		}
		err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			for i := range posts {
				if err := s.indexPost(ctx, tx, posts[i].Thread, &posts[i]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(posts) < batch {
			return nil
		}
	}
}

// PlainText is the text a reader sees in sanitised post HTML, on one line, without
// markup or control characters: what is indexed and what snippets are cut from.
func PlainText(htmlText string) string {
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(htmlText))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return indexText(b.String())
		case html.TextToken:
			b.Write(z.Text())
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			// Blocks and line breaks separate words ("<li>a</li><li>b</li>" is "a b");
			// inline elements do not ("**bo**ld" is "bold"). Spaces are collapsed below.
			name, _ := z.TagName()
			if !inlineElements[string(name)] {
				b.WriteByte(' ')
			}
		}
	}
}

// inlineElements are the elements of sanitised post HTML that do not break words.
var inlineElements = map[string]bool{"a": true, "b": true, "i": true, "em": true, "strong": true,
	"code": true, "del": true, "s": true, "sup": true, "sub": true}

// indexText collapses white space and drops control characters (so the highlighter's
// sentinels cannot appear in indexed text).
func indexText(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// searchTerm is a word, or a quoted phrase of several words, that must all match.
// Words hold only letters, digits and combining marks, lower-cased.
type searchTerm struct {
	Words  []string
	Quoted bool
}

// parseSearchTerms turns what a person typed into safe terms: words and "quoted
// phrases". Everything else is a separator, so no full-text operator (OR, NOT, NEAR/3,
// *, -, ^, :, parentheses, stray quotes) survives; bare upper-case operator words are
// dropped, and so are common English words unless nothing else is left.
func parseSearchTerms(q string) []searchTerm {
	var terms, common []searchTerm
	add := func(raw string, quoted bool) {
		if !quoted && isOperatorWord(raw) {
			return
		}
		words := strings.FieldsFunc(strings.ToLower(raw), func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
		})
		words = slices.DeleteFunc(words, func(w string) bool {
			return !strings.ContainsFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) })
		})
		switch {
		case len(words) == 0:
		case quoted && len(words) > 1:
			terms = append(terms, searchTerm{Words: words, Quoted: true})
		default:
			for _, w := range words {
				t := searchTerm{Words: []string{w}, Quoted: quoted}
				if !quoted && stopWords[w] {
					common = append(common, t)
				} else {
					terms = append(terms, t)
				}
			}
		}
	}
	for i, part := range strings.Split(q, `"`) {
		if i%2 == 1 { // inside quotes; an unclosed quote runs to the end
			add(part, true)
			continue
		}
		for _, f := range strings.Fields(part) {
			add(f, false)
		}
	}
	if len(terms) == 0 {
		terms = common
	}
	seen := map[string]bool{}
	out := terms[:0]
	for _, t := range terms {
		k := strings.Join(t.Words, " ")
		if !seen[k] {
			seen[k] = true
			out = append(out, t)
		}
	}
	if len(out) > searchMaxTerms {
		out = out[:searchMaxTerms]
	}
	return out
}

// isOperatorWord reports whether a bare word is written as a full-text operator.
func isOperatorWord(w string) bool {
	switch w {
	case "AND", "OR", "NOT", "NEAR":
		return true
	}
	return strings.HasPrefix(w, "NEAR/")
}

// ftsMatch is the FTS4 MATCH expression for terms, every term required, and for each
// of its phrases, in order, the term it stands for. An unquoted word of four or more
// letters matches its singular and plural forms, OR'd in parentheses (a light
// stand-in for stemming: "headaches" finds "headache", "insulin" "insulins"); anything
// else is a quoted phrase. There are no prefix queries ("word*"): without a prefix
// index FTS4 loads every matching doclist whole, and the OR groups also keep FTS4 from
// loading the rarest word's doclist whole to choose deferred tokens, so that every
// word is read incrementally, newest first (see ftsTableSpec).
func ftsMatch(terms []searchTerm) (match string, phraseTerm []int) {
	parts := make([]string, 0, len(terms))
	for i, t := range terms {
		seqs := t.sequences()
		phrases := make([]string, len(seqs))
		for j, seq := range seqs {
			phrases[j] = `"` + strings.Join(seq, " ") + `"`
			phraseTerm = append(phraseTerm, i)
		}
		if len(phrases) == 1 {
			parts = append(parts, phrases[0])
		} else {
			parts = append(parts, "("+strings.Join(phrases, " OR ")+")")
		}
	}
	return strings.Join(parts, " "), phraseTerm
}

// sequences are what a term matches on SQLite, each a sequence of words: an unquoted
// word of four or more letters matches its singular and plural forms (wordForms),
// anything else its words in order. ftsMatch and highlight both read it.
func (t searchTerm) sequences() [][]string {
	if !t.Quoted && len(t.Words) == 1 && utf8.RuneCountInString(t.Words[0]) >= 4 {
		var out [][]string
		for _, f := range wordForms(t.Words[0]) {
			out = append(out, []string{f})
		}
		return out
	}
	return [][]string{slices.Clone(t.Words)}
}

// groupToken is the word the index holds, in its grp column on SQLite and in the
// document on PostgreSQL, for the group of a post. On PostgreSQL the underscore keeps
// any text from being parsed into it; on SQLite a post's own words that happen to read
// "g123" are told apart by the column they are found in (see matchinfoScore), after
// the LIMIT: searching group 123 for the word "g123" itself reads the group's newest
// searchCandidates posts and keeps those that say it, so it may miss older ones.
func groupToken(groupID int64, dialect string) string {
	if dialect == "postgres" {
		return "g_" + strconv.FormatInt(groupID, 10)
	}
	return "g" + strconv.FormatInt(groupID, 10)
}

// ftsGroups is an FTS4 expression matching the posts of any of the groups.
func ftsGroups(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = "grp:" + groupToken(id, "sqlite")
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}

// pgGroups is a tsquery matching the documents of any of the groups.
func pgGroups(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = "'" + groupToken(id, "postgres") + "'"
	}
	return strings.Join(parts, " | ")
}

// wordForms returns a word's singular and plural forms (English, regular plurals only):
// "headache" and "headaches", "diary" and "diaries", "stress" and "stresses".
func wordForms(w string) []string {
	n := utf8.RuneCountInString(w)
	switch {
	case n > 4 && strings.HasSuffix(w, "ies"):
		return []string{strings.TrimSuffix(w, "ies") + "y", w}
	case n > 4 && strings.HasSuffix(w, "es") && hasSibilantEnd(strings.TrimSuffix(w, "es")):
		return []string{strings.TrimSuffix(w, "s"), strings.TrimSuffix(w, "es"), w} // headaches, boxes
	case n > 4 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us"):
		return []string{strings.TrimSuffix(w, "s"), w}
	case strings.HasSuffix(w, "y") && n > 1 && !strings.ContainsRune("aeiou", []rune(w)[n-2]):
		return []string{w, strings.TrimSuffix(w, "y") + "ies"}
	case hasSibilantEnd(w):
		return []string{w, w + "es"}
	}
	return []string{w, w + "s"}
}

// hasSibilantEnd reports whether a word takes "es" in the plural (box, stress, rash).
func hasSibilantEnd(w string) bool {
	for _, e := range []string{"s", "x", "z", "ch", "sh"} {
		if strings.HasSuffix(w, e) {
			return true
		}
	}
	return false
}

// tsQueryText is the websearch_to_tsquery input for terms: every term quoted, so that
// none reads as an operator, all required.
func tsQueryText(terms []searchTerm) string {
	parts := make([]string, 0, len(terms))
	for _, t := range terms {
		parts = append(parts, `"`+strings.Join(t.Words, " ")+`"`)
	}
	return strings.Join(parts, " ")
}

// stopWords are common English words left out of a query when it has other words.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a about after again all am an and any are as at be
		been before being both but by can could did do does doing down during each few for
		from further had has have having he her here hers him his how i if in into is it its
		just me more most my no nor not of off on once only or other our out over own same
		she should so some such than that the their them then there these they this those
		through to too under until up very was we were what when where which while who whom
		why will with would you your s t`) {
		m[w] = true
	}
	return m
}()
