package app

import (
	"errors"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// itemJSON is a queue item as moderators see it.
type itemJSON struct {
	ID          int64      `json:"id"`
	Lane        string     `json:"lane"`
	Status      string     `json:"status"`
	Group       groupRef   `json:"group"`
	Target      targetJSON `json:"target"`
	ReportCount int        `json:"report_count"`
	Score       float64    `json:"score"`
	CreatedAt   time.Time  `json:"created_at"`
	DeadlineAt  time.Time  `json:"deadline_at"`
	Overdue     bool       `json:"overdue"`
	ClaimedByMe bool       `json:"claimed_by_me"`
	Claimed     bool       `json:"claimed"`
	Escalated   bool       `json:"escalated"`
	Appeal      bool       `json:"appeal"`
	Resolution  string     `json:"resolution,omitempty"`
	Version     int        `json:"version"`
	// Due says when an open item is due, in words; Sensitive keeps its content hidden
	// until revealed (see finish in moderation_ui.go).
	Due       string `json:"-"`
	Sensitive bool   `json:"-"`
}

// targetJSON names what an item is about.
type targetJSON struct {
	Type           string `json:"type"`
	ID             int64  `json:"id"`
	Excerpt        string `json:"excerpt"`
	ContentWarning string `json:"content_warning,omitempty"`
}

func newItemJSON(v *models.Viewer, it *models.QueueItem, g *models.Group, excerpt string) itemJSON {
	now := time.Now()
	claimed := it.ClaimedBy != nil && it.ClaimExpiresAt != nil && now.Before(*it.ClaimExpiresAt)
	targetID := it.TargetID
	if it.TargetType == models.TargetMembership || it.TargetType == models.TargetJoin {
		targetID = 0 // a membership id: the member is named by pseudonym only
	}
	return itemJSON{ID: it.ID, Lane: it.Lane, Status: it.Status, Group: groupRef{g.Slug, g.Name},
		Target:      targetJSON{Type: it.TargetType, ID: targetID, Excerpt: excerpt},
		ReportCount: it.ReportCount, Score: it.Score, CreatedAt: it.CreatedAt, DeadlineAt: it.DeadlineAt,
		Overdue: it.Overdue(now), Claimed: claimed, ClaimedByMe: claimed && *it.ClaimedBy == v.UserID(),
		Escalated: it.Escalated, Appeal: it.AppealOfID != nil, Resolution: it.Resolution, Version: it.Version}
}

// queueView is the moderation queue page.
type queueView struct {
	Items  []itemJSON         `json:"items"`
	Filter models.QueueFilter `json:"filter"`
	Lanes  []string           `json:"lanes"`
	// Counts holds the open and overdue items of every lane, in triage order;
	// Groups are the groups the filter offers.
	Counts []laneCountJSON `json:"counts"`
	Groups []groupRef      `json:"-"`
}

// queue handles GET /moderation/queue.
func (h *handler) queue(c echo.Context) error {
	if c.QueryParam("review") == "clinical" { // for verified clinicians (see clinicians.go)
		return h.clinicalReview(c)
	}
	f := models.QueueFilter{Group: c.QueryParam("group"), Lane: c.QueryParam("lane"), Status: c.QueryParam("status"),
		ClaimedBy: c.QueryParam("claimed")}
	v := viewer(c)
	qp, err := h.store.QueuePage(c.Request().Context(), v, f)
	if err != nil {
		return err
	}
	entries, now := qp.Entries, time.Now()
	qv := queueView{Items: make([]itemJSON, 0, len(entries)), Filter: f, Lanes: models.Lanes,
		Counts: make([]laneCountJSON, 0, len(qp.Counts)), Groups: make([]groupRef, 0, len(qp.Groups))}
	for i := range entries {
		j := newItemJSON(v, &entries[i].Item, &entries[i].Group, entries[i].Excerpt)
		j.finish(now, entries[i].ContentWarning)
		qv.Items = append(qv.Items, j)
	}
	for _, lc := range qp.Counts {
		qv.Counts = append(qv.Counts, laneCountJSON{Lane: lc.Lane, Open: lc.Open, Overdue: lc.Overdue})
	}
	for _, g := range qp.Groups {
		qv.Groups = append(qv.Groups, groupRef{g.Slug, g.Name})
	}
	return h.respond(c, http.StatusOK, "queue", qv)
}

// reportJSON is one report on an item, with the snapshot it took.
type reportJSON struct {
	Reason    string    `json:"reason"`
	Source    string    `json:"source"`
	Note      string    `json:"note"`
	Snapshot  string    `json:"snapshot"`
	Reporter  string    `json:"reporter"` // the reporter's pseudonym in this group, "a reader", or "automatic"
	Outcome   string    `json:"outcome"`
	CreatedAt time.Time `json:"created_at"`
}

// historyPostJSON is one of the author's posts in the group.
type historyPostJSON struct {
	ID        int64     `json:"id"`
	ThreadID  int64     `json:"thread_id"`
	Excerpt   string    `json:"excerpt"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
}

// modlogJSON is one modlog entry.
type modlogJSON struct {
	Action    string    `json:"action"`
	Target    string    `json:"target"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
	Moderator string    `json:"moderator"`
}

// noteJSON is a staff note on a membership.
type noteJSON struct {
	Author    string    `json:"author"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

// itemView is the page of one queue item.
type itemView struct {
	Item    itemJSON       `json:"item"`
	Reports []reportJSON   `json:"reports"`
	Thread  *threadRefJSON `json:"thread"`
	Post    *postJSON      `json:"post"`
	// PostBody is the post's Markdown, for a redaction (a thread's opening post for a
	// thread item; empty for other items).
	PostBody string            `json:"post_body"`
	Context  []postJSON        `json:"context"`
	Author   *authorJSON       `json:"author"`
	History  []historyPostJSON `json:"history"`
	Actions  []modlogJSON      `json:"actions"`
	Notes    []noteJSON        `json:"notes"`
	Errors   map[string]string `json:"-"`
	// CannedReasons come from the group's rules, then generic ones; AppealOf is the
	// decision an appeal questions. Form, Canned and NoteBody keep what was typed
	// when a form comes back with errors.
	CannedReasons []string            `json:"canned_reasons"`
	AppealOf      *appealOfJSON       `json:"appeal_of"`
	Form          models.ResolveInput `json:"-"`
	Canned        string              `json:"-"`
	NoteBody      string              `json:"-"`
}

// threadRefJSON names a thread.
type threadRefJSON struct {
	ID     int64  `json:"id"`
	Title  string `json:"title"`
	Locked bool   `json:"locked"`
}

func (h *handler) itemView(c echo.Context, id int64) (*itemView, error) {
	v := viewer(c)
	d, err := h.store.Item(c.Request().Context(), v, id)
	if err != nil {
		return nil, err
	}
	iv := &itemView{Item: newItemJSON(v, &d.Item, &d.Group, ""), Reports: []reportJSON{}, Context: []postJSON{},
		History: []historyPostJSON{}, Actions: []modlogJSON{}, Notes: []noteJSON{},
		CannedReasons: cannedReasons(d.Group.Rules), Form: models.ResolveInput{Version: d.Item.Version}}
	cw := ""
	if d.Post != nil {
		cw = d.Post.ContentWarning
	}
	iv.Item.finish(time.Now(), cw)
	if o := d.AppealOf; o != nil {
		iv.AppealOf = &appealOfJSON{Resolution: o.Resolution, Reason: o.ResolutionReason, ResolvedAt: o.ResolvedAt}
	}
	reporters := map[int64]string{}
	for _, r := range d.Reports {
		name := "automatic"
		if r.Source == "appeal" {
			name = "the author (appeal)"
		}
		if r.Source == "label_appeal" {
			name = "the author (appeal of a fact-check label)"
		}
		if r.Source == "member" {
			name = "a reader"
			if r.ReporterMembershipID != nil {
				reporters[*r.ReporterMembershipID] = ""
			}
		}
		iv.Reports = append(iv.Reports, reportJSON{Reason: r.Reason, Source: r.Source, Note: r.Note, Snapshot: r.Snapshot,
			Reporter: name, Outcome: r.Outcome, CreatedAt: r.CreatedAt})
	}
	if len(reporters) > 0 {
		names, err := h.store.Pseudonyms(c.Request().Context(), keys(reporters))
		if err != nil {
			return nil, err
		}
		for i, r := range d.Reports {
			if r.ReporterMembershipID != nil && names[*r.ReporterMembershipID] != "" {
				iv.Reports[i].Reporter = names[*r.ReporterMembershipID]
			}
		}
	}
	if d.Post != nil {
		pj := newPostJSON(d.Post)
		pj.BodyHTML = d.Post.BodyHTML // moderators read removed posts too
		iv.Post, iv.PostBody = &pj, d.Post.Body
		iv.Item.Target.Excerpt = excerptText(strings.Join(strings.Fields(d.Post.Body), " "), 160)
		iv.Form.Body = d.Post.Body
		iv.Thread = &threadRefJSON{ID: d.Thread.ID, Title: d.Thread.Title, Locked: d.Thread.Locked}
		for i := range d.Context {
			iv.Context = append(iv.Context, newPostJSON(&d.Context[i]))
		}
	}
	if d.Author != nil {
		a := membershipAuthor(d.Author)
		iv.Author = &a
		for _, p := range d.History {
			iv.History = append(iv.History, historyPostJSON{ID: p.ID, ThreadID: p.ThreadID, Excerpt: excerptText(p.Body, 140),
				Status: p.Status, CreatedAt: p.CreatedAt})
		}
		for _, e := range d.Actions {
			iv.Actions = append(iv.Actions, newModlogJSON(&e, true))
		}
		for _, n := range d.Notes {
			iv.Notes = append(iv.Notes, noteJSON{Author: n.AuthorLabel, Body: n.Body, CreatedAt: n.CreatedAt})
		}
	}
	return iv, nil
}

func keys(m map[int64]string) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// excerptText shortens text to about n characters.
func excerptText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// showItem handles GET /moderation/items/:id.
func (h *handler) showItem(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	iv, err := h.itemView(c, id)
	if err != nil {
		return err
	}
	// ?action=approve (from the queue's a and r keys) chooses a decision in the form.
	switch a := c.QueryParam("action"); a {
	case models.ActionApprove, models.ActionRemove, models.ActionRedact, models.ActionLock, models.ActionWarn,
		models.ActionMute, models.ActionBan, models.ActionEscalate:
		iv.Form.Action = a
	}
	return h.respond(c, http.StatusOK, "item", iv)
}

// claimItem handles POST /moderation/items/:id/claim.
func (h *handler) claimItem(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	v := viewer(c)
	it, err := h.store.Claim(c.Request().Context(), v, id)
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		iv, err := h.itemView(c, it.ID)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"item": iv.Item})
	}
	return redirect(c, "/moderation/items/"+strconv.FormatInt(id, 10))
}

// resolveItem handles POST /moderation/items/:id/resolve.
func (h *handler) resolveItem(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in models.ResolveInput
	if err := c.Bind(&in); err != nil {
		return badRequest("could not read the decision: " + bindMessage(err))
	}
	typed, canned := in.Reason, ""
	if !wantsJSON(c) {
		canned = c.FormValue("canned")
		in.Reason = withCanned(canned, in.Reason)
	}
	v := viewer(c)
	it, err := h.store.Resolve(c.Request().Context(), v, id, in)
	var ve *models.ValidationError
	if errors.As(err, &ve) && !wantsJSON(c) {
		iv, ierr := h.itemView(c, id)
		if ierr != nil {
			return err
		}
		iv.Errors, iv.Form, iv.Canned = maps.Clone(ve.Fields), in, canned
		iv.Form.Reason = typed
		if msg, ok := iv.Errors["body"]; ok { // the redaction's text, not the note form's
			iv.Errors["redact_body"] = msg
			delete(iv.Errors, "body")
		}
		return h.html(c, http.StatusUnprocessableEntity, "item", iv)
	}
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		iv, err := h.itemView(c, it.ID)
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			return err
		}
		if iv == nil { // escalated out of the moderator's sight
			return c.JSON(http.StatusOK, map[string]any{"item": map[string]any{"id": it.ID, "status": it.Status, "escalated": it.Escalated, "version": it.Version}})
		}
		return c.JSON(http.StatusOK, map[string]any{"item": iv.Item})
	}
	h.sessions.setFlash(c, "Done: "+in.Action+".")
	return redirect(c, "/moderation/queue")
}

// noteForm is what POST /moderation/items/:id/notes takes.
type noteForm struct {
	Body string `json:"body" form:"body"`
}

// addNote handles POST /moderation/items/:id/notes.
func (h *handler) addNote(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var f noteForm
	if err := c.Bind(&f); err != nil {
		return badRequest("could not read the note")
	}
	n, err := h.store.AddNote(c.Request().Context(), viewer(c), id, f.Body)
	var ve *models.ValidationError
	if errors.As(err, &ve) && !wantsJSON(c) {
		iv, ierr := h.itemView(c, id)
		if ierr != nil {
			return err
		}
		iv.Errors, iv.NoteBody = ve.Fields, f.Body
		return h.html(c, http.StatusUnprocessableEntity, "item", iv)
	}
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusCreated, map[string]any{"note": noteJSON{Author: n.AuthorLabel, Body: n.Body, CreatedAt: n.CreatedAt}})
	}
	return redirect(c, "/moderation/items/"+strconv.FormatInt(id, 10))
}

// reportPost handles POST /posts/:id/reports.
func (h *handler) reportPost(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in models.ReportInput
	if err := c.Bind(&in); err != nil {
		return badRequest("could not read the report")
	}
	it, err := h.store.ReportPost(c.Request().Context(), viewer(c), id, in)
	var ve *models.ValidationError
	if errors.As(err, &ve) && !wantsJSON(c) {
		rv, rerr := h.reportView(c, id)
		if rerr != nil {
			return err
		}
		rv.Form, rv.Errors = in, ve.Fields
		if rv.Form.About == "" {
			rv.Form.About = models.ReportAboutPost
		}
		return h.html(c, http.StatusUnprocessableEntity, "report", rv)
	}
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusCreated, map[string]any{"report": map[string]string{"reason": in.Reason, "about": reportAbout(it), "status": "received"}})
	}
	h.sessions.setFlash(c, "Thank you. A moderator will look at this "+reportAbout(it)+". Nobody is told who reported it.")
	return redirect(c, h.postPlaceURL(c, id))
}

func newModlogJSON(e *models.ModlogEntry, showModerator bool) modlogJSON {
	mod := "moderator"
	if showModerator && e.ModeratorPseudonym != "" {
		mod = e.ModeratorPseudonym
	}
	return modlogJSON{Action: e.Action, Target: e.TargetLabel, Reason: e.Reason, CreatedAt: e.CreatedAt, Moderator: mod}
}

// modlogView is a group's moderation log.
type modlogView struct {
	Group   groupRef     `json:"group"`
	Entries []modlogJSON `json:"entries"`
	Page    pageJSON     `json:"page"`
}

// modlog handles GET /groups/:slug/modlog.
func (h *handler) modlog(c echo.Context) error {
	n, err := pageParam(c)
	if err != nil {
		return err
	}
	mp, err := h.store.ModlogAfter(c.Request().Context(), viewer(c), c.Param("slug"), n, afterParam(c))
	if err != nil {
		return err
	}
	mv := modlogView{Group: groupRef{mp.Access.Group.Slug, mp.Access.Group.Name}, Entries: make([]modlogJSON, 0, len(mp.Entries)),
		Page: pageJSON{Number: n, Size: models.PageSize, HasNext: mp.HasNext, After: mp.After}}
	for i := range mp.Entries {
		mv.Entries = append(mv.Entries, newModlogJSON(&mp.Entries[i], mp.ShowModerators))
	}
	return h.respond(c, http.StatusOK, "modlog", mv)
}
