package models

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"gorm.io/gorm"
)

// searchThread opens a thread as v in the group and returns it with its opening post.
func searchThread(t *testing.T, s *Store, v *Viewer, slug, title, body string) (*Thread, *Post) {
	t.Helper()
	th, p, err := s.CreateThread(ctx, v, slug, ThreadInput{Title: title, Body: body})
	if err != nil {
		t.Fatalf("thread %q in %s: %v", title, slug, err)
	}
	return th, p
}

// searchReply replies as v.
func searchReply(t *testing.T, s *Store, v *Viewer, threadID int64, body string) *Post {
	t.Helper()
	p, err := s.CreatePost(ctx, v, threadID, PostInput{Body: body})
	if err != nil {
		t.Fatalf("reply to %d: %v", threadID, err)
	}
	return p
}

// searchFor searches and fails on any error.
func searchFor(t *testing.T, s *Store, v *Viewer, q, group string) *SearchResults {
	t.Helper()
	res, err := s.Search(ctx, v, SearchQuery{Text: q, Group: group})
	if err != nil {
		t.Fatalf("search %q in %q: %v", q, group, err)
	}
	return res
}

// searchHitIDs lists the post ids of the hits, in order.
func searchHitIDs(res *SearchResults) []int64 {
	ids := make([]int64, 0, len(res.Hits))
	for _, h := range res.Hits {
		ids = append(ids, h.Post.ID)
	}
	return ids
}

// markedText is a snippet's text, with [matches] in brackets.
// searchSetup is a store with an admin who is an active member of one open group.
func searchSetup(t *testing.T, slug string) (*Store, *Viewer) {
	t.Helper()
	s := NewTestStore(t)
	admin := mustViewer(t, s, "admin", RoleAdmin)
	mustGroup(t, s, admin, slug, VisibilityOpen)
	mustJoin(t, s, admin, slug, MemberActive)
	return s, admin
}

// eachSearchPath runs fn once for each way search keeps to the groups a caller may
// read (see searchCandidates): the groups' own indexes, their words named in the
// query, and the newest matches joined to the groups (as on a site with many groups
// on both sides).
func eachSearchPath(fn func(path string)) {
	for _, p := range []struct {
		name            string
		indexes, filter int
	}{{"indexes", searchGroupIndexes, searchGroupFilter}, {"words", 0, searchGroupFilter}, {"scan", 0, 0}} {
		func() {
			defer func(i, f int) { searchGroupIndexes, searchGroupFilter = i, f }(searchGroupIndexes, searchGroupFilter)
			searchGroupIndexes, searchGroupFilter = p.indexes, p.filter
			fn(p.name)
		}()
	}
}

func markedText(parts []SnippetPart) string {
	var b strings.Builder
	for _, p := range parts {
		if p.Mark {
			b.WriteString("[" + p.Text + "]")
		} else {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// searchReindex writes changes to a post directly, then reindexes it as an edit would.
func searchReindex(t *testing.T, s *Store, postID int64, changes map[string]any) {
	t.Helper()
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&Post{}).Where("id = ?", postID).Updates(changes).Error; err != nil {
			return err
		}
		var p Post
		if err := tx.First(&p, postID).Error; err != nil {
			return err
		}
		return s.indexPost(ctx, tx, nil, &p)
	})
	if err != nil {
		t.Fatalf("reindex post %d: %v", postID, err)
	}
}

func TestSearchFindsTitleAndBody(t *testing.T) {
	s, admin := searchSetup(t, "diabetes")
	th, first := searchThread(t, s, admin, "diabetes", "Insulin pump tips", "I switched last spring and it changed my days.")
	reply := searchReply(t, s, admin, th.ID, "My nurse suggested a continuous glucose monitor as well.")

	res := searchFor(t, s, nil, "pump", "")
	if got, want := searchHitIDs(res), []int64{first.ID}; !slices.Equal(got, want) {
		t.Fatalf("search by title: %v, want %v", got, want)
	}
	h := res.Hits[0]
	if !h.Opening || h.Thread.ID != th.ID || h.Group.Slug != "diabetes" {
		t.Fatalf("title hit: opening=%v thread=%d group=%q", h.Opening, h.Thread.ID, h.Group.Slug)
	}
	if got, want := markedText(h.Title), "Insulin [pump] tips"; got != want {
		t.Fatalf("title = %q, want %q", got, want)
	}
	if h.Post.Membership == nil || h.Post.Membership.Pseudonym == "" {
		t.Fatal("hit has no author loaded")
	}

	res = searchFor(t, s, nil, "GLUCOSE monitor", "")
	if got, want := searchHitIDs(res), []int64{reply.ID}; !slices.Equal(got, want) {
		t.Fatalf("search by body: %v, want %v", got, want)
	}
	if res.Hits[0].Opening {
		t.Fatal("a reply is reported as the thread")
	}
	if got := markedText(res.Hits[0].Snippet); !strings.Contains(got, "[glucose] [monitor]") {
		t.Fatalf("snippet %q does not mark the matches", got)
	}
	if got, want := markedText(res.Hits[0].Title), "Insulin pump tips"; got != want {
		t.Fatalf("a reply's title = %q, want the plain thread title %q", got, want)
	}

	// Every word must match, in the title or the text.
	if got, want := searchHitIDs(searchFor(t, s, nil, "insulin spring", "")), []int64{first.ID}; !slices.Equal(got, want) {
		t.Fatalf("title and body words: %v, want %v", got, want)
	}
	if got := searchHitIDs(searchFor(t, s, nil, "insulin glucose", "")); len(got) != 0 {
		t.Fatalf("words from two posts matched %v", got)
	}
	// A quoted phrase keeps its words together and in order.
	if got, want := searchHitIDs(searchFor(t, s, nil, `"glucose monitor"`, "")), []int64{reply.ID}; !slices.Equal(got, want) {
		t.Fatalf("phrase: %v, want %v", got, want)
	}
	if got := searchHitIDs(searchFor(t, s, nil, `"monitor glucose"`, "")); len(got) != 0 {
		t.Fatalf("reversed phrase matched %v", got)
	}
	// Plurals find singulars on both databases.
	if got, want := searchHitIDs(searchFor(t, s, nil, "pumps", "")), []int64{first.ID}; !slices.Equal(got, want) {
		t.Fatalf("plural: %v, want %v", got, want)
	}
	if got := searchHitIDs(searchFor(t, s, nil, "zebra", "")); len(got) != 0 {
		t.Fatalf("unknown word matched %v", got)
	}
	// An empty query finds nothing and is not an error.
	if res := searchFor(t, s, nil, "   ", ""); len(res.Hits) != 0 || res.Query != "" {
		t.Fatalf("empty query: %+v", res)
	}
}

