package models

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Account statuses for privacy rights (see also UserActive, UserSuspended, UserBanned).
const (
	// UserErased is an account its owner deleted: it has no identity left, nobody can
	// sign in to it, and its memberships were moved off it.
	UserErased = "erased"
	// UserMemorial is the account of a member who has died: it is read-only and its
	// posts carry an "in memory" marker.
	UserMemorial = "memorial"
)

// MemberErased is the status of a membership detached from an erased account. Its
// posts show "former member"; its pseudonym is replaced by a placeholder.
const MemberErased = "erased"

// What an erasing member chooses for their posts.
const (
	ErasePostsKeep   = "keep"   // posts stay, shown as by "former member"
	ErasePostsRemove = "remove" // posts become tombstones with no text
)

// reasonErased is the status reason of a post removed when its author erased the account.
const reasonErased = "removed at the author's request"

// erasedTitle replaces the title of a thread whose author erased their account and
// chose to remove their posts.
const erasedTitle = "(removed at the author's request)"

// Export is everything Haven holds about one account, for its owner alone.
type Export struct {
	ExportedAt time.Time
	User       User
	// Providers are the sign-in providers linked to the account; the subject is
	// stored only as a keyed hash and is not part of the export.
	Providers     []ExportIdentity
	Clinician     *Clinician
	Memberships   []ExportMembership
	Posts         []ExportPost
	Reactions     []ExportReaction
	Follows       []ExportFollow
	Notifications []ExportNotification
	Mutes         []ExportMute
	Reports       []ExportReport
}

// ExportIdentity is a linked sign-in provider.
type ExportIdentity struct {
	Provider  string
	CreatedAt time.Time
}

// ExportMembership is one of the account's memberships, with its group.
type ExportMembership struct {
	Group      Group
	Membership Membership
}

// ExportPost is one post written by the account (under a pseudonym, or as clinician),
// with its earlier versions.
type ExportPost struct {
	Post        Post
	GroupSlug   string
	ThreadTitle string
	Pseudonym   string // empty for a post made as clinician
	Revisions   []PostRevision
}

// ExportReaction is one reaction the account gave.
type ExportReaction struct {
	GroupSlug string
	Pseudonym string
	PostID    int64
	ThreadID  int64
	Kind      string
	CreatedAt time.Time
}

// ExportFollow is a thread one of the account's memberships follows (or unfollowed).
type ExportFollow struct {
	GroupSlug   string
	Pseudonym   string
	ThreadID    int64
	ThreadTitle string
	Following   bool
}

// ExportNotification is a notification sent to one of the account's memberships.
type ExportNotification struct {
	GroupSlug    string
	Pseudonym    string
	Notification Notification
}

// ExportMute is a member the account muted in a group.
type ExportMute struct {
	GroupSlug string
	Pseudonym string // the account's own
	Muted     string // the muted member's pseudonym
	CreatedAt time.Time
}

// ExportReport is a report the account made.
type ExportReport struct {
	GroupSlug  string
	Reason     string
	Note       string
	TargetType string
	TargetID   int64
	CreatedAt  time.Time
}

