package models

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"gorm.io/gorm"
)

// What an author's deletion leaves on the tombstone.
const reasonDeletedByAuthor = "deleted by author"

// Who made an edit, as a revision records it.
const (
	EditedByAuthor    = "author"
	EditedByModerator = "moderator"
)

// PostEdit is what an author sends to change a post. Version is the version the author
// started from: a stale one is a conflict, so that nobody overwrites what they did not see.
type PostEdit struct {
	Body           string `json:"body" form:"body"`
	ContentWarning string `json:"content_warning" form:"content_warning"`
	Version        int    `json:"version" form:"version"`
	// ConfirmPersonalData is the author's answer to a PersonalDataError.
	ConfirmPersonalData bool `json:"confirm_personal_data" form:"confirm_personal_data"`
}

// Validate trims the input and reports what is wrong with it.
func (in *PostEdit) Validate() error {
	var v ValidationError
	validateBody(&v, &in.Body, &in.ContentWarning)
	if in.Version < 1 {
		v.Add("version", "reload the post and edit it again")
	}
	return v.Err()
}

// EditConflictError says that a post changed after the author loaded it. Current is
// the post as it is now; nothing was written. It matches ErrConflict.
type EditConflictError struct {
	Current *Post
}

func (e *EditConflictError) Error() string {
	return "this post was changed after you opened it"
}

// Unwrap makes the error a conflict for errors.Is and errors.As.
func (e *EditConflictError) Unwrap() error {
	return Errorf(ECONFLICT, "This post was changed after you opened it. Nothing was saved; compare your text with the current one and save again.")
}

// AuthoredBy reports whether the post was written under membership m, or by v in the
// clinician voice. m is the viewer's membership of the post's group, or nil.
func (p *Post) AuthoredBy(v *Viewer, m *Membership) bool {
	if p.ClinicianID != nil {
		return v != nil && v.Clinician != nil && v.Clinician.ID == *p.ClinicianID
	}
	return p.MembershipID != nil && m != nil && *p.MembershipID == m.ID
}

// Tombstone reports whether the post was deleted by its author or removed by moderators.
func (p *Post) Tombstone() bool { return p.Status == PostDeleted || p.Status == PostRemoved }

// PostContext is a post with its thread, its group and what the viewer may do there.
type PostContext struct {
	Post   *Post
	Thread *Thread
	Access *GroupAccess
}

// loadPost loads a post with its author, its thread and group, and v's access to the
// group. A post v may not read is ErrNotFound: the group is hidden or unreadable, or
// the post is held and v is neither its author nor a moderator.
func (s *Store) loadPost(ctx context.Context, db *gorm.DB, v *Viewer, postID int64) (*PostContext, error) {
	var p Post
	if err := db.WithContext(ctx).Preload("Membership").Preload("Clinician").First(&p, postID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("models: load post: %w", err)
	}
	var t Thread
	if err := db.WithContext(ctx).Preload("Group").Preload("Membership").First(&t, p.ThreadID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("models: load post thread: %w", err)
	}
	a, err := s.groupAccessFor(ctx, db, v, t.Group)
	if err != nil {
		return nil, err
	}
	if !a.CanRead {
		return nil, ErrNotFound
	}
	if p.Status == PostHeld && !a.Moderates && !p.AuthoredBy(v, a.Membership) {
		return nil, ErrNotFound
	}
	p.Thread = nil
	return &PostContext{Post: &p, Thread: &t, Access: a}, nil
}

// authorMayEdit checks that v wrote the post and may still write in its voice: an
// active member of the group, or a clinician with a current credential. Someone else's
// post is ErrForbidden (the caller has already shown that v may read it).
func (s *Store) authorMayEdit(v *Viewer, pc *PostContext) error {
	p, a := pc.Post, pc.Access
	if !p.AuthoredBy(v, a.Membership) {
		return Errorf(EFORBIDDEN, "only the author can change this post")
	}
	if p.AsClinician() {
		if !v.User.Active() {
			return Errorf(EFORBIDDEN, "your account cannot post right now")
		}
		if !v.VerifiedClinician(s.now()) {
			return Errorf(EFORBIDDEN, "your clinician credential is not current, so you cannot edit posts made as clinician")
		}
	} else if err := postAllowed(v, a); err != nil {
		return err
	}
	if pc.Thread.Locked && !a.Moderates {
		return Errorf(EFORBIDDEN, "this thread is locked")
	}
	return nil
}

// authorMayDelete checks that v wrote the post and is not banned from the group or
// the site. An author who left the group, or whose credential lapsed, may still delete.
func authorMayDelete(v *Viewer, pc *PostContext) error {
	p, a := pc.Post, pc.Access
	if !p.AuthoredBy(v, a.Membership) {
		return Errorf(EFORBIDDEN, "only the author can delete this post")
	}
	if v.User.Status == UserBanned || (a.Membership != nil && !p.AsClinician() && a.Membership.Status == MemberBanned) {
		return Errorf(EFORBIDDEN, "you can no longer change posts in this group")
	}
	return nil
}