func TestSearchRanking(t *testing.T) {
	s, admin := searchSetup(t, "meds")
	_, strong := searchThread(t, s, admin, "meds", "Metformin side effects", "Metformin upset my stomach. After a month on metformin it settled; metformin with food helps.")
	_, weak := searchThread(t, s, admin, "meds", "Starting a new pill", "My doctor mentioned metformin once, nothing more.")
	_, older := searchThread(t, s, admin, "meds", "Walking helps", "A short walk after dinner helps my metformin work.")
	_, newer := searchThread(t, s, admin, "meds", "Walking helps too", "A short walk after dinner helps my metformin work.")

	got := searchHitIDs(searchFor(t, s, nil, "metformin", ""))
	if len(got) != 4 {
		t.Fatalf("found %v, want 4 posts", got)
	}
	if got[0] != strong.ID {
		t.Fatalf("ranking %v: the post with the word in its title and three times in its text (%d) is not first", got, strong.ID)
	}
	if slices.Index(got, weak.ID) < slices.Index(got, strong.ID) {
		t.Fatalf("ranking %v: a single mention ranks above the strong match", got)
	}
	if slices.Index(got, newer.ID) > slices.Index(got, older.ID) {
		t.Fatalf("ranking %v: of two equal matches the older (%d) comes first", got, older.ID)
	}
}

func TestSearchSnippetsAreTextOnly(t *testing.T) {
	s, admin := searchSetup(t, "skin")
	searchThread(t, s, admin, "skin", "Shingles <b>pain</b>",
		"I saw `<script>alert(1)</script>` in a **bold** zoster message <img src=x onerror=alert(1)> &amp; more.\n\n- one zoster\n- two")

	res := searchFor(t, s, nil, "zoster", "")
	if len(res.Hits) != 1 {
		t.Fatalf("found %d posts, want 1", len(res.Hits))
	}
	got := markedText(res.Hits[0].Snippet)
	if !strings.Contains(got, "[zoster]") {
		t.Fatalf("snippet %q does not mark the match", got)
	}
	for _, bad := range []string{"**", "<strong", "<img", "onerror", "<li", "&amp;", "\x01", "\x02"} {
		if strings.Contains(got, bad) {
			t.Fatalf("snippet %q contains %q", got, bad)
		}
	}
	// Code is text: it is in the snippet, as text, to be escaped by whoever shows it.
	if !strings.Contains(got, "<script>alert(1)</script>") || !strings.Contains(got, "bold") {
		t.Fatalf("snippet %q lost the post's text", got)
	}
	if got := markedText(searchFor(t, s, nil, "pain", "").Hits[0].Title); got != "Shingles <b>[pain]</b>" {
		t.Fatalf("title %q: the title is plain text with the match marked", got)
	}
}

func TestSearchPlainText(t *testing.T) {
	for _, tc := range []struct{ name, md, want string }{
		{"markdown", "Is this **normal**?\n\n* one\n* two", "Is this normal? one two"},
		{"inline markup inside a word", "**bo**ld and *it*alic", "bold and italic"},
		{"raw html is dropped", "a <script>alert(1)</script> b", "a alert(1) b"},
		{"entities", "fish &amp; chips <3", "fish & chips <3"},
		{"code keeps its text", "`<b>x</b>`", "<b>x</b>"},
		{"control characters", "a\x01b\x02c", "a b c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := RenderMarkdown(tc.md)
			if err != nil {
				t.Fatal(err)
			}
			if got := PlainText(h); got != tc.want {
				t.Fatalf("PlainText(%q) = %q, want %q", h, got, tc.want)
			}
		})
	}
}

// TestSearchVisibilityMatrix checks, for every role and visibility, that search finds
// exactly what the caller may read.
func TestSearchVisibilityMatrix(t *testing.T) {
	s := NewTestStore(t)
	admin := mustViewer(t, s, "admin", RoleAdmin)
	member := mustViewer(t, s, "member", RoleMember)
	outsider := mustViewer(t, s, "outsider", RoleMember)
	clinician := mustViewer(t, s, "doc", RoleClinician)
	var visitor *Viewer
	visibilities := []string{VisibilityOpen, VisibilityClosed, VisibilitySecret, VisibilityProfessional}
	postIn := map[string]int64{}
	for _, vis := range visibilities {
		mustGroup(t, s, admin, vis, vis)
		mustJoin(t, s, admin, vis, MemberActive)
		_, p := searchThread(t, s, admin, vis, "Asthma inhaler in the "+vis+" group", "Ask about asthma here.")
		postIn[vis] = p.ID
	}
	// The member is active in the open, closed and secret groups.
	mustJoin(t, s, member, VisibilityOpen, MemberActive)
	for _, slug := range []string{VisibilityClosed, VisibilitySecret} {
		a, _ := s.GroupAccess(ctx, admin, slug)
		if _, err := s.createMembership(ctx, s.db, member.User.ID, a.Group.ID, MemberRegular, MemberActive); err != nil {
			t.Fatal(err)
		}
	}
	// A pending request reads nothing.
	mustJoin(t, s, outsider, VisibilityClosed, MemberPending)

	cases := []struct {
		who   string
		v     *Viewer
		reads []string
	}{
		{"visitor", visitor, []string{"open"}},
		{"outsider", outsider, []string{"open"}},
		{"member", member, []string{"open", "closed", "secret"}},
		{"clinician", clinician, []string{"open", "professional"}},
		{"admin", admin, []string{"open", "closed", "secret", "professional"}},
	}
	// Every way of keeping to the groups the caller may read: the index naming the
	// groups searched or those left out, and the newest matches joined to the groups.
	eachSearchPath(func(path string) {
		for _, tc := range cases {
			t.Run(tc.who+"/"+path, func(t *testing.T) {
				searchMatrixCase(t, s, tc.v, tc.reads, postIn, visibilities)
			})
		}
	})
	if _, err := s.Search(ctx, admin, SearchQuery{Text: "asthma", Group: "no-such-group"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown group: %v, want not found", err)
	}
}

// searchMatrixCase checks that v finds the post of each group in reads, and only
// those, searching every group and each group in turn.
func searchMatrixCase(t *testing.T, s *Store, v *Viewer, reads []string, postIn map[string]int64, visibilities []string) {
	t.Helper()
	res := searchFor(t, s, v, "asthma", "")
	got := searchHitIDs(res)
	slices.Sort(got)
	var want []int64
	for _, vis := range reads {
		want = append(want, postIn[vis])
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("found %v, want %v (groups %v)", got, want, reads)
	}
	var scope []string
	for _, g := range res.Scope {
		scope = append(scope, g.Slug)
	}
	slices.Sort(scope)
	wantScope := slices.Clone(reads)
	slices.Sort(wantScope)
	if !slices.Equal(scope, wantScope) {
		t.Fatalf("scope %v, want %v", scope, wantScope)
	}
	for _, vis := range visibilities {
		res, err := s.Search(ctx, v, SearchQuery{Text: "asthma", Group: vis})
		a, aerr := s.GroupAccess(ctx, v, vis)
		switch {
		case errors.Is(aerr, ErrNotFound):
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("filter on hidden group %s: %v, want not found", vis, err)
			}
		case err != nil:
			t.Fatalf("filter on %s: %v", vis, err)
		case a.CanRead != (len(res.Hits) == 1):
			t.Fatalf("filter on %s: %d hits, can read %v", vis, len(res.Hits), a.CanRead)
		case res.Group == nil || res.Group.Slug != vis:
			t.Fatalf("filter on %s: results name group %v", vis, res.Group)
		}
	}
}

