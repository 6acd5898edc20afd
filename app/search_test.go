package app

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"haven/models"
)

// searchPage is the JSON of GET /search.
type searchPage struct {
	Query   string             `json:"query"`
	Group   *string            `json:"group"`
	Results []searchResultJSON `json:"results"`
	Page    pageJSON           `json:"page"`
}

// searchForum makes an admin, one group of each visibility with a thread about
// "asthma" in each, and returns the admin and each thread's opening post id.
func searchForum(t *testing.T) (*testApp, *client, map[string]int64) {
	t.Helper()
	ta := newTestApp(t)
	admin := ta.signIn("admin", "admin")
	posts := map[string]int64{}
	for _, vis := range []string{"open", "closed", "secret", "professional"} {
		admin.do("POST", "/groups", map[string]any{"slug": vis, "name": "Group " + vis, "visibility": vis}).mustStatus(201)
		admin.do("POST", "/groups/"+vis+"/join", nil).mustStatus(200)
		var created struct {
			Post postJSON `json:"post"`
		}
		admin.do("POST", "/groups/"+vis+"/threads", map[string]any{
			"title": "Asthma in the " + vis + " group", "body": "Which inhaler works for you?"}).mustStatus(201).decode(&created)
		posts[vis] = created.Post.ID
	}
	return ta, admin, posts
}

// searchJSON runs a search as c and decodes the page.
func (c *client) searchJSON(query string) searchPage {
	c.t.Helper()
	var sp searchPage
	c.get("/search?" + query).mustStatus(200).decode(&sp)
	return sp
}

// searchPostIDs lists the post ids of the results, sorted.
func searchPostIDs(sp searchPage) []int64 {
	ids := make([]int64, 0, len(sp.Results))
	for _, r := range sp.Results {
		ids = append(ids, r.PostID)
	}
	slices.Sort(ids)
	return ids
}

func TestSearchJSONShape(t *testing.T) {
	ta, admin, posts := searchForum(t)
	var reply struct {
		Post postJSON `json:"post"`
	}
	thread := admin.searchJSON("q=asthma&group=open").Results[0].Thread.ID
	admin.do("POST", fmt.Sprintf("/threads/%d/posts", thread), map[string]any{
		"body": "My `<script>alert(1)</script>` **bold** spacer <img src=x onerror=alert(1)> works."}).mustStatus(201).decode(&reply)

	res := ta.newClient().get("/search?q=asthma").mustStatus(200)
	raw := res.json()
	for _, k := range []string{"query", "group", "results", "page"} {
		if _, ok := raw[k]; !ok {
			t.Fatalf("search lacks %q: %s", k, res.body)
		}
	}
	if raw["group"] != nil || raw["query"] != "asthma" {
		t.Fatalf("query %v group %v", raw["query"], raw["group"])
	}
	r := raw["results"].([]any)[0].(map[string]any)
	for _, k := range []string{"type", "thread", "group", "post_id", "author", "snippet_html", "created_at", "url", "content_warning"} {
		if _, ok := r[k]; !ok {
			t.Fatalf("result lacks %q: %v", k, r)
		}
	}
	if userIDPattern.MatchString(res.body) {
		t.Fatalf("search leaks a user id field: %s", res.body)
	}
	var sp searchPage
	res.decode(&sp)
	if got, want := searchPostIDs(sp), []int64{posts["open"]}; !slices.Equal(got, want) {
		t.Fatalf("visitor finds %v, want %v", got, want)
	}
	hit := sp.Results[0]
	if hit.Type != "thread" || hit.Thread.Title != "Asthma in the open group" || hit.Group.Slug != "open" ||
		hit.Author.Pseudonym == nil || hit.URL != fmt.Sprintf("/threads/%d", hit.Thread.ID) {
		t.Fatalf("result %+v", hit)
	}
	if !strings.Contains(hit.SnippetHTML, "inhaler") || strings.Contains(hit.SnippetHTML, "<mark>") {
		t.Fatalf("a title match shows the start of the text, unmarked: %q", hit.SnippetHTML)
	}
	if sp.Page != (pageJSON{Number: 1, Size: models.SearchPageSize}) {
		t.Fatalf("page %+v", sp.Page)
	}

	// The snippet is the post's text, escaped, with <mark> and no other markup.
	sp = ta.newClient().searchJSON("q=spacer")
	if len(sp.Results) != 1 {
		t.Fatalf("found %d, want the reply", len(sp.Results))
	}
	hit = sp.Results[0]
	if hit.Type != "post" || hit.PostID != reply.Post.ID || hit.URL != fmt.Sprintf("/posts/%d", reply.Post.ID) {
		t.Fatalf("reply result %+v", hit)
	}
	s := hit.SnippetHTML
	if !strings.Contains(s, "<mark>spacer</mark>") || !strings.Contains(s, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatalf("snippet %q", s)
	}
	for _, bad := range []string{"<script", "<strong", "<img", "onerror", "**"} {
		if strings.Contains(s, bad) {
			t.Fatalf("snippet %q contains %q", s, bad)
		}
	}
	page := ta.newClient().getHTML("/search?q=spacer").mustStatus(200).body
	if !strings.Contains(page, "<mark>spacer</mark>") || strings.Contains(page, "<script>alert") || strings.Contains(page, "<img src=x") {
		t.Fatalf("results page does not show a safe snippet: %s", page)
	}
}

