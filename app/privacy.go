package app

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// Privacy rights: a member's export of everything Haven holds about them, erasure of
// their account, and (staff) memorialising the account of a member who has died.

// exportJSON is GET /me/export: for the member alone. It names the member's own
// pseudonyms side by side, as /me does, and no id of the account.
type exportJSON struct {
	Format        string                   `json:"format"`
	ExportedAt    time.Time                `json:"exported_at"`
	Account       exportAccountJSON        `json:"account"`
	Clinician     *exportClinicianJSON     `json:"clinician"`
	Memberships   []exportMembershipJSON   `json:"memberships"`
	Posts         []exportPostJSON         `json:"posts"`
	Reactions     []exportReactionJSON     `json:"reactions"`
	Follows       []exportFollowJSON       `json:"follows"`
	Notifications []exportNotificationJSON `json:"notifications"`
	Mutes         []exportMuteJSON         `json:"mutes"`
	Reports       []exportReportJSON       `json:"reports"`
}

type exportAccountJSON struct {
	Role      string               `json:"role"`
	Status    string               `json:"status"`
	CreatedAt time.Time            `json:"created_at"`
	LastSeen  *time.Time           `json:"last_seen"`
	SignIns   []exportProviderJSON `json:"sign_ins"`
	Note      string               `json:"note"`
}

type exportProviderJSON struct {
	Provider string    `json:"provider"`
	LinkedAt time.Time `json:"linked_at"`
	Stored   string    `json:"stored"`
}

type exportClinicianJSON struct {
	Status        string     `json:"status"`
	DisplayName   string     `json:"display_name"`
	Credential    string     `json:"credential"`
	Specialty     string     `json:"specialty"`
	Jurisdiction  string     `json:"jurisdiction"`
	LicenseNumber string     `json:"license_number"`
	ExpiresAt     *time.Time `json:"expires_at"`
	AppliedAt     time.Time  `json:"applied_at"`
}

type exportMembershipJSON struct {
	Group      groupRef   `json:"group"`
	Visibility string     `json:"visibility"`
	Pseudonym  string     `json:"pseudonym"`
	Role       string     `json:"role"`
	Status     string     `json:"status"`
	PostCount  int        `json:"post_count"`
	MutedUntil *time.Time `json:"muted_until"`
	JoinedAt   time.Time  `json:"joined_at"`
}

type exportRevisionJSON struct {
	Version        int       `json:"version"`
	Body           string    `json:"body"`
	ContentWarning string    `json:"content_warning"`
	ReplacedAt     time.Time `json:"replaced_at"`
	EditedBy       string    `json:"edited_by"`
}

type exportPostJSON struct {
	ID             int64                `json:"id"`
	Group          string               `json:"group"`
	Thread         threadRef            `json:"thread"`
	Pseudonym      *string              `json:"pseudonym"`
	AsClinician    bool                 `json:"as_clinician"`
	Body           string               `json:"body"`
	BodyHTML       string               `json:"body_html"`
	ContentWarning string               `json:"content_warning"`
	Status         string               `json:"status"`
	StatusReason   string               `json:"status_reason"`
	Version        int                  `json:"version"`
	CreatedAt      time.Time            `json:"created_at"`
	EditedAt       *time.Time           `json:"edited_at"`
	Revisions      []exportRevisionJSON `json:"revisions"`
}

type exportReactionJSON struct {
	Group     string    `json:"group"`
	Pseudonym string    `json:"pseudonym"`
	ThreadID  int64     `json:"thread_id"`
	PostID    int64     `json:"post_id"`
	Kind      string    `json:"kind"`
	CreatedAt time.Time `json:"created_at"`
}

type exportFollowJSON struct {
	Group     string    `json:"group"`
	Pseudonym string    `json:"pseudonym"`
	Thread    threadRef `json:"thread"`
	Following bool      `json:"following"`
}

type exportNotificationJSON struct {
	Group     string     `json:"group"`
	Pseudonym string     `json:"pseudonym"`
	Kind      string     `json:"kind"`
	ThreadID  *int64     `json:"thread_id"`
	PostID    *int64     `json:"post_id"`
	Actor     string     `json:"actor"`
	Text      string     `json:"text"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at"`
}

