package models

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Audit and modlog actions of site staff.
const (
	AuditReveal        = "admin.reveal"
	AuditUserSuspend   = "user.suspend"
	AuditUserBan       = "user.ban"
	AuditUserReinstate = "user.reinstate"
	// ModlogReveal is the modlog action that tells a group's moderators a reveal
	// touched one of their members; the entry names nobody.
	ModlogReveal = "reveal"
)

// RevealInput is an admin's request to link a pseudonym to the user's other memberships.
type RevealInput struct {
	Group     string `json:"group" form:"group"`
	Pseudonym string `json:"pseudonym" form:"pseudonym"`
	Reason    string `json:"reason" form:"reason"`
}

// validate trims the input and reports what is missing.
func (in *RevealInput) validate() error {
	in.Group, in.Pseudonym, in.Reason = strings.TrimSpace(in.Group), strings.TrimSpace(in.Pseudonym), strings.TrimSpace(in.Reason)
	var ve ValidationError
	if in.Group == "" {
		ve.Add("group", "name the group (its slug)")
	}
	if in.Pseudonym == "" {
		ve.Add("pseudonym", "name the pseudonym")
	}
	switch n := utf8.RuneCountInString(in.Reason); {
	case n < 10:
		ve.Add("reason", "give the reason for this (at least 10 characters), e.g. a safeguarding emergency or ban evasion; it is kept in the audit log")
	case n > 1000:
		ve.Add("reason", "use at most 1000 characters")
	}
	return ve.Err()
}

// RevealedMembership is one membership found by a reveal.
type RevealedMembership struct {
	Group     string    `json:"group"`
	GroupName string    `json:"group_name"`
	Pseudonym string    `json:"pseudonym"`
	Role      string    `json:"role"`
	Status    string    `json:"status"`
	JoinedAt  time.Time `json:"joined_at"`
}

// RevealResult is what a reveal shows the admin, once: it is not stored.
type RevealResult struct {
	// AccountStatus is the account's site-wide status (active, suspended, banned).
	AccountStatus string               `json:"account_status"`
	Memberships   []RevealedMembership `json:"memberships"`
	RevealedAt    time.Time            `json:"revealed_at"`
}

// findMember finds a membership of the group by pseudonym, in any status.
func findMember(tx *gorm.DB, slug, pseudonym string) (*Membership, error) {
	var g Group
	if err := tx.Where("slug = ?", slug).First(&g).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, &ValidationError{Fields: map[string]string{"group": "no group has that slug"}}
		}
		return nil, err
	}
	var m Membership
	if err := tx.Where("group_id = ? AND pseudonym = ?", g.ID, pseudonym).First(&m).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, &ValidationError{Fields: map[string]string{"pseudonym": "nobody in that group has this pseudonym"}}
		}
		return nil, err
	}
	return &m, nil
}

// Reveal links a pseudonym to every membership of the same user; admins only, and
// only with a reason. The reason goes to the audit log; the moderators of each group
// concerned see in their modlog that a reveal happened (dated to the day, naming no
// one), never its result, which is returned here and stored nowhere.
func (s *Store) Reveal(ctx context.Context, v *Viewer, in RevealInput) (*RevealResult, error) {
	if !v.IsAdmin() {
		return nil, ErrNotFound
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	out := &RevealResult{RevealedAt: s.now()}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		m, err := findMember(tx, in.Group, in.Pseudonym)
		if err != nil {
			return err
		}
		var u User
		if err := tx.First(&u, m.UserID).Error; err != nil {
			return err
		}
		out.AccountStatus = u.Status
		var ms []Membership
		if err := tx.Preload("Group").Where("user_id = ?", m.UserID).Order("id").Find(&ms).Error; err != nil {
			return err
		}
		day := s.now().Truncate(24 * time.Hour)
		for _, x := range ms {
			out.Memberships = append(out.Memberships, RevealedMembership{Group: x.Group.Slug, GroupName: x.Group.Name,
				Pseudonym: x.Pseudonym, Role: x.Role, Status: x.Status, JoinedAt: x.CreatedAt})
			e := ModlogEntry{GroupID: x.GroupID, Action: ModlogReveal, TargetType: "member", TargetID: 0, TargetLabel: "a member",
				Reason: "Site staff looked up a member's memberships for a recorded reason.", ModeratorPseudonym: "staff", CreatedAt: day}
			if err := tx.Create(&e).Error; err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, v, AuditReveal, "membership", m.ID, in.Reason)
	})
	if err != nil {
		return nil, wrapErr("reveal", err)
	}
	return out, nil
}