func TestSearchFollowsEditsAndStatus(t *testing.T) {
	s, admin := searchSetup(t, "sleep")
	th, _ := searchThread(t, s, admin, "sleep", "Night shifts", "How do you all cope?")
	p := searchReply(t, s, admin, th.ID, "Melatonin helped me a little.")
	other := searchReply(t, s, admin, th.ID, "Melatonin did nothing for me.")
	// Every way of searching finds the same posts.
	find := func(q string) []int64 {
		var got []int64
		eachSearchPath(func(path string) {
			ids := searchHitIDs(searchFor(t, s, admin, q, ""))
			if path != "indexes" && !slices.Equal(ids, got) {
				t.Fatalf("%q finds %v by %s, %v by the groups' indexes", q, ids, path, got)
			}
			got = ids
		})
		return got
	}

	edited, _ := RenderMarkdown("Magnesium helped me a little.")
	searchReindex(t, s, p.ID, map[string]any{"body": "Magnesium helped me a little.", "body_html": edited})
	if got, want := find("magnesium"), []int64{p.ID}; !slices.Equal(got, want) {
		t.Fatalf("after an edit the new word finds %v, want %v", got, want)
	}
	if got, want := find("melatonin"), []int64{other.ID}; !slices.Equal(got, want) {
		t.Fatalf("after an edit the old word finds %v, want %v", got, want)
	}

	for _, status := range []string{PostHeld, PostRemoved, PostDeleted} {
		t.Run(status, func(t *testing.T) {
			searchReindex(t, s, p.ID, map[string]any{"status": status})
			if got := find("magnesium"); len(got) != 0 {
				t.Fatalf("a %s post is found: %v", status, got)
			}
			searchReindex(t, s, p.ID, map[string]any{"status": PostPublished})
			if got := find("magnesium"); len(got) != 1 {
				t.Fatalf("published again, found %v", got)
			}
		})
	}

	// Status is checked when searching too, even if nobody reindexed.
	if err := s.db.Model(&Post{}).Where("id = ?", other.ID).Update("status", PostRemoved).Error; err != nil {
		t.Fatal(err)
	}
	if got := find("melatonin"); len(got) != 0 {
		t.Fatalf("a removed post that was not reindexed is found: %v", got)
	}

	// A post deleted outright leaves the index.
	if err := s.db.Delete(&Post{}, p.ID).Error; err != nil {
		t.Fatal(err)
	}
	if n := searchIndexRows(t, s, p.ID); n != 0 {
		t.Fatalf("a deleted post has %d index rows", n)
	}
	checkSearchIndexes(t, s)
}

