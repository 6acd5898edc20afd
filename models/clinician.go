package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Clinician statuses. A verified credential whose ExpiresAt has passed has lapsed: it
// is listed as expired, and its holder is asked to re-verify.
const (
	ClinicianPending  = "pending"
	ClinicianVerified = "verified"
	ClinicianRejected = "rejected"
	ClinicianExpired  = "expired"
)

// ClinicianStatuses lists the statuses of the admins' verification list, in its order.
var ClinicianStatuses = []string{ClinicianPending, ClinicianVerified, ClinicianRejected, ClinicianExpired}

// Clinician decisions an admin takes on an application.
const (
	DecisionVerify = "verify"
	DecisionReject = "reject"
)

// Limits on a clinician application.
const (
	maxDisplayNameRunes  = 120
	maxCredentialRunes   = 40
	maxSpecialtyRunes    = 120
	maxJurisdictionRunes = 120
	maxLicenseRunes      = 80
	maxDecisionNoteRunes = 2000
	// MaxVerification is the longest an admin may verify a credential for.
	MaxVerification = 5 * 366 * 24 * time.Hour
)

// SuggestedCredentials are the credentials the application form offers; others are
// accepted too.
var SuggestedCredentials = []string{"MD", "DO", "MBBS", "RN", "NP", "PA", "PharmD", "RD", "Psychologist", "Midwife", "Physiotherapist"}

// DisplayStatus is the status an admin or the clinician sees at now: a verified
// credential past its expiry is expired.
func (c *Clinician) DisplayStatus(now time.Time) string {
	if c.Status == ClinicianVerified && !c.Verified(now) {
		return ClinicianExpired
	}
	return c.Status
}

// Lapsed reports whether the credential was verified and has expired at now: its
// holder is asked to re-verify.
func (c *Clinician) Lapsed(now time.Time) bool {
	return c != nil && c.DisplayStatus(now) == ClinicianExpired
}

// ClinicianDecision is one entry of an application's history: the application itself,
// or an admin's decision with its notes. It is for admins alone.
type ClinicianDecision struct {
	ID          int64      `gorm:"primaryKey"`
	ClinicianID int64      `gorm:"not null;index"`
	Clinician   *Clinician `gorm:"constraint:OnDelete:CASCADE"`
	Decision    string     `gorm:"size:16;not null"` // apply, verify, reject
	Notes       string     `gorm:"size:2000;not null;default:''"`
	ExpiresAt   *time.Time
	DeciderID   *int64    // the admin's user id; never shown outside the audit log
	CreatedAt   time.Time `gorm:"not null"`
}

// ClinicianInput is what a member sends to apply for verification.
type ClinicianInput struct {
	DisplayName   string `json:"display_name" form:"display_name"`
	Credential    string `json:"credential" form:"credential"`
	Specialty     string `json:"specialty" form:"specialty"`
	Jurisdiction  string `json:"jurisdiction" form:"jurisdiction"`
	LicenseNumber string `json:"license_number" form:"license_number"`
}

// Validate trims the input and reports what is wrong with it, field by field.
func (in *ClinicianInput) Validate() error {
	var v ValidationError
	check := func(field string, s *string, min, max int, what string) {
		*s = strings.Join(strings.Fields(*s), " ")
		switch n := utf8.RuneCountInString(*s); {
		case n == 0:
			v.Add(field, what+" is required")
		case n < min:
			v.Add(field, fmt.Sprintf("use at least %d characters", min))
		case n > max:
			v.Add(field, fmt.Sprintf("use at most %d characters", max))
		case strings.IndexFunc(*s, unicode.IsControl) >= 0:
			v.Add(field, "remove the control characters")
		}
	}
	check("display_name", &in.DisplayName, 3, maxDisplayNameRunes, "your professional name, as patients will see it,")
	check("credential", &in.Credential, 2, maxCredentialRunes, "a credential (MD, RN, NP, PharmD, RD, psychologist…)")
	check("specialty", &in.Specialty, 2, maxSpecialtyRunes, "a specialty")
	check("jurisdiction", &in.Jurisdiction, 2, maxJurisdictionRunes, "the jurisdiction that licenses you")
	check("license_number", &in.LicenseNumber, 3, maxLicenseRunes, "a licence or registration number")
	if _, bad := v.Fields["license_number"]; !bad && strings.IndexFunc(in.LicenseNumber, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(" -/.", r))
	}) >= 0 {
		v.Add("license_number", "use letters, digits, spaces, hyphens, dots and slashes only")
	}
	return v.Err()
}

