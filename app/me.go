package app

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// clinicianJSON is the viewer's own clinician credential (never the licence number).
type clinicianJSON struct {
	Status      string     `json:"status"`
	DisplayName string     `json:"display_name"`
	Credential  string     `json:"credential"`
	Specialty   string     `json:"specialty"`
	ExpiresAt   *time.Time `json:"expires_at"`
}

// meView is the viewer's own account: for their eyes only.
type meView struct {
	Role        string            `json:"role"`
	Clinician   *clinicianJSON    `json:"clinician"`
	Memberships []membershipJSON  `json:"memberships"`
	CSRFToken   string            `json:"csrf_token"`
	Groups      map[string]string `json:"-"` // slug → name, for the page
	// EraseErrors and ErasePosts bring back a failed account deletion (see privacy.go).
	EraseErrors map[string]string `json:"-"`
	ErasePosts  string            `json:"-"`
}

// me handles GET /me.
func (h *handler) me(c echo.Context) error {
	return h.meJSON(c, "me")
}

// meJSON answers with the viewer's account: as JSON, or as the named page.
func (h *handler) meJSON(c echo.Context, pageName string) error {
	v := viewer(c)
	ms, err := h.store.Memberships(c.Request().Context(), v)
	if err != nil {
		return err
	}
	mv := meView{Role: v.User.Role, Memberships: make([]membershipJSON, 0, len(ms)), CSRFToken: csrfToken(c),
		Groups: map[string]string{}}
	if cl := v.Clinician; cl != nil {
		status := cl.Status
		if status == "verified" && !cl.Verified(time.Now()) {
			status = "expired"
		}
		mv.Clinician = &clinicianJSON{Status: status, DisplayName: cl.DisplayName, Credential: cl.Credential,
			Specialty: cl.Specialty, ExpiresAt: cl.ExpiresAt}
	}
	for _, m := range ms {
		mv.Memberships = append(mv.Memberships, *newMembershipJSON(&m.Membership, m.Group.Slug))
		mv.Groups[m.Group.Slug] = m.Group.Name
	}
	if pageName == "" || wantsJSON(c) {
		return c.JSON(http.StatusOK, mv)
	}
	status := http.StatusOK
	if errs, ok := c.Get("erase_errors").(map[string]string); ok {
		mv.EraseErrors, status = errs, http.StatusUnprocessableEntity
		mv.ErasePosts, _ = c.Get("erase_posts").(string)
	}
	return h.html(c, status, pageName, mv)
}

// healthz handles GET /healthz: 200 when the database answers.
func (h *handler) healthz(c echo.Context) error {
	if err := h.store.Ping(c.Request().Context()); err != nil {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}