func TestSearchVisibilityOverHTTP(t *testing.T) {
	ta, admin, posts := searchForum(t)
	member := ta.signIn("member", "member")
	pseudonym := member.do("POST", "/groups/closed/join", nil).mustStatus(200).json()["membership"].(map[string]any)["pseudonym"].(string)
	if sp := member.searchJSON("q=asthma"); !slices.Equal(searchPostIDs(sp), []int64{posts["open"]}) {
		t.Fatalf("a pending member finds %v", searchPostIDs(sp))
	}
	admin.do("POST", "/groups/closed/requests/"+url.PathEscape(pseudonym)+"/approve", nil).mustStatus(200)

	for _, tc := range []struct {
		who   string
		c     *client
		reads []string
	}{
		{"visitor", ta.newClient(), []string{"open"}},
		{"outsider", ta.signIn("outsider", "member"), []string{"open"}},
		{"member", member, []string{"open", "closed"}},
		{"clinician", ta.signIn("doc", "clinician"), []string{"open", "professional"}},
		{"admin", admin, []string{"open", "closed", "secret", "professional"}},
	} {
		t.Run(tc.who, func(t *testing.T) {
			var want []int64
			for _, vis := range tc.reads {
				want = append(want, posts[vis])
			}
			slices.Sort(want)
			if got := searchPostIDs(tc.c.searchJSON("q=asthma")); !slices.Equal(got, want) {
				t.Fatalf("found %v, want %v", got, want)
			}
			for _, vis := range tc.reads {
				sp := tc.c.searchJSON("q=asthma&group=" + vis)
				if got := searchPostIDs(sp); !slices.Equal(got, []int64{posts[vis]}) || sp.Group == nil || *sp.Group != vis {
					t.Fatalf("in %s: found %v, group %v", vis, got, sp.Group)
				}
			}
		})
	}

	// A group the caller may not see is not found; one they see but may not read
	// gives no results.
	visitor := ta.newClient()
	for _, slug := range []string{"secret", "professional", "no-such-group"} {
		if res := visitor.get("/search?q=asthma&group=" + slug); res.StatusCode != 404 || res.errorCode() != "not_found" {
			t.Fatalf("group %s: %d %s", slug, res.StatusCode, res.body)
		}
		visitor.getHTML("/search?q=asthma&group=" + slug).mustStatus(404)
	}
	if sp := visitor.searchJSON("q=asthma&group=closed"); len(sp.Results) != 0 || sp.Group == nil || *sp.Group != "closed" {
		t.Fatalf("closed group for a visitor: %+v", sp)
	}
}

