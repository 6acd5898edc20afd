package app

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// The moderators' pages (queue, item), the report form, appeals, and what the thread
// page and the header need of moderation. The JSON handlers are in moderation.go.

// laneCountJSON is how many open items a lane holds, and how many are overdue.
type laneCountJSON struct {
	Lane    string `json:"lane"`
	Open    int    `json:"open"`
	Overdue int    `json:"overdue"`
}

// finish adds what the pages show of an item: its deadline in words, and whether its
// content stays hidden until the moderator reveals it (crisis and safety lanes, and
// posts with a content warning).
func (j *itemJSON) finish(now time.Time, contentWarning string) {
	j.Target.ContentWarning = contentWarning
	j.Sensitive = j.Lane == models.LaneCrisis || j.Lane == models.LaneSafety || contentWarning != ""
	if j.Status == models.ItemOpen {
		j.Due = dueText(now, j.DeadlineAt)
	}
}

// dueText says when an open item is due: "due in 12 min", "overdue by 5 min". The
// same words are computed by haven.js as the page stays open.
func dueText(now, deadline time.Time) string {
	d := deadline.Sub(now)
	if d >= 0 {
		return "due in " + roughDuration(d)
	}
	return "overdue by " + roughDuration(-d)
}

// roughDuration says a duration in the largest unit that matters: "12 min",
// "3 h 20 min", "5 h", "4 days". It is never less than a minute.
func roughDuration(d time.Duration) string {
	mins := int((d + 30*time.Second) / time.Minute)
	if mins < 1 {
		mins = 1
	}
	hours, rest := mins/60, mins%60
	switch {
	case mins < 60:
		return fmt.Sprintf("%d min", mins)
	case hours < 6 && rest > 0:
		return fmt.Sprintf("%d h %d min", hours, rest)
	case hours < 48:
		return fmt.Sprintf("%d h", hours)
	}
	return fmt.Sprintf("%d days", hours/24)
}

// genericReasons follow a group's own rules in the decision form's canned reasons.
var genericReasons = []string{"Medical misinformation", "Personal information", "Harassment", "Spam"}

// ruleLine is one numbered ("1." "2)") or bulleted ("-" "*" "+" "•") line of a
// group's rules.
var ruleLine = regexp.MustCompile(`^\s*(?:(\d{1,3})[.)]|[-*+•])\s+(.+?)\s*$`)

// markdownMarks are the emphasis and code marks removed from a rule's words.
var markdownMarks = strings.NewReplacer("**", "", "__", "", "`", "")

