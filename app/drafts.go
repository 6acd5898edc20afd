package app

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// csrfExpiredMessage is the message beside a draft that came back because its form's
// CSRF token had expired (the session was renewed, or the page sat open for days).
const csrfExpiredMessage = "This form had expired, so it was not sent. What you wrote is here: check it and send it again."

// csrfFailed answers a request whose CSRF token is missing or wrong. A browser's form
// that carries a draft (a new thread, a reply, an edit), sent from one of Haven's own
// pages, comes back with what was typed and a fresh token, so that nothing is lost
// and nothing is written. Everything else is a plain 403.
func (h *handler) csrfFailed(c echo.Context) error {
	expired := models.Errorf(models.EFORBIDDEN,
		"This form has expired or did not come from Haven. Reload the page and send it again; what you typed is still in the form.")
	r := c.Request()
	if wantsJSON(c) || r.Method != http.MethodPost || viewer(c) == nil || !h.sameOrigin(r) {
		return expired
	}
	switch c.Path() {
	case "/groups/:slug/threads", "/threads/:id/posts", "/posts/:id/edit":
	default:
		return expired
	}
	// The draft page carries a token that will work: the cookie's, or a new one.
	token := ""
	if ck, err := c.Cookie(csrfCookie); err == nil && ck.Value != "" {
		token = ck.Value
	} else {
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return expired
		}
		token = hex.EncodeToString(b)
		c.SetCookie(h.sessions.cookie(csrfCookie, token, csrfMaxAge))
	}
	c.Set("csrf", token)
	errs := map[string]string{"body": csrfExpiredMessage}
	ctx := r.Context()
	switch c.Path() {
	case "/groups/:slug/threads":
		var in models.ThreadInput
		if err := c.Bind(&in); err != nil {
			return expired
		}
		a, err := h.store.GroupAccess(ctx, viewer(c), c.Param("slug"))
		if err != nil || a.Membership == nil {
			return expired
		}
		return h.html(c, http.StatusForbidden, "thread_new", newThreadView{Group: groupRef{a.Group.Slug, a.Group.Name},
			PostingAs: a.Membership.Pseudonym, Form: in, Errors: errs, CanLive: a.Moderates})
	case "/threads/:id/posts":
		id, err := idParam(c, "id")
		if err != nil {
			return expired
		}
		var in models.PostInput
		if err := c.Bind(&in); err != nil {
			return expired
		}
		tv, err := h.threadView(c, id, 1)
		if err != nil {
			return expired
		}
		tv.Form, tv.Errors = in, errs
		return h.html(c, http.StatusForbidden, "thread", tv)
	default: // "/posts/:id/edit"
		id, err := idParam(c, "id")
		if err != nil {
			return expired
		}
		var in models.PostEdit
		if err := c.Bind(&in); err != nil {
			return expired
		}
		cur, err := h.store.PostForEdit(ctx, viewer(c), id)
		if err != nil {
			return expired
		}
		ev := newPostEditView(cur)
		ev.Form, ev.Current, ev.Errors = in, newCurrentJSON(cur.Post), errs
		return h.html(c, http.StatusForbidden, "post_edit", ev)
	}
}

// sameOrigin reports whether a request says it comes from a page of this site
// (Origin, or else Referer): a draft is shown again only to the page that wrote it.
func (h *handler) sameOrigin(r *http.Request) bool {
	from := r.Header.Get("Origin")
	if from == "" || from == "null" {
		from = r.Header.Get("Referer")
	}
	if from == "" {
		return false
	}
	u, err := url.Parse(from)
	if err != nil {
		return false
	}
	return u.Host == r.Host
}
