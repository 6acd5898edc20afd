package app

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// groupRef names a group without its counters.
type groupRef struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// newThreadView is the form to open a thread, with the draft after an error.
type newThreadView struct {
	Group     groupRef           `json:"group"`
	PostingAs string             `json:"posting_as"`
	Form      models.ThreadInput `json:"-"`
	Errors    map[string]string  `json:"-"`
	// CanLive offers the "live" kind: the group's moderators and admins only.
	CanLive bool `json:"can_live"`
}

// newThread handles GET /groups/:slug/threads/new.
func (h *handler) newThread(c echo.Context) error {
	a, err := h.store.GroupAccess(c.Request().Context(), viewer(c), c.Param("slug"))
	if err != nil {
		return err
	}
	if !a.CanRead {
		return models.ErrNotFound
	}
	if !a.CanPost {
		return models.Errorf(models.EFORBIDDEN, "Join this group to start a thread in it.")
	}
	return h.respond(c, http.StatusOK, "thread_new", newThreadView{Group: groupRef{a.Group.Slug, a.Group.Name},
		PostingAs: a.Membership.Pseudonym, Form: models.ThreadInput{Kind: models.KindDiscussion}, CanLive: a.Moderates})
}

// createThread handles POST /groups/:slug/threads.
func (h *handler) createThread(c echo.Context) error {
	var in models.ThreadInput
	if err := c.Bind(&in); err != nil {
		return badRequest("could not read the thread: " + bindMessage(err))
	}
	ctx := c.Request().Context()
	t, p, err := h.store.CreateThread(ctx, viewer(c), c.Param("slug"), in)
	ve := formErrors(err)
	if ve != nil && !wantsJSON(c) {
		// Re-render the form with what the person typed: drafts are never lost.
		a, aerr := h.store.GroupAccess(ctx, viewer(c), c.Param("slug"))
		if aerr != nil || a.Membership == nil {
			return err
		}
		return h.html(c, http.StatusUnprocessableEntity, "thread_new", newThreadView{
			Group: groupRef{a.Group.Slug, a.Group.Name}, PostingAs: a.Membership.Pseudonym, Form: in, Errors: ve.Fields,
			CanLive: a.Moderates})
	}
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusCreated, map[string]any{"thread": newThreadJSON(t), "post": newPostJSON(p),
			"notices": notices(c, p)})
	}
	flashHeld(h, c, p)
	return redirect(c, afterPostURL(c, p, fmt.Sprintf("/threads/%d", t.ID)))
}

// threadView is a thread's page: the thread, a page of posts and the reply form.
type threadView struct {
	Group       groupRef          `json:"group"`
	Thread      threadJSON        `json:"thread"`
	Posts       []postJSON        `json:"posts"`
	Page        pageJSON          `json:"page"`
	PostingAs   *string           `json:"posting_as"`
	CanReply    bool              `json:"can_reply"`
	CanJoin     bool              `json:"can_join"`
	AsClinician *authorJSON       `json:"as_clinician"`
	Form        models.PostInput  `json:"-"`
	Errors      map[string]string `json:"-"`
	SignedIn    bool              `json:"-"`
	// CanReact is true for active members; Quote is the reply draft ?quote= asked for.
	CanReact bool       `json:"can_react"`
	Quote    *quoteJSON `json:"quote,omitempty"`
	// Following is whether an active member follows the thread; null for others.
	Following *bool `json:"following"`
	// CanModerate shows the group's moderators and admins the slow-mode form.
	CanModerate bool `json:"-"`
	// CanLabel offers verified clinicians and moderators a fact-check label on each
	// post (see labels.go).
	CanLabel bool `json:"can_label"`
	// PostsHTML is the list of posts rendered once for every visitor (see
	// pagecache.go); groupID names the thread's group for the cache.
	PostsHTML template.HTML `json:"-"`
	groupID   int64
	// snap is the shared part a signed-in viewer's page was made from, if it was
	// (see postfrags.go).
	snap *threadSnap
}

// threadPage loads v's page of a thread: for a signed-in viewer from the shared
// snapshot when it holds everything they may see, with the snapshot.
func (h *handler) threadPage(c echo.Context, v *models.Viewer, id int64, page int) (*models.ThreadPage, *threadSnap, error) {
	ctx := c.Request().Context()
	if v != nil {
		s, err := h.threadSnap(c, id, page)
		if err != nil {
			return nil, nil, err
		}
		tp, ok, err := h.store.ThreadPageFrom(ctx, v, s.sh)
		if err != nil || ok {
			return tp, s, err
		}
	}
	tp, err := h.store.ThreadPage(ctx, v, id, page)
	return tp, nil, err
}