// searchIndexRows counts the rows a post has in the index: on SQLite in the kept text
// and in each index (whose _docsize tables hold a row per indexed post).
func searchIndexRows(t *testing.T, s *Store, postID int64) int64 {
	t.Helper()
	q := `SELECT COUNT(*) FROM post_search WHERE post_id = ?`
	if s.dialect == "sqlite" {
		q = `SELECT (SELECT COUNT(*) FROM post_search_text WHERE docid = ?1) +
  (SELECT COUNT(*) FROM post_search_docsize WHERE docid = ?1) +
  (SELECT COUNT(*) FROM post_search_group_docsize WHERE docid = ?1)`
	}
	var n int64
	if err := s.db.Raw(q, postID).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// checkSearchIndexes runs FTS4's own check on SQLite's indexes: each holds exactly
// the words of the kept text (in its group, for post_search_group).
func checkSearchIndexes(t *testing.T, s *Store) {
	t.Helper()
	if s.dialect != "sqlite" {
		return
	}
	for _, table := range []string{"post_search", "post_search_group"} {
		if err := s.db.Exec(`INSERT INTO ` + table + ` (` + table + `) VALUES ('integrity-check')`).Error; err != nil {
			t.Fatalf("%s: %v", table, err)
		}
	}
}

func TestSearchMigrateIndexesMissingPosts(t *testing.T) {
	s, admin := searchSetup(t, "gut")
	th, _ := searchThread(t, s, admin, "gut", "Fibre", "Oats every morning.")
	// A post written in bulk, bypassing the write path (as the demo seed does).
	html, _ := RenderMarkdown("Psyllium works for me.")
	bulk := Post{ThreadID: th.ID, Body: "Psyllium works for me.", BodyHTML: html, Status: PostPublished, Version: 1,
		CreatedAt: s.now(), UpdatedAt: s.now()}
	if err := s.db.Create(&bulk).Error; err != nil {
		t.Fatal(err)
	}
	if got := searchHitIDs(searchFor(t, s, nil, "psyllium", "")); len(got) != 0 {
		t.Fatalf("found %v before indexing", got)
	}
	if err := s.Migrate(); err != nil {
		t.Fatalf("migrate again: %v", err)
	}
	if got, want := searchHitIDs(searchFor(t, s, nil, "psyllium", "")), []int64{bulk.ID}; !slices.Equal(got, want) {
		t.Fatalf("after migrate: %v, want %v", got, want)
	}
	if got := searchHitIDs(searchFor(t, s, nil, "fibre", "")); len(got) != 1 {
		t.Fatalf("the opening post is indexed %d times", len(got))
	}
}

func TestSearchMigrateRebuildsOldIndexNewestFirst(t *testing.T) {
	s, _, first := sqliteSearchFixture(t)
	// An index as written before order=DESC.
	execSQL(t, s, `DROP TRIGGER post_search_post_deleted`,
		`DROP TABLE post_search`,
		`CREATE VIRTUAL TABLE post_search USING fts4(title, body, tokenize=unicode61 "remove_diacritics=2")`,
		`CREATE TRIGGER post_search_post_deleted AFTER DELETE ON posts BEGIN DELETE FROM post_search WHERE docid = old.id; END`)
	if err := s.db.Exec(`INSERT INTO post_search (docid, title, body) VALUES (?, ?, ?)`, first.ID, "Fibre", "Oats every morning.").Error; err != nil {
		t.Fatal(err)
	}
	mustMigrate(t, s)
	var def string
	s.db.Raw(`SELECT sql FROM sqlite_master WHERE name = 'post_search'`).Scan(&def)
	if !strings.Contains(def, ftsTableSpec) {
		t.Fatalf("index not rebuilt: %s", def)
	}
	if got, want := searchHitIDs(searchFor(t, s, nil, "oats fibre", "")), []int64{first.ID}; !slices.Equal(got, want) {
		t.Fatalf("after the rebuild: %v, want %v", got, want)
	}
	if err := s.db.Delete(&Post{}, first.ID).Error; err != nil {
		t.Fatal(err)
	}
	if n := searchIndexRows(t, s, first.ID); n != 0 {
		t.Fatalf("the delete trigger did not survive the rebuild: %d rows", n)
	}
	checkSearchIndexes(t, s)
}

func TestSearchPages(t *testing.T) {
	s, admin := searchSetup(t, "pain")
	th, _ := searchThread(t, s, admin, "pain", "Chronic pain diary", "Starting a diary.")
	n := 3*SearchPageSize + 5 // more than one page of the thread, too
	for i := 0; i < n; i++ {
		searchReply(t, s, admin, th.ID, fmt.Sprintf("Day %d: flare today.", i+1))
	}
	res := searchFor(t, s, nil, "flare", "")
	if got, want := len(res.Hits), SearchPageSize; got != want || !res.HasNext {
		t.Fatalf("page 1: %d hits, has next %v", got, res.HasNext)
	}
	// Equal matches: newest first, and the newest reply's link opens the thread's last
	// page.
	if _, page, err := s.PostLink(ctx, nil, res.Hits[0].Post.ID); err != nil || page != (n+1+PageSize-1)/PageSize {
		t.Fatalf("newest reply is on page %d (%v), want %d", page, err, (n+1+PageSize-1)/PageSize)
	}
	if got, want := res.Hits[len(res.Hits)-1].Post.ID, res.Hits[0].Post.ID-SearchPageSize+1; got != want {
		t.Fatalf("last hit of page 1 is post %d, want %d", got, want)
	}
	res, err := s.Search(ctx, nil, SearchQuery{Text: "flare", Page: 4})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(res.Hits), 5; got != want || res.HasNext {
		t.Fatalf("page 4: %d hits (want %d), has next %v", got, want, res.HasNext)
	}
	res, err = s.Search(ctx, nil, SearchQuery{Text: "flare", Page: 9})
	if err != nil || len(res.Hits) != 0 {
		t.Fatalf("a page past the end: %v, %d hits", err, len(res.Hits))
	}
}

// A search limited to a small group still finds its posts when the newest matches of
// the whole forum, all elsewhere, fill the scan limit.
func TestSearchReadsPastTheScanLimitForASmallGroup(t *testing.T) {
	defer func(n int) { searchScanLimit = n }(searchScanLimit)
	searchScanLimit = 5
	s := NewTestStore(t)
	admin := mustViewer(t, s, "admin", RoleAdmin)
	mustGroup(t, s, admin, "small", VisibilityOpen)
	mustGroup(t, s, admin, "busy", VisibilityOpen)
	mustJoin(t, s, admin, "small", MemberActive)
	mustJoin(t, s, admin, "busy", MemberActive)
	_, old := searchThread(t, s, admin, "small", "Pacing", "Pacing helped my fatigue.")
	th, _ := searchThread(t, s, admin, "busy", "Fatigue diary", "Fatigue again today.")
	for i := 0; i < 3*searchScanLimit; i++ {
		searchReply(t, s, admin, th.ID, fmt.Sprintf("Day %d: fatigue.", i+1))
	}
	res := searchFor(t, s, nil, "fatigue", "small")
	if len(res.Hits) != 1 || res.Hits[0].Post.ID != old.ID {
		t.Fatalf("small group: %d hits, want its one post", len(res.Hits))
	}
	if res, want := searchFor(t, s, nil, "fatigue", ""), 3*searchScanLimit+2; len(res.Hits) != want {
		t.Fatalf("every group: %d hits, want %d", len(res.Hits), want)
	}
}

func TestSearchValidation(t *testing.T) {
	s := NewTestStore(t)
	_, err := s.Search(ctx, nil, SearchQuery{Text: strings.Repeat("a", MaxSearchQueryRunes+1)})
	wantField(t, err, "q")
	if _, err := s.Search(ctx, nil, SearchQuery{Text: strings.Repeat("é", MaxSearchQueryRunes)}); err != nil {
		t.Fatalf("a query of %d characters: %v", MaxSearchQueryRunes, err)
	}
	_, err = s.Search(ctx, nil, SearchQuery{Text: "x", Page: -1})
	wantField(t, err, "page")
}

// nastyQueries are inputs that break a naive MATCH or tsquery.
var nastyQueries = []string{
	`"`, `""`, `"""`, `a OR`, `OR`, `AND`, `NOT`, `NEAR`, `NEAR/3`, `a NEAR/3 b`, `*`, `a*`, `*a`,
	`-`, `-a`, `a -b`, `(`, `)`, `(a`, `a)`, `a OR (b`, `^a`, `title:a`, `body:`, `:`, `'`, `''`,
	`a'b`, `\`, `\"`, `%`, `_`, `;`, `; DROP TABLE posts; --`, `a AND NOT b`, `!`, `&`, `|`, `a & b`,
	`a | b`, `!a`, `<->`, `a <-> b`, `a:*`, `a:b`, "\x00", "\x01a\x02", "a\tb\nc", `\u0301`, "\u0301\u0301\u0301\u0301",
	"é", "日本語", "🙂", "a🙂b", `"unclosed phrase`, `"a" "b" "c"`, `"" a ""`, `"*"`, `"OR"`, `"NEAR/3"`,
	strings.Repeat(`"a `, 60), strings.Repeat("a ", 100), strings.Repeat("x", 200), `the`, `the a of`,
	`%27%22`, `<script>`, `{}`, `[]`, `$`, `@`, `#`, `~a`, `a~`, `+a`, `a+b`, `1`, `0x`, `1e5`,
}

func TestSearchNastyQueries(t *testing.T) {
	s, admin := searchSetup(t, "misc")
	searchThread(t, s, admin, "misc", "A thread about a b c", "Text with a and b and the words OR and NEAR in it: 日本語 é 1.")
	for _, q := range nastyQueries {
		t.Run(fmt.Sprintf("%q", q), func(t *testing.T) {
			if _, err := s.Search(ctx, admin, SearchQuery{Text: q}); err != nil {
				t.Fatalf("search %q: %v", q, err)
			}
			if _, err := s.Search(ctx, nil, SearchQuery{Text: q, Group: "misc"}); err != nil {
				t.Fatalf("search %q in a group: %v", q, err)
			}
		})
	}
}

func TestParseSearchTerms(t *testing.T) {
	for _, tc := range []struct{ in, fts, ts string }{
		{"", "", ""},
		{"Insulin", `("insulin" OR "insulins")`, `"insulin"`},
		{"headaches", `("headache" OR "headach" OR "headaches")`, `"headaches"`},
		{"stress", `("stress" OR "stresses")`, `"stress"`},
		{"flu", `"flu"`, `"flu"`},
		{"diaries", `("diary" OR "diaries")`, `"diaries"`},
		{"lupus", `("lupus" OR "lupuses")`, `"lupus"`},
		{`blood "low sugar" levels`, `("blood" OR "bloods") "low sugar" ("level" OR "levels")`, `"blood" "low sugar" "levels"`},
		{`"insulin"`, `"insulin"`, `"insulin"`},
		{`x OR y`, `"x" "y"`, `"x" "y"`},
		{`a OR b`, `"b"`, `"b"`}, // "a" is a stop word
		{`diet NEAR/3 sleep`, `("diet" OR "diets") ("sleep" OR "sleeps")`, `"diet" "sleep"`},
		{`-fish* (chips)`, `("fish" OR "fishes") ("chip" OR "chips")`, `"fish" "chips"`},
		{`how do I sleep`, `("sleep" OR "sleeps")`, `"sleep"`},
		{`the`, `"the"`, `"the"`},
		{`"the end`, `"the end"`, `"the end"`},
		{`"`, "", ""},
		{`*`, "", ""},
		{`Café Crème`, `("café" OR "cafés") ("crème" OR "crèmes")`, `"café" "crème"`},
		{`sleep sleep SLEEP`, `("sleep" OR "sleeps")`, `"sleep"`},
		{"don't", `"don"`, `"don"`}, // "t" is a stop word
	} {
		t.Run(tc.in, func(t *testing.T) {
			terms := parseSearchTerms(tc.in)
			got, phraseTerm := ftsMatch(terms)
			if got != tc.fts {
				t.Fatalf("FTS: %q, want %q", got, tc.fts)
			}
			if n := strings.Count(got, `"`) / 2; len(phraseTerm) != n {
				t.Fatalf("FTS: %d phrases mapped to terms, want %d", len(phraseTerm), n)
			}
			if got := tsQueryText(terms); got != tc.ts {
				t.Fatalf("tsquery: %q, want %q", got, tc.ts)
			}
		})
	}
}

func TestSearchSeededDemo(t *testing.T) {
	s := NewTestStore(t)
	if _, err := s.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	admin := mustViewer(t, s, "admin", RoleAdmin)
	if got := searchFor(t, s, nil, "metformin", "").Hits; len(got) == 0 {
		t.Fatal("the demo's open groups are not searchable")
	}
	if got := searchFor(t, s, nil, "sundowning", "").Hits; len(got) != 0 {
		t.Fatalf("a visitor finds %d posts of a closed group", len(got))
	}
	if got := searchFor(t, s, admin, "sundowning", "").Hits; len(got) == 0 {
		t.Fatal("the demo's closed group is not searchable by an admin")
	}
}

func TestSearchCutSnippet(t *testing.T) {
	words := func(from, to int) string {
		var w []string
		for i := from; i <= to; i++ {
			w = append(w, fmt.Sprint("w", i))
		}
		return strings.Join(w, " ")
	}
	all := words(1, 20)
	for _, tc := range []struct{ name, in, want string }{
		{"short text is whole", "a \x01b\x02 c", "a \x01b\x02 c"},
		{"no match keeps the start", all, words(1, 5) + " …"},
		{"match near the start", strings.Replace(all, "w2 ", "\x01w2\x02 ", 1), "w1 \x01w2\x02 w3 w4 w5 …"},
		{"match in the middle", strings.Replace(all, "w10 ", "\x01w10\x02 ", 1), "… w8 w9 \x01w10\x02 w11 w12 …"},
		{"match at the end", strings.Replace(all, "w20", "\x01w20\x02", 1), "… w16 w17 w18 w19 \x01w20\x02"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := cutSnippet(tc.in, 2, 5); got != tc.want {
				t.Fatalf("cutSnippet = %q, want %q", got, tc.want)
			}
		})
	}
}