// SanctionInput is an admin's site-wide action on the user behind a pseudonym.
type SanctionInput struct {
	Group     string `json:"group" form:"group"`
	Pseudonym string `json:"pseudonym" form:"pseudonym"`
	// Action is suspend, ban or reinstate.
	Action string `json:"action" form:"action"`
	Reason string `json:"reason" form:"reason"`
}

// SanctionResult is the account's status after a site-wide action. It says nothing
// of the account's other memberships.
type SanctionResult struct {
	Group         string `json:"group"`
	Pseudonym     string `json:"pseudonym"`
	AccountStatus string `json:"account_status"`
}

var sanctionStatus = map[string]string{"suspend": UserSuspended, "ban": UserBanned, "reinstate": UserActive}

// SanctionUser suspends, bans or reinstates, across every group, the user behind a
// group's pseudonym; admins only. The status lives on the account, so it applies to
// every membership at once without touching (or showing) them: a suspended user can
// sign in but not post, react, report or join anywhere; a banned user cannot sign in.
// It is audited; group moderators see nothing.
func (s *Store) SanctionUser(ctx context.Context, v *Viewer, in SanctionInput) (*SanctionResult, error) {
	if !v.IsAdmin() {
		return nil, ErrNotFound
	}
	in.Group, in.Pseudonym, in.Reason = strings.TrimSpace(in.Group), strings.TrimSpace(in.Pseudonym), strings.TrimSpace(in.Reason)
	var ve ValidationError
	status, ok := sanctionStatus[in.Action]
	if !ok {
		ve.Add("action", "choose suspend, ban or reinstate")
	}
	if in.Group == "" {
		ve.Add("group", "name the group (its slug)")
	}
	if in.Pseudonym == "" {
		ve.Add("pseudonym", "name the pseudonym")
	}
	if n := utf8.RuneCountInString(in.Reason); n < 3 || n > 1000 {
		ve.Add("reason", "give a reason of 3 to 1000 characters; it is kept in the audit log")
	}
	if err := ve.Err(); err != nil {
		return nil, err
	}
	out := &SanctionResult{Group: in.Group, Pseudonym: in.Pseudonym, AccountStatus: status}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		m, err := findMember(tx, in.Group, in.Pseudonym)
		if err != nil {
			return err
		}
		var u User
		if err := tx.First(&u, m.UserID).Error; err != nil {
			return err
		}
		if u.ID == v.User.ID {
			return Errorf(EFORBIDDEN, "you cannot suspend or ban your own account")
		}
		if u.Role == RoleAdmin {
			return Errorf(EFORBIDDEN, "this account is site staff; remove the admin role first")
		}
		if err := tx.Model(&u).Update("status", status).Error; err != nil {
			return err
		}
		// Claims the account holds on queue items end with it.
		if status != UserActive {
			if err := tx.Model(&QueueItem{}).Where("claimed_by = ? AND status = ?", u.ID, ItemOpen).
				Updates(map[string]any{"claimed_by": nil, "claim_expires_at": nil}).Error; err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, v, "user."+in.Action, "user", u.ID, in.Reason+" (addressed as "+in.Pseudonym+" in "+in.Group+")")
	})
	if err != nil {
		return nil, wrapErr("sanction user", err)
	}
	return out, nil
}