// MyClinician loads v's own clinician record (nil when v never applied). It is for v
// alone: the licence number is not in it.
func (s *Store) MyClinician(ctx context.Context, v *Viewer) (*Clinician, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	var c Clinician
	err := s.rdb.WithContext(ctx).Omit("license_number").Where("user_id = ?", v.User.ID).First(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, wrapErr("my clinician", err)
	}
	return &c, nil
}

// ApplyClinician files v's application for verification as a clinician. A pending
// application, or a credential that is verified and current, is a conflict; a
// rejected or lapsed one is replaced by the new application (pending again). Nothing
// is stored when the input is invalid.
func (s *Store) ApplyClinician(ctx context.Context, v *Viewer, in ClinicianInput) (*Clinician, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	if !v.User.Active() {
		return nil, Errorf(EFORBIDDEN, "your account cannot apply right now")
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var out Clinician
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		var c Clinician
		err := tx.Where("user_id = ?", v.User.ID).First(&c).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			c = Clinician{UserID: v.User.ID, CreatedAt: now}
		case err != nil:
			return err
		case c.Status == ClinicianPending:
			return Errorf(ECONFLICT, "Your application is waiting for an admin; you will see the decision here.")
		case c.Verified(now):
			return Errorf(ECONFLICT, "Your credential is verified and current; you can apply again once it expires.")
		}
		c.DisplayName, c.Credential, c.Specialty = in.DisplayName, in.Credential, in.Specialty
		c.Jurisdiction, c.LicenseNumber = in.Jurisdiction, in.LicenseNumber
		c.Status, c.ExpiresAt, c.UpdatedAt = ClinicianPending, nil, now
		if err := tx.Save(&c).Error; err != nil {
			return err
		}
		if err := tx.Create(&ClinicianDecision{ClinicianID: c.ID, Decision: "apply", CreatedAt: now}).Error; err != nil {
			return err
		}
		out = c
		return s.audit(ctx, tx, v, "clinician.apply", "clinician", c.ID, "")
	})
	if err != nil {
		return nil, wrapErr("apply clinician", err)
	}
	out.LicenseNumber = ""
	return &out, nil
}

// ClinicianApplication is one application on the admins' verification list, with its
// history of decisions and notes.
type ClinicianApplication struct {
	Clinician Clinician
	Status    string // as DisplayStatus says
	History   []ClinicianDecision
}

// ClinicianList lists applications for admins, by status ("" is every status):
// pending ones oldest first, the others most recently changed first. It is
// ErrNotFound for anyone but an admin.
func (s *Store) ClinicianList(ctx context.Context, v *Viewer, status string, page int) ([]ClinicianApplication, bool, error) {
	if !v.IsAdmin() {
		return nil, false, ErrNotFound
	}
	if page < 1 || page > MaxPage {
		return nil, false, &ValidationError{Fields: map[string]string{"page": fmt.Sprintf("use a page from 1 to %d", MaxPage)}}
	}
	now := s.now()
	db := s.rdb.WithContext(ctx)
	q := db.Model(&Clinician{})
	switch status {
	case "":
	case ClinicianPending, ClinicianRejected:
		q = q.Where("status = ?", status)
	case ClinicianVerified:
		q = q.Where("status = ? AND (expires_at IS NULL OR expires_at > ?)", ClinicianVerified, now)
	case ClinicianExpired:
		q = q.Where("status = ? OR (status = ? AND expires_at <= ?)", ClinicianExpired, ClinicianVerified, now)
	default:
		return nil, false, &ValidationError{Fields: map[string]string{"status": "choose pending, verified, rejected or expired"}}
	}
	// Pending first (oldest waiting first), then the most recently changed.
	q = q.Order("CASE WHEN status = 'pending' THEN 0 ELSE 1 END").
		Order("CASE WHEN status = 'pending' THEN updated_at END ASC").Order("updated_at DESC").Order("id")
	var cs []Clinician
	if err := q.Offset((page - 1) * PageSize).Limit(PageSize + 1).Find(&cs).Error; err != nil {
		return nil, false, wrapErr("clinician list", err)
	}
	more := len(cs) > PageSize
	if more {
		cs = cs[:PageSize]
	}
	ids := make([]int64, len(cs))
	for i := range cs {
		ids[i] = cs[i].ID
	}
	byID := map[int64][]ClinicianDecision{}
	if len(ids) > 0 {
		var ds []ClinicianDecision
		if err := db.Where("clinician_id IN ?", ids).Order("id").Find(&ds).Error; err != nil {
			return nil, false, wrapErr("clinician list", err)
		}
		for _, d := range ds {
			byID[d.ClinicianID] = append(byID[d.ClinicianID], d)
		}
	}
	out := make([]ClinicianApplication, 0, len(cs))
	for _, c := range cs {
		out = append(out, ClinicianApplication{Clinician: c, Status: c.DisplayStatus(now), History: byID[c.ID]})
	}
	return out, more, nil
}

