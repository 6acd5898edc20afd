package app

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// What members do to posts: edit, delete, look at the history, react, accept an
// answer and quote.

// currentJSON is a post's editable text as it is now: what a 409 on a stale edit
// carries, and what the edit form shows beside a draft that was not saved.
type currentJSON struct {
	Body           string     `json:"body"`
	BodyHTML       string     `json:"body_html"`
	ContentWarning string     `json:"content_warning"`
	Version        int        `json:"version"`
	EditedAt       *time.Time `json:"edited_at"`
}

func newCurrentJSON(p *models.Post) *currentJSON {
	return &currentJSON{Body: p.Body, BodyHTML: p.BodyHTML, ContentWarning: p.ContentWarning,
		Version: p.Version, EditedAt: p.EditedAt}
}

// postEditView is the author's edit form. Form holds the text being edited: the post's
// on GET, what the author typed after a failed save. Current is then the post as it is
// now, so that neither text is lost.
type postEditView struct {
	Group    groupRef          `json:"group"`
	Thread   threadRef         `json:"thread"`
	Post     postJSON          `json:"post"`
	Form     models.PostEdit   `json:"form"`
	Current  *currentJSON      `json:"-"`
	Conflict bool              `json:"-"`
	Errors   map[string]string `json:"-"`
}

func newPostEditView(pc *models.PostContext) *postEditView {
	p := pc.Post
	return &postEditView{Group: groupRef{pc.Access.Group.Slug, pc.Access.Group.Name},
		Thread: threadRef{pc.Thread.ID, pc.Thread.Title}, Post: newPostJSON(p),
		Form: models.PostEdit{Body: p.Body, ContentWarning: p.ContentWarning, Version: p.Version}}
}

// editPostForm handles GET /posts/:id/edit.
func (h *handler) editPostForm(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	pc, err := h.store.PostForEdit(c.Request().Context(), viewer(c), id)
	if err != nil {
		return err
	}
	return h.respond(c, http.StatusOK, "post_edit", newPostEditView(pc))
}

// editPost handles PATCH /posts/:id and POST /posts/:id/edit.
func (h *handler) editPost(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in models.PostEdit
	if err := c.Bind(&in); err != nil {
		return badRequest("could not read the edit: " + bindMessage(err))
	}
	ctx := c.Request().Context()
	pc, err := h.store.EditPost(ctx, viewer(c), id, in)
	var conflict *models.EditConflictError
	isConflict, ve := errors.As(err, &conflict), formErrors(err)
	if isConflict && wantsJSON(c) {
		_, body := classify(err)
		return c.JSON(http.StatusConflict, map[string]any{"error": body, "current": newCurrentJSON(conflict.Current)})
	}
	if (isConflict || ve != nil) && !wantsJSON(c) {
		return h.editFormAgain(c, id, in, err, conflict, ve)
	}
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, map[string]any{"post": newPostJSON(pc.Post), "notices": notices(c, pc.Post)})
	}
	h.sessions.setFlash(c, "Your post was updated.")
	flashHeld(h, c, pc.Post)
	return redirect(c, afterPostURL(c, pc.Post, h.postURL(c, pc.Thread.ID, pc.Post.ID)))
}

// editFormAgain shows the edit form again after a failed save, with what the author
// typed and the text as it is now: drafts are never lost. After a conflict the form
// carries the current version, so that saving again replaces the current text
// knowingly (it is on the page).
func (h *handler) editFormAgain(c echo.Context, id int64, in models.PostEdit, err error,
	conflict *models.EditConflictError, ve *models.ValidationError) error {
	cur, lerr := h.store.PostForEdit(c.Request().Context(), viewer(c), id)
	if lerr != nil {
		return err
	}
	ev := newPostEditView(cur)
	ev.Form, ev.Current = in, newCurrentJSON(cur.Post)
	if conflict != nil {
		ev.Conflict, ev.Form.Version = true, cur.Post.Version
		return h.html(c, http.StatusConflict, "post_edit", ev)
	}
	ev.Errors = ve.Fields
	return h.html(c, http.StatusUnprocessableEntity, "post_edit", ev)
}