// cannedReasons turns a group's rules (Markdown) into reasons a moderator can pick:
// one per numbered or bulleted line ("Rule 2: No selling"), then the generic ones.
func cannedReasons(rules string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(r string) {
		if r != "" && !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	for _, line := range strings.Split(rules, "\n") {
		m := ruleLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		text := strings.TrimSpace(markdownMarks.Replace(m[2]))
		if utf8.RuneCountInString(text) > 200 {
			text = string([]rune(text)[:200]) + "…"
		}
		if text == "" {
			continue
		}
		if m[1] != "" {
			text = "Rule " + m[1] + ": " + text
		}
		add(text)
	}
	for _, r := range genericReasons {
		add(r)
	}
	return out
}

// withCanned puts the canned reason a form chose before what the moderator typed.
// With JavaScript the choice fills the text box instead, and canned is empty.
func withCanned(canned, typed string) string {
	canned, typed = strings.TrimSpace(canned), strings.TrimSpace(typed)
	switch {
	case canned == "" || strings.Contains(typed, canned):
		return typed
	case typed == "":
		return canned
	}
	return strings.TrimRight(canned, ".") + ". " + typed
}

// appealOfJSON is the decision an appeal questions.
type appealOfJSON struct {
	Resolution string     `json:"resolution"`
	Reason     string     `json:"reason"`
	ResolvedAt *time.Time `json:"resolved_at"`
}

// reportReason is one reason a member can give for a report, with a line saying
// what it is for.
type reportReason struct {
	Value string `json:"value"`
	Label string `json:"label"`
	Hint  string `json:"hint"`
}

// reportReasons are the report form's choices, most urgent first.
var reportReasons = []reportReason{
	{"crisis", "Crisis", "Someone may be in danger or thinking about ending their life."},
	{"safety", "Safety", "Threats, or something that could put someone at risk of harm."},
	{"privacy", "Privacy", "Shares personal details: a name, phone number, address or record number."},
	{"misinformation", "Health misinformation", "A health claim that is false or could lead someone to harm."},
	{"harassment", "Harassment", "Attacks, insults or bullying aimed at a person."},
	{"spam", "Spam", "Advertising, scams or unrelated links."},
	{"other", "Something else", "Anything else a moderator should look at; say what in the note."},
}

// reportView is the form to report a post, or from it its thread or its author.
type reportView struct {
	Group   groupRef       `json:"group"`
	Thread  threadRef      `json:"thread"`
	Post    postJSON       `json:"post"`
	Reasons []reportReason `json:"reasons"`
	// Abouts are what the report may be about: the post, and where the caller may
	// report them, the thread and the post's author.
	Abouts []reportReason     `json:"abouts"`
	Form   models.ReportInput `json:"-"`
	Errors map[string]string  `json:"-"`
}

// reportView loads the report form for a post the viewer may report.
func (h *handler) reportView(c echo.Context, id int64) (*reportView, error) {
	pc, err := h.store.PostForReport(c.Request().Context(), viewer(c), id)
	if err != nil {
		return nil, err
	}
	rv := &reportView{Group: groupRef{pc.Access.Group.Slug, pc.Access.Group.Name},
		Thread: threadRef{pc.Thread.ID, pc.Thread.Title}, Post: newPostJSON(pc.Post), Reasons: reportReasons,
		Abouts: []reportReason{{models.ReportAboutPost, "This post", "What this post says."}}}
	if m := pc.Access.Membership; m == nil || m.ID != pc.Thread.MembershipID {
		rv.Abouts = append(rv.Abouts, reportReason{models.ReportAboutThread, "The whole thread",
			"The thread's title or its topic, or the conversation as a whole."})
	}
	if pc.Post.MembershipID != nil {
		rv.Abouts = append(rv.Abouts, reportReason{models.ReportAboutMember, "The member who wrote it",
			"How they behave in this group, beyond this one post."})
	}
	rv.Form.About = models.ReportAboutPost
	return rv, nil
}

// reportAbout names what a report's queue item is about: "post", "thread" or "member".
func reportAbout(it *models.QueueItem) string {
	switch it.TargetType {
	case models.TargetThread:
		return models.ReportAboutThread
	case models.TargetMembership:
		return models.ReportAboutMember
	}
	return models.ReportAboutPost
}

// reportForm handles GET /posts/:id/report.
func (h *handler) reportForm(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	rv, err := h.reportView(c, id)
	if err != nil {
		return err
	}
	return h.respond(c, http.StatusOK, "report", rv)
}

// appealPost handles POST /posts/:id/appeal.
func (h *handler) appealPost(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in models.AppealInput
	if err := c.Bind(&in); err != nil {
		return badRequest("could not read the appeal: " + bindMessage(err))
	}
	ctx := c.Request().Context()
	if _, err := h.store.Appeal(ctx, viewer(c), id, in); err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusCreated, map[string]any{"appeal": map[string]string{"status": "received"}})
	}
	h.sessions.setFlash(c, "Your appeal was sent. A different moderator will look at the decision again, and you will be told what they decide.")
	return redirect(c, h.postPlaceURL(c, id))
}

// postPlaceURL is the address of a post in its thread, or the home page if the post
// cannot be found.
func (h *handler) postPlaceURL(c echo.Context, postID int64) string {
	threadID, _, err := h.store.PostPlace(c.Request().Context(), postID)
	if err != nil {
		return "/"
	}
	return h.postURL(c, threadID, postID)
}

// decorateModeration adds to a thread page what the viewer may do about moderation:
// report others' posts, and appeal a decision about their own removed posts.
func (h *handler) decorateModeration(c echo.Context, tv *threadView, tp *models.ThreadPage) error {
	v := viewer(c)
	if v == nil {
		return nil
	}
	for i := range tp.Posts {
		p := &tp.Posts[i]
		tv.Posts[i].CanReport = p.Status == models.PostPublished && !p.AuthoredBy(v, tp.Access.Membership)
	}
	states, err := h.store.AppealStates(c.Request().Context(), v, tp)
	if err != nil {
		return err
	}
	for i := range tv.Posts {
		tv.Posts[i].Appeal = states[tv.Posts[i].ID]
	}
	return nil
}
