package app

import (
	"html/template"
	"net/http"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// Signed-in viewers' home pages from a shared snapshot of every group (see
// fragments.go). Each group's card is kept rendered once for whether the viewer
// joined it or asked to.

// homeSnap is every group and the site's announcements, as loaded for everyone, with
// the HTML rendered from them so far.
type homeSnap struct {
	snapStamp
	groups        []models.Group
	announcements []announcementJSON
	html          fragSet
}

func (s *homeSnap) frags() *fragSet { return &s.html }

func (s *homeSnap) current(vs *models.Versions) bool { return s.fresh(vs.Home()) }

// homeSnap is the current snapshot of the home page, loaded when there is none.
func (h *handler) homeSnap(c echo.Context) (*homeSnap, error) {
	if s, ok := h.snaps.get("home").(*homeSnap); ok {
		return s, nil
	}
	seq := h.snaps.versions.Seq()
	primaryReads(c)
	gs, err := h.store.AllGroups(c.Request().Context())
	if err != nil {
		return nil, err
	}
	as, err := h.siteAnnouncements(c)
	if err != nil {
		return nil, err
	}
	s := &homeSnap{snapStamp: newSnapStamp(seq), groups: gs, announcements: as}
	h.snaps.put("home", s)
	return s, nil
}

// memberHome handles GET / for a signed-in viewer.
func (h *handler) memberHome(c echo.Context, v *models.Viewer) error {
	s, err := h.homeSnap(c)
	if err != nil {
		return err
	}
	hv := &homeView{MyGroups: []groupJSON{}, Discover: []groupJSON{}, Announcements: s.announcements}
	err = h.store.EachVisibleGroup(c.Request().Context(), v, s.groups, func(g *models.Group, m *models.Membership) bool {
		hv.add(g, m)
		return true
	})
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, hv)
	}
	t, ok := h.render.pages["home"]
	if !ok {
		return h.respond(c, http.StatusOK, "home", hv)
	}
	lists := [2]*itemList{{}, {}}
	for i, gs := range [2][]groupJSON{hv.MyGroups, hv.Discover} {
		for j := range gs {
			g := &gs[j]
			f, err := h.item(&s.html, t, groupCardKey{slug: g.Slug, joined: g.Joined, pending: g.Pending}, "groupcard", g)
			if err != nil {
				return err
			}
			lists[i].add(f)
		}
	}
	p := h.newPage(c, hv)
	fk, keep := frameKeyOf(&p)
	k := homeShellKey{frame: fk, mine: len(hv.MyGroups) > 0, discover: len(hv.Discover), discoverTotal: hv.DiscoverTotal}
	return h.writeShellPage(c, &s.html, shellPage{name: "home", p: p, key: k, keep: keep, lists: lists[:],
		mark: func(bool) {
			if len(hv.MyGroups) > 0 {
				hv.MyGroupsHTML = template.HTML(listMarkers[0])
			}
			if len(hv.Discover) > 0 {
				hv.DiscoverHTML = template.HTML(listMarkers[1])
			}
		}})
}

// groupCardKey names one kept group card: the group and the viewer's place in it.
type groupCardKey struct {
	slug            string
	joined, pending bool
}

// homeShellKey is everything the home page's shell shows that is not the viewer's
// own: the frame, whether they have groups, and how many others there are.
type homeShellKey struct {
	frame                   frameKey
	mine                    bool
	discover, discoverTotal int
}