// PostForEdit loads a post for its author's edit form. Someone else's post is
// ErrForbidden when v can read it, ErrNotFound otherwise; a tombstone is a conflict.
func (s *Store) PostForEdit(ctx context.Context, v *Viewer, postID int64) (*PostContext, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	pc, err := s.loadPost(ctx, s.rdb, v, postID)
	if err != nil {
		return nil, err
	}
	if err := s.authorMayEdit(v, pc); err != nil {
		return nil, err
	}
	if pc.Post.Tombstone() {
		return nil, Errorf(ECONFLICT, "this post was deleted or removed, so it cannot be edited")
	}
	return pc, nil
}

// EditPost changes a post's text for its author. in.Version must be the post's
// current version, else the result is an *EditConflictError carrying the current post
// and nothing is written. Each edit keeps the previous text as a PostRevision,
// re-renders the body and increments the version.
func (s *Store) EditPost(ctx context.Context, v *Viewer, postID int64, in PostEdit) (*PostContext, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	verr := in.Validate()
	var out *PostContext
	err := s.tx(ctx, func(tx *gorm.DB) error {
		pc, err := s.loadPost(ctx, tx, v, postID)
		if err != nil {
			return err
		}
		if err := s.authorMayEdit(v, pc); err != nil {
			return err
		}
		p := pc.Post
		if p.Tombstone() {
			return Errorf(ECONFLICT, "this post was deleted or removed, so it cannot be edited")
		}
		// Permission first, so that only the author learns what is wrong with a draft.
		if verr != nil {
			return verr
		}
		if p.Version != in.Version {
			return &EditConflictError{Current: p}
		}
		out = pc
		if p.Body == in.Body && p.ContentWarning == in.ContentWarning {
			return nil // nothing changed: no revision, no new version
		}
		ws, err := s.screenEditWords(ctx, tx, pc, &in.Body) // watched words (see watched.go)
		if err != nil {
			return err
		}
		found, err := screenEdit(p, pc.Access, in)
		if err != nil {
			return err
		}
		html, err := RenderMarkdown(in.Body)
		if err != nil {
			return err
		}
		now := s.now()
		updates := map[string]any{"body": in.Body, "body_html": html, "content_warning": in.ContentWarning,
			"version": gorm.Expr("version + 1"), "edited_at": now, "updated_at": now}
		if found != nil {
			updates["status"], updates["status_reason"], updates["crisis"] = found.Status, found.StatusReason, p.Crisis || found.Crisis
		}
		// The version in the WHERE clause makes the write conditional: of two edits
		// of one version, the second updates nothing and is a conflict.
		res := tx.Model(&Post{}).Where("id = ? AND version = ? AND status IN ?", p.ID, in.Version, []string{PostPublished, PostHeld}).
			Updates(updates)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			var cur Post
			if err := tx.Preload("Membership").Preload("Clinician").First(&cur, p.ID).Error; err != nil {
				return err
			}
			if cur.Tombstone() {
				return Errorf(ECONFLICT, "this post was deleted or removed, so it cannot be edited")
			}
			return &EditConflictError{Current: &cur}
		}
		rev := PostRevision{PostID: p.ID, Version: p.Version, Body: p.Body, BodyHTML: p.BodyHTML,
			ContentWarning: p.ContentWarning, EditedAt: now, EditedBy: EditedByAuthor}
		if !p.AsClinician() {
			rev.EditorMembershipID = p.MembershipID
		}
		if err := tx.Create(&rev).Error; err != nil {
			return err
		}
		p.Body, p.BodyHTML, p.ContentWarning = in.Body, html, in.ContentWarning
		p.Version, p.EditedAt, p.UpdatedAt = p.Version+1, &now, now
		t := *pc.Thread
		t.Group = pc.Access.Group
		if found != nil {
			p.Status, p.StatusReason, p.Crisis, p.Notices = found.Status, found.StatusReason, p.Crisis || found.Crisis, found.Notices
			found.ID, found.ThreadID, found.Body, found.ContentWarning = p.ID, p.ThreadID, p.Body, p.ContentWarning
			found.MembershipID, found.Membership, found.ClinicianID, found.Clinician = p.MembershipID, p.Membership, p.ClinicianID, p.Clinician
			if err := s.autoFlag(ctx, tx, &t, found); err != nil {
				return err
			}
		}
		if err := s.holdEditForWords(ctx, tx, &t, pc, ws); err != nil {
			return err
		}
		return s.indexPost(ctx, tx, &t, p)
	})
	if err != nil {
		return nil, wrapErr("edit post", err) // domain errors, conflicts included, pass through
	}
	if out != nil && out.Post != nil {
		s.publish(ctx, Event{Kind: EventPostUpdated, GroupID: out.Thread.GroupID, ThreadID: out.Thread.ID, PostID: out.Post.ID})
	}
	return out, nil
}

