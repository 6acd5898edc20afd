package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// AuditEntry is one line of the staff-only audit log: who did what to what, and why.
type AuditEntry struct {
	ID         int64     `gorm:"primaryKey"`
	ActorID    *int64    `gorm:"index"`
	Action     string    `gorm:"size:64;not null;index"`
	TargetType string    `gorm:"size:32;not null"`
	TargetID   int64     `gorm:"not null"`
	Reason     string    `gorm:"size:2000"`
	CreatedAt  time.Time `gorm:"not null;index"`
}

func (s *Store) audit(ctx context.Context, tx *gorm.DB, actor *Viewer, action, targetType string, targetID int64, reason string) error {
	e := AuditEntry{Action: action, TargetType: targetType, TargetID: targetID, Reason: reason, CreatedAt: s.now()}
	if id := actor.UserID(); id != 0 {
		e.ActorID = &id
	}
	if err := tx.WithContext(ctx).Create(&e).Error; err != nil {
		return fmt.Errorf("models: audit %s: %w", action, err)
	}
	return nil
}

// AuditLog lists the newest audit entries; admins only.
func (s *Store) AuditLog(ctx context.Context, v *Viewer, limit int) ([]AuditEntry, error) {
	if !v.IsAdmin() {
		return nil, ErrNotFound
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var out []AuditEntry
	if err := s.rdb.WithContext(ctx).Order("id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("models: audit log: %w", err)
	}
	return out, nil
}
