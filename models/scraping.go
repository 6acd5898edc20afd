package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Scraping alert statuses.
const (
	ScrapingOpen     = "open"
	ScrapingResolved = "resolved"
)

// ScrapingAlert is an account that read unusually many threads in a short time: a
// scraper, or a stolen session harvesting what members wrote. Only staff see alerts;
// the user id links an account's pseudonyms, so it never leaves the admin pages.
// One account has at most one open alert: later bursts raise its counts.
type ScrapingAlert struct {
	ID     int64 `gorm:"primaryKey"`
	UserID int64 `gorm:"not null;index"`
	// OpenKey is the user id while the alert is open, so an account has one open alert.
	OpenKey *int64 `gorm:"uniqueIndex"`
	// Threads is the most distinct threads read in one window; Window is its length.
	Threads       int    `gorm:"not null"`
	WindowSeconds int    `gorm:"not null"`
	Bursts        int    `gorm:"not null;default:1"`
	Status        string `gorm:"size:16;not null;default:open;index"`
	Resolution    string `gorm:"size:1000;not null;default:''"`
	ResolvedBy    *int64
	ResolvedAt    *time.Time
	LastSeenAt    time.Time `gorm:"not null"`
	CreatedAt     time.Time `gorm:"not null"`
}

// FlagScraping records that userID read threads distinct threads within window, and
// opens an alert for staff (audited), or raises the account's open alert. It is the
// system's act: no viewer is needed.
func (s *Store) FlagScraping(ctx context.Context, userID int64, threads int, window time.Duration) (*ScrapingAlert, error) {
	if userID == 0 {
		return nil, ErrNotFound
	}
	var out ScrapingAlert
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		err := tx.Where("open_key = ?", userID).First(&out).Error
		switch {
		case err == nil:
			out.Bursts++
			out.Threads = max(out.Threads, threads)
			out.LastSeenAt = now
			return tx.Model(&out).Updates(map[string]any{"bursts": out.Bursts, "threads": out.Threads, "last_seen_at": now}).Error
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return err
		}
		key := userID
		out = ScrapingAlert{UserID: userID, OpenKey: &key, Threads: threads, WindowSeconds: int(window / time.Second),
			Bursts: 1, Status: ScrapingOpen, LastSeenAt: now, CreatedAt: now}
		if err := tx.Create(&out).Error; err != nil {
			return err
		}
		return s.audit(ctx, tx, nil, "scraping.flagged", "user", userID,
			fmt.Sprintf("read %d threads within %s", threads, window))
	})
	if err != nil {
		return nil, fmt.Errorf("models: flag scraping: %w", err)
	}
	return &out, nil
}

// ScrapingAlerts lists alerts with status (open or resolved; "" is open), newest
// activity first; admins only.
func (s *Store) ScrapingAlerts(ctx context.Context, v *Viewer, status string) ([]ScrapingAlert, error) {
	if !v.IsAdmin() {
		return nil, ErrNotFound
	}
	if status == "" {
		status = ScrapingOpen
	}
	if status != ScrapingOpen && status != ScrapingResolved {
		return nil, &ValidationError{Fields: map[string]string{"status": "choose open or resolved"}}
	}
	var out []ScrapingAlert
	if err := s.rdb.WithContext(ctx).Where("status = ?", status).Order("last_seen_at DESC").Order("id DESC").
		Limit(200).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("models: scraping alerts: %w", err)
	}
	return out, nil
}

// ResolveScrapingAlert closes an open alert with a reason (e.g. "a researcher with
// permission", "session revoked"); admins only, audited.
func (s *Store) ResolveScrapingAlert(ctx context.Context, v *Viewer, id int64, reason string) (*ScrapingAlert, error) {
	if !v.IsAdmin() {
		return nil, ErrNotFound
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > 1000 {
		return nil, &ValidationError{Fields: map[string]string{"reason": "say in up to 1000 characters what you found"}}
	}
	var a ScrapingAlert
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.First(&a, id).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return err
		}
		if a.Status != ScrapingOpen {
			return Errorf(ECONFLICT, "this alert was already resolved")
		}
		now, by := s.now(), v.UserID()
		a.Status, a.Resolution, a.ResolvedBy, a.ResolvedAt, a.OpenKey = ScrapingResolved, reason, &by, &now, nil
		if err := tx.Model(&a).Select("status", "resolution", "resolved_by", "resolved_at", "open_key").Updates(&a).Error; err != nil {
			return err
		}
		return s.audit(ctx, tx, v, "scraping.resolved", "user", a.UserID, reason)
	})
	if err != nil {
		var de *Error
		if errors.As(err, &de) {
			return nil, err
		}
		return nil, fmt.Errorf("models: resolve scraping alert: %w", err)
	}
	return &a, nil
}