// screenEdit runs the write-time checks on what an edit adds to a post, so that an
// edit cannot slip past what a new post would meet: personal data that the old text
// did not have must be confirmed (and holds the post for review in an open group),
// new crisis language marks the post as crisis (published, never hidden, with a
// notice for the author), and a new member's first link is held for review. It
// returns nil when the edit adds nothing to check, else a post carrying the new
// status, notices and findings for autoFlag.
func screenEdit(p *Post, a *GroupAccess, in PostEdit) (*Post, error) {
	oldPD := DetectPersonalData(p.Body)
	var newPD []string
	for _, k := range DetectPersonalData(in.Body) {
		if !slices.Contains(oldPD, k) {
			newPD = append(newPD, k)
		}
	}
	addsCrisis := !p.Crisis && len(DetectCrisis(in.Body)) > 0 && len(DetectCrisis(p.Body)) == 0
	m := a.Membership
	addsLink := !p.AsClinician() && m != nil && !m.IsModerator() && m.PostCount <= NewMemberPosts &&
		hasLink(in.Body) && !hasLink(p.Body)
	if len(newPD) == 0 && !addsCrisis && !addsLink {
		return nil, nil
	}
	f := &Post{Status: p.Status, StatusReason: p.StatusReason}
	hold := func(why, reason, notice string) {
		if f.Status == PostPublished && !p.Crisis { // crisis posts are answered, never hidden
			f.Status, f.StatusReason, f.heldFor = PostHeld, reason, why
			f.Notices = append(f.Notices, Notice{Kind: NoticeHeld, Reason: notice})
		}
	}
	if len(newPD) > 0 {
		if !in.ConfirmPersonalData {
			return nil, &PersonalDataError{Matches: newPD}
		}
		f.personalData = newPD
		if a.Group.Visibility == VisibilityOpen {
			hold("personal_data", "held for review: personal data in an open group",
				"Your edit may add personal details, and this group is open to anyone, so a moderator will check the post before others can see it again.")
		}
	}
	if addsLink {
		hold("new_member_link", "held for review: a link in a new member's first posts",
			"Links in a new member's first posts are checked by a moderator before they appear. Your post will be visible again soon.")
	}
	if addsCrisis {
		// Crisis posts are answered, not hidden: the edit publishes even a held post.
		f.Crisis, f.Status, f.StatusReason, f.heldFor = true, PostPublished, "", ""
		f.Notices = append([]Notice{{Kind: NoticeCrisis}}, removeHeld(f.Notices)...)
	}
	return f, nil
}