// The index holds each post's group as a word, which a post's own text may happen to
// read: searching for it finds the posts that say it, not every post of the group.
func TestSearchGroupWordsAreNotText(t *testing.T) {
	s := NewTestStore(t)
	admin := mustViewer(t, s, "admin", RoleAdmin)
	a := mustGroup(t, s, admin, "airways", VisibilityOpen)
	mustGroup(t, s, admin, "other", VisibilityOpen)
	mustJoin(t, s, admin, "airways", MemberActive)
	mustJoin(t, s, admin, "other", MemberActive)
	searchThread(t, s, admin, "airways", "Peak flow", "Morning readings are low.")
	word := fmt.Sprintf("g%d", a.ID)
	_, says := searchThread(t, s, admin, "other", "Codes", "My inhaler box says "+word+" on it.")
	eachSearchPath(func(path string) {
		for _, group := range []string{"", "other"} {
			if got, want := searchHitIDs(searchFor(t, s, admin, word, group)), []int64{says.ID}; !slices.Equal(got, want) {
				t.Fatalf("%s, group %q: %q finds %v, want %v", path, group, word, got, want)
			}
		}
		if got := searchFor(t, s, admin, word, "airways").Hits; len(got) != 0 {
			t.Fatalf("%s: %q in its group finds %d posts, want none", path, word, len(got))
		}
	})
}