type exportMuteJSON struct {
	Group     string    `json:"group"`
	Pseudonym string    `json:"pseudonym"`
	Muted     string    `json:"muted"`
	CreatedAt time.Time `json:"created_at"`
}

type exportReportJSON struct {
	Group     string    `json:"group"`
	Reason    string    `json:"reason"`
	Note      string    `json:"note"`
	Target    string    `json:"target"`
	TargetID  int64     `json:"target_id"`
	CreatedAt time.Time `json:"created_at"`
}

func newExportJSON(x *models.Export) *exportJSON {
	out := &exportJSON{Format: "haven-export/1", ExportedAt: x.ExportedAt,
		Account: exportAccountJSON{Role: x.User.Role, Status: x.User.Status, CreatedAt: x.User.CreatedAt, LastSeen: x.User.LastSeen,
			SignIns: []exportProviderJSON{},
			Note: "Haven keeps no name, email or profile from your sign-in provider: only a keyed hash of the provider's " +
				"account number, which cannot be turned back into it."},
		Memberships: []exportMembershipJSON{}, Posts: []exportPostJSON{}, Reactions: []exportReactionJSON{},
		Follows: []exportFollowJSON{}, Notifications: []exportNotificationJSON{}, Mutes: []exportMuteJSON{}, Reports: []exportReportJSON{}}
	for _, p := range x.Providers {
		out.Account.SignIns = append(out.Account.SignIns, exportProviderJSON{Provider: p.Provider, LinkedAt: p.CreatedAt, Stored: "keyed hash of the subject"})
	}
	if c := x.Clinician; c != nil {
		out.Clinician = &exportClinicianJSON{Status: c.Status, DisplayName: c.DisplayName, Credential: c.Credential, Specialty: c.Specialty,
			Jurisdiction: c.Jurisdiction, LicenseNumber: c.LicenseNumber, ExpiresAt: c.ExpiresAt, AppliedAt: c.CreatedAt}
	}
	for _, m := range x.Memberships {
		out.Memberships = append(out.Memberships, exportMembershipJSON{Group: groupRef{m.Group.Slug, m.Group.Name},
			Visibility: m.Group.Visibility, Pseudonym: m.Membership.Pseudonym, Role: m.Membership.Role, Status: m.Membership.Status,
			PostCount: m.Membership.PostCount, MutedUntil: m.Membership.MutedUntil, JoinedAt: m.Membership.CreatedAt})
	}
	for _, ep := range x.Posts {
		p := ep.Post
		j := exportPostJSON{ID: p.ID, Group: ep.GroupSlug, Thread: threadRef{p.ThreadID, ep.ThreadTitle}, AsClinician: p.AsClinician(),
			Body: p.Body, BodyHTML: p.BodyHTML, ContentWarning: p.ContentWarning, Status: p.Status, StatusReason: p.StatusReason,
			Version: p.Version, CreatedAt: p.CreatedAt, EditedAt: p.EditedAt, Revisions: []exportRevisionJSON{}}
		if ep.Pseudonym != "" {
			j.Pseudonym = strp(ep.Pseudonym)
		}
		for _, r := range ep.Revisions {
			j.Revisions = append(j.Revisions, exportRevisionJSON{Version: r.Version, Body: r.Body, ContentWarning: r.ContentWarning,
				ReplacedAt: r.EditedAt, EditedBy: r.EditedBy})
		}
		out.Posts = append(out.Posts, j)
	}
	for _, r := range x.Reactions {
		out.Reactions = append(out.Reactions, exportReactionJSON{Group: r.GroupSlug, Pseudonym: r.Pseudonym, ThreadID: r.ThreadID,
			PostID: r.PostID, Kind: r.Kind, CreatedAt: r.CreatedAt})
	}
	for _, f := range x.Follows {
		out.Follows = append(out.Follows, exportFollowJSON{Group: f.GroupSlug, Pseudonym: f.Pseudonym,
			Thread: threadRef{f.ThreadID, f.ThreadTitle}, Following: f.Following})
	}
	for _, n := range x.Notifications {
		out.Notifications = append(out.Notifications, exportNotificationJSON{Group: n.GroupSlug, Pseudonym: n.Pseudonym,
			Kind: n.Notification.Kind, ThreadID: n.Notification.ThreadID, PostID: n.Notification.PostID, Actor: n.Notification.Actor,
			Text: n.Notification.Text, CreatedAt: n.Notification.CreatedAt, ReadAt: n.Notification.ReadAt})
	}
	for _, m := range x.Mutes {
		out.Mutes = append(out.Mutes, exportMuteJSON{Group: m.GroupSlug, Pseudonym: m.Pseudonym, Muted: m.Muted, CreatedAt: m.CreatedAt})
	}
	for _, r := range x.Reports {
		out.Reports = append(out.Reports, exportReportJSON{Group: r.GroupSlug, Reason: r.Reason, Note: r.Note, Target: r.TargetType,
			TargetID: r.TargetID, CreatedAt: r.CreatedAt})
	}
	return out
}