// DecisionInput is an admin's decision on an application. ExpiresAt is a date
// (2006-01-02) or an RFC 3339 time, required to verify.
type DecisionInput struct {
	Decision  string `json:"decision" form:"decision"`
	ExpiresAt string `json:"expires_at" form:"expires_at"`
	Notes     string `json:"notes" form:"notes"`
}

// validate checks the decision at now and returns the expiry it names.
func (in *DecisionInput) validate(now time.Time) (*time.Time, error) {
	in.Notes = strings.TrimSpace(in.Notes)
	in.ExpiresAt = strings.TrimSpace(in.ExpiresAt)
	var v ValidationError
	var expires *time.Time
	switch in.Decision {
	case DecisionVerify:
		t, err := parseExpiry(in.ExpiresAt)
		switch {
		case in.ExpiresAt == "":
			v.Add("expires_at", "give the date the verification expires, e.g. the licence's renewal date")
		case err != nil:
			v.Add("expires_at", "use a date like 2027-12-31")
		case !t.After(now):
			v.Add("expires_at", "choose a date in the future")
		case t.Sub(now) > MaxVerification:
			v.Add("expires_at", "verify for at most five years")
		default:
			expires = &t
		}
	case DecisionReject:
		if in.Notes == "" {
			v.Add("notes", "say why, for the other admins")
		}
	default:
		v.Add("decision", "choose verify or reject")
	}
	if utf8.RuneCountInString(in.Notes) > maxDecisionNoteRunes {
		v.Add("notes", "use at most 2000 characters")
	}
	return expires, v.Err()
}