// Search keeps the list of groups between searches; a change to who may read a group
// applies to the next search.
func TestSearchSeesGroupChangesAtOnce(t *testing.T) {
	s, admin := searchSetup(t, "kidneys")
	_, p := searchThread(t, s, admin, "kidneys", "Dialysis days", "Dialysis on Mondays.")
	if got := searchHitIDs(searchFor(t, s, nil, "dialysis", "")); !slices.Equal(got, []int64{p.ID}) {
		t.Fatalf("open group: a visitor finds %v", got)
	}
	for _, tc := range []struct {
		vis  string
		want []int64
	}{{VisibilityClosed, nil}, {VisibilityOpen, []int64{p.ID}}} {
		vis := tc.vis
		if _, err := s.EditGroup(ctx, admin, "kidneys", GroupEdit{Visibility: &vis}); err != nil {
			t.Fatal(err)
		}
		if got := searchHitIDs(searchFor(t, s, nil, "dialysis", "")); !slices.Equal(got, tc.want) {
			t.Fatalf("%s group: a visitor finds %v, want %v", vis, got, tc.want)
		}
	}
	name := "Kidney care"
	if _, err := s.EditGroup(ctx, admin, "kidneys", GroupEdit{Name: &name}); err != nil {
		t.Fatal(err)
	}
	if res := searchFor(t, s, nil, "dialysis", ""); len(res.Scope) != 1 || res.Scope[0].Name != name {
		t.Fatalf("renamed group: scope %v", res.Scope)
	}
}

func TestSearchHighlight(t *testing.T) {
	terms := func(q string) []searchTerm { return parseSearchTerms(q) }
	long := "one two three four five six seven eight nine ten eleven twelve"
	for _, tc := range []struct {
		name, text, q string
		n             int
		want          string
	}{
		{"whole text", "Peak flow, peak FLOW!", "flow", 0, "Peak [flow], peak [FLOW]!"},
		{"plural form", "Two headaches today", "headache", 0, "Two [headaches] today"},
		{"diacritics", "Le café crème", "cafe", 0, "Le [café] crème"},
		{"phrase", "low sugar, not low mood: sugar low", `"low sugar"`, 0, "[low] [sugar], not low mood: sugar low"},
		{"no match keeps the start", long, "zebra", 4, "one two three four …"},
		{"window around the match", long, "nine", 4, "… eight [nine] ten eleven …"},
		{"window with the most terms", "alpha x x x x x beta x gamma x x x", "alpha gamma beta", 5, "… x [beta] x [gamma] x …"},
		{"short text is whole", "just this", "this", 32, "just [this]"},
		{"punctuation at the edges", `"Quoted" and tired.`, "tired", 32, `"Quoted" and [tired].`},
		{"the end kept when the window reaches it", long + ".", "twelve", 4, "… nine ten eleven [twelve]."},
		{"no words", "?!", "pain", 32, "?!"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := markedText(parseSnippet(highlight(tc.text, terms(tc.q), tc.n)))
			if got != tc.want {
				t.Fatalf("highlight(%q, %q, %d) = %q, want %q", tc.text, tc.q, tc.n, got, tc.want)
			}
		})
	}
}

// A PostgreSQL index written before it held the posts' groups gets them once.
func TestSearchMigrateAddsGroupsOnPostgres(t *testing.T) {
	s := NewTestStore(t)
	if s.dialect != "postgres" {
		t.Skip("the tsvector table is PostgreSQL's")
	}
	admin := mustViewer(t, s, "admin", RoleAdmin)
	g := mustGroup(t, s, admin, "gut", VisibilityOpen)
	mustJoin(t, s, admin, "gut", MemberActive)
	_, first := searchThread(t, s, admin, "gut", "Fibre", "Oats every morning.")
	execSQL(t, s, `DROP TABLE post_search`,
		`CREATE TABLE post_search (
  post_id bigint PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
  title text NOT NULL DEFAULT '',
  body text NOT NULL DEFAULT '',
  document tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', replace(title, '<', ' ')), 'A') ||
    setweight(to_tsvector('english', replace(body, '<', ' ')), 'B')) STORED)`,
		`CREATE INDEX idx_post_search_document ON post_search USING GIN (document)`)
	if err := s.db.Exec(`INSERT INTO post_search (post_id, title, body) VALUES (?, ?, ?)`, first.ID, "Fibre", "Oats every morning.").Error; err != nil {
		t.Fatal(err)
	}
	mustMigrate(t, s)
	var groupID int64
	s.db.Raw(`SELECT group_id FROM post_search WHERE post_id = ?`, first.ID).Scan(&groupID)
	if groupID != g.ID {
		t.Fatalf("indexed post's group: %d, want %d", groupID, g.ID)
	}
	if got, want := searchHitIDs(searchFor(t, s, nil, "oats", "gut")), []int64{first.ID}; !slices.Equal(got, want) {
		t.Fatalf("in its group after the migration: %v, want %v", got, want)
	}
}