// ExportAccount gathers everything Haven holds about v's account: for v alone.
func (s *Store) ExportAccount(ctx context.Context, v *Viewer) (*Export, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	db := s.rdb.WithContext(ctx)
	out := &Export{ExportedAt: s.now().UTC()}
	if err := db.First(&out.User, v.User.ID).Error; err != nil {
		return nil, wrapErr("export", err)
	}
	var ids []Identity
	if err := db.Where("user_id = ?", v.User.ID).Order("id").Find(&ids).Error; err != nil {
		return nil, wrapErr("export", err)
	}
	out.Providers = make([]ExportIdentity, 0, len(ids))
	for _, id := range ids {
		out.Providers = append(out.Providers, ExportIdentity{Provider: id.Provider, CreatedAt: id.CreatedAt})
	}
	var cl Clinician
	if err := db.Where("user_id = ?", v.User.ID).First(&cl).Error; err == nil {
		out.Clinician = &cl
	} else if !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, wrapErr("export", err)
	}

	var ms []Membership
	if err := db.Preload("Group").Where("user_id = ?", v.User.ID).Order("id").Find(&ms).Error; err != nil {
		return nil, wrapErr("export", err)
	}
	mids := make([]int64, 0, len(ms))
	byID := map[int64]*Membership{}
	slugOf := map[int64]string{} // group id → slug
	for i := range ms {
		m := &ms[i]
		mids = append(mids, m.ID)
		byID[m.ID] = m
		slugOf[m.GroupID] = m.Group.Slug
		out.Memberships = append(out.Memberships, ExportMembership{Group: *m.Group, Membership: *m})
		out.Memberships[len(out.Memberships)-1].Membership.Group = nil
	}
	if out.Memberships == nil {
		out.Memberships = []ExportMembership{}
	}

	// Posts under any membership, and posts made in the clinician voice.
	q := db.Preload("Thread").Preload("Thread.Group").Order("id")
	switch {
	case out.Clinician != nil && len(mids) > 0:
		q = q.Where("membership_id IN ? OR clinician_id = ?", mids, out.Clinician.ID)
	case out.Clinician != nil:
		q = q.Where("clinician_id = ?", out.Clinician.ID)
	default:
		q = q.Where("membership_id IN ?", append(mids, 0))
	}
	var posts []Post
	if err := q.Find(&posts).Error; err != nil {
		return nil, wrapErr("export", err)
	}
	pids := make([]int64, 0, len(posts))
	for _, p := range posts {
		pids = append(pids, p.ID)
	}
	revs := map[int64][]PostRevision{}
	if len(pids) > 0 {
		var rs []PostRevision
		if err := db.Where("post_id IN ?", pids).Order("post_id, version DESC").Find(&rs).Error; err != nil {
			return nil, wrapErr("export", err)
		}
		for _, r := range rs {
			revs[r.PostID] = append(revs[r.PostID], r)
		}
	}
	out.Posts = make([]ExportPost, 0, len(posts))
	for _, p := range posts {
		ep := ExportPost{Post: p, Revisions: revs[p.ID]}
		if p.Thread != nil {
			ep.ThreadTitle = p.Thread.Title
			if p.Thread.Group != nil {
				ep.GroupSlug = p.Thread.Group.Slug
			}
		}
		if p.MembershipID != nil && byID[*p.MembershipID] != nil {
			ep.Pseudonym = byID[*p.MembershipID].Pseudonym
		}
		if ep.Revisions == nil {
			ep.Revisions = []PostRevision{}
		}
		ep.Post.Thread, ep.Post.Membership, ep.Post.Clinician = nil, nil, nil
		out.Posts = append(out.Posts, ep)
	}

	out.Reactions, out.Follows, out.Notifications, out.Mutes, out.Reports =
		[]ExportReaction{}, []ExportFollow{}, []ExportNotification{}, []ExportMute{}, []ExportReport{}
	if len(mids) > 0 {
		var rs []Reaction
		if err := db.Preload("Post").Where("membership_id IN ?", mids).Order("id").Find(&rs).Error; err != nil {
			return nil, wrapErr("export", err)
		}
		for _, r := range rs {
			m := byID[r.MembershipID]
			er := ExportReaction{GroupSlug: slugOf[m.GroupID], Pseudonym: m.Pseudonym, PostID: r.PostID, Kind: r.Kind, CreatedAt: r.CreatedAt}
			if r.Post != nil {
				er.ThreadID = r.Post.ThreadID
			}
			out.Reactions = append(out.Reactions, er)
		}
		var fs []ThreadFollow
		if err := db.Preload("Thread").Where("membership_id IN ?", mids).Find(&fs).Error; err != nil {
			return nil, wrapErr("export", err)
		}
		for _, f := range fs {
			m := byID[f.MembershipID]
			ef := ExportFollow{GroupSlug: slugOf[m.GroupID], Pseudonym: m.Pseudonym, ThreadID: f.ThreadID, Following: f.Following}
			if f.Thread != nil {
				ef.ThreadTitle = f.Thread.Title
			}
			out.Follows = append(out.Follows, ef)
		}
		var ns []Notification
		if err := db.Where("membership_id IN ?", mids).Order("id").Find(&ns).Error; err != nil {
			return nil, wrapErr("export", err)
		}
		for _, n := range ns {
			m := byID[n.MembershipID]
			out.Notifications = append(out.Notifications, ExportNotification{GroupSlug: slugOf[m.GroupID], Pseudonym: m.Pseudonym, Notification: n})
		}
		var mutes []MemberMute
		if err := db.Preload("Muted").Where("muter_membership_id IN ?", mids).Order("id").Find(&mutes).Error; err != nil {
			return nil, wrapErr("export", err)
		}
		for _, mu := range mutes {
			m := byID[mu.MuterMembershipID]
			em := ExportMute{GroupSlug: slugOf[m.GroupID], Pseudonym: m.Pseudonym, CreatedAt: mu.CreatedAt}
			if mu.Muted != nil {
				em.Muted = mu.Muted.Pseudonym
			}
			out.Mutes = append(out.Mutes, em)
		}
	}
	var reps []struct {
		Report
		GroupID    int64
		TargetType string
		TargetID   int64
	}
	err := db.Table("reports AS r").Select("r.*, q.group_id, q.target_type, q.target_id").
		Joins("JOIN queue_items q ON q.id = r.queue_item_id").
		Where("r.reporter_id = ? AND r.source = ?", v.User.ID, "member").Order("r.id").Scan(&reps).Error
	if err != nil {
		return nil, wrapErr("export", err)
	}
	for _, r := range reps {
		out.Reports = append(out.Reports, ExportReport{GroupSlug: slugOf[r.GroupID], Reason: r.Reason, Note: r.Note,
			TargetType: r.TargetType, TargetID: r.TargetID, CreatedAt: r.CreatedAt})
	}
	return out, nil
}

