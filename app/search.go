package app

import (
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// searchThreadJSON names the thread of a search result.
type searchThreadJSON struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
}

// searchResultJSON is one search result: a thread (its opening post matched) or a
// reply. SnippetHTML is the post's plain text, HTML-escaped, with the matched words in
// <mark>; nothing else in it is markup.
type searchResultJSON struct {
	Type           string           `json:"type"`
	Thread         searchThreadJSON `json:"thread"`
	Group          groupRef         `json:"group"`
	PostID         int64            `json:"post_id"`
	Author         authorJSON       `json:"author"`
	ContentWarning string           `json:"content_warning"`
	SnippetHTML    string           `json:"snippet_html"`
	CreatedAt      time.Time        `json:"created_at"`
	URL            string           `json:"url"`
	// The page renders the parts itself, so that the template escapes every word.
	TitleParts   []models.SnippetPart `json:"-"`
	SnippetParts []models.SnippetPart `json:"-"`
}

// searchFilterGroups is how many readable groups the search form lists at most;
// past it, it lists the viewer's own.
const searchFilterGroups = 30

// searchView is the search page: the form, and one page of results.
type searchView struct {
	Query   string             `json:"query"`
	Group   *string            `json:"group"`
	Results []searchResultJSON `json:"results"`
	Page    pageJSON           `json:"page"`
	// Scope lists the groups the viewer can search, for the group filter, and
	// GroupSlug is the one chosen ("" for all).
	Scope     []groupRef        `json:"-"`
	GroupSlug string            `json:"-"`
	Searched  bool              `json:"-"`
	Errors    map[string]string `json:"-"`
	FirstURL  string            `json:"-"`
	PrevURL   string            `json:"-"`
	NextURL   string            `json:"-"`
}

// search handles GET /search.
func (h *handler) search(c echo.Context) error {
	n, err := pageParam(c)
	if err != nil {
		return err
	}
	q := models.SearchQuery{Text: c.QueryParam("q"), Group: c.QueryParam("group"), Page: n}
	res, err := h.store.Search(c.Request().Context(), viewer(c), q)
	var ve *models.ValidationError
	if errors.As(err, &ve) && !wantsJSON(c) {
		// Show the form again with what was typed and what is wrong with it.
		sv := searchView{Query: q.Text, Results: []searchResultJSON{}, Errors: ve.Fields,
			Page: pageJSON{Number: n, Size: models.SearchPageSize}}
		if g := strings.TrimSpace(q.Group); g != "" {
			sv.Group, sv.GroupSlug = &g, g
			sv.Scope = []groupRef{{Slug: g, Name: g}}
		}
		return h.html(c, http.StatusUnprocessableEntity, "search", sv)
	}
	if err != nil {
		return err
	}
	sv := searchView{Query: res.Query, Results: make([]searchResultJSON, 0, len(res.Hits)),
		Page:  pageJSON{Number: res.Page, Size: models.SearchPageSize, HasNext: res.HasNext},
		Scope: make([]groupRef, 0, len(res.Scope)), Searched: res.Query != ""}
	// The filter offers every readable group on a small site; on a large one, the
	// viewer's own groups (?group= still takes any readable group).
	offered := res.Scope
	if len(offered) > searchFilterGroups {
		offered = res.Mine
	}
	inScope := false
	for _, g := range offered {
		sv.Scope = append(sv.Scope, groupRef{Slug: g.Slug, Name: g.Name})
		inScope = inScope || (res.Group != nil && g.ID == res.Group.ID)
	}
	if res.Group != nil {
		sv.Group, sv.GroupSlug = &res.Group.Slug, res.Group.Slug
		if !inScope { // a group the viewer sees but may not read: keep it chosen
			sv.Scope = append(sv.Scope, groupRef{Slug: res.Group.Slug, Name: res.Group.Name})
		}
	}
	for i := range res.Hits {
		sv.Results = append(sv.Results, newSearchResultJSON(&res.Hits[i]))
	}
	sv.FirstURL = searchURL(res.Query, sv.Group, 1)
	if res.Page > 1 {
		sv.PrevURL = searchURL(res.Query, sv.Group, res.Page-1)
	}
	if res.HasNext {
		sv.NextURL = searchURL(res.Query, sv.Group, res.Page+1)
	}
	return h.respond(c, http.StatusOK, "search", sv)
}

func newSearchResultJSON(hit *models.SearchHit) searchResultJSON {
	r := searchResultJSON{Type: "post", Thread: searchThreadJSON{ID: hit.Thread.ID, Title: hit.Thread.Title},
		Group: groupRef{Slug: hit.Group.Slug, Name: hit.Group.Name}, PostID: hit.Post.ID,
		Author: postAuthor(&hit.Post), ContentWarning: hit.Post.ContentWarning,
		SnippetHTML: snippetHTML(hit.Snippet), CreatedAt: hit.Post.CreatedAt,
		TitleParts: hit.Title, SnippetParts: hit.Snippet}
	if hit.Opening {
		r.Type = "thread"
		r.URL = fmt.Sprintf("/threads/%d", hit.Thread.ID)
	} else {
		r.URL = postLinkURL(hit.Post.ID)
	}
	return r
}

// snippetHTML escapes every part of a snippet and wraps the matches in <mark>.
func snippetHTML(parts []models.SnippetPart) string {
	var b strings.Builder
	for _, p := range parts {
		if p.Mark {
			b.WriteString("<mark>" + html.EscapeString(p.Text) + "</mark>")
		} else {
			b.WriteString(html.EscapeString(p.Text))
		}
	}
	return b.String()
}

// searchURL is the address of one page of a search.
func searchURL(q string, group *string, page int) string {
	v := url.Values{}
	v.Set("q", q)
	if group != nil {
		v.Set("group", *group)
	}
	if page > 1 {
		v.Set("page", fmt.Sprint(page))
	}
	return "/search?" + v.Encode()
}
