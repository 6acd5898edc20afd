package app

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// Fact-check labels on posts: shown above the post on the thread page, written by
// verified clinicians and moderators on the post's label page, appealable once by the
// post's author.

// labelJSON is a post's fact-check label. By is the clinician's display name or
// "moderators"; nothing names a pseudonym or a person.
type labelJSON struct {
	Note       string    `json:"note"`
	Sources    []string  `json:"sources"`
	By         string    `json:"by"`
	Badge      *string   `json:"badge"` // "clinician" when a clinician wrote it
	Credential string    `json:"credential,omitempty"`
	Specialty  string    `json:"specialty,omitempty"`
	Version    int       `json:"version"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	Appealed   bool      `json:"appealed"`
}

func newLabelJSON(l *models.FactCheckLabel) *labelJSON {
	j := &labelJSON{Note: l.Note, Sources: l.SourceList(), By: l.By(), Version: l.Version,
		CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt, Appealed: l.AppealedAt != nil}
	if c := l.ByClinician; c != nil {
		j.Badge, j.Credential, j.Specialty = strp("clinician"), c.Credential, c.Specialty
	}
	return j
}

// labelRevisionJSON is one version of a label.
type labelRevisionJSON struct {
	Version   int       `json:"version"`
	Action    string    `json:"action"`
	Note      string    `json:"note"`
	Sources   []string  `json:"sources"`
	By        string    `json:"by"`
	Reason    string    `json:"reason,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// labelView is a post's label page: the label, its history, and the forms.
type labelView struct {
	Group     groupRef            `json:"group"`
	Thread    threadRef           `json:"thread"`
	Post      postJSON            `json:"post"`
	PostURL   string              `json:"post_url"`
	Label     *labelJSON          `json:"label"`
	History   []labelRevisionJSON `json:"history"`
	CanLabel  bool                `json:"can_label"`
	CanAppeal bool                `json:"can_appeal"`
	// Voices offers "clinician" and "moderators" to someone who is both.
	Voices []string          `json:"-"`
	Form   labelForm         `json:"-"`
	Errors map[string]string `json:"-"`
}

// labelForm is the label form's fields as typed: sources one a line.
type labelForm struct {
	Note    string
	Sources string
	Version int
	As      string
}

func (h *handler) labelView(c echo.Context, postID int64) (*labelView, error) {
	v := viewer(c)
	lc, err := h.store.PostLabel(c.Request().Context(), v, postID)
	if err != nil {
		return nil, err
	}
	p := lc.Post
	lv := &labelView{Group: groupRef{lc.Access.Group.Slug, lc.Access.Group.Name},
		Thread: threadRef{lc.Thread.ID, lc.Thread.Title}, Post: newPostJSON(p),
		PostURL: h.postURL(c, lc.Thread.ID, p.ID), History: make([]labelRevisionJSON, 0, len(lc.Revisions)),
		CanLabel: lc.CanLabel, CanAppeal: lc.CanAppeal}
	if lc.Label.Active() {
		lv.Label = newLabelJSON(lc.Label)
		lv.Form = labelForm{Note: lc.Label.Note, Version: lc.Label.Version}
		for i, s := range lc.Label.SourceList() {
			if i > 0 {
				lv.Form.Sources += "\n"
			}
			lv.Form.Sources += s
		}
	}
	for i := range lc.Revisions {
		r := &lc.Revisions[i]
		lv.History = append(lv.History, labelRevisionJSON{Version: r.Version, Action: r.Action, Note: r.Note,
			Sources: r.SourceList(), By: r.By(), Reason: r.Reason, CreatedAt: r.CreatedAt})
	}
	if lc.CanLabel && lc.Access.Moderates && v.VerifiedClinician(time.Now()) {
		lv.Voices = []string{models.LabelByClinician, models.LabelByModerators}
	}
	return lv, nil
}

// showLabel handles GET /posts/:id/label.
func (h *handler) showLabel(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	lv, err := h.labelView(c, id)
	if err != nil {
		return err
	}
	return h.respond(c, http.StatusOK, "label", lv)
}

// labelPost handles POST /posts/:id/label: add a label, or edit it (with its version).
func (h *handler) labelPost(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in models.LabelInput
	if err := c.Bind(&in); err != nil {
		return badRequest("could not read the label: " + bindMessage(err))
	}
	l, err := h.store.LabelPost(c.Request().Context(), viewer(c), id, in)
	if ve := formErrors(err); ve != nil && !wantsJSON(c) {
		lv, lerr := h.labelView(c, id)
		if lerr != nil {
			return err
		}
		lv.Form = labelForm{Note: in.Note, Version: in.Version, As: in.As}
		for i, s := range in.Sources {
			if i > 0 {
				lv.Form.Sources += "\n"
			}
			lv.Form.Sources += s
		}
		lv.Errors = ve.Fields
		return h.html(c, http.StatusUnprocessableEntity, "label", lv)
	}
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		status := http.StatusOK
		if l.Version == 1 {
			status = http.StatusCreated
		}
		return c.JSON(status, map[string]any{"label": newLabelJSON(l)})
	}
	h.sessions.setFlash(c, "The fact-check label is on the post.")
	return redirect(c, h.postPlaceURL(c, id))
}

// removeLabelForm is the body of a label's removal.
type removeLabelForm struct {
	Reason string `json:"reason" form:"reason"`
}

// removeLabel handles DELETE /posts/:id/label and POST /posts/:id/label/delete.
func (h *handler) removeLabel(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var f removeLabelForm
	if err := c.Bind(&f); err != nil {
		return badRequest("could not read the request: " + bindMessage(err))
	}
	l, err := h.store.RemoveLabel(c.Request().Context(), viewer(c), id, f.Reason)
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, map[string]any{"removed": true, "version": l.Version})
	}
	h.sessions.setFlash(c, "The label was removed. Its history stays on the label page.")
	return redirect(c, h.postPlaceURL(c, id))
}

// appealLabel handles POST /posts/:id/label/appeal.
func (h *handler) appealLabel(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in models.AppealInput
	if err := c.Bind(&in); err != nil {
		return badRequest("could not read the appeal: " + bindMessage(err))
	}
	if _, err := h.store.AppealLabel(c.Request().Context(), viewer(c), id, in); err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusCreated, map[string]any{"appeal": map[string]string{"status": "received"}})
	}
	h.sessions.setFlash(c, "Your appeal was sent. The group's moderators will look at the label again.")
	return redirect(c, fmt.Sprintf("/posts/%d/label", id))
}

// decorateLabels puts each post's fact-check label on a thread page, with one query,
// and says whether the viewer may label posts there.
func (h *handler) decorateLabels(c echo.Context, tv *threadView, tp *models.ThreadPage) error {
	v := viewer(c)
	tv.CanLabel = v != nil && v.User.Active() && (tp.Access.Moderates || v.VerifiedClinician(time.Now()))
	if tv.snap != nil {
		return nil // the snapshot's posts carry their labels
	}
	ids := make([]int64, 0, len(tp.Posts))
	for i := range tp.Posts {
		if tp.Posts[i].Visible() {
			ids = append(ids, tp.Posts[i].ID)
		}
	}
	labels, err := h.store.PostLabels(c.Request().Context(), ids)
	if err != nil {
		return err
	}
	for i := range tv.Posts {
		if l := labels[tv.Posts[i].ID]; l != nil {
			tv.Posts[i].Label = newLabelJSON(l)
		}
	}
	return nil
}

// LabelInfo is the post's label for the template (nil when none).
func (p postJSON) LabelInfo() *labelJSON {
	l, _ := p.Label.(*labelJSON)
	return l
}
