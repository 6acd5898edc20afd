package models

import (
	"context"
	"fmt"
	"unicode/utf8"

	"gorm.io/gorm"
)

// A live thread (kind "live") carries timestamped updates that only the group's
// moderators and admins post, such as "clinic capacity at 15:30" or a live Q&A.
// Members discuss it in a discussion thread opened alongside it: the live thread's
// DiscussionThreadID names it, and the discussion's LiveThreadID points back. A live
// thread lists its updates newest first.

// openLiveDiscussion opens the discussion thread of a live thread t, in the
// transaction that opens t, under the same pseudonym.
func (s *Store) openLiveDiscussion(ctx context.Context, tx *gorm.DB, t *Thread, a *GroupAccess) error {
	title := "Discussion: " + t.Title
	if utf8.RuneCountInString(title) > 200 {
		title = string([]rune(title)[:199]) + "…"
	}
	body := fmt.Sprintf("Talk about the live updates in [%s](/threads/%d) here. Only the group's moderators post in the live thread itself.",
		escapeMarkdownText(t.Title), t.ID)
	html, err := RenderMarkdown(body)
	if err != nil {
		return err
	}
	now := t.CreatedAt
	d := Thread{GroupID: t.GroupID, MembershipID: t.MembershipID, Title: title, Kind: KindDiscussion,
		LiveThreadID: &t.ID, LastPostAt: now, CreatedAt: now, UpdatedAt: now}
	if err := tx.Create(&d).Error; err != nil {
		return err
	}
	p := Post{ThreadID: d.ID, MembershipID: &a.Membership.ID, Body: body, BodyHTML: html,
		Status: PostPublished, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := tx.Create(&p).Error; err != nil {
		return err
	}
	if err := tx.Model(&Thread{}).Where("id = ?", t.ID).Update("discussion_thread_id", d.ID).Error; err != nil {
		return err
	}
	t.DiscussionThreadID = &d.ID
	if err := tx.Model(&Group{}).Where("id = ?", t.GroupID).
		UpdateColumn("thread_count", gorm.Expr("thread_count + 1")).Error; err != nil {
		return err
	}
	if err := tx.Model(&Membership{}).Where("id = ?", a.Membership.ID).
		UpdateColumn("post_count", gorm.Expr("post_count + 1")).Error; err != nil {
		return err
	}
	d.Group, d.Membership, p.Membership = a.Group, a.Membership, a.Membership
	return s.afterPostWrite(ctx, tx, &d, &p)
}

// escapeMarkdownText escapes the characters that would make a title into Markdown
// syntax inside a link's text.
func escapeMarkdownText(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		switch r {
		case '\\', '[', ']', '*', '_', '`', '<', '>', '!', '#', '|', '~', '&':
			out = append(out, '\\')
		}
		out = append(out, r)
	}
	return string(out)
}

// liveReplyError is the answer to a member replying in a live thread: they discuss
// in the linked thread.
func liveReplyError(t *Thread) error {
	e := Errorf(EFORBIDDEN, "Only the group's moderators post updates in a live thread; members discuss in the linked thread.")
	if t.DiscussionThreadID != nil {
		e.Link = fmt.Sprintf("/threads/%d", *t.DiscussionThreadID)
	}
	return e
}

// liveOrder is the order of a thread's posts on its pages: newest first in a live
// thread, oldest first elsewhere.
func liveOrder(t *Thread) string {
	if t.Kind == KindLive {
		return "id DESC"
	}
	return "id"
}

// isLiveThread reports whether the thread is a live thread (newest post first).
func (s *Store) isLiveThread(ctx context.Context, threadID int64) (bool, error) {
	var n int64
	err := s.rdb.WithContext(ctx).Model(&Thread{}).Where("id = ? AND kind = ?", threadID, KindLive).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("models: thread kind: %w", err)
	}
	return n > 0, nil
}
