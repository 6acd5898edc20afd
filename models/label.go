package models

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Limits on a fact-check label.
const (
	MaxLabelNoteRunes = 500
	MaxLabelSources   = 5
	maxSourceURLBytes = 500
)

// Who a label names as its author.
const (
	LabelByClinician  = "clinician"
	LabelByModerators = "moderators"
)

// FactCheckLabel is a fact-check label on a post: a short note with the sources that
// support it, shown above the post. A post has at most one label; editing it keeps
// the earlier versions (LabelRevision), and removing it keeps the row, so that the
// history survives. ByClinicianID names the clinician who labelled the post in the
// clinician voice; a label without one is by "moderators". Who acted is in the audit
// log, never on the label.
type FactCheckLabel struct {
	ID            int64      `gorm:"primaryKey"`
	PostID        int64      `gorm:"not null;uniqueIndex"`
	Post          *Post      `gorm:"constraint:OnDelete:CASCADE"`
	Note          string     `gorm:"size:500;not null"`
	Sources       string     `gorm:"type:text;not null"` // https URLs, one a line
	ByClinicianID *int64     `gorm:"index"`
	ByClinician   *Clinician `gorm:"constraint:OnDelete:SET NULL"`
	Version       int        `gorm:"not null;default:1"`
	RemovedAt     *time.Time
	// AppealedAt is when the post's author appealed the label; a label is appealed once.
	AppealedAt *time.Time
	CreatedAt  time.Time `gorm:"not null"`
	UpdatedAt  time.Time
}

// SourceList is the label's sources.
func (l *FactCheckLabel) SourceList() []string { return splitSources(l.Sources) }

// By is who the label names: the clinician's display name, or "moderators".
func (l *FactCheckLabel) By() string {
	if l.ByClinician != nil {
		return l.ByClinician.DisplayName
	}
	return LabelByModerators
}

// Active reports whether the label is shown (not removed).
func (l *FactCheckLabel) Active() bool { return l != nil && l.RemovedAt == nil }

// LabelRevision is one version of a label, kept when the label is written, edited or
// removed.
type LabelRevision struct {
	ID            int64           `gorm:"primaryKey"`
	LabelID       int64           `gorm:"not null;index"`
	Label         *FactCheckLabel `gorm:"constraint:OnDelete:CASCADE"`
	Version       int             `gorm:"not null"`
	Action        string          `gorm:"size:16;not null"` // added, edited, removed
	Note          string          `gorm:"size:500;not null"`
	Sources       string          `gorm:"type:text;not null"`
	ByClinicianID *int64
	ByClinician   *Clinician `gorm:"constraint:OnDelete:SET NULL"`
	Reason        string     `gorm:"size:1000;not null;default:''"`
	CreatedAt     time.Time  `gorm:"not null"`
}

// By is who the revision names: the clinician's display name, or "moderators".
func (r *LabelRevision) By() string {
	if r.ByClinician != nil {
		return r.ByClinician.DisplayName
	}
	return LabelByModerators
}

// SourceList is the revision's sources.
func (r *LabelRevision) SourceList() []string { return splitSources(r.Sources) }

func splitSources(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, "\n")
}

// LabelInput is what a clinician or moderator sends to label a post. Sources are
// https URLs; a form may send them in one text box, one a line. As is "clinician"
// or "moderators" for someone who is both (a verified clinician otherwise labels as
// clinician, a moderator as moderators). Version is the label's current version when
// editing it (0 for a new label): a stale one is a conflict.
type LabelInput struct {
	Note    string   `json:"note" form:"note"`
	Sources []string `json:"sources" form:"sources"`
	As      string   `json:"as" form:"as"`
	Version int      `json:"version" form:"version"`
}

// Validate trims the input and reports what is wrong with it.
func (in *LabelInput) Validate() error {
	in.Note = strings.TrimSpace(in.Note)
	var v ValidationError
	switch n := utf8.RuneCountInString(in.Note); {
	case n == 0:
		v.Add("note", "write a short note saying what is inaccurate or missing")
	case n > MaxLabelNoteRunes:
		v.Add("note", fmt.Sprintf("use at most %d characters", MaxLabelNoteRunes))
	case strings.IndexFunc(in.Note, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }) >= 0:
		v.Add("note", "remove the control characters")
	}
	var sources []string
	for _, s := range in.Sources {
		sources = append(sources, strings.Fields(s)...)
	}
	in.Sources = sources
	switch {
	case len(sources) == 0:
		v.Add("sources", "add at least one source link, e.g. a WHO, CDC or NICE page or a journal DOI (https://doi.org/…)")
	case len(sources) > MaxLabelSources:
		v.Add("sources", fmt.Sprintf("give at most %d sources", MaxLabelSources))
	}
	for _, s := range sources {
		if msg := checkSourceURL(s); msg != "" {
			v.Add("sources", msg)
			break
		}
	}
	switch in.As {
	case "", LabelByClinician, LabelByModerators:
	default:
		v.Add("as", "choose clinician or moderators")
	}
	if in.Version < 0 {
		v.Add("version", "reload the post and try again")
	}
	return v.Err()
}