// EraseInput is what a member sends to delete their account.
type EraseInput struct {
	// Confirm must be exactly "DELETE".
	Confirm string `json:"confirm" form:"confirm"`
	// Posts is ErasePostsKeep or ErasePostsRemove.
	Posts string `json:"posts" form:"posts"`
}

// Validate reports what is wrong with the input.
func (in *EraseInput) Validate() error {
	in.Confirm = strings.TrimSpace(in.Confirm)
	in.Posts = strings.TrimSpace(strings.ToLower(in.Posts))
	var ve ValidationError
	if in.Confirm != "DELETE" {
		ve.Add("confirm", `type DELETE (in capitals) to confirm`)
	}
	if in.Posts != ErasePostsKeep && in.Posts != ErasePostsRemove {
		ve.Add("posts", "choose whether to keep your posts as a former member, or remove them")
	}
	return ve.Err()
}

// EraseResult counts what an erasure did.
type EraseResult struct {
	Memberships int
	PostsKept   int
	PostsRemove int
}

// placeholderPseudonym is what an erased membership is called in the database; pages
// show "former member" instead.
func placeholderPseudonym() string {
	b := make([]byte, 4)
	rand.Read(b)
	return "Former member " + hex.EncodeToString(b)
}

// EraseAccount deletes v's account at v's own request, in one transaction: each
// membership is detached (moved to an account of its own with no identity, so that
// nothing links the pseudonyms any more, renamed and marked erased), the posts are
// kept as "former member" or removed (tombstones without text, revisions and report
// snapshots wiped) as chosen, the identity hashes and any clinician credential are
// deleted, follows, read marks, notifications and mutes go, and the account is
// marked erased so that no session can use it again. The audit log records it.
// A memorialised account is read-only: ErrForbidden.
func (s *Store) EraseAccount(ctx context.Context, v *Viewer, in EraseInput) (*EraseResult, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if v.User.Status == UserMemorial {
		return nil, Errorf(EFORBIDDEN, "this account is kept in memory and is read-only")
	}
	res := &EraseResult{}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var u User
		if err := tx.First(&u, v.User.ID).Error; err != nil {
			return err
		}
		if u.Status == UserErased {
			return ErrNotFound
		}
		now := s.now()
		var ms []Membership
		if err := tx.Where("user_id = ?", u.ID).Order("id").Find(&ms).Error; err != nil {
			return err
		}
		var cl Clinician
		hasClinician := true
		if err := tx.Where("user_id = ?", u.ID).First(&cl).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			hasClinician = false
		} else if err != nil {
			return err
		}

		// The posts first, while they still point at the account.
		mids := make([]int64, 0, len(ms))
		for _, m := range ms {
			mids = append(mids, m.ID)
		}
		q := tx.Model(&Post{}).Where("membership_id IN ?", append(mids, 0))
		if hasClinician {
			q = tx.Model(&Post{}).Where("membership_id IN ? OR clinician_id = ?", append(mids, 0), cl.ID)
		}
		var posts []Post
		if err := q.Order("id").Find(&posts).Error; err != nil {
			return err
		}
		for i := range posts {
			if err := s.erasePost(ctx, tx, &posts[i], in.Posts, now); err != nil {
				return err
			}
		}
		if in.Posts == ErasePostsKeep {
			res.PostsKept = len(posts)
		} else {
			res.PostsRemove = len(posts)
			if err := tx.Model(&Thread{}).Where("membership_id IN ?", append(mids, 0)).
				Updates(map[string]any{"title": erasedTitle, "updated_at": now}).Error; err != nil {
				return err
			}
		}
		if hasClinician {
			// What was written in the clinician voice stays unsigned (threads then show
			// "former member"); the credential, its history and the real name go.
			if err := tx.Model(&Post{}).Where("clinician_id = ?", cl.ID).Update("clinician_id", nil).Error; err != nil {
				return err
			}
			if err := tx.Model(&Thread{}).Where("clinician_id = ?", cl.ID).Update("clinician_id", nil).Error; err != nil {
				return err
			}
			if err := tx.Model(&FactCheckLabel{}).Where("by_clinician_id = ?", cl.ID).Update("by_clinician_id", nil).Error; err != nil {
				return err
			}
			if err := tx.Where("clinician_id = ?", cl.ID).Delete(&ClinicianDecision{}).Error; err != nil {
				return err
			}
			if err := tx.Delete(&cl).Error; err != nil {
				return err
			}
		}

		// Then each membership, detached.
		for i := range ms {
			if err := s.detachMembership(ctx, tx, &ms[i], now); err != nil {
				return err
			}
		}
		res.Memberships = len(ms)

		if err := tx.Where("user_id = ?", u.ID).Delete(&Identity{}).Error; err != nil {
			return err
		}
		if err := tx.Where("user_id = ?", u.ID).Delete(&AnnouncementDismissal{}).Error; err != nil {
			return err
		}
		if err := tx.Model(&Report{}).Where("reporter_id = ?", u.ID).Update("reporter_id", nil).Error; err != nil {
			return err
		}
		if err := tx.Model(&u).Updates(map[string]any{"status": UserErased, "role": RoleMember, "last_seen": nil}).Error; err != nil {
			return err
		}
		return s.audit(ctx, tx, v, "account.erase", "user", u.ID,
			fmt.Sprintf("erased at the member's request; posts: %s; %d memberships detached", in.Posts, len(ms)))
	})
	if err != nil {
		return nil, wrapErr("erase account", err)
	}
	return res, nil
}

