package app

import (
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"reflect"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// homeView is the home page: the viewer's groups, and groups to discover.
type homeView struct {
	MyGroups []groupJSON `json:"my_groups"`
	Discover []groupJSON `json:"discover"`
	// DiscoverTotal counts every group the viewer could discover; Discover holds the
	// homeDiscover most recently active of them (all are on /groups).
	DiscoverTotal int `json:"discover_total"`
	// Announcements are the current site-wide info and advisory announcements.
	Announcements []announcementJSON `json:"announcements"`
	// MyGroupsHTML and DiscoverHTML are the lists put together for a signed-in
	// viewer (see homefrags.go).
	MyGroupsHTML template.HTML `json:"-"`
	DiscoverHTML template.HTML `json:"-"`
}

// home handles GET /.
func (h *handler) home(c echo.Context) error {
	if visitor(c) { // the same for every visitor: cached (pagecache.go)
		e, err := h.visitorHome(c, func() (*homeView, error) { return h.homeView(c) })
		if err != nil {
			return err
		}
		return h.respondCached(c, "home", e)
	}
	if v := viewer(c); v != nil {
		return h.memberHome(c, v)
	}
	hv, err := h.homeView(c)
	if err != nil {
		return err
	}
	return h.respond(c, http.StatusOK, "home", hv)
}

// homeView builds the home page for the viewer.
func (h *handler) homeView(c echo.Context) (*homeView, error) {
	ls, err := h.store.ListGroups(c.Request().Context(), viewer(c))
	if err != nil {
		return nil, err
	}
	hv := newHomeView(ls)
	if hv.Announcements, err = h.siteAnnouncements(c); err != nil {
		return nil, err
	}
	return hv, nil
}

// newHomeView sorts the groups v may see into theirs and the others.
func newHomeView(ls []models.GroupListing) *homeView {
	hv := homeView{MyGroups: []groupJSON{}, Discover: []groupJSON{}}
	for i := range ls {
		hv.add(&ls[i].Group, ls[i].Membership)
	}
	return &hv
}

// add puts a group the viewer may see, with their membership m, in its list.
func (hv *homeView) add(g *models.Group, m *models.Membership) {
	switch {
	case m != nil && (m.Status == models.MemberActive || m.Status == models.MemberPending):
		hv.MyGroups = append(hv.MyGroups, newGroupJSON(g, m))
	default:
		if hv.DiscoverTotal++; len(hv.Discover) < homeDiscover {
			hv.Discover = append(hv.Discover, newGroupJSON(g, m))
		}
	}
}

// homeDiscover is how many groups the home page suggests, most recently active
// first; the list of groups has them all.
const homeDiscover = 24

// groupsView is the list of groups.
type groupsView struct {
	Groups []groupJSON `json:"groups"`
}

// listGroups handles GET /groups.
func (h *handler) listGroups(c echo.Context) error {
	ls, err := h.store.ListGroups(c.Request().Context(), viewer(c))
	if err != nil {
		return err
	}
	gv := groupsView{Groups: make([]groupJSON, 0, len(ls))}
	for i := range ls {
		gv.Groups = append(gv.Groups, newGroupJSON(&ls[i].Group, ls[i].Membership))
	}
	return h.respond(c, http.StatusOK, "groups", gv)
}

// groupFormView is the admin's form for a new group.
type groupFormView struct {
	Form   models.GroupInput `json:"-"`
	Errors map[string]string `json:"-"`
}

// newGroup handles GET /groups/new (admins).
func (h *handler) newGroup(c echo.Context) error {
	return h.html(c, http.StatusOK, "group_new", groupFormView{Form: models.GroupInput{Visibility: models.VisibilityOpen}})
}

// createGroup handles POST /groups (admins).
func (h *handler) createGroup(c echo.Context) error {
	var in models.GroupInput
	if err := c.Bind(&in); err != nil {
		return badRequest("could not read the group: " + bindMessage(err))
	}
	g, err := h.store.CreateGroup(c.Request().Context(), viewer(c), in)
	var ve *models.ValidationError
	if errors.As(err, &ve) && !wantsJSON(c) {
		return h.html(c, http.StatusUnprocessableEntity, "group_new", groupFormView{Form: in, Errors: ve.Fields})
	}
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusCreated, map[string]any{"group": newGroupJSON(g, nil)})
	}
	h.sessions.setFlash(c, "Group created.")
	return redirect(c, "/groups/"+g.Slug)
}