// deletePost handles DELETE /posts/:id and POST /posts/:id/delete.
func (h *handler) deletePost(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	pc, err := h.store.DeletePost(c.Request().Context(), viewer(c), id)
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, map[string]any{"post": newPostJSON(pc.Post)})
	}
	h.sessions.setFlash(c, "Your post was deleted. Replies to it stay in the thread.")
	return redirect(c, h.postURL(c, pc.Thread.ID, pc.Post.ID))
}

// revisionJSON is one version of a post. For an earlier version, EditedAt is when it
// was replaced; for the current one, when it was last edited (null if never).
type revisionJSON struct {
	Version        int        `json:"version"`
	BodyHTML       string     `json:"body_html"`
	ContentWarning string     `json:"content_warning"`
	EditedAt       *time.Time `json:"edited_at"`
	EditedBy       string     `json:"edited_by,omitempty"`
}

// revisionsView is a post's edit history, for its author and the group's moderators.
type revisionsView struct {
	PostID    int64          `json:"post_id"`
	Group     groupRef       `json:"group"`
	Thread    threadRef      `json:"thread"`
	Author    authorJSON     `json:"author"`
	Status    string         `json:"status"`
	CreatedAt time.Time      `json:"created_at"`
	Current   revisionJSON   `json:"current"`
	Revisions []revisionJSON `json:"revisions"`
	PostURL   string         `json:"-"`
}

// postRevisions handles GET /posts/:id/revisions.
func (h *handler) postRevisions(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	rh, err := h.store.PostRevisions(c.Request().Context(), viewer(c), id)
	if err != nil {
		return err
	}
	p := rh.Post
	rv := revisionsView{PostID: p.ID, Group: groupRef{rh.Access.Group.Slug, rh.Access.Group.Name},
		Thread: threadRef{rh.Thread.ID, rh.Thread.Title}, Author: postAuthor(p), Status: p.Status, CreatedAt: p.CreatedAt,
		Current:   revisionJSON{Version: p.Version, BodyHTML: p.BodyHTML, ContentWarning: p.ContentWarning, EditedAt: p.EditedAt},
		Revisions: make([]revisionJSON, 0, len(rh.Revisions)), PostURL: h.postURL(c, rh.Thread.ID, p.ID)}
	for _, r := range rh.Revisions {
		rv.Revisions = append(rv.Revisions, revisionJSON{Version: r.Version, BodyHTML: r.BodyHTML,
			ContentWarning: r.ContentWarning, EditedAt: &r.EditedAt, EditedBy: r.EditedBy})
	}
	return h.respond(c, http.StatusOK, "revisions", rv)
}

// postLink answers GET /posts/:id, a post's lasting address: it redirects to the post
// on its page of its thread (JSON: where that is). Lists of posts link here rather
// than count each post's place in its thread.
func (h *handler) postLink(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	threadID, page, err := h.store.PostLink(c.Request().Context(), viewer(c), id)
	if err != nil {
		return err
	}
	to := postPageURL(threadID, page, id)
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, postLinkJSON{PostID: id, ThreadID: threadID, Page: page, URL: to})
	}
	return redirect(c, to)
}

// postLinkJSON is where a post is shown.
type postLinkJSON struct {
	PostID   int64  `json:"post_id"`
	ThreadID int64  `json:"thread_id"`
	Page     int    `json:"page"`
	URL      string `json:"url"`
}

// postLinkURL is a post's lasting address (postLink).
func postLinkURL(postID int64) string { return fmt.Sprintf("/posts/%d", postID) }

// reactionInput is the body of POST /posts/:id/reactions.
type reactionInput struct {
	Kind string `json:"kind" form:"kind"`
}

// react handles POST /posts/:id/reactions.
func (h *handler) react(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in reactionInput
	if err := c.Bind(&in); err != nil {
		return badRequest("could not read the reaction: " + bindMessage(err))
	}
	st, err := h.store.ToggleReaction(c.Request().Context(), viewer(c), id, strings.TrimSpace(in.Kind))
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, map[string]any{
			"reactions": reactionsJSON{Support: st.Support, Helpful: st.Helpful, SameHere: st.SameHere},
			"mine":      st.Mine})
	}
	return redirect(c, h.postURL(c, st.ThreadID, st.PostID))
}

// acceptInput is the body of POST /threads/:id/accept; PostID 0 (or null) un-accepts.
type acceptInput struct {
	PostID int64 `json:"post_id" form:"post_id"`
}

