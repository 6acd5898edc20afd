package app

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// announcementJSON is an announcement in lists, on the home and group pages, and in
// POST /announcements' answer. It never names its author: it is the organisation's
// voice ("official").
type announcementJSON struct {
	ID       int64      `json:"id"`
	Group    *groupRef  `json:"group"`
	Title    string     `json:"title"`
	BodyHTML string     `json:"body_html"`
	Severity string     `json:"severity"`
	StartsAt time.Time  `json:"starts_at"`
	EndsAt   *time.Time `json:"ends_at"`
	Official bool       `json:"official"`
	ThreadID *int64     `json:"thread_id"`
	// Status is "scheduled", "current" or "ended".
	Status     string `json:"status"`
	RepliesOff bool   `json:"replies_off"`
}

func newAnnouncementJSON(a *models.Announcement, now time.Time) announcementJSON {
	j := announcementJSON{ID: a.ID, Title: a.Title, BodyHTML: a.BodyHTML, Severity: a.Severity,
		StartsAt: a.StartsAt.UTC(), Official: true, ThreadID: a.ThreadID, Status: a.Status(now), RepliesOff: a.RepliesOff}
	if a.EndsAt != nil {
		t := a.EndsAt.UTC()
		j.EndsAt = &t
	}
	if a.Group != nil {
		j.Group = &groupRef{Slug: a.Group.Slug, Name: a.Group.Name}
	}
	return j
}

func announcementsJSON(as []models.Announcement, now time.Time) []announcementJSON {
	out := make([]announcementJSON, 0, len(as))
	for i := range as {
		out = append(out, newAnnouncementJSON(&as[i], now))
	}
	return out
}

// announcementsView is the announcements page: current ones first, then history.
type announcementsView struct {
	Announcements []announcementJSON `json:"announcements"`
	Page          pageJSON           `json:"page"`
	// CanAnnounce is true for admins and group moderators: the page links to the form.
	CanAnnounce bool `json:"can_announce"`
}

// listAnnouncements handles GET /announcements.
func (h *handler) listAnnouncements(c echo.Context) error {
	n, err := pageParam(c)
	if err != nil {
		return err
	}
	ctx, v := c.Request().Context(), viewer(c)
	ap, err := h.store.ListAnnouncements(ctx, v, n)
	if err != nil {
		return err
	}
	av := announcementsView{Announcements: announcementsJSON(ap.Announcements, ap.Now),
		Page: pageJSON{Number: ap.Page, Size: models.AnnouncementPageSize, HasNext: ap.HasNext}}
	if v != nil {
		// Only decides whether the page links to the form; the form checks again.
		av.CanAnnounce, _ = h.store.IsModerator(ctx, v)
	}
	return h.respond(c, http.StatusOK, "announcements", av)
}

// announcementFormView is the form for a new announcement: where the viewer may
// announce, and the draft after an error.
type announcementFormView struct {
	SiteWide bool                     `json:"site_wide"`
	Groups   []groupRef               `json:"groups"`
	Form     models.AnnouncementInput `json:"-"`
	Errors   map[string]string        `json:"-"`
}

func newAnnouncementFormView(sc *models.AnnouncementScope, in models.AnnouncementInput) announcementFormView {
	fv := announcementFormView{SiteWide: sc.SiteWide, Groups: make([]groupRef, 0, len(sc.Groups)), Form: in}
	for _, g := range sc.Groups {
		fv.Groups = append(fv.Groups, groupRef{Slug: g.Slug, Name: g.Name})
	}
	if fv.Form.Severity == "" {
		fv.Form.Severity = models.SeverityInfo
	}
	return fv
}

// newAnnouncement handles GET /announcements/new (admins and group moderators).
func (h *handler) newAnnouncement(c echo.Context) error {
	sc, err := h.store.AnnouncementScope(c.Request().Context(), viewer(c))
	if err != nil {
		return err
	}
	in := models.AnnouncementInput{Group: c.QueryParam("group")}
	return h.respond(c, http.StatusOK, "announcement_new", newAnnouncementFormView(sc, in))
}