// A query of words the index leaves out or nobody wrote finds nothing, in every group
// or in one: on PostgreSQL a query of stop words is empty, and must not match every
// post of the groups searched.
func TestSearchForNothingFindsNothing(t *testing.T) {
	s, admin := searchSetup(t, "lungs")
	searchThread(t, s, admin, "lungs", "Peak flow", "Morning readings are low.")
	searchThread(t, s, admin, "lungs", "Inhalers", "Brown or blue.")
	eachSearchPath(func(path string) {
		for _, q := range []string{"the", "ourselves", "of the", "zebra"} {
			for _, group := range []string{"", "lungs"} {
				if got := searchFor(t, s, nil, q, group).Hits; len(got) != 0 {
					t.Fatalf("%s: %q in %q finds %d posts, want none", path, q, group, len(got))
				}
			}
		}
	})
}

// An index created over text already kept is filled from it.
func TestSearchMigrateFillsANewIndexFromKeptText(t *testing.T) {
	s, _, first := sqliteSearchFixture(t)
	execSQL(t, s, `DROP TRIGGER post_search_post_deleted`, `DROP TABLE post_search`)
	mustMigrate(t, s)
	if got, want := searchHitIDs(searchFor(t, s, nil, "oats", "")), []int64{first.ID}; !slices.Equal(got, want) {
		t.Fatalf("after the index was made again: %v, want %v", got, want)
	}
	checkSearchIndexes(t, s)
}

// A database from before the groups' index is given it, filled from the kept text,
// and the delete trigger learns of it.
func TestSearchMigrateAddsGroupIndex(t *testing.T) {
	s, admin, first := sqliteSearchFixture(t)
	_, second := searchThread(t, s, admin, "gut", "Oats again", "Porridge with oats.")
	execSQL(t, s, `DROP TRIGGER post_search_post_deleted`,
		`DROP TABLE post_search_group`,
		`ALTER TABLE post_search_text DROP COLUMN grp_id`,
		`CREATE TRIGGER post_search_post_deleted AFTER DELETE ON posts
BEGIN DELETE FROM post_search WHERE docid = old.id; DELETE FROM post_search_text WHERE docid = old.id; END`)
	mustMigrate(t, s)
	checkSearchIndexes(t, s)
	if got, want := searchHitIDs(searchFor(t, s, nil, "oats", "gut")), []int64{second.ID, first.ID}; !slices.Equal(got, want) {
		t.Fatalf("in the group after the migration: %v, want %v", got, want)
	}
	if err := s.db.Delete(&Post{}, first.ID).Error; err != nil {
		t.Fatal(err)
	}
	if n := searchIndexRows(t, s, first.ID); n != 0 {
		t.Fatalf("a post deleted after the migration has %d index rows", n)
	}
	checkSearchIndexes(t, s)
}

// A search shows only posts of the groups it searched, even if an index said otherwise.
func TestSearchKeepsToItsGroupsWhateverTheIndexSays(t *testing.T) {
	s := NewTestStore(t)
	if s.dialect != "sqlite" {
		t.Skip("writes SQLite's group index by hand")
	}
	admin := mustViewer(t, s, "admin", RoleAdmin)
	a := mustGroup(t, s, admin, "first", VisibilityOpen)
	mustGroup(t, s, admin, "second", VisibilityOpen)
	mustJoin(t, s, admin, "second", MemberActive)
	_, p := searchThread(t, s, admin, "second", "Wombats", "A wombat visited.")
	// The second group's post, indexed as the first group's as well.
	if err := s.db.Exec(`INSERT INTO post_search_group (docid, title, body, grp_id) SELECT docid, title, body, ? FROM post_search_text WHERE docid = ?`,
		a.ID, p.ID).Error; err != nil {
		t.Fatal(err)
	}
	if got := searchFor(t, s, nil, "wombat", "first").Hits; len(got) != 0 {
		t.Fatalf("a search of the first group shows %d posts of the second", len(got))
	}
	if got := searchHitIDs(searchFor(t, s, nil, "wombat", "second")); !slices.Equal(got, []int64{p.ID}) {
		t.Fatalf("the second group finds %v", got)
	}
}