// parseExpiry reads a date (the end of that day, UTC) or an RFC 3339 time.
func parseExpiry(s string) (time.Time, error) {
	if d, err := time.Parse("2006-01-02", s); err == nil {
		return d.Add(24*time.Hour - time.Second).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	return t.UTC(), err
}

// DecideClinician records an admin's decision on application id: verify (until an
// expiry date) or reject. The decision, its notes and the audit entry are written in
// one transaction. Verifying makes a member a clinician; rejecting takes the badge
// away. Anyone but an admin gets ErrNotFound.
func (s *Store) DecideClinician(ctx context.Context, v *Viewer, id int64, in DecisionInput) (*ClinicianApplication, error) {
	if !v.IsAdmin() {
		return nil, ErrNotFound
	}
	now := s.now()
	expires, err := in.validate(now)
	if err != nil {
		return nil, err
	}
	var out ClinicianApplication
	err = s.tx(ctx, func(tx *gorm.DB) error {
		var c Clinician
		if err := tx.First(&c, id).Error; err != nil {
			return err
		}
		if c.UserID == v.User.ID {
			return Errorf(EFORBIDDEN, "another admin must decide your own application")
		}
		status := ClinicianVerified
		if in.Decision == DecisionReject {
			status = ClinicianRejected
		}
		if err := tx.Model(&c).Updates(map[string]any{"status": status, "expires_at": expires, "updated_at": now}).Error; err != nil {
			return err
		}
		c.Status, c.ExpiresAt, c.UpdatedAt = status, expires, now
		// Verifying makes a member a clinician; rejecting makes a clinician a member again.
		// Admins keep their role.
		from, to := RoleMember, RoleClinician
		if status == ClinicianRejected {
			from, to = RoleClinician, RoleMember
		}
		if err := tx.Model(&User{}).Where("id = ? AND role = ?", c.UserID, from).Update("role", to).Error; err != nil {
			return err
		}
		d := ClinicianDecision{ClinicianID: c.ID, Decision: in.Decision, Notes: in.Notes, ExpiresAt: expires,
			DeciderID: &v.User.ID, CreatedAt: now}
		if err := tx.Create(&d).Error; err != nil {
			return err
		}
		reason := in.Notes
		if expires != nil {
			reason = strings.TrimSpace("until " + expires.Format("2006-01-02") + ". " + in.Notes)
		}
		if err := s.audit(ctx, tx, v, "clinician."+in.Decision, "clinician", c.ID, reason); err != nil {
			return err
		}
		var hist []ClinicianDecision
		if err := tx.Where("clinician_id = ?", c.ID).Order("id").Find(&hist).Error; err != nil {
			return err
		}
		out = ClinicianApplication{Clinician: c, Status: c.DisplayStatus(now), History: hist}
		return nil
	})
	if err != nil {
		return nil, wrapErr("decide clinician", err)
	}
	return &out, nil
}

// clinicianVoiceAllowed checks that v may write in the clinician voice in a group
// with access a, at now. A clinician may answer as clinician in any group they can
// read without joining it (joining would give them a pseudonym whose arrival could
// line up with the clinician's first answer); a moderator's ban or pause of their
// membership there applies to both voices.
func clinicianVoiceAllowed(v *Viewer, a *GroupAccess, now time.Time) error {
	if v.Clinician.Lapsed(now) {
		return &Error{Code: EFORBIDDEN, Link: "/clinicians/apply",
			Message: "Your clinician verification expired on " + v.Clinician.ExpiresAt.UTC().Format("2 Jan 2006") +
				". Re-verify to post as clinician again; you can still post under your pseudonym."}
	}
	if !v.VerifiedClinician(now) {
		return Errorf(EFORBIDDEN, "only a verified clinician can post as clinician")
	}
	if !v.User.Active() {
		return Errorf(EFORBIDDEN, "your account cannot post right now")
	}
	if !a.CanRead {
		return ErrNotFound
	}
	if m := a.Membership; m != nil {
		if m.Status == MemberBanned {
			return Errorf(EFORBIDDEN, "you can no longer post in this group")
		}
		if m.MutedUntil != nil && now.Before(*m.MutedUntil) {
			return Errorf(EFORBIDDEN, "a moderator has paused your posting in this group until "+m.MutedUntil.UTC().Format("2 Jan 15:04 MST"))
		}
	}
	return nil
}

// recordClinicianAnswer marks a question answered by a clinician and, for its first
// clinician answer, records when and how long after the question it came (the
// dashboard averages ClinicianAnswerSeconds per group). Call it in the transaction
// that writes the clinician-voice post.
func (s *Store) recordClinicianAnswer(ctx context.Context, tx *gorm.DB, t *Thread, at time.Time) error {
	if t.Kind != KindQuestion {
		return nil
	}
	secs := max(int64(at.Sub(t.CreatedAt)/time.Second), 0)
	err := tx.WithContext(ctx).Model(&Thread{}).Where("id = ? AND first_clinician_answer_at IS NULL", t.ID).
		Updates(map[string]any{"first_clinician_answer_at": at, "clinician_answer_seconds": secs}).Error
	if err != nil {
		return fmt.Errorf("models: record clinician answer: %w", err)
	}
	if t.FirstClinicianAnswerAt == nil {
		t.FirstClinicianAnswerAt, t.ClinicianAnswerSeconds = &at, &secs
	}
	return nil
}

// threadAllowed checks that v may open a thread in the group with access a: as a
// member (postAllowed), or in the clinician voice. A thread belongs to a membership,
// so a clinician opens one as clinician only in a group they are an active member
// of; that membership is never shown with it (see Thread.AfterFind). Replying as
// clinician needs no membership. Live threads have no clinician voice.
func threadAllowed(v *Viewer, a *GroupAccess, in ThreadInput, now time.Time) error {
	if !in.AsClinician {
		return postAllowed(v, a)
	}
	if err := clinicianVoiceAllowed(v, a, now); err != nil {
		return err
	}
	if in.Kind == KindLive {
		return &ValidationError{Fields: map[string]string{"kind": "live threads are opened by the group's moderators, not as clinician"}}
	}
	if !a.Joined() {
		return Errorf(EFORBIDDEN, "Join this group to open a thread in it. You can reply to its threads as clinician without joining.")
	}
	return postAllowed(v, a)
}

// AfterFind hides the membership of a thread opened in the clinician voice, however
// it was loaded, so that no page or payload shows the clinician's pseudonym with it.
func (t *Thread) AfterFind(*gorm.DB) error {
	if t.ClinicianID != nil {
		t.Membership = nil
	}
	return nil
}