// checkSourceURL says what is wrong with a source link, or "" when it is a plain
// https URL with a host.
func checkSourceURL(s string) string {
	if len(s) > maxSourceURLBytes {
		return fmt.Sprintf("a source link is longer than %d characters", maxSourceURLBytes)
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		return fmt.Sprintf("%q is not a link; use a full https:// address", excerpt(s, 60))
	case u.Scheme != "https":
		return fmt.Sprintf("%q is not an https link; sources must use https://", excerpt(s, 60))
	case u.User != nil:
		return "a source link must not carry a user name or password"
	case strings.ContainsAny(u.Hostname(), " <>\"'") || !strings.Contains(u.Hostname(), "."):
		return fmt.Sprintf("%q does not name a real site", excerpt(s, 60))
	}
	return ""
}

// LabelContext is a post's label with the post, its thread and what v may do there.
type LabelContext struct {
	PostContext
	Label     *FactCheckLabel // nil when the post was never labelled
	Revisions []LabelRevision // oldest first, for the history
	// CanLabel says v may add, edit or remove the label; CanAppeal that v wrote the
	// post and may still appeal the label.
	CanLabel  bool
	CanAppeal bool
}

// labelVoice decides in whose name v labels a post in a group with access a: a
// verified clinician's display name, or "moderators". Someone who may do neither is
// refused.
func (s *Store) labelVoice(v *Viewer, a *GroupAccess, as string) (*Clinician, error) {
	if !v.User.Active() {
		return nil, Errorf(EFORBIDDEN, "your account cannot label posts right now")
	}
	clinician := v.VerifiedClinician(s.now())
	if as != LabelByClinician && as != LabelByModerators {
		as = "" // Validate reports an unknown voice to those who may label
	}
	switch {
	case as == LabelByModerators && a.Moderates:
		return nil, nil
	case (as == LabelByClinician || as == "") && clinician:
		// A ban or pause of the clinician's membership here applies to labels too.
		if err := clinicianVoiceAllowed(v, a, s.now()); err != nil {
			return nil, err
		}
		return v.Clinician, nil
	case as == "" && a.Moderates:
		return nil, nil
	case v.Clinician.Lapsed(s.now()):
		return nil, &Error{Code: EFORBIDDEN, Link: "/clinicians/apply",
			Message: "Your clinician verification has expired; re-verify to label posts again."}
	}
	return nil, Errorf(EFORBIDDEN, "only verified clinicians and the group's moderators can label posts")
}

// mayChangeLabel checks that someone acting in voice as (nil for "moderators") may
// change label l: moderators change any label, a clinician only their own.
func mayChangeLabel(l *FactCheckLabel, as *Clinician) error {
	if !l.Active() || as == nil {
		return nil
	}
	if l.ByClinicianID != nil && *l.ByClinicianID == as.ID {
		return nil
	}
	return Errorf(EFORBIDDEN, "this label was written by someone else; ask the group's moderators to change it")
}

