package app

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// Clinicians: applying for verification, the admins' verification list, the question
// queue, and the misinformation reports routed to clinicians for review.

// myClinicianJSON is the viewer's own application or credential. The licence number
// is never sent back, not even to its owner.
type myClinicianJSON struct {
	Status       string     `json:"status"`
	DisplayName  string     `json:"display_name"`
	Credential   string     `json:"credential"`
	Specialty    string     `json:"specialty"`
	Jurisdiction string     `json:"jurisdiction"`
	ExpiresAt    *time.Time `json:"expires_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

func newMyClinicianJSON(c *models.Clinician) *myClinicianJSON {
	if c == nil {
		return nil
	}
	return &myClinicianJSON{Status: c.DisplayStatus(time.Now()), DisplayName: c.DisplayName, Credential: c.Credential,
		Specialty: c.Specialty, Jurisdiction: c.Jurisdiction, ExpiresAt: c.ExpiresAt, UpdatedAt: c.UpdatedAt}
}

// clinicianApplyView is the application form with the viewer's current status.
type clinicianApplyView struct {
	Clinician   *myClinicianJSON      `json:"clinician"`
	CanApply    bool                  `json:"can_apply"`
	Form        models.ClinicianInput `json:"-"`
	Errors      map[string]string     `json:"-"`
	Credentials []string              `json:"-"`
}

func (h *handler) clinicianApplyView(c echo.Context) (*clinicianApplyView, error) {
	cl, err := h.store.MyClinician(c.Request().Context(), viewer(c))
	if err != nil {
		return nil, err
	}
	av := &clinicianApplyView{Clinician: newMyClinicianJSON(cl), Credentials: models.SuggestedCredentials}
	av.CanApply = cl == nil || (cl.Status != models.ClinicianPending && !cl.Verified(time.Now()))
	if cl != nil {
		// Re-verifying starts from what was on file, except the licence number.
		av.Form = models.ClinicianInput{DisplayName: cl.DisplayName, Credential: cl.Credential,
			Specialty: cl.Specialty, Jurisdiction: cl.Jurisdiction}
	}
	return av, nil
}

// clinicianApplyForm handles GET /clinicians/apply.
func (h *handler) clinicianApplyForm(c echo.Context) error {
	av, err := h.clinicianApplyView(c)
	if err != nil {
		return err
	}
	return h.respond(c, http.StatusOK, "clinician_apply", av)
}

// clinicianApply handles POST /clinicians/apply.
func (h *handler) clinicianApply(c echo.Context) error {
	var in models.ClinicianInput
	if err := c.Bind(&in); err != nil {
		return badRequest("could not read the application: " + bindMessage(err))
	}
	cl, err := h.store.ApplyClinician(c.Request().Context(), viewer(c), in)
	if ve := formErrors(err); ve != nil && !wantsJSON(c) {
		av, aerr := h.clinicianApplyView(c)
		if aerr != nil {
			return err
		}
		in.LicenseNumber = "" // typed again, never echoed
		av.Form, av.Errors = in, ve.Fields
		return h.html(c, http.StatusUnprocessableEntity, "clinician_apply", av)
	}
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusCreated, map[string]any{"clinician": newMyClinicianJSON(cl)})
	}
	h.sessions.setFlash(c, "Thank you. An admin will check your credential; this page shows the decision.")
	return redirect(c, "/clinicians/apply")
}

// decisionJSON is one entry of an application's history (admins only).
type decisionJSON struct {
	Decision  string     `json:"decision"`
	Notes     string     `json:"notes"`
	ExpiresAt *time.Time `json:"expires_at"`
	CreatedAt time.Time  `json:"created_at"`
}

// applicationJSON is an application on the admins' verification list. Its id is the
// application's, never the user's.
type applicationJSON struct {
	ID            int64          `json:"id"`
	Status        string         `json:"status"`
	DisplayName   string         `json:"display_name"`
	Credential    string         `json:"credential"`
	Specialty     string         `json:"specialty"`
	Jurisdiction  string         `json:"jurisdiction"`
	LicenseNumber string         `json:"license_number"`
	ExpiresAt     *time.Time     `json:"expires_at"`
	CreatedAt     time.Time      `json:"created_at"`
	UpdatedAt     time.Time      `json:"updated_at"`
	History       []decisionJSON `json:"history"`
}

func newApplicationJSON(a *models.ClinicianApplication) applicationJSON {
	cl := &a.Clinician
	j := applicationJSON{ID: cl.ID, Status: a.Status, DisplayName: cl.DisplayName, Credential: cl.Credential,
		Specialty: cl.Specialty, Jurisdiction: cl.Jurisdiction, LicenseNumber: cl.LicenseNumber, ExpiresAt: cl.ExpiresAt,
		CreatedAt: cl.CreatedAt, UpdatedAt: cl.UpdatedAt, History: make([]decisionJSON, 0, len(a.History))}
	for _, d := range a.History {
		j.History = append(j.History, decisionJSON{Decision: d.Decision, Notes: d.Notes, ExpiresAt: d.ExpiresAt, CreatedAt: d.CreatedAt})
	}
	return j
}

// adminCliniciansView is the verification list.
type adminCliniciansView struct {
	Applications []applicationJSON `json:"applications"`
	Status       string            `json:"status"`
	Statuses     []string          `json:"-"`
	Page         pageJSON          `json:"page"`
	// ErrorsFor is the application whose decision form came back with Errors.
	ErrorsFor int64                `json:"-"`
	Errors    map[string]string    `json:"-"`
	Form      models.DecisionInput `json:"-"`
	// DefaultExpiry fills the verify form's date: a year from today.
	DefaultExpiry string `json:"-"`
}

func (h *handler) adminCliniciansView(c echo.Context, status string, page int) (*adminCliniciansView, error) {
	apps, more, err := h.store.ClinicianList(c.Request().Context(), viewer(c), status, page)
	if err != nil {
		return nil, err
	}
	av := &adminCliniciansView{Applications: make([]applicationJSON, 0, len(apps)), Status: status,
		Statuses: models.ClinicianStatuses, Page: pageJSON{Number: page, Size: models.PageSize, HasNext: more},
		DefaultExpiry: time.Now().AddDate(1, 0, 0).Format("2006-01-02")}
	for i := range apps {
		av.Applications = append(av.Applications, newApplicationJSON(&apps[i]))
	}
	return av, nil
}

// adminClinicians handles GET /admin/clinicians (?status=pending|verified|rejected|expired).
func (h *handler) adminClinicians(c echo.Context) error {
	n, err := pageParam(c)
	if err != nil {
		return err
	}
	av, err := h.adminCliniciansView(c, c.QueryParam("status"), n)
	if err != nil {
		return err
	}
	return h.respond(c, http.StatusOK, "admin_clinicians", av)
}

// decideClinician handles POST /admin/clinicians/:id/decision.
func (h *handler) decideClinician(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in models.DecisionInput
	if err := c.Bind(&in); err != nil {
		return badRequest("could not read the decision: " + bindMessage(err))
	}
	back := c.FormValue("status")
	app, err := h.store.DecideClinician(c.Request().Context(), viewer(c), id, in)
	if ve := formErrors(err); ve != nil && !wantsJSON(c) {
		av, aerr := h.adminCliniciansView(c, back, 1)
		if aerr != nil {
			return err
		}
		av.ErrorsFor, av.Errors, av.Form = id, ve.Fields, in
		return h.html(c, http.StatusUnprocessableEntity, "admin_clinicians", av)
	}
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, map[string]any{"application": newApplicationJSON(app)})
	}
	h.sessions.setFlash(c, fmt.Sprintf("%s: %s.", app.Clinician.DisplayName, app.Status))
	to := "/admin/clinicians"
	if back != "" {
		to += "?status=" + url.QueryEscape(back)
	}
	return redirect(c, to)
}

// questionJSON is one open question in the clinicians' queue.
type questionJSON struct {
	Thread  threadJSON `json:"thread"`
	Group   groupRef   `json:"group"`
	Excerpt string     `json:"excerpt"`
	URL     string     `json:"url"`
}

// questionsView is the question queue.
type questionsView struct {
	Questions   []questionJSON        `json:"questions"`
	Filter      models.QuestionFilter `json:"filter"`
	Groups      []groupRef            `json:"groups"`
	Specialties []string              `json:"specialties"`
	Page        pageJSON              `json:"page"`
	// MySpecialty offers the clinician's own specialty as the first filter.
	MySpecialty string `json:"-"`
}

// clinicianQuestions handles GET /clinicians/questions (?group=&specialty=&page=).
func (h *handler) clinicianQuestions(c echo.Context) error {
	n, err := pageParam(c)
	if err != nil {
		return err
	}
	v := viewer(c)
	f := models.QuestionFilter{Group: c.QueryParam("group"), Specialty: c.QueryParam("specialty"), Page: n}
	qp, err := h.store.ClinicianQuestions(c.Request().Context(), v, f)
	if err != nil {
		return err
	}
	qv := questionsView{Questions: make([]questionJSON, 0, len(qp.Entries)), Filter: f,
		Groups: make([]groupRef, 0, len(qp.Groups)), Specialties: qp.Specialties,
		Page: pageJSON{Number: n, Size: models.PageSize, HasNext: qp.HasNext}}
	if qv.Specialties == nil {
		qv.Specialties = []string{}
	}
	if v.Clinician != nil {
		qv.MySpecialty = v.Clinician.Specialty
	}
	for _, g := range qp.Groups {
		qv.Groups = append(qv.Groups, groupRef{g.Slug, g.Name})
	}
	for i := range qp.Entries {
		e := &qp.Entries[i]
		qv.Questions = append(qv.Questions, questionJSON{Thread: newThreadJSON(&e.Thread),
			Group: groupRef{e.Thread.Group.Slug, e.Thread.Group.Name}, Excerpt: excerptText(e.Opening.Body, 240),
			URL: fmt.Sprintf("/threads/%d#reply", e.Thread.ID)})
	}
	return h.respond(c, http.StatusOK, "clinician_questions", qv)
}

// reviewItemJSON is a misinformation report awaiting clinical review.
type reviewItemJSON struct {
	ID          int64      `json:"id"`
	Lane        string     `json:"lane"`
	Group       groupRef   `json:"group"`
	Post        reviewPost `json:"post"`
	ReportCount int        `json:"report_count"`
	CreatedAt   time.Time  `json:"created_at"`
	DeadlineAt  time.Time  `json:"deadline_at"`
	Label       *labelJSON `json:"label"`
}

// reviewPost is the reported post of a review item.
type reviewPost struct {
	ID       int64      `json:"id"`
	ThreadID int64      `json:"thread_id"`
	Author   authorJSON `json:"author"`
	Excerpt  string     `json:"excerpt"`
	URL      string     `json:"url"`
	LabelURL string     `json:"label_url"`
}

// clinicalReviewView is the queue's "needs clinical review" filter.
type clinicalReviewView struct {
	Items  []reviewItemJSON  `json:"items"`
	Filter map[string]string `json:"filter"`
}

// clinicalReview handles GET /moderation/queue?review=clinical: the misinformation
// reports in the groups a verified clinician can read, to answer with a fact-check label.
func (h *handler) clinicalReview(c echo.Context) error {
	group := c.QueryParam("group")
	entries, err := h.store.ClinicalReview(c.Request().Context(), viewer(c), group)
	if err != nil {
		return err
	}
	rv := clinicalReviewView{Items: make([]reviewItemJSON, 0, len(entries)),
		Filter: map[string]string{"review": "clinical", "group": group}}
	for i := range entries {
		e := &entries[i]
		j := reviewItemJSON{ID: e.Item.ID, Lane: e.Item.Lane, Group: groupRef{e.Group.Slug, e.Group.Name},
			Post: reviewPost{ID: e.Post.ID, ThreadID: e.Post.ThreadID, Author: postAuthor(&e.Post),
				Excerpt: excerptText(e.Post.Body, 240), URL: fmt.Sprintf("/threads/%d#post-%d", e.Post.ThreadID, e.Post.ID),
				LabelURL: fmt.Sprintf("/posts/%d/label", e.Post.ID)},
			ReportCount: e.Item.ReportCount, CreatedAt: e.Item.CreatedAt, DeadlineAt: e.Item.DeadlineAt}
		if e.Label != nil {
			j.Label = newLabelJSON(e.Label)
		}
		rv.Items = append(rv.Items, j)
	}
	return h.respond(c, http.StatusOK, "clinician_review", rv)
}

// clinicianBadge fills the header's clinician links: the question queue for verified
// clinicians (its count comes with the header's others, see headerBadges), and a
// request to re-verify for lapsed ones.
func (h *handler) clinicianBadge(p *page) {
	v := p.Viewer
	if v == nil || v.Clinician == nil {
		return
	}
	now := time.Now()
	if v.Clinician.Lapsed(now) {
		p.ClinicianReverify = true
		return
	}
	if !v.VerifiedClinician(now) {
		return
	}
	p.IsClinician = true
}

// clinicianAuthor is a clinician as the author of a post or thread in the clinician
// voice: the credential, never a pseudonym.
func clinicianAuthor(c *models.Clinician) authorJSON {
	return authorJSON{DisplayName: c.DisplayName, Badge: strp("clinician"), Credential: c.Credential, Specialty: c.Specialty}
}

// threadAuthor is who opened a thread: the membership's pseudonym, or for a thread
// opened as clinician the clinician (a neutral "verified clinician" when the
// credential was not loaded with the thread; never the membership).
func threadAuthor(t *models.Thread) authorJSON {
	if t.ClinicianID == nil {
		return membershipAuthor(t.Membership)
	}
	if t.Clinician == nil {
		return authorJSON{DisplayName: "A verified clinician", Badge: strp("clinician")}
	}
	return clinicianAuthor(t.Clinician)
}