// acceptAnswer handles POST /threads/:id/accept.
func (h *handler) acceptAnswer(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in acceptInput
	if err := c.Bind(&in); err != nil {
		return badRequest("could not read the answer: " + bindMessage(err))
	}
	t, err := h.store.AcceptAnswer(c.Request().Context(), viewer(c), id, in.PostID)
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, map[string]any{"thread": newThreadJSON(t)})
	}
	if t.AcceptedPostID == nil {
		h.sessions.setFlash(c, "The answer is no longer marked as accepted.")
		return redirect(c, fmt.Sprintf("/threads/%d", t.ID))
	}
	h.sessions.setFlash(c, "Marked as the accepted answer. Thank you for closing the loop.")
	return redirect(c, fmt.Sprintf("/threads/%d#post-%d", t.ID, *t.AcceptedPostID))
}

// Reacted reports whether the viewer gave the post a reaction of kind.
func (p postJSON) Reacted(kind string) bool { return slices.Contains(p.Mine, kind) }

// quoteJSON is a reply draft that quotes a post (GET /threads/:id?quote=N).
type quoteJSON struct {
	PostID         int64  `json:"post_id"`
	Body           string `json:"body"`
	ContentWarning string `json:"content_warning"`
}

// decoratePosts adds to a thread page what the viewer may do with each post, their
// own reactions, the accepted answer, and the quote that ?quote= asked for.
func decoratePosts(c echo.Context, tv *threadView, tp *models.ThreadPage) {
	v, a, t := viewer(c), tp.Access, &tp.Thread
	now := time.Now()
	tv.CanReact = a.CanPost
	asker := a.CanPost && a.Membership.ID == t.MembershipID && t.Kind == models.KindQuestion
	quoteID, _ := strconv.ParseInt(c.QueryParam("quote"), 10, 64)
	for i := range tv.Posts {
		p, j := &tp.Posts[i], &tv.Posts[i]
		if mine := tp.Mine[p.ID]; mine != nil {
			j.Mine = mine
		}
		j.Accepted = t.AcceptedPostID != nil && *t.AcceptedPostID == p.ID
		own := p.AuthoredBy(v, a.Membership)
		live := p.Visible()
		j.CanDelete = own && live
		mayWrite := a.CanPost
		if p.AsClinician() {
			mayWrite = v.VerifiedClinician(now) && v.User.Active()
		}
		j.CanEdit = own && live && mayWrite && (!t.Locked || a.Moderates)
		j.CanSeeHistory = p.EditedAt != nil && (own || a.Moderates)
		j.CanQuote = p.Status == models.PostPublished && (tv.CanReply || tv.AsClinician != nil)
		j.CanAccept = asker && p.Status == models.PostPublished && p.ID != tp.OpeningPostID
		if j.CanQuote && p.ID == quoteID && tv.Quote == nil {
			tv.Quote = &quoteJSON{PostID: p.ID, ContentWarning: p.ContentWarning,
				Body: quoteMarkdown(postAuthor(p), t.ID, p.ID, tp.Page, p.Body)}
		}
	}
	if tv.Quote != nil && tv.Form.Body == "" {
		tv.Form.Body, tv.Form.ContentWarning = tv.Quote.Body, tv.Quote.ContentWarning
	}
}

// markdownEscaper escapes what would change the meaning of a name in link text.
var markdownEscaper = strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`, `*`, `\*`, `_`, `\_`, "`", "\\`", `<`, `\<`)

// quoteMarkdown is a Markdown blockquote of a post's text, attributed with a link
// back to the post, ready to start a reply.
func quoteMarkdown(author authorJSON, threadID, postID int64, page int, body string) string {
	name := "A former member"
	switch {
	case author.DisplayName != "":
		name = author.DisplayName
	case author.Pseudonym != nil:
		name = *author.Pseudonym
	}
	link := fmt.Sprintf("/threads/%d#post-%d", threadID, postID)
	if page > 1 {
		link = fmt.Sprintf("/threads/%d?page=%d#post-%d", threadID, page, postID)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[%s wrote](%s):\n", markdownEscaper.Replace(name), link)
	for _, line := range strings.Split(strings.ReplaceAll(strings.TrimRight(body, "\r\n"), "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			b.WriteString(">\n")
			continue
		}
		b.WriteString("> " + line + "\n")
	}
	b.WriteString("\n")
	return b.String()
}
