package models

import (
	"context"
	"time"
)

// ExpireClinicianForTest moves a clinician credential's expiry to at, as time passing
// would; tests of other packages use it to see a credential lapse.
func (s *Store) ExpireClinicianForTest(ctx context.Context, clinicianID int64, at time.Time) error {
	return wrapErr("expire clinician", s.db.WithContext(ctx).Model(&Clinician{}).Where("id = ?", clinicianID).
		Update("expires_at", at.UTC()).Error)
}
