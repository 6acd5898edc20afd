package app

import (
	"fmt"
	"html/template"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// Signed-in viewers' thread pages from a shared snapshot (see fragments.go). Each
// post is kept rendered once for each postFlags; moderators of the group and the
// authors of held posts see more than the snapshot holds, and their pages are loaded
// and rendered in full.

// threadSnap is one page of a thread as every signed-in viewer without a held post in
// it sees it, with the HTML rendered from it so far.
type threadSnap struct {
	snapStamp
	threadID int64
	groupID  int64
	sh       *models.ThreadShared
	// posts is each post's JSON with the shared parts filled in (author and their
	// member page, label); the viewer's parts are added to a copy.
	posts []postJSON
	html  fragSet
}

func (s *threadSnap) frags() *fragSet { return &s.html }

func (s *threadSnap) current(vs *models.Versions) bool {
	return s.fresh(vs.Thread(s.threadID, s.groupID))
}

// postFlags is what a viewer may do with one post, and how it is shown to them.
type postFlags uint16

const (
	flagCanReact postFlags = 1 << iota
	flagCanLabel
	flagSupport // the viewer's own reactions
	flagHelpful
	flagSameHere
	flagMuted
	flagAccepted
	flagQuote
	flagEdit
	flagDelete
	flagHistory
	flagAccept
	flagReport
)

// postKey names one kept post: the post and what the viewer may do with it.
type postKey struct {
	id     int64
	flags  postFlags
	appeal string
}

// postListHead names the kept opening of the list.
type postListHead struct{}

func flagsOf(tv *threadView, p *postJSON) postFlags {
	var f postFlags
	set := func(b bool, bit postFlags) {
		if b {
			f |= bit
		}
	}
	set(tv.CanReact, flagCanReact)
	set(tv.CanLabel, flagCanLabel)
	set(p.Reacted(models.ReactionSupport), flagSupport)
	set(p.Reacted(models.ReactionHelpful), flagHelpful)
	set(p.Reacted(models.ReactionSameHere), flagSameHere)
	set(p.Muted, flagMuted)
	set(p.Accepted, flagAccepted)
	set(p.CanQuote, flagQuote)
	set(p.CanEdit, flagEdit)
	set(p.CanDelete, flagDelete)
	set(p.CanSeeHistory, flagHistory)
	set(p.CanAccept, flagAccept)
	set(p.CanReport, flagReport)
	return f
}

// postItem is what the "post" template renders: one post and the page's parts it
// needs.
type postItem struct {
	Post       postJSON
	Thread     *threadJSON
	PageNumber int
	CanReact   bool
	CanLabel   bool
	CSRF       string
}

// newPostItem is the "postitem" template function: a post of a thread page's list.
func newPostItem(root page, p postJSON) (postItem, error) {
	tv, ok := root.Data.(*threadView)
	if !ok {
		return postItem{}, fmt.Errorf("postitem: %T is not a thread page", root.Data)
	}
	return postItem{Post: p, Thread: &tv.Thread, PageNumber: tv.Page.Number, CanReact: tv.CanReact,
		CanLabel: tv.CanLabel, CSRF: root.CSRF}, nil
}

// threadSnap is the current snapshot of a thread's page, loaded when there is none.
// It is not access checked: the caller checks with models.Store.ThreadPageFrom.
func (h *handler) threadSnap(c echo.Context, id int64, page int) (*threadSnap, error) {
	key := fmt.Sprintf("t/%d/%d", id, page)
	if s, ok := h.snaps.get(key).(*threadSnap); ok {
		return s, nil
	}
	seq := h.snaps.versions.Seq()
	ctx := models.ReadPrimary(c.Request().Context()) // see primaryReads
	sh, err := h.store.LoadThreadShared(ctx, id, page)
	if err != nil {
		return nil, err
	}
	s := &threadSnap{snapStamp: newSnapStamp(seq), threadID: id, groupID: sh.Thread.GroupID, sh: sh,
		posts: make([]postJSON, len(sh.Posts))}
	ids := make([]int64, 0, len(sh.Posts))
	for i := range sh.Posts {
		s.posts[i] = newPostJSON(&sh.Posts[i])
		if sh.Posts[i].Visible() {
			ids = append(ids, sh.Posts[i].ID)
		}
	}
	labels, err := h.store.PostLabels(ctx, ids)
	if err != nil {
		return nil, err
	}
	slug := sh.Thread.Group.Slug
	for i := range s.posts {
		p := &sh.Posts[i]
		if l := labels[p.ID]; l != nil {
			s.posts[i].Label = newLabelJSON(l)
		}
		if p.MembershipID != nil && p.ClinicianID == nil && p.Membership != nil {
			s.posts[i].Author.MemberURL = memberURL(slug, p.Membership.Pseudonym)
		}
	}
	h.snaps.versions.NoteThreads(s.groupID, id)
	h.snaps.put(key, s)
	return s, nil
}

// postListTail closes the list.
var postListTail = [][]byte{[]byte("\n</ol>\n")}

// postsList is the viewer's list of posts from the snapshot's kept posts.
func (h *handler) postsList(s *threadSnap, tv *threadView) (*itemList, error) {
	t, ok := h.render.pages["thread"]
	if !ok {
		return nil, fmt.Errorf("app: no page template %q", "thread")
	}
	frame := emptyFrame(tv)
	frame.CSRF = string(csrfPlaceholder)
	l := &itemList{items: make([][][]byte, 0, len(tv.Posts)+2)}
	head, err := h.item(&s.html, t, postListHead{}, "postlisthead", frame)
	if err != nil {
		return nil, err
	}
	l.add(head)
	for i := range tv.Posts {
		p := &tv.Posts[i]
		k := postKey{id: p.ID, flags: flagsOf(tv, p), appeal: p.Appeal}
		f, ok := s.html.kept(k)
		if !ok {
			it := postItem{Post: *p, Thread: &tv.Thread, PageNumber: tv.Page.Number, CanReact: tv.CanReact,
				CanLabel: tv.CanLabel, CSRF: frame.CSRF}
			f, err = h.item(&s.html, t, k, "post", it)
		}
		if err != nil {
			return nil, err
		}
		l.add(f)
	}
	l.add(postListTail)
	return l, nil
}

// threadShellKey is everything a thread page's shell shows that is not the viewer's
// own text: the frame, and the header's and reply form's kind.
type threadShellKey struct {
	frame                        frameKey
	canReply, canJoin, following bool
	followable, hasPseudonym     bool
	asClinician                  authorJSON
	asClinicianSet               bool
}

// threadHTML answers with a signed-in viewer's thread page made from its snapshot.
func (h *handler) threadHTML(c echo.Context, tv *threadView) error {
	l, err := h.postsList(tv.snap, tv)
	if err != nil {
		return err
	}
	p := h.newPage(c, tv)
	fk, keep := frameKeyOf(&p)
	keep = keep && len(tv.Errors) == 0 && tv.Quote == nil && !tv.CanModerate && tv.Form == (models.PostInput{})
	k := threadShellKey{frame: fk, canReply: tv.CanReply, canJoin: tv.CanJoin, followable: tv.Following != nil,
		following: tv.Follows(), hasPseudonym: tv.PostingAs != nil}
	if tv.AsClinician != nil {
		k.asClinician, k.asClinicianSet = *tv.AsClinician, true
		k.asClinician.Pseudonym, k.asClinician.Badge = nil, nil
	}
	pseudonym := tv.PostingAs
	return h.writeShellPage(c, &tv.snap.html, shellPage{name: "thread", p: p, key: k, keep: keep, lists: []*itemList{l},
		pseudonym: pseudonym, mark: func(keep bool) {
			tv.PostsHTML = template.HTML(listMarker)
			if keep && tv.PostingAs != nil {
				tv.PostingAs = strp(pseudonymMarker)
			}
		}})
}
