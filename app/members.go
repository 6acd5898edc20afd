package app

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// memberURL is the page of a group's member.
func memberURL(slug, pseudonym string) string {
	return "/groups/" + url.PathEscape(slug) + "/members/" + url.PathEscape(pseudonym)
}

// postPageURL is the address of a post on the given page of its thread.
func postPageURL(threadID int64, page int, postID int64) string {
	if page <= 1 {
		return fmt.Sprintf("/threads/%d#post-%d", threadID, postID)
	}
	return fmt.Sprintf("/threads/%d?page=%d#post-%d", threadID, page, postID)
}

// memberJSON is a member of one group as others see them. joined_at is a month
// ("2026-11"), so that join times do not line up one person's pseudonyms.
type memberJSON struct {
	Pseudonym string  `json:"pseudonym"`
	Badge     *string `json:"badge"`
	JoinedAt  string  `json:"joined_at"`
	PostCount int     `json:"post_count"`
	// InMemory is true for a member who has died (a memorialised account).
	InMemory bool `json:"in_memory,omitempty"`
}

// memberPostJSON is one of a member's posts in a list.
type memberPostJSON struct {
	ID      int64     `json:"id"`
	URL     string    `json:"url"`
	Thread  threadRef `json:"thread"`
	Excerpt string    `json:"excerpt"`
	// ContentWarning, when set, folds the excerpt away until the reader opens it.
	ContentWarning string    `json:"content_warning"`
	CreatedAt      time.Time `json:"created_at"`
}

// memberView is a member's page in a group: who they are there and their posts.
// Muted and CanMute are the viewer's own: a muted member never learns of it.
type memberView struct {
	Group   groupRef         `json:"group"`
	Member  memberJSON       `json:"member"`
	Posts   []memberPostJSON `json:"posts"`
	Page    pageJSON         `json:"page"`
	Muted   bool             `json:"muted"`
	CanMute bool             `json:"can_mute"`
	Self    bool             `json:"-"`
}

// showMember handles GET /groups/:slug/members/:pseudonym.
func (h *handler) showMember(c echo.Context) error {
	n, err := pageParam(c)
	if err != nil {
		return err
	}
	mp, err := h.store.MemberPageAfter(c.Request().Context(), viewer(c), c.Param("slug"), c.Param("pseudonym"), n, afterParam(c))
	if err != nil {
		return err
	}
	m := &mp.Member
	mv := memberView{Group: groupRef{mp.Access.Group.Slug, mp.Access.Group.Name},
		Member: memberJSON{Pseudonym: m.Pseudonym, Badge: membershipAuthor(m).Badge,
			JoinedAt: m.CreatedAt.UTC().Format("2006-01"), PostCount: mp.PostCount, InMemory: m.Memorial},
		Posts: make([]memberPostJSON, 0, len(mp.Posts)), Page: pageJSON{Number: mp.Page, Size: models.PageSize, HasNext: mp.HasNext, After: mp.After},
		Muted: mp.Muted, CanMute: mp.CanMute(), Self: mp.Self}
	for _, p := range mp.Posts {
		j := memberPostJSON{ID: p.ID, URL: postLinkURL(p.ID),
			Excerpt: models.Excerpt(p.Body, models.ExcerptRunes), ContentWarning: p.ContentWarning, CreatedAt: p.CreatedAt}
		if p.Thread != nil {
			j.Thread = threadRef{ID: p.Thread.ID, Title: p.Thread.Title}
		}
		mv.Posts = append(mv.Posts, j)
	}
	return h.respond(c, http.StatusOK, "member", mv)
}

// muteMember handles POST /groups/:slug/members/:pseudonym/mute.
func (h *handler) muteMember(c echo.Context) error {
	return h.setMute(c, true)
}

// unmuteMember handles POST /groups/:slug/members/:pseudonym/unmute.
func (h *handler) unmuteMember(c echo.Context) error {
	return h.setMute(c, false)
}

func (h *handler) setMute(c echo.Context, mute bool) error {
	slug := c.Param("slug")
	ctx, v, p := c.Request().Context(), viewer(c), c.Param("pseudonym")
	var m *models.Membership
	var err error
	if mute {
		m, err = h.store.MuteMember(ctx, v, slug, p)
	} else {
		m, err = h.store.UnmuteMember(ctx, v, slug, p)
	}
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, map[string]any{"pseudonym": m.Pseudonym, "muted": mute})
	}
	if mute {
		h.sessions.setFlash(c, "You muted "+m.Pseudonym+". Their posts are folded away for you; nobody else sees this.")
	} else {
		h.sessions.setFlash(c, "You unmuted "+m.Pseudonym+".")
	}
	return redirect(c, memberURL(slug, m.Pseudonym))
}

// linkAuthors links the pseudonyms on a thread page to their member pages and marks
// the posts whose authors the viewer muted.
func linkAuthors(tv *threadView, tp *models.ThreadPage) {
	slug := tp.Access.Group.Slug
	if m := tp.Thread.Membership; m != nil && m.Status != models.MemberErased {
		tv.Thread.Author.MemberURL = memberURL(slug, m.Pseudonym)
	}
	byID := make(map[int64]*models.Post, len(tp.Posts))
	for i := range tp.Posts {
		byID[tp.Posts[i].ID] = &tp.Posts[i]
	}
	for i := range tv.Posts {
		p := byID[tv.Posts[i].ID]
		if p == nil || p.MembershipID == nil || p.ClinicianID != nil {
			continue
		}
		tv.Posts[i].Muted = tp.Muted[*p.MembershipID]
		if p.Membership != nil && tv.snap == nil { // a snapshot's posts carry their links
			tv.Posts[i].Author.MemberURL = memberURL(slug, p.Membership.Pseudonym)
		}
	}
}

// linkThreadAuthors links the openers of a group's threads to their member pages.
func linkThreadAuthors(slug string, tjs []threadJSON, ts []models.Thread) {
	for i := range tjs {
		if i < len(ts) && ts[i].ID == tjs[i].ID && ts[i].Membership != nil && ts[i].Membership.Status != models.MemberErased {
			tjs[i].Author.MemberURL = memberURL(slug, ts[i].Membership.Pseudonym)
		}
	}
}
