package app

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// Watched words (per group and site-wide) and slow mode (per thread).

// watchedWordJSON is a watched word as its group's moderators and admins see it.
type watchedWordJSON struct {
	ID          int64  `json:"id"`
	Pattern     string `json:"pattern"`
	Action      string `json:"action"`
	Lane        string `json:"lane"`
	Replacement string `json:"replacement"`
	Message     string `json:"message"`
	Scope       string `json:"scope"`
}

func newWatchedWordJSON(w *models.WatchedWord) watchedWordJSON {
	return watchedWordJSON{ID: w.ID, Pattern: w.Pattern, Action: w.Action, Lane: w.Lane,
		Replacement: w.Replacement, Message: w.Message, Scope: w.Scope()}
}

// watchedWordsView is the watched-words page of a group or of the site: the list
// and the form to add one, with the draft after an error.
type watchedWordsView struct {
	Words []watchedWordJSON `json:"words"`
	// Group is the group whose words these are; nil for the site-wide page.
	Group  *groupRef               `json:"-"`
	Form   models.WatchedWordInput `json:"-"`
	Errors map[string]string       `json:"-"`
	Lanes  []string                `json:"-"`
}

// Scope is "group" or "site": the words this page adds and deletes.
func (wv *watchedWordsView) Scope() string {
	if wv.Group == nil {
		return models.ScopeSite
	}
	return models.ScopeGroup
}

// BaseURL is the address of the page; forms post below it.
func (wv *watchedWordsView) BaseURL() string {
	if wv.Group == nil {
		return "/admin/watched-words"
	}
	return "/groups/" + wv.Group.Slug + "/watched-words"
}

func newWatchedWordsView(l *models.WatchedWordList) *watchedWordsView {
	wv := &watchedWordsView{Words: make([]watchedWordJSON, 0, len(l.Words)), Lanes: models.Lanes,
		Form: models.WatchedWordInput{Action: models.WatchFlag, Lane: models.LaneSpam}}
	if l.Access != nil {
		wv.Group = &groupRef{l.Access.Group.Slug, l.Access.Group.Name}
	}
	for i := range l.Words {
		wv.Words = append(wv.Words, newWatchedWordJSON(&l.Words[i]))
	}
	return wv
}

// groupWatchedWords handles GET /groups/:slug/watched-words.
func (h *handler) groupWatchedWords(c echo.Context) error {
	return h.listWatchedWords(c, c.Param("slug"))
}

// siteWatchedWords handles GET /admin/watched-words (admins).
func (h *handler) siteWatchedWords(c echo.Context) error {
	return h.listWatchedWords(c, "")
}

func (h *handler) listWatchedWords(c echo.Context, slug string) error {
	l, err := h.store.WatchedWords(c.Request().Context(), viewer(c), slug)
	if err != nil {
		return err
	}
	return h.respond(c, http.StatusOK, "watched_words", newWatchedWordsView(l))
}

// createGroupWatchedWord handles POST /groups/:slug/watched-words.
func (h *handler) createGroupWatchedWord(c echo.Context) error {
	return h.createWatchedWord(c, c.Param("slug"))
}

// createSiteWatchedWord handles POST /admin/watched-words (admins).
func (h *handler) createSiteWatchedWord(c echo.Context) error {
	return h.createWatchedWord(c, "")
}

func (h *handler) createWatchedWord(c echo.Context, slug string) error {
	var in models.WatchedWordInput
	if err := c.Bind(&in); err != nil {
		return badRequest("could not read the watched word: " + bindMessage(err))
	}
	ctx := c.Request().Context()
	w, err := h.store.CreateWatchedWord(ctx, viewer(c), slug, in)
	var ve *models.ValidationError
	if errors.As(err, &ve) && !wantsJSON(c) {
		// The form again, with what the moderator typed.
		l, lerr := h.store.WatchedWords(ctx, viewer(c), slug)
		if lerr != nil {
			return err
		}
		wv := newWatchedWordsView(l)
		wv.Form, wv.Errors = in, ve.Fields
		return h.html(c, http.StatusUnprocessableEntity, "watched_words", wv)
	}
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusCreated, map[string]any{"word": newWatchedWordJSON(w)})
	}
	h.sessions.setFlash(c, fmt.Sprintf("Now watching for “%s”.", w.Pattern))
	return redirect(c, watchedWordsURL(slug))
}

// deleteGroupWatchedWord handles DELETE /groups/:slug/watched-words/:id and
// POST /groups/:slug/watched-words/:id/delete.
func (h *handler) deleteGroupWatchedWord(c echo.Context) error {
	return h.deleteWatchedWord(c, c.Param("slug"))
}

// deleteSiteWatchedWord handles DELETE /admin/watched-words/:id and
// POST /admin/watched-words/:id/delete (admins).
func (h *handler) deleteSiteWatchedWord(c echo.Context) error {
	return h.deleteWatchedWord(c, "")
}

func (h *handler) deleteWatchedWord(c echo.Context, slug string) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	w, err := h.store.DeleteWatchedWord(c.Request().Context(), viewer(c), slug, id)
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, map[string]any{"deleted": true, "word": newWatchedWordJSON(w)})
	}
	h.sessions.setFlash(c, fmt.Sprintf("No longer watching for “%s”.", w.Pattern))
	return redirect(c, watchedWordsURL(slug))
}

func watchedWordsURL(slug string) string {
	if slug == "" {
		return "/admin/watched-words"
	}
	return "/groups/" + slug + "/watched-words"
}

// setSlowMode handles POST /threads/:id/slow-mode.
func (h *handler) setSlowMode(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in models.SlowModeInput
	if err := c.Bind(&in); err != nil {
		return badRequest("could not read the slow mode: " + bindMessage(err))
	}
	t, err := h.store.SetSlowMode(c.Request().Context(), viewer(c), id, in)
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, map[string]any{"thread": newThreadJSON(t)})
	}
	if t.SlowModeSeconds > 0 {
		h.sessions.setFlash(c, "Slow mode is on: one post every "+models.SlowModeText(t.SlowModeSeconds)+" per member.")
	} else {
		h.sessions.setFlash(c, "Slow mode is off.")
	}
	return redirect(c, fmt.Sprintf("/threads/%d", t.ID))
}

// SlowModeText says the thread's slow mode in words ("5 minutes"), for its page.
func (j threadJSON) SlowModeText() string { return models.SlowModeText(j.SlowModeSeconds) }

// slowModeChoice is one option of the moderators' slow-mode form.
type slowModeChoice struct {
	Seconds int
	Label   string
}

// SlowModeChoices are the options of the moderators' slow-mode form, with the
// thread's current value among them.
func (j threadJSON) SlowModeChoices() []slowModeChoice {
	out := []slowModeChoice{{0, "Off"}}
	found := j.SlowModeSeconds == 0
	for _, n := range []int{30, 60, 300, 900, 3600, 6 * 3600, 86400} {
		if !found && j.SlowModeSeconds < n {
			out = append(out, slowModeChoice{j.SlowModeSeconds, "One post every " + models.SlowModeText(j.SlowModeSeconds)})
			found = true
		}
		found = found || n == j.SlowModeSeconds
		out = append(out, slowModeChoice{n, "One post every " + models.SlowModeText(n)})
	}
	return out
}

// setRetryAfter tells a client that was rate limited when to try again.
func setRetryAfter(c echo.Context, err error) {
	var rl *models.RateLimitError
	if errors.As(err, &rl) {
		c.Response().Header().Set("Retry-After", strconv.Itoa(rl.RetryAfterSeconds()))
	}
}
