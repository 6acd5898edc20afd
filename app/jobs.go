package app

import (
	"context"
	"time"

	"haven/models"
)

// jobTick is how often each instance checks whether a scheduled job is due. However
// many instances run, each job runs on one of them at a time, at most once per its
// interval (see models.RunJob).
const jobTick = 30 * time.Second

// jobs lists Haven's periodic work. Add a job here; it runs on one instance at a time.
func (h *handler) jobs() []models.Job {
	return []models.Job{
		{Name: "claim-lease-expiry", Every: time.Minute, Run: func(ctx context.Context) error {
			n, err := h.store.ReleaseExpiredClaims(ctx)
			if n > 0 {
				h.log.Info("released expired queue claims", "count", n)
			}
			return err
		}},
		// The dashboard's counters and emerging topics (see models/stats.go, topics.go).
		{Name: "dashboard-counters", Every: time.Minute, Run: h.store.RefreshStats},
		{Name: "emerging-topics", Every: 15 * time.Minute, Run: h.store.RefreshTopics},
	}
}
