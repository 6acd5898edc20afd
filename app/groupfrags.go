package app

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"sync"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// Signed-in viewers' group pages from a shared snapshot (see fragments.go). Each
// thread of the list is kept rendered once for what the viewer has not read of it;
// the group's moderators get their page rendered in full.

// groupSnap is one page of a group's threads, with its announcements and resources,
// as every reader sees it, with the HTML rendered from it so far.
type groupSnap struct {
	snapStamp
	groupID int64
	sh      *models.GroupShared
	extras  *models.GroupExtras
	html    fragSet
	// threads is the JSON of sh's threads, made once (see groupThreadsJSON).
	threadsOnce sync.Once
	threads     []threadJSON
}

// threadsJSON is the JSON of the snapshot's threads, the same for every viewer.
func (s *groupSnap) threadsJSON() []threadJSON {
	s.threadsOnce.Do(func() { s.threads = groupThreadsJSON(s.sh.Group.Slug, s.sh.Threads) })
	return s.threads
}

func (s *groupSnap) frags() *fragSet { return &s.html }

func (s *groupSnap) current(vs *models.Versions) bool { return s.fresh(vs.Group(s.groupID)) }

// groupSnap is the current snapshot of a group's page, loaded when there is none. It
// is not access checked: the caller checks with models.Store.GroupPageFrom.
func (h *handler) groupSnap(c echo.Context, slug string, page int, after string) (*groupSnap, error) {
	key := "g/" + strconv.Itoa(page) + "/" + slug + "/" + after
	if s, ok := h.snaps.get(key).(*groupSnap); ok {
		return s, nil
	}
	seq := h.snaps.versions.Seq()
	ctx := models.ReadPrimary(c.Request().Context()) // see primaryReads
	sh, err := h.store.LoadGroupShared(ctx, slug, page, after)
	if err != nil {
		return nil, err
	}
	ex, err := h.store.GroupExtras(ctx, &models.GroupAccess{Group: &sh.Group, CanRead: true})
	if err != nil {
		return nil, err
	}
	s := &groupSnap{snapStamp: newSnapStamp(seq), groupID: sh.Group.ID, sh: sh, extras: ex}
	ids := make([]int64, len(sh.Threads))
	for i := range sh.Threads {
		ids[i] = sh.Threads[i].ID
	}
	h.snaps.versions.NoteThreads(s.groupID, ids...)
	h.snaps.put(key, s)
	return s, nil
}

// memberGroup handles GET /groups/:slug for a signed-in viewer.
func (h *handler) memberGroup(c echo.Context, v *models.Viewer, n int, after string) error {
	s, err := h.groupSnap(c, c.Param("slug"), n, after)
	if err != nil {
		return err
	}
	gp, err := h.store.GroupPageFrom(c.Request().Context(), v, s.sh)
	if err != nil {
		return err
	}
	gv := groupPageViewOf(gp, s.threadsJSON())
	setGroupExtras(&gv, gp.Access, s.extras, h.store.Now())
	if wantsJSON(c) || gv.CanModerate {
		return h.respond(c, http.StatusOK, "group", gv)
	}
	return h.groupHTML(c, s, &gv)
}

// threadRowKey names one kept thread of a group's list: the thread and what the
// viewer has not read of it.
type threadRowKey struct {
	id     int64
	isNew  bool
	unread int // -1 when no unread link is shown
}

// groupShellKey is everything a group page's shell shows that is not the viewer's
// own text: the frame, and their membership and rights.
type groupShellKey struct {
	frame                     frameKey
	member                    bool
	status, role              string
	canRead, canPost, canJoin bool
}

var (
	threadListHead = [][]byte{[]byte("<ol class=\"thread-list\">\n")}
	threadListTail = [][]byte{[]byte("</ol>\n")}
)

// groupHTML answers with a signed-in viewer's group page made from its snapshot.
func (h *handler) groupHTML(c echo.Context, s *groupSnap, gv *groupPageView) error {
	t, ok := h.render.pages["group"]
	if !ok {
		return fmt.Errorf("app: no page template %q", "group")
	}
	l := &itemList{items: make([][][]byte, 0, len(gv.Threads)+2)}
	l.add(threadListHead)
	for i := range gv.Threads {
		tj := &gv.Threads[i]
		k := threadRowKey{id: tj.ID, isNew: tj.New, unread: -1}
		if tj.FirstUnreadPostID != nil && tj.Unread != nil {
			k.unread = *tj.Unread
		}
		f, err := h.item(&s.html, t, k, "threadrow", tj)
		if err != nil {
			return err
		}
		l.add(f)
	}
	l.add(threadListTail)
	p := h.newPage(c, gv)
	fk, keep := frameKeyOf(&p)
	keep = keep && len(gv.Errors) == 0
	k := groupShellKey{frame: fk, member: gv.Membership != nil, canRead: gv.CanRead, canPost: gv.CanPost, canJoin: gv.CanJoin}
	var pseudonym *string
	if m := gv.Membership; m != nil {
		k.status, k.role, pseudonym = m.Status, m.Role, &m.Pseudonym
	}
	return h.writeShellPage(c, &s.html, shellPage{name: "group", p: p, key: k, keep: keep, lists: []*itemList{l},
		pseudonym: pseudonym, mark: func(keep bool) {
			if len(gv.Threads) > 0 {
				gv.ThreadsHTML = template.HTML(listMarker)
			}
			if keep && gv.Membership != nil {
				m := *gv.Membership
				m.Pseudonym = pseudonymMarker
				gv.Membership = &m
			}
		}})
}
