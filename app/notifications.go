package app

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// Following threads, notifications and unread tracking. A follow, a notification
// and a read position each belong to one membership (one pseudonym in one group);
// the viewer sees those of all their memberships side by side, and nobody else does.

// followForm is what the follow and unfollow buttons send: the page to go back to.
type followForm struct {
	Page int `json:"page" form:"page"`
}

// followThread handles POST /threads/:id/follow.
func (h *handler) followThread(c echo.Context) error {
	return h.setFollowing(c, true)
}

// unfollowThread handles POST /threads/:id/unfollow.
func (h *handler) unfollowThread(c echo.Context) error {
	return h.setFollowing(c, false)
}

func (h *handler) setFollowing(c echo.Context, following bool) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var f followForm
	if err := c.Bind(&f); err != nil {
		return badRequest("could not read the request: " + bindMessage(err))
	}
	ctx := c.Request().Context()
	if following {
		err = h.store.Follow(ctx, viewer(c), id)
	} else {
		err = h.store.Unfollow(ctx, viewer(c), id)
	}
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, map[string]bool{"following": following})
	}
	if following {
		h.sessions.setFlash(c, "You are following this thread. New replies will show under Notifications.")
	} else {
		h.sessions.setFlash(c, "You stopped following this thread. Replying will not follow it again; use Follow if you change your mind.")
	}
	to := fmt.Sprintf("/threads/%d", id)
	if f.Page > 1 && f.Page <= models.MaxPage {
		to += fmt.Sprintf("?page=%d", f.Page)
	}
	return redirect(c, to)
}

// notificationsView is the viewer's notifications page.
type notificationsView struct {
	Notifications []notificationJSON `json:"notifications"`
	Unread        int                `json:"unread"`
	Page          pageJSON           `json:"page"`
}

// listNotifications handles GET /notifications.
func (h *handler) listNotifications(c echo.Context) error {
	n, err := pageParam(c)
	if err != nil {
		return err
	}
	np, err := h.store.NotificationsAfter(c.Request().Context(), viewer(c), n, afterParam(c))
	if err != nil {
		return err
	}
	nv := notificationsView{Notifications: make([]notificationJSON, 0, len(np.Items)), Unread: np.Unread,
		Page: pageJSON{Number: np.Page, Size: models.PageSize, HasNext: np.HasNext, After: np.After}}
	for i := range np.Items {
		nv.Notifications = append(nv.Notifications, newNotificationJSON(&np.Items[i]))
	}
	return h.respond(c, http.StatusOK, "notifications", nv)
}

// markReadForm names the notifications to mark read, or all of them.
type markReadForm struct {
	IDs []int64 `json:"ids" form:"ids"`
	All bool    `json:"all" form:"all"`
}

// markNotificationsRead handles POST /notifications/read.
func (h *handler) markNotificationsRead(c echo.Context) error {
	var f markReadForm
	if err := c.Bind(&f); err != nil {
		return badRequest("could not read the request: " + bindMessage(err))
	}
	unread, err := h.store.MarkNotificationsRead(c.Request().Context(), viewer(c), f.IDs, f.All)
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, map[string]int{"unread": unread})
	}
	return redirect(c, "/notifications")
}

// openNotification handles GET /notifications/:id: it marks the notification read
// and sends the viewer to the post (or group) it is about.
func (h *handler) openNotification(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	to, err := h.store.OpenNotification(c.Request().Context(), viewer(c), id)
	if err != nil {
		return err
	}
	switch {
	case to.ThreadID != 0:
		return redirect(c, threadURL(to.ThreadID, to.Page, to.PostID))
	case to.GroupSlug != "":
		return redirect(c, "/groups/"+to.GroupSlug)
	}
	return redirect(c, "/notifications")
}

// jumpToUnread answers GET /threads/:id?unread=1 with a redirect to the first post
// the viewer has not read (see models.Store.FirstUnread).
func (h *handler) jumpToUnread(c echo.Context, threadID int64) error {
	postID, page, err := h.store.FirstUnread(c.Request().Context(), viewer(c), threadID)
	if err != nil {
		return err
	}
	return redirect(c, threadURL(threadID, page, postID))
}

// threadURL is the address of a page of a thread, at a post when postID is not 0.
func threadURL(threadID int64, page int, postID int64) string {
	u := fmt.Sprintf("/threads/%d", threadID)
	if page > 1 {
		u += fmt.Sprintf("?page=%d", page)
	}
	if postID != 0 {
		u += fmt.Sprintf("#post-%d", postID)
	}
	return u
}

// setUnread fills a listed thread's unread fields from the viewer's read position.
func (j *threadJSON) setUnread(u models.ThreadUnread) {
	j.New = u.New
	if !u.Seen {
		return
	}
	n := u.Count
	j.Unread = &n
	if u.FirstPostID != 0 {
		id := u.FirstPostID
		j.FirstUnreadPostID = &id
	}
}

// Follows reports whether the viewer follows the thread, for the page.
func (tv *threadView) Follows() bool { return tv.Following != nil && *tv.Following }
