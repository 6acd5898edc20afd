package app

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// scrapingAlertJSON is an account that read unusually many threads. Admins only: the
// user id is what an admin needs to look further (and reveal, with a reason).
type scrapingAlertJSON struct {
	ID            int64      `json:"id"`
	AccountID     int64      `json:"account_id"`
	Threads       int        `json:"threads"`
	WindowSeconds int        `json:"window_seconds"`
	Bursts        int        `json:"bursts"`
	Status        string     `json:"status"`
	Resolution    string     `json:"resolution,omitempty"`
	ResolvedAt    *time.Time `json:"resolved_at,omitempty"`
	LastSeenAt    time.Time  `json:"last_seen_at"`
	CreatedAt     time.Time  `json:"created_at"`
}

// WindowText is the alert's window in words.
func (a scrapingAlertJSON) WindowText() string { return models.SlowModeText(a.WindowSeconds) }

func newScrapingAlertJSON(a *models.ScrapingAlert) scrapingAlertJSON {
	return scrapingAlertJSON{ID: a.ID, AccountID: a.UserID, Threads: a.Threads, WindowSeconds: a.WindowSeconds,
		Bursts: a.Bursts, Status: a.Status, Resolution: a.Resolution, ResolvedAt: a.ResolvedAt,
		LastSeenAt: a.LastSeenAt, CreatedAt: a.CreatedAt}
}

// scrapingView is the admin page of scraping alerts.
type scrapingView struct {
	Status string              `json:"status"`
	Alerts []scrapingAlertJSON `json:"alerts"`
}

// scrapingAlerts handles GET /admin/scraping (admins): ?status=open|resolved.
func (h *handler) scrapingAlerts(c echo.Context) error {
	as, err := h.store.ScrapingAlerts(c.Request().Context(), viewer(c), c.QueryParam("status"))
	if err != nil {
		return err
	}
	sv := scrapingView{Status: models.ScrapingOpen, Alerts: make([]scrapingAlertJSON, 0, len(as))}
	if c.QueryParam("status") == models.ScrapingResolved {
		sv.Status = models.ScrapingResolved
	}
	for i := range as {
		sv.Alerts = append(sv.Alerts, newScrapingAlertJSON(&as[i]))
	}
	return h.respond(c, http.StatusOK, "admin_scraping", sv)
}

// resolveScrapingForm is what POST /admin/scraping/:id/resolve takes.
type resolveScrapingForm struct {
	Reason string `json:"reason" form:"reason"`
}

// resolveScrapingAlert handles POST /admin/scraping/:id/resolve (admins).
func (h *handler) resolveScrapingAlert(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return models.ErrNotFound
	}
	var f resolveScrapingForm
	if err := c.Bind(&f); err != nil {
		return badRequest("could not read the form")
	}
	a, err := h.store.ResolveScrapingAlert(c.Request().Context(), viewer(c), id, f.Reason)
	var ve *models.ValidationError
	if errors.As(err, &ve) && !wantsJSON(c) {
		h.sessions.setFlash(c, "Say what you found before closing the alert.")
		return redirect(c, "/admin/scraping")
	}
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, map[string]any{"alert": newScrapingAlertJSON(a)})
	}
	h.sessions.setFlash(c, "Alert closed.")
	return redirect(c, "/admin/scraping")
}