func (h *handler) threadView(c echo.Context, id int64, page int) (*threadView, error) {
	v := viewer(c)
	tp, snap, err := h.threadPage(c, v, id, page)
	if err != nil {
		return nil, err
	}
	tv := &threadView{Group: groupRef{tp.Access.Group.Slug, tp.Access.Group.Name}, Thread: newThreadJSON(&tp.Thread),
		Posts: make([]postJSON, 0, len(tp.Posts)), Page: pageJSON{Number: tp.Page, Size: models.PageSize, HasNext: tp.HasNext},
		CanReply: tp.CanReply(), CanJoin: tp.Access.CanJoin, SignedIn: v != nil, CanModerate: tp.Access.Moderates,
		groupID: tp.Access.Group.ID, snap: snap}
	if snap != nil {
		tv.Posts = append(tv.Posts, snap.posts...)
	} else {
		for i := range tp.Posts {
			tv.Posts = append(tv.Posts, newPostJSON(&tp.Posts[i]))
		}
	}
	if tv.CanReply {
		tv.PostingAs = strp(tp.Access.Membership.Pseudonym)
	}
	if v.VerifiedClinician(time.Now()) && !tp.Thread.Locked && (tp.Thread.Kind != models.KindLive || tp.Access.Moderates) {
		tv.AsClinician = &authorJSON{DisplayName: v.Clinician.DisplayName, Badge: strp("clinician"),
			Credential: v.Clinician.Credential, Specialty: v.Clinician.Specialty}
	}
	decoratePosts(c, tv, tp)
	linkAuthors(tv, tp)
	if err := h.decorateModeration(c, tv, tp); err != nil {
		return nil, err
	}
	if err := h.decorateLabels(c, tv, tp); err != nil {
		return nil, err
	}
	if tp.CanFollow {
		tv.Following = &tp.Following
	}
	return tv, nil
}

// showThread handles GET /threads/:id; ?unread=1 jumps to the first unread post.
func (h *handler) showThread(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if c.QueryParam("unread") != "" {
		return h.jumpToUnread(c, id)
	}
	n, err := pageParam(c)
	if err != nil {
		return err
	}
	if visitor(c) { // the same for every visitor: cached (pagecache.go)
		e, err := h.visitorThread(c, id, n)
		if err != nil {
			return err
		}
		return h.respondCached(c, "thread", e)
	}
	tv, err := h.threadView(c, id, n)
	if err != nil {
		return err
	}
	if tv.snap != nil && len(tv.Posts) > 0 && !wantsJSON(c) {
		return h.threadHTML(c, tv)
	}
	return h.respond(c, http.StatusOK, "thread", tv)
}

// createPost handles POST /threads/:id/posts.
func (h *handler) createPost(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in models.PostInput
	if err := c.Bind(&in); err != nil {
		return badRequest("could not read the reply: " + bindMessage(err))
	}
	p, err := h.store.CreatePost(c.Request().Context(), viewer(c), id, in)
	ve := formErrors(err)
	if ve != nil && !wantsJSON(c) {
		tv, terr := h.threadView(c, id, 1)
		if terr != nil {
			return err
		}
		tv.Form, tv.Errors = in, ve.Fields
		status, _ := classify(err) // 422, or 429 in slow mode
		setRetryAfter(c, err)
		return h.html(c, status, "thread", tv)
	}
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusCreated, map[string]any{"post": newPostJSON(p), "notices": notices(c, p)})
	}
	flashHeld(h, c, p)
	return redirect(c, afterPostURL(c, p, h.postURL(c, id, p.ID)))
}

// postURL is the address of a post on its page of the thread, as the caller's thread
// page lists posts (see models.PostLink: an author's held post, and every held post
// for a moderator, takes its place).
func (h *handler) postURL(c echo.Context, threadID, postID int64) string {
	tid, n, err := h.store.PostLink(c.Request().Context(), viewer(c), postID)
	if err != nil || tid != threadID {
		return fmt.Sprintf("/threads/%d#post-%d", threadID, postID)
	}
	return postPageURL(threadID, n, postID)
}

// formErrors turns an error a form can show beside its fields into a
// ValidationError: a personal-data question becomes the confirm_personal_data field,
// and slow mode's "not yet" the body field's message.
func formErrors(err error) *models.ValidationError {
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return ve
	}
	var pd *models.PersonalDataError
	if errors.As(err, &pd) {
		return &models.ValidationError{Fields: map[string]string{"confirm_personal_data": personalDataMessage(pd)}}
	}
	var rl *models.RateLimitError
	if errors.As(err, &rl) {
		return &models.ValidationError{Fields: map[string]string{"body": rl.Message}}
	}
	return nil
}

// flashHeld tells the author when their post waits for a moderator.
func flashHeld(h *handler, c echo.Context, p *models.Post) {
	for _, n := range p.Notices {
		if n.Kind == models.NoticeHeld {
			h.sessions.setFlash(c, n.Reason)
		}
	}
}
