package app

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// groupResourceJSON is one of a group's trusted links.
type groupResourceJSON struct {
	ID          int64     `json:"id"`
	Title       string    `json:"title"`
	SourceOrg   string    `json:"source_org"`
	URL         string    `json:"url"`
	Description string    `json:"description"`
	Position    int       `json:"position"`
	CreatedAt   time.Time `json:"created_at"`
}

func newGroupResourceJSON(r *models.GroupResource) groupResourceJSON {
	return groupResourceJSON{ID: r.ID, Title: r.Title, SourceOrg: r.SourceOrg, URL: r.URL,
		Description: r.Description, Position: r.Position, CreatedAt: r.CreatedAt.UTC()}
}

func groupResourcesJSON(rs []models.GroupResource) []groupResourceJSON {
	out := make([]groupResourceJSON, 0, len(rs))
	for i := range rs {
		out = append(out, newGroupResourceJSON(&rs[i]))
	}
	return out
}

// resourcesView is a group's resources page, with the moderators' form.
type resourcesView struct {
	Group     groupRef             `json:"group"`
	CanRead   bool                 `json:"can_read"`
	CanManage bool                 `json:"can_manage"`
	Resources []groupResourceJSON  `json:"resources"`
	Form      models.ResourceInput `json:"-"`
	Errors    map[string]string    `json:"-"`
}

func newResourcesView(a *models.GroupAccess, rs []models.GroupResource) resourcesView {
	return resourcesView{Group: groupRef{a.Group.Slug, a.Group.Name}, CanRead: a.CanRead, CanManage: a.Moderates,
		Resources: groupResourcesJSON(rs)}
}

// groupResources handles GET /groups/:slug/resources.
func (h *handler) groupResources(c echo.Context) error {
	a, rs, err := h.store.GroupResources(c.Request().Context(), viewer(c), c.Param("slug"))
	if err != nil {
		return err
	}
	return h.respond(c, http.StatusOK, "resources", newResourcesView(a, rs))
}

// addResource handles POST /groups/:slug/resources (the group's moderators, admins).
func (h *handler) addResource(c echo.Context) error {
	var in models.ResourceInput
	if err := c.Bind(&in); err != nil {
		return badRequest("could not read the resource: " + bindMessage(err))
	}
	ctx, v, slug := c.Request().Context(), viewer(c), c.Param("slug")
	r, err := h.store.AddGroupResource(ctx, v, slug, in)
	var ve *models.ValidationError
	if errors.As(err, &ve) && !wantsJSON(c) {
		a, rs, gerr := h.store.GroupResources(ctx, v, slug)
		if gerr != nil {
			return err
		}
		rv := newResourcesView(a, rs)
		rv.Form, rv.Errors = in, ve.Fields
		return h.html(c, http.StatusUnprocessableEntity, "resources", rv)
	}
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusCreated, map[string]any{"resource": newGroupResourceJSON(r)})
	}
	h.sessions.setFlash(c, "Resource added.")
	return redirect(c, "/groups/"+slug+"/resources")
}

// removeResource handles DELETE /groups/:slug/resources/:id and POST
// /groups/:slug/resources/:id/delete (the group's moderators, admins).
func (h *handler) removeResource(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	slug := c.Param("slug")
	r, err := h.store.RemoveGroupResource(c.Request().Context(), viewer(c), slug, id)
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, map[string]any{"resource": newGroupResourceJSON(r), "deleted": true})
	}
	h.sessions.setFlash(c, "Resource removed.")
	return redirect(c, "/groups/"+slug+"/resources")
}
