package app

import (
	"encoding/csv"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// auditEntryJSON is one audit log entry, for admins: it names the acting user by id.
type auditEntryJSON struct {
	ID         int64     `json:"id"`
	ActorID    *int64    `json:"actor_id"`
	Action     string    `json:"action"`
	TargetType string    `json:"target_type"`
	TargetID   int64     `json:"target_id"`
	Reason     string    `json:"reason"`
	CreatedAt  time.Time `json:"created_at"`
}

// auditView is one page of the filtered audit log.
type auditView struct {
	Entries []auditEntryJSON   `json:"entries"`
	Page    pageJSON           `json:"page"`
	Filter  models.AuditFilter `json:"filter"`
	// Query is the filter as a query string, for the pager and the CSV link.
	Query  string            `json:"-"`
	Errors map[string]string `json:"-"`
}

// auditFilter reads the audit log's filter from the query string.
func auditFilter(c echo.Context) models.AuditFilter {
	f := models.AuditFilter{Actor: c.QueryParam("actor"), Action: c.QueryParam("action"), Target: c.QueryParam("target"),
		From: c.QueryParam("from"), To: c.QueryParam("to")}
	f.Page, _ = strconv.Atoi(c.QueryParam("page"))
	return f
}

// auditQueryString is the filter as a query string (without the page).
func auditQueryString(f models.AuditFilter) string {
	q := url.Values{}
	for k, v := range map[string]string{"actor": f.Actor, "action": f.Action, "target": f.Target, "from": f.From, "to": f.To} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q.Encode()
}

// auditLog handles GET /admin/audit (admins): the audit log, filtered by actor,
// action, target and dates; ?format=csv exports every matching entry.
func (h *handler) auditLog(c echo.Context) error {
	f := auditFilter(c)
	if c.QueryParam("format") == "csv" {
		return h.auditCSV(c, f)
	}
	p, err := h.store.AuditSearch(c.Request().Context(), viewer(c), f)
	var ve *models.ValidationError
	if errors.As(err, &ve) && !wantsJSON(c) {
		return h.html(c, http.StatusUnprocessableEntity, "audit", auditView{Filter: f, Errors: ve.Fields, Entries: []auditEntryJSON{}})
	}
	if err != nil {
		return err
	}
	v := auditView{Filter: f, Query: auditQueryString(f), Entries: make([]auditEntryJSON, 0, len(p.Entries)),
		Page: pageJSON{Number: p.Page, Size: models.AuditPageSize, HasNext: p.HasNext}}
	for _, e := range p.Entries {
		v.Entries = append(v.Entries, newAuditEntryJSON(e))
	}
	return h.respond(c, http.StatusOK, "audit", v)
}

func newAuditEntryJSON(e models.AuditEntry) auditEntryJSON {
	return auditEntryJSON{ID: e.ID, ActorID: e.ActorID, Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID,
		Reason: e.Reason, CreatedAt: e.CreatedAt.UTC()}
}

// auditCSV streams the filtered audit log as CSV.
func (h *handler) auditCSV(c echo.Context, f models.AuditFilter) error {
	started := false
	var w *csv.Writer
	err := h.store.AuditExport(c.Request().Context(), viewer(c), f, func(es []models.AuditEntry) error {
		if !started {
			started = true
			hd := c.Response().Header()
			hd.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
			hd.Set(echo.HeaderContentDisposition, `attachment; filename="haven-audit-`+time.Now().UTC().Format("20060102-150405")+`.csv"`)
			hd.Set("Cache-Control", "no-store")
			c.Response().WriteHeader(http.StatusOK)
			w = csv.NewWriter(c.Response())
			w.Write([]string{"id", "created_at", "actor_id", "action", "target_type", "target_id", "reason"})
		}
		for _, e := range es {
			actor := ""
			if e.ActorID != nil {
				actor = strconv.FormatInt(*e.ActorID, 10)
			}
			w.Write([]string{strconv.FormatInt(e.ID, 10), e.CreatedAt.UTC().Format(time.RFC3339), actor, e.Action,
				e.TargetType, strconv.FormatInt(e.TargetID, 10), csvSafe(e.Reason)})
		}
		w.Flush()
		return w.Error()
	})
	if err != nil {
		if started {
			h.log.Error("audit export failed midway", "err", err)
			return nil
		}
		return err
	}
	if !started { // nothing matched: the header row alone
		hd := c.Response().Header()
		hd.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
		hd.Set(echo.HeaderContentDisposition, `attachment; filename="haven-audit.csv"`)
		return c.String(http.StatusOK, "id,created_at,actor_id,action,target_type,target_id,reason\n")
	}
	return nil
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}

// revealView is the reveal form and, once, its result.
type revealView struct {
	Form   models.RevealInput   `json:"-"`
	Errors map[string]string    `json:"-"`
	Result *models.RevealResult `json:"-"`
}

// revealForm handles GET /admin/reveal (admins): the form, never a result.
func (h *handler) revealForm(c echo.Context) error {
	return h.html(c, http.StatusOK, "reveal", revealView{Form: models.RevealInput{Group: c.QueryParam("group"), Pseudonym: c.QueryParam("pseudonym")}})
}

// reveal handles POST /admin/reveal (admins): links a pseudonym to the user's other
// memberships, given a reason. The result is in this response only (no redirect, no
// stored page, no-store), and the act is audited.
func (h *handler) reveal(c echo.Context) error {
	var in models.RevealInput
	if err := c.Bind(&in); err != nil {
		return badRequest("could not read the request: " + bindMessage(err))
	}
	res, err := h.store.Reveal(c.Request().Context(), viewer(c), in)
	var ve *models.ValidationError
	if errors.As(err, &ve) && !wantsJSON(c) {
		return h.html(c, http.StatusUnprocessableEntity, "reveal", revealView{Form: in, Errors: ve.Fields})
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, res)
	}
	in.Reason = ""
	return h.html(c, http.StatusOK, "reveal", revealView{Form: in, Result: res})
}

// sanctionView is the form for site-wide suspensions and bans.
type sanctionView struct {
	Form   models.SanctionInput   `json:"-"`
	Errors map[string]string      `json:"-"`
	Result *models.SanctionResult `json:"-"`
}

// usersForm handles GET /admin/users (admins): suspend, ban or reinstate an account
// by one of its pseudonyms.
func (h *handler) usersForm(c echo.Context) error {
	return h.html(c, http.StatusOK, "admin_users", sanctionView{Form: models.SanctionInput{Group: c.QueryParam("group"), Pseudonym: c.QueryParam("pseudonym")}})
}

// sanctionUser handles POST /admin/users/sanction (admins): `{"group", "pseudonym",
// "action": "suspend"|"ban"|"reinstate", "reason"}` on the account, across all groups.
func (h *handler) sanctionUser(c echo.Context) error {
	var in models.SanctionInput
	if err := c.Bind(&in); err != nil {
		return badRequest("could not read the request: " + bindMessage(err))
	}
	res, err := h.store.SanctionUser(c.Request().Context(), viewer(c), in)
	var ve *models.ValidationError
	if errors.As(err, &ve) && !wantsJSON(c) {
		return h.html(c, http.StatusUnprocessableEntity, "admin_users", sanctionView{Form: in, Errors: ve.Fields})
	}
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, map[string]any{"account": res})
	}
	h.sessions.setFlash(c, "The account of "+res.Pseudonym+" in "+res.Group+" is now "+res.AccountStatus+" in every group.")
	return redirect(c, "/admin/users")
}
