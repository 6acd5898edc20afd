package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// MaxSlowModeSeconds is the longest slow mode: one post a day.
const MaxSlowModeSeconds = 86400

// RateLimitError refuses a write that came too soon; RetryAfter is how long to wait.
// It matches a rate_limited *Error for errors.Is and errors.As.
type RateLimitError struct {
	RetryAfter time.Duration
	Message    string
}

func (e *RateLimitError) Error() string { return e.Message }

// Unwrap makes the error a rate_limited domain error.
func (e *RateLimitError) Unwrap() error { return Errorf(ERATELIMITED, e.Message) }

// RetryAfterSeconds is RetryAfter in whole seconds, rounded up, at least 1.
func (e *RateLimitError) RetryAfterSeconds() int {
	n := int((e.RetryAfter + time.Second - 1) / time.Second)
	return max(n, 1)
}

// SlowModeText says a slow mode in words: "1 minute", "90 seconds", "1 day".
func SlowModeText(seconds int) string {
	switch {
	case seconds <= 0:
		return "off"
	case seconds%86400 == 0:
		return countOf(seconds/86400, "day")
	case seconds%3600 == 0:
		return countOf(seconds/3600, "hour")
	case seconds%60 == 0:
		return countOf(seconds/60, "minute")
	}
	return countOf(seconds, "second")
}

func countOf(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// waitText says a wait in words, rounded up: "3 minutes", "40 seconds", "2 hours".
func waitText(d time.Duration) string {
	switch {
	case d <= time.Minute:
		return countOf(int((d+time.Second-1)/time.Second), "second")
	case d <= time.Hour:
		return countOf(int((d+time.Minute-1)/time.Minute), "minute")
	}
	return countOf(int((d+time.Hour-1)/time.Hour), "hour")
}

// checkSlowMode refuses a post in a thread in slow mode when its author (the
// membership, or the clinician for a post in the clinician voice) posted there less
// than SlowModeSeconds ago, with a *RateLimitError saying when they may post again.
// The group's moderators (and admins) are exempt.
func (s *Store) checkSlowMode(ctx context.Context, tx *gorm.DB, t *Thread, p *Post, a *GroupAccess) error {
	if t.SlowModeSeconds <= 0 || a.Moderates {
		return nil
	}
	q := tx.WithContext(ctx).Model(&Post{}).Select("created_at").Where("thread_id = ?", t.ID)
	switch {
	case p.MembershipID != nil:
		q = q.Where("membership_id = ?", *p.MembershipID)
	case p.ClinicianID != nil:
		q = q.Where("clinician_id = ?", *p.ClinicianID)
	default:
		return nil
	}
	var last Post
	err := q.Order("created_at DESC").Limit(1).Take(&last).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	now := s.now()
	next := last.CreatedAt.Add(time.Duration(t.SlowModeSeconds) * time.Second)
	if !now.Before(next) {
		return nil
	}
	return &RateLimitError{RetryAfter: next.Sub(now), Message: fmt.Sprintf(
		"Slow mode is on in this thread: one post every %s. You can post again in %s (at %s).",
		SlowModeText(t.SlowModeSeconds), waitText(next.Sub(now)), next.UTC().Format("15:04 MST"))}
}

// SlowModeInput is what a moderator sends to set a thread's slow mode.
type SlowModeInput struct {
	Seconds int `json:"seconds" form:"seconds"`
}

// SetSlowMode sets the minimum time between one member's posts in a thread (0 turns
// slow mode off). The group's moderators and admins may; to others who can read the
// thread it is ErrForbidden, and ErrNotFound to the rest. A change is audited and in
// the group's modlog; setting the current value changes nothing.
func (s *Store) SetSlowMode(ctx context.Context, v *Viewer, threadID int64, in SlowModeInput) (*Thread, error) {
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
		if !a.Moderates {
			return Errorf(EFORBIDDEN, "only the group's moderators can change slow mode")
		}
		if in.Seconds < 0 || in.Seconds > MaxSlowModeSeconds {
			return &ValidationError{Fields: map[string]string{"seconds": "choose from 0 (off) to 86400 seconds (one day)"}}
		}
		if t.SlowModeSeconds == in.Seconds {
			return nil
		}
		now := s.now()
		if err := tx.Model(&Thread{}).Where("id = ?", t.ID).
			Updates(map[string]any{"slow_mode_seconds": in.Seconds, "updated_at": now}).Error; err != nil {
			return err
		}
		t.SlowModeSeconds, t.UpdatedAt = in.Seconds, now
		reason := "slow mode off"
		if in.Seconds > 0 {
			reason = "slow mode: one post every " + SlowModeText(in.Seconds)
		}
		return s.modlog(ctx, tx, v, t.GroupID, "slow_mode", TargetThread, t.ID, t.Title, reason)
	})
	if err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrNotFound
		}
		return nil, wrapErr("set slow mode", err)
	}
	return &t, nil
}