// exportAccount handles GET /me/export: the member's archive, as a JSON download
// for browsers and programs alike.
func (h *handler) exportAccount(c echo.Context) error {
	x, err := h.store.ExportAccount(c.Request().Context(), viewer(c))
	if err != nil {
		return err
	}
	hd := c.Response().Header()
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Disposition", `attachment; filename="haven-export-`+x.ExportedAt.Format("2006-01-02")+`.json"`)
	return c.JSONPretty(http.StatusOK, newExportJSON(x), "  ")
}

// deleteAccount handles POST /me/delete: erasure at the member's request. The
// session ends; a browser goes home with a message, or gets /me again (422) with
// the form's errors.
func (h *handler) deleteAccount(c echo.Context) error {
	var in models.EraseInput
	if err := c.Bind(&in); err != nil {
		return badRequest("could not read the request: " + bindMessage(err))
	}
	res, err := h.store.EraseAccount(c.Request().Context(), viewer(c), in)
	var ve *models.ValidationError
	if errors.As(err, &ve) && !wantsJSON(c) {
		c.Set("erase_errors", ve.Fields)
		c.Set("erase_posts", in.Posts)
		return h.meJSON(c, "me")
	}
	if err != nil {
		return err
	}
	h.sessions.signOut(c)
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, map[string]any{"deleted": true, "posts": in.Posts, "memberships": res.Memberships})
	}
	h.sessions.setFlash(c, "Your account is deleted. Thank you for being part of Haven.")
	return redirect(c, "/")
}

// memorialForm handles GET /admin/users/memorialise: the form (HTML); JSON gets
// the empty form.
func (h *handler) memorialForm(c echo.Context) error {
	return h.respond(c, http.StatusOK, "admin_memorial", memorialView{Form: models.MemorialInput{Group: c.QueryParam("group"), Pseudonym: c.QueryParam("pseudonym")}})
}

// memorialView is the memorialise form with what was typed and its errors.
type memorialView struct {
	Form   models.MemorialInput `json:"form"`
	Errors map[string]string    `json:"-"`
}

// memorialise handles POST /admin/users/memorialise: the account behind a group's
// pseudonym becomes read-only and its posts are marked "in memory" (or, with undo,
// back again). Admins only; audited.
func (h *handler) memorialise(c echo.Context) error {
	var in models.MemorialInput
	if err := c.Bind(&in); err != nil {
		return badRequest("could not read the request: " + bindMessage(err))
	}
	res, err := h.store.Memorialise(c.Request().Context(), viewer(c), in)
	var ve *models.ValidationError
	if errors.As(err, &ve) && !wantsJSON(c) {
		return h.html(c, http.StatusUnprocessableEntity, "admin_memorial", memorialView{Form: in, Errors: ve.Fields})
	}
	if err != nil {
		return err
	}
	status := models.UserActive
	if res.Memorial {
		status = models.UserMemorial
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, map[string]any{"account": map[string]any{"status": status, "memberships": res.Memberships}})
	}
	if res.Memorial {
		h.sessions.setFlash(c, "The account is memorialised: it is read-only and its posts are shown in memory.")
	} else {
		h.sessions.setFlash(c, "The account is active again.")
	}
	return redirect(c, "/admin/users/memorialise")
}

// memorialReadOnly refuses every change from a memorialised account (anything but a
// safe method, and signing out) before it reaches a handler.
func (h *handler) memorialReadOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		v := viewer(c)
		if v == nil || v.User.Status != models.UserMemorial {
			return next(c)
		}
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		if c.Request().URL.Path == "/auth/logout" {
			return next(c)
		}
		return models.Errorf(models.EFORBIDDEN, "This account is kept in memory and is read-only.")
	}
}
