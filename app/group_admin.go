package app

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// groupSettingsJSON is a group with the settings its moderators and admins edit.
type groupSettingsJSON struct {
	groupJSON
	Rules                 string `json:"rules"`
	RulesHTML             string `json:"rules_html"`
	PremoderateFirstPosts int    `json:"premoderate_first_posts"`
}

func newGroupSettingsJSON(g *models.Group, m *models.Membership) groupSettingsJSON {
	return groupSettingsJSON{groupJSON: newGroupJSON(g, m), Rules: g.Rules, RulesHTML: g.RulesHTML,
		PremoderateFirstPosts: g.PremoderateFirstPosts}
}

// groupEditView is the form to edit a group. Admins edit every field; a group's
// moderators its description and rules (Editable lists what the viewer may change).
type groupEditView struct {
	Group    groupSettingsJSON `json:"group"`
	Editable []string          `json:"editable"`
	Admin    bool              `json:"-"`
	Form     models.GroupInput `json:"-"`
	Errors   map[string]string `json:"-"`
}

func newGroupEditView(v *models.Viewer, a *models.GroupAccess) groupEditView {
	g := a.Group
	ev := groupEditView{Group: newGroupSettingsJSON(g, a.Membership), Editable: []string{"description", "rules"},
		Admin: v.IsAdmin(), Form: models.GroupInput{Slug: g.Slug, Name: g.Name, Description: g.Description,
			Rules: g.Rules, Visibility: g.Visibility, PremoderateFirstPosts: g.PremoderateFirstPosts}}
	if ev.Admin {
		ev.Editable = []string{"name", "description", "rules", "visibility", "premoderate_first_posts"}
	}
	return ev
}

// editGroup handles GET /groups/:slug/edit (the group's moderators and admins).
func (h *handler) editGroup(c echo.Context) error {
	v := viewer(c)
	a, err := h.store.GroupForEdit(c.Request().Context(), v, c.Param("slug"))
	if err != nil {
		return err
	}
	return h.respond(c, http.StatusOK, "group_edit", newGroupEditView(v, a))
}

// updateGroup handles PATCH /groups/:slug and POST /groups/:slug/edit: a partial
// update of the fields sent.
func (h *handler) updateGroup(c echo.Context) error {
	var in models.GroupEdit
	if err := c.Bind(&in); err != nil {
		return badRequest("could not read the group: " + bindMessage(err))
	}
	ctx := c.Request().Context()
	v, slug := viewer(c), c.Param("slug")
	g, err := h.store.EditGroup(ctx, v, slug, in)
	var ve *models.ValidationError
	if errors.As(err, &ve) && !wantsJSON(c) {
		// Show the form again with what was typed.
		a, aerr := h.store.GroupForEdit(ctx, v, slug)
		if aerr != nil {
			return err
		}
		ev := newGroupEditView(v, a)
		for _, f := range []struct {
			given *string
			field *string
		}{{in.Name, &ev.Form.Name}, {in.Description, &ev.Form.Description}, {in.Rules, &ev.Form.Rules}, {in.Visibility, &ev.Form.Visibility}} {
			if f.given != nil {
				*f.field = *f.given
			}
		}
		if in.PremoderateFirstPosts != nil {
			ev.Form.PremoderateFirstPosts = *in.PremoderateFirstPosts
		}
		ev.Errors = ve.Fields
		return h.html(c, http.StatusUnprocessableEntity, "group_edit", ev)
	}
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, map[string]any{"group": newGroupSettingsJSON(g, nil)})
	}
	h.sessions.setFlash(c, "Group saved.")
	return redirect(c, "/groups/"+g.Slug)
}

// adminGroupJSON is a group in the admins' list.
type adminGroupJSON struct {
	groupSettingsJSON
	PendingRequests int `json:"pending_requests"`
}

// adminGroupsView lists every group for admins.
type adminGroupsView struct {
	Groups []adminGroupJSON `json:"groups"`
}

// adminGroups handles GET /admin/groups (admins).
func (h *handler) adminGroups(c echo.Context) error {
	gs, err := h.store.AdminGroups(c.Request().Context(), viewer(c))
	if err != nil {
		return err
	}
	av := adminGroupsView{Groups: make([]adminGroupJSON, 0, len(gs))}
	for i := range gs {
		av.Groups = append(av.Groups, adminGroupJSON{groupSettingsJSON: newGroupSettingsJSON(&gs[i].Group, nil),
			PendingRequests: gs[i].Pending})
	}
	return h.respond(c, http.StatusOK, "admin_groups", av)
}

// joinRequestJSON is a waiting request to join a closed group. requested_at is the
// day of the request only.
type joinRequestJSON struct {
	Pseudonym   string    `json:"pseudonym"`
	RequestedAt time.Time `json:"requested_at"`
}

// requestsView is a group's waiting join requests, for its moderators.
type requestsView struct {
	Group    groupRef          `json:"group"`
	Requests []joinRequestJSON `json:"requests"`
}

// joinRequests handles GET /groups/:slug/requests (the group's moderators and admins).
func (h *handler) joinRequests(c echo.Context) error {
	a, rs, err := h.store.JoinRequests(c.Request().Context(), viewer(c), c.Param("slug"))
	if err != nil {
		return err
	}
	rv := requestsView{Group: groupRef{a.Group.Slug, a.Group.Name}, Requests: make([]joinRequestJSON, 0, len(rs))}
	for _, r := range rs {
		rv.Requests = append(rv.Requests, joinRequestJSON{Pseudonym: r.Pseudonym, RequestedAt: r.RequestedAt})
	}
	return h.respond(c, http.StatusOK, "requests", rv)
}

// approveJoin handles POST /groups/:slug/requests/:pseudonym/approve.
func (h *handler) approveJoin(c echo.Context) error {
	slug := c.Param("slug")
	m, err := h.store.ApproveJoin(c.Request().Context(), viewer(c), slug, c.Param("pseudonym"))
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, map[string]any{"membership": newMembershipJSON(m, "")})
	}
	h.sessions.setFlash(c, m.Pseudonym+" is now a member.")
	return redirect(c, "/groups/"+slug+"/requests")
}

// denyJoin handles POST /groups/:slug/requests/:pseudonym/deny.
func (h *handler) denyJoin(c echo.Context) error {
	slug := c.Param("slug")
	m, err := h.store.DenyJoin(c.Request().Context(), viewer(c), slug, c.Param("pseudonym"))
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, map[string]any{"membership": newMembershipJSON(m, "")})
	}
	h.sessions.setFlash(c, "The request from "+m.Pseudonym+" was declined.")
	return redirect(c, "/groups/"+slug+"/requests")
}