// erasePost keeps a post as by "former member" (its membership link is cut), or
// removes it: a tombstone with no text, no revisions and no report snapshots.
func (s *Store) erasePost(ctx context.Context, tx *gorm.DB, p *Post, choice string, now time.Time) error {
	if choice == ErasePostsKeep {
		return tx.Model(p).Update("membership_id", nil).Error
	}
	if err := tx.Model(p).Updates(map[string]any{"membership_id": nil, "status": PostDeleted, "status_reason": reasonErased,
		"body": "", "body_html": "", "content_warning": "", "version": gorm.Expr("version + 1"), "updated_at": now}).Error; err != nil {
		return err
	}
	p.Status = PostDeleted
	if err := tx.Where("post_id = ?", p.ID).Delete(&PostRevision{}).Error; err != nil {
		return err
	}
	if err := tx.Model(&Report{}).Where("queue_item_id IN (?)",
		tx.Model(&QueueItem{}).Select("id").Where("target_type = ? AND target_id = ?", "post", p.ID)).
		Update("snapshot", "").Error; err != nil {
		return err
	}
	if err := tx.Model(&Thread{}).Where("id = ? AND accepted_post_id = ?", p.ThreadID, p.ID).
		Update("accepted_post_id", nil).Error; err != nil {
		return err
	}
	return s.indexPost(ctx, tx, nil, p)
}

// detachMembership moves a membership to an account of its own (no identity, erased),
// renames it and drops what belonged to the person: follows, read marks,
// notifications and the mutes they set. Group counters follow.
func (s *Store) detachMembership(ctx context.Context, tx *gorm.DB, m *Membership, now time.Time) error {
	holder := User{Role: RoleMember, Status: UserErased, CreatedAt: now}
	if err := tx.Create(&holder).Error; err != nil {
		return err
	}
	old, status := m.Pseudonym, m.Status
	updates := map[string]any{"user_id": holder.ID, "pseudonym": placeholderPseudonym(), "status": MemberErased,
		"role": MemberRegular, "memorial": false, "muted_until": nil, "updated_at": now}
	if err := tx.Model(m).Updates(updates).Error; err != nil {
		return err
	}
	switch status {
	case MemberActive:
		if err := tx.Model(&Group{}).Where("id = ?", m.GroupID).UpdateColumn("member_count", gorm.Expr("member_count - 1")).Error; err != nil {
			return err
		}
	case MemberPending:
		if err := s.closeJoinItem(ctx, tx, nil, m.ID, "withdrawn"); err != nil {
			return err
		}
	}
	for _, model := range []any{&ThreadFollow{}, &ThreadRead{}, &Notification{}} {
		if err := tx.Where("membership_id = ?", m.ID).Delete(model).Error; err != nil {
			return err
		}
	}
	if err := tx.Where("muter_membership_id = ?", m.ID).Delete(&MemberMute{}).Error; err != nil {
		return err
	}
	// Others' notifications and the group's modlog named the old pseudonym.
	if err := tx.Model(&Notification{}).Where("actor = ? AND thread_id IN (?)", old,
		tx.Model(&Thread{}).Select("id").Where("group_id = ?", m.GroupID)).Update("actor", "former member").Error; err != nil {
		return err
	}
	var entries []ModlogEntry
	if err := tx.Where("group_id = ? AND (target_label LIKE ? OR moderator_pseudonym = ?)", m.GroupID, "%"+old, old).
		Find(&entries).Error; err != nil {
		return err
	}
	for _, e := range entries {
		up := map[string]any{}
		if strings.HasSuffix(e.TargetLabel, " "+old) {
			up["target_label"] = strings.TrimSuffix(e.TargetLabel, old) + "former member"
		}
		if e.ModeratorPseudonym == old {
			up["moderator_pseudonym"] = "former moderator"
		}
		if len(up) > 0 {
			if err := tx.Model(&ModlogEntry{}).Where("id = ?", e.ID).Updates(up).Error; err != nil {
				return err
			}
		}
	}
	return nil
}