// DeletePost turns the author's post into a tombstone: its status becomes deleted, its
// text stays for moderators, and it keeps its place (and the thread its reply count).
// A deleted accepted answer is no longer accepted.
func (s *Store) DeletePost(ctx context.Context, v *Viewer, postID int64) (*PostContext, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	var out *PostContext
	err := s.tx(ctx, func(tx *gorm.DB) error {
		pc, err := s.loadPost(ctx, tx, v, postID)
		if err != nil {
			return err
		}
		if err := authorMayDelete(v, pc); err != nil {
			return err
		}
		p := pc.Post
		if p.Tombstone() {
			return Errorf(ECONFLICT, "this post was already deleted or removed")
		}
		now := s.now()
		res := tx.Model(&Post{}).Where("id = ? AND status IN ?", p.ID, []string{PostPublished, PostHeld}).
			Updates(map[string]any{"status": PostDeleted, "status_reason": reasonDeletedByAuthor,
				"version": gorm.Expr("version + 1"), "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return Errorf(ECONFLICT, "this post was already deleted or removed")
		}
		if err := tx.Model(&Thread{}).Where("id = ? AND accepted_post_id = ?", pc.Thread.ID, p.ID).
			Updates(map[string]any{"accepted_post_id": nil, "updated_at": now}).Error; err != nil {
			return err
		}
		if pc.Thread.AcceptedPostID != nil && *pc.Thread.AcceptedPostID == p.ID {
			pc.Thread.AcceptedPostID = nil
		}
		p.Status, p.StatusReason, p.Version, p.UpdatedAt = PostDeleted, reasonDeletedByAuthor, p.Version+1, now
		out = pc
		t := *pc.Thread
		t.Group = pc.Access.Group
		return s.indexPost(ctx, tx, &t, p)
	})
	if err != nil {
		return nil, wrapErr("delete post", err)
	}
	s.publish(ctx, Event{Kind: EventPostRemoved, GroupID: out.Thread.GroupID, ThreadID: out.Thread.ID, PostID: out.Post.ID})
	return out, nil
}

// AcceptAnswer marks a reply as the accepted answer of a question; the thread's author
// alone may. postID 0 un-accepts; accepting another post replaces the answer. The post
// must be a published reply in the thread, not its opening post.
func (s *Store) AcceptAnswer(ctx context.Context, v *Viewer, threadID, postID int64) (*Thread, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	var t Thread
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Preload("Group").Preload("Membership").First(&t, threadID).Error; err != nil {
			return err
		}
		a, err := s.groupAccessFor(ctx, tx, v, t.Group)
		if err != nil {
			return err
		}
		if !a.CanRead {
			return ErrNotFound
		}
		if a.Membership == nil || a.Membership.ID != t.MembershipID {
			return Errorf(EFORBIDDEN, "only the person who asked can accept an answer")
		}
		if err := postAllowed(v, a); err != nil {
			return err
		}
		if t.Kind != KindQuestion {
			return &ValidationError{Fields: map[string]string{"post_id": "only a question can have an accepted answer"}}
		}
		var accepted *int64
		var p Post
		if postID != 0 {
			err := tx.Where("id = ? AND thread_id = ?", postID, t.ID).First(&p).Error
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return &ValidationError{Fields: map[string]string{"post_id": "choose a reply in this thread"}}
			}
			if err != nil {
				return err
			}
			if p.Status != PostPublished {
				return &ValidationError{Fields: map[string]string{"post_id": "only a published reply can be the accepted answer"}}
			}
			var first Post
			if err := tx.Select("id").Where("thread_id = ?", t.ID).Order("id").First(&first).Error; err != nil {
				return err
			}
			if first.ID == p.ID {
				return &ValidationError{Fields: map[string]string{"post_id": "the question itself cannot be its answer; choose a reply"}}
			}
			accepted = &p.ID
		}
		now := s.now()
		if err := tx.Model(&Thread{}).Where("id = ?", t.ID).
			Updates(map[string]any{"accepted_post_id": accepted, "updated_at": now}).Error; err != nil {
			return err
		}
		previous := t.AcceptedPostID
		t.AcceptedPostID, t.UpdatedAt = accepted, now
		if accepted == nil || (previous != nil && *previous == *accepted) {
			return nil
		}
		return s.notifyAccepted(ctx, tx, &t, &p)
	})
	if err != nil {
		return nil, wrapErr("accept answer", err)
	}
	return &t, nil
}

// decorateThreadPage adds what the viewer needs to act on a page of posts: the
// opening post's id, the viewer's own reactions, and, on page 1 of a question, the
// accepted answer right after the opening post.
func (s *Store) decorateThreadPage(ctx context.Context, tp *ThreadPage) error {
	db := s.rdb.WithContext(ctx)
	var first Post
	err := db.Select("id").Where("thread_id = ?", tp.Thread.ID).Order("id").First(&first).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return fmt.Errorf("models: thread page: %w", err)
	}
	tp.OpeningPostID = first.ID
	if id := tp.Thread.AcceptedPostID; id != nil && tp.Page == 1 && len(tp.Posts) > 0 {
		if err := s.featureAccepted(ctx, tp, *id); err != nil {
			return err
		}
	}
	if m := tp.Access.Membership; m != nil && len(tp.Posts) > 0 {
		ids := make([]int64, len(tp.Posts))
		for i := range tp.Posts {
			ids[i] = tp.Posts[i].ID
		}
		mine, err := s.reactionsOf(ctx, s.rdb, m.ID, ids)
		if err != nil {
			return err
		}
		tp.Mine = mine
	}
	return nil
}

// featureAccepted moves (or, from a later page, brings) the accepted answer to just
// after the opening post.
func (s *Store) featureAccepted(ctx context.Context, tp *ThreadPage, id int64) error {
	if tp.Posts[0].ID != tp.OpeningPostID {
		return nil
	}
	var accepted *Post
	rest := make([]Post, 0, len(tp.Posts)+1)
	for i := range tp.Posts {
		if tp.Posts[i].ID == id {
			p := tp.Posts[i]
			accepted = &p
			continue
		}
		rest = append(rest, tp.Posts[i])
	}
	if accepted == nil {
		var p Post
		err := s.rdb.WithContext(ctx).Preload("Membership").Preload("Clinician").
			Where("id = ? AND thread_id = ?", id, tp.Thread.ID).First(&p).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("models: thread page: %w", err)
		}
		accepted = &p
	}
	if accepted.Status != PostPublished {
		return nil
	}
	out := make([]Post, 0, len(rest)+1)
	out = append(out, rest[0], *accepted)
	tp.Posts = append(out, rest[1:]...)
	return nil
}