// loadLabel loads post id's label (nil when none) with its clinician.
func loadLabel(ctx context.Context, db *gorm.DB, postID int64) (*FactCheckLabel, error) {
	var l FactCheckLabel
	err := db.WithContext(ctx).Preload("ByClinician").Where("post_id = ?", postID).First(&l).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// PostLabel loads a post's label, its history and what v may do with it. A post v
// may not read is ErrNotFound.
func (s *Store) PostLabel(ctx context.Context, v *Viewer, postID int64) (*LabelContext, error) {
	pc, err := s.loadPost(ctx, s.rdb, v, postID)
	if err != nil {
		return nil, err
	}
	l, err := loadLabel(ctx, s.rdb, postID)
	if err != nil {
		return nil, wrapErr("post label", err)
	}
	lc := &LabelContext{PostContext: *pc, Label: l}
	if l != nil {
		if err := s.rdb.WithContext(ctx).Preload("ByClinician").Where("label_id = ?", l.ID).Order("version, id").
			Find(&lc.Revisions).Error; err != nil {
			return nil, wrapErr("post label", err)
		}
	}
	if v != nil {
		if voice, err := s.labelVoice(v, pc.Access, ""); err == nil && l != nil {
			lc.CanLabel = mayChangeLabel(l, voice) == nil
		} else {
			lc.CanLabel = err == nil
		}
		lc.CanAppeal = l.Active() && l.AppealedAt == nil && pc.Post.AuthoredBy(v, pc.Access.Membership)
	}
	return lc, nil
}

// LabelPost adds a fact-check label to a post, or edits its label (a new version;
// the previous one is kept). Verified clinicians label posts they can read, in their
// display name; the group's moderators label in the name of "moderators". The label's
// author cannot be the post's. Invalid input, including a source that is not an https
// link, is a *ValidationError and nothing is stored.
func (s *Store) LabelPost(ctx context.Context, v *Viewer, postID int64, in LabelInput) (*FactCheckLabel, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	verr := in.Validate()
	var out *labelWrite
	err := s.tx(ctx, func(tx *gorm.DB) error {
		pc, err := s.loadPost(ctx, tx, v, postID)
		if err != nil {
			return err
		}
		voice, err := s.labelVoice(v, pc.Access, in.As)
		if err != nil {
			return err
		}
		// Permission first, so that only those who may label learn what is wrong with a draft.
		if verr != nil {
			return verr
		}
		out, err = s.putLabel(ctx, tx, v, pc, voice, in, "")
		return err
	})
	if err != nil {
		return nil, wrapErr("label post", err)
	}
	s.publish(ctx, Event{Kind: EventPostUpdated, GroupID: out.groupID, PostID: postID})
	return &out.FactCheckLabel, nil
}

// labelWrite is a written label with the group it belongs to, for the live event.
type labelWrite struct {
	FactCheckLabel
	groupID int64
}

// putLabel writes the label in the caller's transaction: a new label, a new version of
// an existing one, or a removed one put back. It keeps a revision and writes the
// modlog and the audit log. reason is the moderator's reason when the label comes
// from the queue.
func (s *Store) putLabel(ctx context.Context, tx *gorm.DB, v *Viewer, pc *PostContext, voice *Clinician, in LabelInput, reason string) (*labelWrite, error) {
	p := pc.Post
	if p.AuthoredBy(v, pc.Access.Membership) {
		return nil, Errorf(EFORBIDDEN, "you cannot label your own post; edit it instead")
	}
	if p.Tombstone() {
		return nil, Errorf(ECONFLICT, "this post was deleted or removed, so it cannot be labelled")
	}
	l, err := loadLabel(ctx, tx, p.ID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	sources := strings.Join(in.Sources, "\n")
	var byID *int64
	if voice != nil {
		byID = &voice.ID
	}
	action := "added"
	switch {
	case l == nil:
		l = &FactCheckLabel{PostID: p.ID, Note: in.Note, Sources: sources, ByClinicianID: byID, Version: 1,
			CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(l).Error; err != nil {
			return nil, err
		}
	default:
		if err := mayChangeLabel(l, voice); err != nil {
			return nil, err
		}
		if l.Active() {
			action = "edited"
			if in.Version != 0 && in.Version != l.Version {
				return nil, Errorf(ECONFLICT, "This label changed after you opened it. Nothing was saved; reload and edit it again.")
			}
		}
		res := tx.Model(&FactCheckLabel{}).Where("id = ? AND version = ?", l.ID, l.Version).Updates(map[string]any{
			"note": in.Note, "sources": sources, "by_clinician_id": byID, "version": l.Version + 1,
			"removed_at": nil, "updated_at": now})
		if res.Error != nil {
			return nil, res.Error
		}
		if res.RowsAffected == 0 {
			return nil, Errorf(ECONFLICT, "This label changed after you opened it. Nothing was saved; reload and edit it again.")
		}
		l.Note, l.Sources, l.ByClinicianID, l.Version, l.RemovedAt, l.UpdatedAt = in.Note, sources, byID, l.Version+1, nil, now
		if action == "added" { // put back after a removal: a fresh label, which may be appealed again
			if err := tx.Model(l).Update("appealed_at", nil).Error; err != nil {
				return nil, err
			}
			l.AppealedAt = nil
		}
	}
	l.ByClinician = voice
	rev := LabelRevision{LabelID: l.ID, Version: l.Version, Action: action, Note: l.Note, Sources: l.Sources,
		ByClinicianID: byID, Reason: reason, CreatedAt: now}
	if err := tx.Create(&rev).Error; err != nil {
		return nil, err
	}
	logAction := ActionLabel
	if action == "edited" {
		logAction = "label_edited"
	}
	if err := s.labelLog(ctx, tx, v, voice, pc, logAction, firstNonEmpty(reason, l.Note)); err != nil {
		return nil, err
	}
	if action == "added" && p.MembershipID != nil {
		text := "A fact-check label by " + l.By() + " was added to your post. If you think it is wrong, you can appeal it once from the post."
		if err := s.notify(ctx, tx, *p.MembershipID, NotifyModeration, p.ThreadID, p.ID, text); err != nil {
			return nil, err
		}
	}
	return &labelWrite{FactCheckLabel: *l, groupID: pc.Thread.GroupID}, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// labelLog writes the modlog and the audit log for a label change. A clinician's
// change names the clinician's display name, never their pseudonym in the group, so
// that the modlog cannot link the two voices; the queue's own decisions are logged
// by applyAction.
func (s *Store) labelLog(ctx context.Context, tx *gorm.DB, v *Viewer, voice *Clinician, pc *PostContext, action, reason string) error {
	label := "post by a clinician"
	if m := pc.Post.Membership; m != nil {
		label = "post by " + m.Pseudonym
	}
	reason = excerpt(reason, 1000)
	if voice == nil {
		return s.modlog(ctx, tx, v, pc.Thread.GroupID, action, TargetPost, pc.Post.ID, label, reason)
	}
	e := ModlogEntry{GroupID: pc.Thread.GroupID, Action: action, TargetType: TargetPost, TargetID: pc.Post.ID,
		TargetLabel: label, Reason: reason, ModeratorID: &v.User.ID, ModeratorPseudonym: voice.DisplayName, CreatedAt: s.now()}
	if err := tx.WithContext(ctx).Create(&e).Error; err != nil {
		return fmt.Errorf("models: modlog: %w", err)
	}
	return s.audit(ctx, tx, v, "clinician."+action, TargetPost, pc.Post.ID, reason)
}

// RemoveLabel takes a post's label down; its history stays. Moderators remove any
// label, a clinician the labels they wrote.
func (s *Store) RemoveLabel(ctx context.Context, v *Viewer, postID int64, reason string) (*FactCheckLabel, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > 1000 {
		return nil, &ValidationError{Fields: map[string]string{"reason": "use at most 1000 characters"}}
	}
	var out FactCheckLabel
	var groupID int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		pc, err := s.loadPost(ctx, tx, v, postID)
		if err != nil {
			return err
		}
		l, err := loadLabel(ctx, tx, postID)
		if err != nil {
			return err
		}
		if !l.Active() {
			return ErrNotFound
		}
		as := LabelByModerators
		if !pc.Access.Moderates {
			as = LabelByClinician
		}
		voice, err := s.labelVoice(v, pc.Access, as)
		if err != nil {
			return err
		}
		if err := mayChangeLabel(l, voice); err != nil {
			return err
		}
		now := s.now()
		res := tx.Model(&FactCheckLabel{}).Where("id = ? AND version = ?", l.ID, l.Version).
			Updates(map[string]any{"removed_at": now, "version": l.Version + 1, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return Errorf(ECONFLICT, "This label changed meanwhile; reload and try again.")
		}
		l.RemovedAt, l.Version, l.UpdatedAt = &now, l.Version+1, now
		rev := LabelRevision{LabelID: l.ID, Version: l.Version, Action: "removed", Note: l.Note, Sources: l.Sources,
			ByClinicianID: l.ByClinicianID, Reason: reason, CreatedAt: now}
		if err := tx.Create(&rev).Error; err != nil {
			return err
		}
		out, groupID = *l, pc.Thread.GroupID
		return s.labelLog(ctx, tx, v, voice, pc, "label_removed", reason)
	})
	if err != nil {
		return nil, wrapErr("remove label", err)
	}
	s.publish(ctx, Event{Kind: EventPostUpdated, GroupID: groupID, PostID: postID})
	return &out, nil
}

// AppealLabel files the post author's appeal against the label on their post: it
// opens (or joins) the post's queue item in the misinformation lane, with the note,
// for the group's moderators. A label is appealed once (409 after that); someone
// else's post is ErrForbidden, and a post without a label ErrNotFound.
func (s *Store) AppealLabel(ctx context.Context, v *Viewer, postID int64, in AppealInput) (*QueueItem, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	in.Note = strings.TrimSpace(in.Note)
	if utf8.RuneCountInString(in.Note) > 1000 {
		return nil, &ValidationError{Fields: map[string]string{"note": "use at most 1000 characters"}}
	}
	var out *QueueItem
	err := s.tx(ctx, func(tx *gorm.DB) error {
		pc, err := s.loadPost(ctx, tx, v, postID)
		if err != nil {
			return err
		}
		p := pc.Post
		if !p.AuthoredBy(v, pc.Access.Membership) {
			return Errorf(EFORBIDDEN, "only the post's author can appeal its label")
		}
		l, err := loadLabel(ctx, tx, postID)
		if err != nil {
			return err
		}
		if !l.Active() {
			return ErrNotFound
		}
		now := s.now()
		res := tx.Model(&FactCheckLabel{}).Where("id = ? AND appealed_at IS NULL", l.ID).Update("appealed_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return Errorf(ECONFLICT, "You have already appealed this label. A label can be appealed once.")
		}
		note := "The author appeals the fact-check label by " + l.By() + ": " + l.Note
		if in.Note != "" {
			note += "\nThe author says: " + in.Note
		}
		fi := flagInput{GroupID: pc.Thread.GroupID, TargetType: TargetPost, TargetID: p.ID, Lane: LaneMisinformation,
			Source: "label_appeal", Snapshot: snapshotOf(pc.Thread, p), Note: excerpt(note, 1000)}
		if p.MembershipID != nil {
			fi.ReporterMembershipID = p.MembershipID
		}
		item, err := s.flag(ctx, tx, fi)
		if err != nil {
			return err
		}
		out = item
		return s.audit(ctx, tx, v, "label.appeal", TargetPost, p.ID, in.Note)
	})
	if err != nil {
		return nil, wrapErr("appeal label", err)
	}
	return out, nil
}

// PostLabels loads the shown labels of the given posts, by post id, in one query.
func (s *Store) PostLabels(ctx context.Context, postIDs []int64) (map[int64]*FactCheckLabel, error) {
	out := map[int64]*FactCheckLabel{}
	if len(postIDs) == 0 {
		return out, nil
	}
	var ls []FactCheckLabel
	if err := s.rdb.WithContext(ctx).Preload("ByClinician").Where("post_id IN ? AND removed_at IS NULL", postIDs).
		Find(&ls).Error; err != nil {
		return nil, wrapErr("post labels", err)
	}
	for i := range ls {
		out[ls[i].PostID] = &ls[i]
	}
	return out, nil
}

// labelFromQueue carries out a moderator's "label" decision on a queue item about a
// post (see applyAction): the label is written in the name of "moderators", whether
// or not the moderator is also a clinician. The decision itself is logged by the caller.
func (s *Store) labelFromQueue(ctx context.Context, tx *gorm.DB, post *Post, in LabelInput, reason string) error {
	if post == nil {
		return &ValidationError{Fields: map[string]string{"action": "only posts can be labelled"}}
	}
	if err := in.Validate(); err != nil {
		return err
	}
	if post.Tombstone() {
		return Errorf(ECONFLICT, "this post was deleted or removed, so it cannot be labelled")
	}
	l, err := loadLabel(ctx, tx, post.ID)
	if err != nil {
		return err
	}
	now := s.now()
	sources := strings.Join(in.Sources, "\n")
	action := "added"
	if l == nil {
		l = &FactCheckLabel{PostID: post.ID, Note: in.Note, Sources: sources, Version: 1, CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(l).Error; err != nil {
			return err
		}
	} else {
		if l.Active() {
			action = "edited"
		}
		updates := map[string]any{"note": in.Note, "sources": sources, "by_clinician_id": nil,
			"version": l.Version + 1, "removed_at": nil, "updated_at": now}
		if action == "added" {
			updates["appealed_at"] = nil
		}
		if err := tx.Model(l).Updates(updates).Error; err != nil {
			return err
		}
		l.Version++
	}
	return tx.Create(&LabelRevision{LabelID: l.ID, Version: l.Version, Action: action, Note: in.Note, Sources: sources,
		Reason: reason, CreatedAt: now}).Error
}

// labelInput is the label of a "label" decision on a queue item: the JSON body's
// label, or a form's label_note and label_sources (one link a line).
func (in *ResolveInput) labelInput() LabelInput {
	l := in.Label
	if l.Note == "" && len(l.Sources) == 0 {
		l.Note, l.Sources = in.LabelNote, []string{in.LabelSources}
	}
	l.As, l.Version = LabelByModerators, 0
	return l
}

// validateQueueLabel checks the label of a "label" decision, naming its fields
// label_note and label_sources.
func validateQueueLabel(in *ResolveInput, ve *ValidationError) {
	l := in.labelInput()
	var lve *ValidationError
	if err := l.Validate(); errors.As(err, &lve) {
		for f, msg := range lve.Fields {
			ve.Add("label_"+f, msg)
		}
	}
}