func TestSearchFollowsEditAndDelete(t *testing.T) {
	ta, admin, _ := searchForum(t)
	thread := admin.searchJSON("q=asthma&group=open").Results[0].Thread.ID
	var reply struct {
		Post postJSON `json:"post"`
	}
	admin.do("POST", fmt.Sprintf("/threads/%d/posts", thread), map[string]any{"body": "A spacer device helped."}).mustStatus(201).decode(&reply)
	visitor := ta.newClient()
	if got := searchPostIDs(visitor.searchJSON("q=spacer")); !slices.Equal(got, []int64{reply.Post.ID}) {
		t.Fatalf("new reply: %v", got)
	}
	path := fmt.Sprintf("/posts/%d", reply.Post.ID)
	admin.do("PATCH", path, map[string]any{"body": "A nebuliser helped.", "version": reply.Post.Version}).mustStatus(200)
	if got := searchPostIDs(visitor.searchJSON("q=spacer")); len(got) != 0 {
		t.Fatalf("the old text is still found: %v", got)
	}
	if got := searchPostIDs(visitor.searchJSON("q=nebuliser")); !slices.Equal(got, []int64{reply.Post.ID}) {
		t.Fatalf("the edited text is not found: %v", got)
	}
	res := admin.do("DELETE", path, nil)
	if res.StatusCode != 200 && res.StatusCode != 204 {
		t.Fatalf("delete: %d %s", res.StatusCode, res.body)
	}
	if got := searchPostIDs(admin.searchJSON("q=nebuliser")); len(got) != 0 {
		t.Fatalf("a deleted post is found: %v", got)
	}
}

func TestSearchFormAndValidation(t *testing.T) {
	ta, _, _ := searchForum(t)
	visitor := ta.newClient()

	sp := visitor.searchJSON("q=")
	if sp.Results == nil || len(sp.Results) != 0 || sp.Query != "" {
		t.Fatalf("empty query: %+v", sp)
	}
	page := visitor.getHTML("/search").mustStatus(200).body
	if !strings.Contains(page, `<form class="panel search-form" method="get" action="/search"`) || strings.Contains(page, "Results for") {
		t.Fatalf("the empty search page has no form or shows results: %s", page)
	}
	if home := visitor.getHTML("/").mustStatus(200).body; !strings.Contains(home, `action="/search"`) {
		t.Fatal("the header has no search box")
	}

	long := url.QueryEscape(strings.Repeat("a", models.MaxSearchQueryRunes+1))
	res := visitor.get("/search?q=" + long).mustStatus(422)
	var e struct {
		Error apiError `json:"error"`
	}
	res.decode(&e)
	if e.Error.Code != "invalid" || e.Error.Fields["q"] == "" {
		t.Fatalf("long query: %s", res.body)
	}
	page = visitor.getHTML("/search?q=" + long).mustStatus(422).body
	if !strings.Contains(page, `id="q-error"`) || !strings.Contains(page, strings.Repeat("a", 50)) {
		t.Fatalf("the form does not come back with the query and the error: %s", page)
	}
	visitor.get("/search?q=asthma&page=0").mustStatus(422)
	visitor.get("/search?q=asthma&page=x").mustStatus(422)
	if sp := visitor.searchJSON("q=asthma&page=7"); len(sp.Results) != 0 || sp.Page.HasNext {
		t.Fatalf("a page past the end: %+v", sp)
	}
	// The query is shown back as text, never as markup.
	page = visitor.getHTML("/search?q=" + url.QueryEscape(`<b>asthma</b>"`)).mustStatus(200).body
	if strings.Contains(page, "<b>asthma") || !strings.Contains(page, "&lt;b&gt;asthma") {
		t.Fatal("the query is not escaped on the page")
	}
}

func TestSearchNastyQueriesOverHTTP(t *testing.T) {
	_, admin, _ := searchForum(t)
	for _, q := range []string{`"`, `a OR`, `NEAR/3`, `*`, `-`, `(`, `"unclosed`, `'`, `\`, `a:*`, `<->`, `!`,
		"\x01", `%`, `; DROP TABLE posts; --`, `asthma OR "`, `"" asthma ""`, `🙂`, `the`} {
		t.Run(q, func(t *testing.T) {
			path := "/search?q=" + url.QueryEscape(q)
			admin.get(path).mustStatus(200)
			admin.getHTML(path).mustStatus(200)
			admin.get(path + "&group=open").mustStatus(200)
		})
	}
	if got := len(admin.searchJSON("q=" + url.QueryEscape(`asthma OR "`)).Results); got != 4 {
		t.Fatalf(`"asthma OR \"" finds %d, want 4`, got)
	}
}