// groupPageView is a group's page: the group, the viewer's place in it, and a page of
// threads.
type groupPageView struct {
	Group      groupJSON       `json:"group"`
	Rules      string          `json:"rules"`
	RulesHTML  string          `json:"rules_html"`
	Membership *membershipJSON `json:"membership"`
	CanRead    bool            `json:"can_read"`
	CanPost    bool            `json:"can_post"`
	CanJoin    bool            `json:"can_join"`
	// CanModerate is true for the group's moderators and admins.
	CanModerate bool              `json:"can_moderate"`
	Threads     []threadJSON      `json:"threads"`
	Page        pageJSON          `json:"page"`
	Errors      map[string]string `json:"-"` // the join form's, after a failed join
	// Announcements (current info and advisory), Resources and FeedURL (open groups
	// only) are filled in by addGroupExtras (see announcements.go).
	Announcements []announcementJSON  `json:"announcements"`
	Resources     []groupResourceJSON `json:"resources"`
	FeedURL       *string             `json:"feed_url"`
	// ThreadsHTML is the list of threads put together for a signed-in viewer (see
	// groupfrags.go).
	ThreadsHTML template.HTML `json:"-"`
}

// showGroup handles GET /groups/:slug.
func (h *handler) showGroup(c echo.Context) error {
	n, err := pageParam(c)
	if err != nil {
		return err
	}
	after := afterParam(c)
	if visitor(c) && after == "" { // the same for every visitor: cached (pagecache.go)
		e, err := h.visitorGroup(c, c.Param("slug"), n)
		if err != nil {
			return err
		}
		return h.respondCached(c, "group", e)
	}
	if v := viewer(c); v != nil {
		return h.memberGroup(c, v, n, after)
	}
	gp, err := h.store.GroupPageAfter(c.Request().Context(), viewer(c), c.Param("slug"), n, after)
	if err != nil {
		return err
	}
	gv := newGroupPageView(gp)
	if err := h.addGroupExtras(c, &gv, gp.Access); err != nil {
		return err
	}
	return h.respond(c, http.StatusOK, "group", gv)
}

// newGroupPageView builds a group's page from a page of its threads.
func newGroupPageView(gp *models.GroupPage) groupPageView {
	return groupPageViewOf(gp, groupThreadsJSON(gp.Access.Group.Slug, gp.Threads))
}

// groupThreadsJSON is the JSON of a group page's threads before the viewer's unread
// counts: the same for every viewer.
func groupThreadsJSON(slug string, ts []models.Thread) []threadJSON {
	out := make([]threadJSON, 0, len(ts))
	for i := range ts {
		out = append(out, newThreadJSON(&ts[i]))
	}
	linkThreadAuthors(slug, out, ts)
	return out
}

// groupPageViewOf is newGroupPageView with the threads' JSON made already (see
// groupThreadsJSON), which it copies.
func groupPageViewOf(gp *models.GroupPage, threads []threadJSON) groupPageView {
	a := gp.Access
	v := groupPageView{Group: newGroupJSON(a.Group, a.Membership), Rules: a.Group.Rules, RulesHTML: a.Group.RulesHTML,
		Membership: newMembershipJSON(a.Membership, ""), CanRead: a.CanRead, CanPost: a.CanPost, CanJoin: a.CanJoin,
		CanModerate: a.Moderates,
		Threads:     []threadJSON{}, Page: pageJSON{Number: gp.Page, Size: models.PageSize, HasNext: gp.HasNext, After: gp.After}}
	if len(gp.Threads) == 0 { // none, or none the viewer may read
		return v
	}
	v.Threads = slices.Clone(threads)
	for i := range v.Threads {
		if u, ok := gp.Unread[v.Threads[i].ID]; ok {
			v.Threads[i].setUnread(u)
		}
	}
	return v
}