// MemorialInput names the account to memorialise by one of its memberships: admins
// never need a user id.
type MemorialInput struct {
	Group     string `json:"group" form:"group"`
	Pseudonym string `json:"pseudonym" form:"pseudonym"`
	Reason    string `json:"reason" form:"reason"`
	// Undo restores an account memorialised by mistake.
	Undo bool `json:"undo" form:"undo"`
}

// Validate reports what is wrong with the input.
func (in *MemorialInput) Validate() error {
	in.Group, in.Pseudonym, in.Reason = strings.TrimSpace(in.Group), strings.TrimSpace(in.Pseudonym), strings.TrimSpace(in.Reason)
	var ve ValidationError
	if in.Group == "" {
		ve.Add("group", "name the group (its slug)")
	}
	if in.Pseudonym == "" {
		ve.Add("pseudonym", "name the member's pseudonym in that group")
	}
	switch n := utf8.RuneCountInString(in.Reason); {
	case n == 0:
		ve.Add("reason", "say why (for the audit log), e.g. who asked")
	case n > 1000:
		ve.Add("reason", "use at most 1000 characters")
	}
	return ve.Err()
}

// MemorialResult says what Memorialise did: no user id, and no list of the
// account's pseudonyms (that is a reveal).
type MemorialResult struct {
	Memorial    bool
	Memberships int
}

// Memorialise makes the account behind a group's pseudonym read-only and marks its
// posts "in memory" in every group (or undoes that). Admins only (others ErrNotFound);
// an unknown group or pseudonym is a *ValidationError. Audited.
func (s *Store) Memorialise(ctx context.Context, v *Viewer, in MemorialInput) (*MemorialResult, error) {
	if !v.IsAdmin() {
		return nil, ErrNotFound
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	res := &MemorialResult{Memorial: !in.Undo}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var m Membership
		err := tx.Joins("JOIN groups ON groups.id = memberships.group_id").
			Where("groups.slug = ? AND memberships.pseudonym = ? AND memberships.status <> ?", in.Group, in.Pseudonym, MemberErased).
			First(&m).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return &ValidationError{Fields: map[string]string{"pseudonym": "no member of that group has this pseudonym"}}
		}
		if err != nil {
			return err
		}
		var u User
		if err := tx.First(&u, m.UserID).Error; err != nil {
			return err
		}
		switch {
		case u.Status == UserErased:
			return &ValidationError{Fields: map[string]string{"pseudonym": "this account was deleted"}}
		case u.ID == v.User.ID:
			return &ValidationError{Fields: map[string]string{"pseudonym": "you cannot memorialise your own account"}}
		case in.Undo && u.Status != UserMemorial:
			return Errorf(ECONFLICT, "this account is not memorialised")
		case !in.Undo && u.Status == UserMemorial:
			return Errorf(ECONFLICT, "this account is already memorialised")
		}
		status, action := UserMemorial, "account.memorialise"
		if in.Undo {
			status, action = UserActive, "account.unmemorialise"
		}
		if err := tx.Model(&u).Update("status", status).Error; err != nil {
			return err
		}
		r := tx.Model(&Membership{}).Where("user_id = ?", u.ID).Updates(map[string]any{"memorial": !in.Undo, "updated_at": s.now()})
		if r.Error != nil {
			return r.Error
		}
		res.Memberships = int(r.RowsAffected)
		return s.audit(ctx, tx, v, action, "user", u.ID, "via "+in.Group+"/"+in.Pseudonym+": "+in.Reason)
	})
	if err != nil {
		return nil, wrapErr("memorialise", err)
	}
	return res, nil
}