// createAnnouncement handles POST /announcements.
func (h *handler) createAnnouncement(c echo.Context) error {
	var in models.AnnouncementInput
	if err := c.Bind(&in); err != nil {
		return badRequest("could not read the announcement: " + bindMessage(err))
	}
	ctx, v := c.Request().Context(), viewer(c)
	a, err := h.store.CreateAnnouncement(ctx, v, in)
	var ve *models.ValidationError
	if errors.As(err, &ve) && !wantsJSON(c) {
		// Show the form again with what was typed.
		sc, serr := h.store.AnnouncementScope(ctx, v)
		if serr != nil {
			return err
		}
		fv := newAnnouncementFormView(sc, in)
		fv.Errors = ve.Fields
		return h.html(c, http.StatusUnprocessableEntity, "announcement_new", fv)
	}
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusCreated, map[string]any{"announcement": newAnnouncementJSON(a, h.store.Now())})
	}
	h.sessions.setFlash(c, "Announcement published.")
	return redirect(c, "/announcements#announcement-"+strconv.FormatInt(a.ID, 10))
}

// dismissedCookie holds the ids of the urgent banners a visitor closed. Members'
// dismissals are stored; a visitor's stay in this browser only.
const dismissedCookie = "haven_dismissed"

// maxCookieDismissals bounds the visitor's cookie: the newest dismissals are kept.
const maxCookieDismissals = 20

// dismissedByCookie reads the visitor's dismissed banner ids.
func dismissedByCookie(c echo.Context) map[int64]bool {
	out := map[int64]bool{}
	ck, err := c.Cookie(dismissedCookie)
	if err != nil {
		return out
	}
	for _, s := range strings.Split(ck.Value, ".") {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil && id > 0 {
			out[id] = true
		}
	}
	return out
}

// dismissAnnouncement handles POST /announcements/:id/dismiss: a member's dismissal
// is stored; a visitor's is kept in a cookie. JSON gets 204, a form 303 to its next.
func (h *handler) dismissAnnouncement(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	v := viewer(c)
	if err := h.store.DismissAnnouncement(c.Request().Context(), v, id); err != nil {
		return err
	}
	if v == nil {
		ids := []string{strconv.FormatInt(id, 10)}
		if ck, err := c.Cookie(dismissedCookie); err == nil {
			for _, s := range strings.Split(ck.Value, ".") {
				if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 && n != id && len(ids) < maxCookieDismissals {
					ids = append(ids, strconv.FormatInt(n, 10))
				}
			}
		}
		c.SetCookie(h.sessions.cookie(dismissedCookie, strings.Join(ids, "."), 30*24*time.Hour))
	}
	if wantsJSON(c) {
		return c.NoContent(http.StatusNoContent)
	}
	return redirect(c, safeNext(c.FormValue("next")))
}

// banners lists the urgent banners for the page being rendered; a failure only
// leaves them out.
func (h *handler) banners(c echo.Context) []models.Banner {
	v := viewer(c)
	bs, err := h.store.UrgentBanners(c.Request().Context(), v)
	if err != nil {
		h.log.Warn("urgent banners", "err", err)
		return nil
	}
	if v != nil || len(bs) == 0 {
		return bs
	}
	dismissed := dismissedByCookie(c)
	out := bs[:0:0]
	for _, b := range bs {
		if !dismissed[b.ID] {
			out = append(out, b)
		}
	}
	return out
}

// siteAnnouncements lists the current site-wide info and advisory announcements,
// for the home page.
func (h *handler) siteAnnouncements(c echo.Context) ([]announcementJSON, error) {
	as, err := h.store.CurrentAnnouncements(c.Request().Context(), 0)
	if err != nil {
		return nil, err
	}
	return announcementsJSON(as, h.store.Now()), nil
}

// addGroupExtras adds a group's current announcements, its resources and its feed
// to its page, for those who may read it.
func (h *handler) addGroupExtras(c echo.Context, gv *groupPageView, a *models.GroupAccess) error {
	ex := &models.GroupExtras{}
	if a.CanRead {
		var err error
		if ex, err = h.store.GroupExtras(c.Request().Context(), a); err != nil {
			return err
		}
	}
	setGroupExtras(gv, a, ex, h.store.Now())
	return nil
}

// setGroupExtras fills a group page's announcements, resources and feed from ex, for a
// viewer with access a.
func setGroupExtras(gv *groupPageView, a *models.GroupAccess, ex *models.GroupExtras, now time.Time) {
	gv.Announcements, gv.Resources = []announcementJSON{}, []groupResourceJSON{}
	if a.Group.Visibility == models.VisibilityOpen {
		gv.FeedURL = strp("/groups/" + a.Group.Slug + "/feed.atom")
	}
	if !a.CanRead {
		return
	}
	gv.Announcements = announcementsJSON(ex.Announcements, now)
	gv.Resources = groupResourcesJSON(ex.Resources)
}