// joinGroup handles POST /groups/:slug/join.
func (h *handler) joinGroup(c echo.Context) error {
	var in models.JoinInput
	if err := c.Bind(&in); err != nil {
		return badRequest("could not read the request: " + bindMessage(err))
	}
	slug := c.Param("slug")
	m, err := h.store.JoinGroup(c.Request().Context(), viewer(c), slug, in)
	var ve *models.ValidationError
	if errors.As(err, &ve) && !wantsJSON(c) {
		// Show the group again, with its rules and the unticked box.
		gp, gerr := h.store.GroupPage(c.Request().Context(), viewer(c), slug, 1)
		if gerr != nil {
			return err
		}
		gv := newGroupPageView(gp)
		gv.Errors = ve.Fields
		return h.html(c, http.StatusUnprocessableEntity, "group", gv)
	}
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, map[string]any{"membership": newMembershipJSON(m, "")})
	}
	if m.Status == models.MemberPending {
		h.sessions.setFlash(c, "Your request to join was sent. A moderator will look at it soon.")
	} else {
		h.sessions.setFlash(c, "Welcome. In this group you are "+m.Pseudonym+".")
	}
	return redirect(c, "/groups/"+slug)
}

// leaveGroup handles POST /groups/:slug/leave.
func (h *handler) leaveGroup(c echo.Context) error {
	slug := c.Param("slug")
	if err := h.store.Leave(c.Request().Context(), viewer(c), slug); err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, map[string]any{"left": true})
	}
	h.sessions.setFlash(c, "You left the group. Your posts stay; if you come back you keep your pseudonym.")
	return redirect(c, "/groups/"+slug)
}

// newPseudonym handles POST /groups/:slug/pseudonym: a fresh pseudonym, once a day.
func (h *handler) newPseudonym(c echo.Context) error {
	slug := c.Param("slug")
	m, err := h.store.RegeneratePseudonym(c.Request().Context(), viewer(c), slug)
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, map[string]any{"membership": newMembershipJSON(m, "")})
	}
	h.sessions.setFlash(c, "You are now "+m.Pseudonym+" in this group.")
	return redirect(c, "/groups/"+slug)
}

// moderatorForm is what POST /groups/:slug/moderators takes.
type moderatorForm struct {
	Pseudonym string `json:"pseudonym" form:"pseudonym"`
	Role      string `json:"role" form:"role"`
}

// setModerator handles POST /groups/:slug/moderators (admins and group owners).
func (h *handler) setModerator(c echo.Context) error {
	var f moderatorForm
	if err := c.Bind(&f); err != nil {
		return badRequest("could not read the request: " + bindMessage(err))
	}
	slug := c.Param("slug")
	m, err := h.store.SetModerator(c.Request().Context(), viewer(c), slug, f.Pseudonym, f.Role)
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, map[string]any{"membership": newMembershipJSON(m, "")})
	}
	h.sessions.setFlash(c, m.Pseudonym+" is now "+m.Role+".")
	return redirect(c, "/groups/"+slug)
}

// pageParam reads ?page=N (1-based); anything else is a 422 with a field message.
func pageParam(c echo.Context) (int, error) {
	s := c.QueryParam("page")
	if s == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > models.MaxPage {
		return 0, &models.ValidationError{Fields: map[string]string{"page": "use a whole number from 1 to 100000"}}
	}
	return n, nil
}

// afterParam reads the opaque cursor of a keyset-paged list (see models/cursor.go);
// one that does not open is ignored by the store, which then pages by number.
func afterParam(c echo.Context) string {
	return c.QueryParam("after")
}

// idParam reads a numeric path parameter; anything else is a 404.
func idParam(c echo.Context, name string) (int64, error) {
	n, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || n < 1 {
		return 0, models.ErrNotFound
	}
	return n, nil
}

// bindMessage explains a binding error without echoing internals: which field has
// the wrong kind of value, or that the JSON is malformed.
func bindMessage(err error) string {
	var ute *json.UnmarshalTypeError
	var se *json.SyntaxError
	var ne *strconv.NumError
	switch {
	case errors.As(err, &ute) && ute.Field != "":
		return ute.Field + " must be " + kindName(ute.Type.Kind())
	case errors.As(err, &se):
		return "the JSON is malformed"
	case errors.As(err, &ne):
		return strconv.Quote(ne.Num) + " is not a number where one is needed"
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		if m, ok := he.Message.(string); ok {
			return m
		}
	}
	return "malformed input"
}

// kindName names a kind of JSON value for bindMessage.
func kindName(k reflect.Kind) string {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "text"
	case reflect.Slice, reflect.Array:
		return "a list"
	}
	return "an object"
}
