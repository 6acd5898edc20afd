package models

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
)

// What a member's report is about: the post it was sent from, that post's thread, or
// the member who wrote the post. Threads and members get queue items of their own.
const (
	ReportAboutPost   = "post"
	ReportAboutThread = "thread"
	ReportAboutMember = "member"
)

var reportAbouts = []string{ReportAboutPost, ReportAboutThread, ReportAboutMember}

// reportTarget is the thing a report opens or joins a queue item for, with the
// snapshot the report keeps of it.
type reportTarget struct {
	Type     string
	ID       int64
	Snapshot string
}

// reportTargetFor resolves what v's report sent from post p (in thread t) is about.
// One's own post, thread or membership is a conflict; a member report on a post in
// the clinician voice, which belongs to no membership, is a validation error.
func (s *Store) reportTargetFor(ctx context.Context, tx *gorm.DB, v *Viewer, about string, t *Thread, p *Post, a *GroupAccess) (*reportTarget, error) {
	mine := func(membershipID int64) bool { return a.Membership != nil && a.Membership.ID == membershipID }
	switch about {
	case ReportAboutThread:
		if mine(t.MembershipID) {
			return nil, Errorf(ECONFLICT, "you cannot report your own thread")
		}
		var first Post
		if err := tx.WithContext(ctx).Where("thread_id = ?", t.ID).Order("id").First(&first).Error; err != nil {
			return nil, err
		}
		return &reportTarget{Type: TargetThread, ID: t.ID, Snapshot: snapshotOf(t, &first)}, nil
	case ReportAboutMember:
		if p.MembershipID == nil {
			return nil, &ValidationError{Fields: map[string]string{"about": "this post was written as a clinician; report the post itself"}}
		}
		if mine(*p.MembershipID) {
			return nil, Errorf(ECONFLICT, "you cannot report yourself")
		}
		var m Membership
		if err := tx.WithContext(ctx).Select("id", "pseudonym").First(&m, *p.MembershipID).Error; err != nil {
			return nil, err
		}
		return &reportTarget{Type: TargetMembership, ID: m.ID,
			Snapshot: fmt.Sprintf("Member: %s\nReported from this post:\n%s", m.Pseudonym, snapshotOf(t, p))}, nil
	}
	if p.AuthoredBy(v, a.Membership) {
		return nil, Errorf(ECONFLICT, "you cannot report your own post; you can edit or delete it instead")
	}
	if p.Tombstone() {
		return nil, Errorf(ECONFLICT, "this post is no longer shown; you can still report its thread or its author")
	}
	return &reportTarget{Type: TargetPost, ID: p.ID, Snapshot: snapshotOf(t, p)}, nil
}

// openingPost is the first post of a thread.
func openingPost(ctx context.Context, db *gorm.DB, threadID int64) (*Post, error) {
	var p Post
	err := db.WithContext(ctx).Preload("Membership").Preload("Clinician").Where("thread_id = ?", threadID).Order("id").First(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// threadTarget loads a thread item's thread with its author and opening post, for
// applyAction: removing a thread tombstones its opening post and locks it, and warn,
// mute and ban concern the thread's author.
func (s *Store) threadTarget(ctx context.Context, tx *gorm.DB, threadID int64) (*Thread, *Post, error) {
	var t Thread
	if err := tx.WithContext(ctx).Preload("Membership").First(&t, threadID).Error; err != nil {
		return nil, nil, err
	}
	op, err := openingPost(ctx, tx, t.ID)
	if err != nil {
		return nil, nil, err
	}
	return &t, op, nil
}

// withoutRedacted drops, from revisions listed newest first, the text a moderator's
// redaction took out: the redacted version and every earlier one. The original is
// kept for the group's moderators and staff (see applyAction), not for the author.
func withoutRedacted(revs []PostRevision) []PostRevision {
	for i, r := range revs {
		if r.EditedBy == "moderator" {
			return revs[:i]
		}
	}
	return revs
}
