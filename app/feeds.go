package app

import (
	"encoding/xml"
	"fmt"
	"html"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// Atom feeds (RFC 4287), written with encoding/xml, which escapes every title and
// summary. Feeds are public: they carry only what a visitor may read (see
// models/feed.go), authors as pseudonyms only, and announcements as "official".

const atomNS = "http://www.w3.org/2005/Atom"

type atomFeed struct {
	XMLName  xml.Name    `xml:"feed"`
	NS       string      `xml:"xmlns,attr"`
	ID       string      `xml:"id"`
	Title    string      `xml:"title"`
	Subtitle string      `xml:"subtitle,omitempty"`
	Updated  string      `xml:"updated"`
	Links    []atomLink  `xml:"link"`
	Entries  []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

type atomEntry struct {
	ID         string         `xml:"id"`
	Title      string         `xml:"title"`
	Updated    string         `xml:"updated"`
	Published  string         `xml:"published"`
	Links      []atomLink     `xml:"link"`
	Author     atomPerson     `xml:"author"`
	Categories []atomCategory `xml:"category,omitempty"`
	Summary    atomText       `xml:"summary"`
}

func atomTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// writeFeed sends a feed. The feed holds only public content, so it may be cached
// briefly.
func writeFeed(c echo.Context, f *atomFeed) error {
	f.NS = atomNS
	b, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("app: encode feed: %w", err)
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.Blob(http.StatusOK, "application/atom+xml; charset=utf-8", append([]byte(xml.Header), b...))
}

// announcementsFeed handles GET /announcements.atom: site-wide and open groups'
// announcements, once they start.
func (h *handler) announcementsFeed(c echo.Context) error {
	as, err := h.store.FeedAnnouncements(c.Request().Context())
	if err != nil {
		return err
	}
	base := h.cfg.BaseURL
	f := &atomFeed{ID: base + "/announcements", Title: "Haven announcements",
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: base + "/announcements.atom"},
			{Rel: "alternate", Type: "text/html", Href: base + "/announcements"}}}
	var updated time.Time
	for i := range as {
		a := &as[i]
		link := fmt.Sprintf("%s/announcements#announcement-%d", base, a.ID)
		if a.ThreadID != nil {
			link = fmt.Sprintf("%s/threads/%d", base, *a.ThreadID)
		}
		title := a.Title
		if a.Group != nil {
			title = a.Group.Name + ": " + a.Title
		}
		f.Entries = append(f.Entries, atomEntry{ID: fmt.Sprintf("%s/announcements/%d", base, a.ID), Title: title,
			Updated: atomTime(a.StartsAt), Published: atomTime(a.StartsAt),
			Links:  []atomLink{{Rel: "alternate", Type: "text/html", Href: link}},
			Author: atomPerson{Name: "official"}, Categories: []atomCategory{{Term: a.Severity}},
			Summary: atomText{Type: "html", Body: a.BodyHTML}})
		if a.StartsAt.After(updated) {
			updated = a.StartsAt
		}
	}
	if updated.IsZero() {
		updated = time.Unix(0, 0)
	}
	f.Updated = atomTime(updated)
	return writeFeed(c, f)
}

// groupFeed handles GET /groups/:slug/feed.atom: an open group's new threads. Other
// groups have no feed (404), whoever asks.
func (h *handler) groupFeed(c echo.Context) error {
	g, ts, err := h.store.GroupFeed(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	base := h.cfg.BaseURL
	f := &atomFeed{ID: base + "/groups/" + g.Slug, Title: g.Name + " · Haven", Subtitle: g.Description,
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: base + "/groups/" + g.Slug + "/feed.atom"},
			{Rel: "alternate", Type: "text/html", Href: base + "/groups/" + g.Slug}}}
	updated := g.CreatedAt
	for _, t := range ts {
		link := fmt.Sprintf("%s/threads/%d", base, t.ID)
		author := t.Pseudonym
		if t.Kind == models.KindAnnouncement {
			author = "official"
		}
		summary := t.BodyHTML
		if t.ContentWarning != "" {
			// Readers choose whether to open a post behind a content warning.
			summary = "<p>Content warning: " + html.EscapeString(t.ContentWarning) + ". Open the thread to read it.</p>"
		}
		up := t.CreatedAt
		if t.EditedAt != nil && t.EditedAt.After(up) {
			up = *t.EditedAt
		}
		f.Entries = append(f.Entries, atomEntry{ID: link, Title: t.Title, Updated: atomTime(up),
			Published: atomTime(t.CreatedAt), Links: []atomLink{{Rel: "alternate", Type: "text/html", Href: link}},
			Author: atomPerson{Name: author}, Categories: []atomCategory{{Term: t.Kind}},
			Summary: atomText{Type: "html", Body: summary}})
		if up.After(updated) {
			updated = up
		}
	}
	f.Updated = atomTime(updated)
	return writeFeed(c, f)
}
