package app

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// redactInvitePath hides the token of an invitation link in a path that is logged:
// only its hash is stored, so the token must not linger in the request log either.
func redactInvitePath(p string) string {
	if strings.HasPrefix(p, "/invites/") {
		return "/invites/[token]"
	}
	return p
}

// inviteJSON is an invitation link as its group's moderators see it. URL is there
// only when the link is made: the token is not stored, so it cannot be shown again.
type inviteJSON struct {
	ID        int64      `json:"id"`
	URL       string     `json:"url,omitempty"`
	Status    string     `json:"status"`
	UsesLeft  int        `json:"uses_left"`
	ExpiresAt time.Time  `json:"expires_at"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at"`
	// CreatedBy is the pseudonym in this group of the moderator who made it; null
	// when site staff made it.
	CreatedBy *string `json:"created_by"`
}

func newInviteJSON(inv *models.GroupInvite, now time.Time) inviteJSON {
	j := inviteJSON{ID: inv.ID, Status: inv.Status(now), UsesLeft: inv.UsesLeft, ExpiresAt: inv.ExpiresAt,
		CreatedAt: inv.CreatedAt, RevokedAt: inv.RevokedAt}
	if m := inv.CreatedByMembership; m != nil {
		j.CreatedBy = strp(m.Pseudonym)
	}
	return j
}

// invitePath is where an invitation token is opened.
func invitePath(token string) string { return "/invites/" + url.PathEscape(token) }

// invitesView is a group's invitation links, for its moderators. Created is the link
// just made, shown once (HTML); FullURL is its address to copy.
type invitesView struct {
	Group   groupRef           `json:"group"`
	Invites []inviteJSON       `json:"invites"`
	Created *inviteJSON        `json:"-"`
	FullURL string             `json:"-"`
	Form    models.InviteInput `json:"-"`
	Errors  map[string]string  `json:"-"`
}

// invitesPage builds the list of a group's invitation links.
func (h *handler) invitesPage(c echo.Context) (*invitesView, error) {
	a, invs, err := h.store.Invites(c.Request().Context(), viewer(c), c.Param("slug"))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	iv := &invitesView{Group: groupRef{a.Group.Slug, a.Group.Name}, Invites: make([]inviteJSON, 0, len(invs)),
		Form: models.InviteInput{MaxUses: models.DefaultInviteUses, ExpiresInHours: models.DefaultInviteHours}}
	for i := range invs {
		iv.Invites = append(iv.Invites, newInviteJSON(&invs[i], now))
	}
	return iv, nil
}

// listInvites handles GET /groups/:slug/invites (the group's moderators and admins).
func (h *handler) listInvites(c echo.Context) error {
	iv, err := h.invitesPage(c)
	if err != nil {
		return err
	}
	return h.respond(c, http.StatusOK, "invites", iv)
}

// createInvite handles POST /groups/:slug/invites (the group's moderators and
// admins). A browser gets the list page with the new link on it (201), not a
// redirect: the link is shown this once and is not stored.
func (h *handler) createInvite(c echo.Context) error {
	var in models.InviteInput
	if err := c.Bind(&in); err != nil {
		return badRequest("could not read the invitation: " + bindMessage(err))
	}
	inv, token, err := h.store.CreateInvite(c.Request().Context(), viewer(c), c.Param("slug"), in)
	var ve *models.ValidationError
	if errors.As(err, &ve) && !wantsJSON(c) {
		iv, lerr := h.invitesPage(c)
		if lerr != nil {
			return err
		}
		iv.Form, iv.Errors = in, ve.Fields
		return h.html(c, http.StatusUnprocessableEntity, "invites", iv)
	}
	if err != nil {
		return err
	}
	j := newInviteJSON(inv, time.Now())
	j.URL = invitePath(token)
	if wantsJSON(c) {
		return c.JSON(http.StatusCreated, map[string]any{"invite": j})
	}
	iv, err := h.invitesPage(c)
	if err != nil {
		return err
	}
	iv.Created, iv.FullURL = &j, h.cfg.BaseURL+j.URL
	return h.html(c, http.StatusCreated, "invites", iv)
}

// revokeInvite handles POST /groups/:slug/invites/:id/revoke.
func (h *handler) revokeInvite(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	slug := c.Param("slug")
	inv, err := h.store.RevokeInvite(c.Request().Context(), viewer(c), slug, id)
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, map[string]any{"invite": newInviteJSON(inv, time.Now())})
	}
	h.sessions.setFlash(c, "The invitation link was withdrawn.")
	return redirect(c, "/groups/"+slug+"/invites")
}

// inviteView is what an invitation link shows: the group, its rules and a join form.
type inviteView struct {
	Group      groupJSON         `json:"group"`
	Rules      string            `json:"rules"`
	RulesHTML  string            `json:"rules_html"`
	ExpiresAt  time.Time         `json:"expires_at"`
	Membership *membershipJSON   `json:"membership"`
	Path       string            `json:"-"`
	SignedIn   bool              `json:"-"`
	Errors     map[string]string `json:"-"`
}

// inviteInvalid answers for an unknown, expired, used-up or revoked invitation: a
// 404 that says so kindly, the same for all four.
func (h *handler) inviteInvalid(c echo.Context) error {
	msg := models.ErrInviteInvalid.Message
	if wantsJSON(c) {
		return c.JSON(http.StatusNotFound, map[string]apiError{"error": {Code: models.ENOTFOUND, Message: msg}})
	}
	return h.html(c, http.StatusNotFound, "error", errorPage{Status: http.StatusNotFound, Code: models.ENOTFOUND, Message: msg})
}

// openInvite loads the invite page for the token in the path.
func (h *handler) openInvite(c echo.Context) (*inviteView, error) {
	v := viewer(c)
	token := c.Param("token")
	iv, err := h.store.OpenInvite(c.Request().Context(), v, token)
	if err != nil {
		return nil, err
	}
	g := iv.Group
	return &inviteView{Group: newGroupJSON(g, iv.Membership), Rules: g.Rules, RulesHTML: g.RulesHTML,
		ExpiresAt: iv.Invite.ExpiresAt, Membership: newMembershipJSON(iv.Membership, ""),
		Path: invitePath(token), SignedIn: v != nil}, nil
}

// showInvite handles GET /invites/:token: anyone holding the link sees the group.
func (h *handler) showInvite(c echo.Context) error {
	iv, err := h.openInvite(c)
	if errors.Is(err, models.ErrNotFound) {
		return h.inviteInvalid(c)
	}
	if err != nil {
		return err
	}
	return h.respond(c, http.StatusOK, "invite", iv)
}

// acceptInvite handles POST /invites/:token: join the group as an active member.
func (h *handler) acceptInvite(c echo.Context) error {
	var in models.JoinInput
	if err := c.Bind(&in); err != nil {
		return badRequest("could not read the request: " + bindMessage(err))
	}
	m, g, err := h.store.JoinByInvite(c.Request().Context(), viewer(c), c.Param("token"), in)
	if errors.Is(err, models.ErrNotFound) {
		return h.inviteInvalid(c)
	}
	var ve *models.ValidationError
	if errors.As(err, &ve) && !wantsJSON(c) {
		iv, ierr := h.openInvite(c)
		if ierr != nil {
			return err
		}
		iv.Errors = ve.Fields
		return h.html(c, http.StatusUnprocessableEntity, "invite", iv)
	}
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, map[string]any{"membership": newMembershipJSON(m, ""), "group": newGroupJSON(g, m)})
	}
	h.sessions.setFlash(c, "Welcome. In this group you are "+m.Pseudonym+".")
	return redirect(c, "/groups/"+g.Slug)
}