// SQLite's index is split into buckets of consecutive posts: a search reads them
// newest first, on every path, and the newest scan matches may span several.
func TestSearchReadsEveryBucket(t *testing.T) {
	s := NewTestStore(t)
	if s.dialect != "sqlite" {
		t.Skip("the buckets are SQLite's")
	}
	if !strings.Contains(searchBucket, fmt.Sprintf("docid >> %d)", searchBucketShift)) {
		t.Fatalf("searchBucket %q does not shift by searchBucketShift (%d)", searchBucket, searchBucketShift)
	}
	admin := mustViewer(t, s, "admin", RoleAdmin)
	mustGroup(t, s, admin, "lungs", VisibilityOpen)
	mustGroup(t, s, admin, "private", VisibilitySecret) // a group visitors may not read
	mustJoin(t, s, admin, "lungs", MemberActive)
	mustJoin(t, s, admin, "private", MemberActive)
	var want []int64 // newest first
	for b := range int64(3) {
		// The next post starts bucket b.
		if err := s.db.Exec(`UPDATE sqlite_sequence SET seq = ? WHERE name = 'posts'`, b<<searchBucketShift).Error; err != nil {
			t.Fatal(err)
		}
		th, p := searchThread(t, s, admin, "lungs", fmt.Sprintf("Breath %d", b), "Wheezing at night.")
		if p.ID>>searchBucketShift != b {
			t.Fatalf("post %d is in bucket %d, want %d", p.ID, p.ID>>searchBucketShift, b)
		}
		want = append([]int64{p.ID}, want...)
		if b == 1 { // two of the visitor's in the middle bucket
			want = append([]int64{searchReply(t, s, admin, th.ID, "Wheezing at night.").ID}, want...)
		}
		searchThread(t, s, admin, "private", fmt.Sprintf("Ours %d", b), "Wheezing here too.")
	}
	eachSearchPath(func(path string) {
		if got := searchHitIDs(searchFor(t, s, nil, "wheezing", "")); !slices.Equal(got, want) {
			t.Fatalf("%s: %v, want %v", path, got, want)
		}
	})
	// Only the newest scan matches of the whole forum are looked at: here the newest
	// bucket's two and the newest of the bucket before (the private group's), so the
	// visitor's post in that bucket is left out.
	idx, filter, scan := searchGroupIndexes, searchGroupFilter, searchScanLimit
	defer func() { searchGroupIndexes, searchGroupFilter, searchScanLimit = idx, filter, scan }()
	searchGroupIndexes, searchGroupFilter, searchScanLimit = 0, 0, 3
	if got := searchHitIDs(searchFor(t, s, nil, "wheezing", "")); !slices.Equal(got, want[:1]) {
		t.Fatalf("within the newest %d matches: %v, want %v", searchScanLimit, got, want[:1])
	}
	searchScanLimit = 4
	if got := searchHitIDs(searchFor(t, s, nil, "wheezing", "")); !slices.Equal(got, want[:2]) {
		t.Fatalf("within the newest %d matches: %v, want %v", searchScanLimit, got, want[:2])
	}
	// At most searchCandidates matches are ranked, however many buckets they span.
	defer func(n int) { searchCandidates = n }(searchCandidates)
	searchGroupIndexes, searchGroupFilter, searchScanLimit, searchCandidates = idx, filter, scan, 2
	eachSearchPath(func(path string) {
		if got := searchHitIDs(searchFor(t, s, admin, "wheezing", "lungs")); !slices.Equal(got, want[:2]) {
			t.Fatalf("%s, %d candidates: %v, want %v", path, searchCandidates, got, want[:2])
		}
	})
	// Only buckets that hold posts are read, however far apart the ids.
	execSQL(t, s, fmt.Sprintf(`UPDATE sqlite_sequence SET seq = %d WHERE name = 'posts'`, int64(1)<<40))
	_, far := searchThread(t, s, admin, "lungs", "Far", "Wheezing at dawn.")
	if got, err := s.searchBuckets(ctx); err != nil || !slices.Equal(got, []int64{far.ID >> searchBucketShift, 2, 1, 0}) {
		t.Fatalf("buckets %v (%v), want %v, 2, 1, 0", got, err, far.ID>>searchBucketShift)
	}
	eachSearchPath(func(path string) {
		if got := searchHitIDs(searchFor(t, s, admin, "wheezing", "lungs")); !slices.Equal(got, []int64{far.ID, want[0]}) {
			t.Fatalf("%s, with a post far on: %v, want %v", path, got, []int64{far.ID, want[0]})
		}
	})
	checkSearchIndexes(t, s)
}

// An index over kept text from before the buckets is written again with them.
func TestSearchMigrateAddsBuckets(t *testing.T) {
	s, admin, first := sqliteSearchFixture(t)
	mustGroup(t, s, admin, "other", VisibilityOpen)
	// Two more posts, two buckets further on.
	execSQL(t, s, fmt.Sprintf(`UPDATE sqlite_sequence SET seq = %d WHERE name = 'posts'`, 2<<searchBucketShift))
	_, later := searchThread(t, s, admin, "gut", "Oats again", "Porridge with oats.")
	later2 := searchReply(t, s, admin, later.ThreadID, "More oats.")
	execSQL(t, s, `ALTER TABLE post_search_text DROP COLUMN bucket`,
		`DROP TABLE post_search`,
		`CREATE VIRTUAL TABLE post_search USING fts4(content="post_search_text", title, body, grp, tokenize=unicode61 "remove_diacritics=2", order=DESC)`,
		`INSERT INTO post_search (post_search) VALUES ('rebuild')`)
	mustMigrate(t, s)
	var def string
	s.db.Raw(`SELECT sql FROM sqlite_master WHERE name = 'post_search'`).Scan(&def)
	if !strings.Contains(def, ftsTableSpec) {
		t.Fatalf("index not written again: %s", def)
	}
	checkSearchIndexes(t, s)
	defer func(n int) { searchGroupIndexes = n }(searchGroupIndexes)
	searchGroupIndexes = 0 // the whole forum's index
	if got, want := slices.Sorted(slices.Values(searchHitIDs(searchFor(t, s, nil, "oats", "")))), []int64{first.ID, later.ID, later2.ID}; !slices.Equal(got, want) {
		t.Fatalf("after the migration: %v, want %v", got, want)
	}
	for _, p := range []*Post{first, later} {
		if err := s.db.Delete(&Post{}, p.ID).Error; err != nil {
			t.Fatal(err)
		}
		if n := searchIndexRows(t, s, p.ID); n != 0 {
			t.Fatalf("post %d, deleted after the migration, has %d index rows", p.ID, n)
		}
	}
	checkSearchIndexes(t, s)
}

// sqliteSearchFixture is an SQLite store with one open group, gut, and one thread in
// it ("Fibre": "Oats every morning."), for the migration tests. It skips on PostgreSQL.
func sqliteSearchFixture(t *testing.T) (*Store, *Viewer, *Post) {
	t.Helper()
	s := NewTestStore(t)
	if s.dialect != "sqlite" {
		t.Skip("the FTS4 tables are SQLite's")
	}
	admin := mustViewer(t, s, "admin", RoleAdmin)
	mustGroup(t, s, admin, "gut", VisibilityOpen)
	mustJoin(t, s, admin, "gut", MemberActive)
	_, first := searchThread(t, s, admin, "gut", "Fibre", "Oats every morning.")
	return s, admin, first
}

// execSQL runs statements in turn, failing on the first error.
func execSQL(t *testing.T, s *Store, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if err := s.db.Exec(q).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// mustMigrate migrates the store again.
func mustMigrate(t *testing.T, s *Store) {
	t.Helper()
	if err := s.Migrate(); err != nil {
		t.Fatalf("migrate: %v", err)
	}
}
