package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// BeforeCreate renders the rules of a group inserted without RulesHTML (the demo
// seed inserts groups directly), so that every stored group has its rules rendered.
func (g *Group) BeforeCreate(*gorm.DB) error {
	if g.RulesHTML != "" || strings.TrimSpace(g.Rules) == "" {
		return nil
	}
	html, err := RenderMarkdown(g.Rules)
	if err != nil {
		return err
	}
	g.RulesHTML = html
	return nil
}

// renderMissingRules fills RulesHTML for groups stored before it existed.
func (s *Store) renderMissingRules(ctx context.Context) error {
	var gs []Group
	err := s.db.WithContext(ctx).Select("id", "rules").
		Where("rules <> '' AND (rules_html = '' OR rules_html IS NULL)").Find(&gs).Error
	if err != nil {
		return fmt.Errorf("models: render group rules: %w", err)
	}
	for _, g := range gs {
		html, err := RenderMarkdown(g.Rules)
		if err != nil {
			return err
		}
		if err := s.db.WithContext(ctx).Model(&Group{}).Where("id = ?", g.ID).UpdateColumn("rules_html", html).Error; err != nil {
			return fmt.Errorf("models: render group rules: %w", err)
		}
	}
	return nil
}

// GroupEdit is a partial change to a group: nil fields stay as they are. Admins may
// change every field; the group's moderators only Description and Rules. The slug
// never changes: sending a different one is a validation error.
type GroupEdit struct {
	Slug                  *string `json:"slug" form:"slug"`
	Name                  *string `json:"name" form:"name"`
	Description           *string `json:"description" form:"description"`
	Rules                 *string `json:"rules" form:"rules"`
	Visibility            *string `json:"visibility" form:"visibility"`
	PremoderateFirstPosts *int    `json:"premoderate_first_posts" form:"premoderate_first_posts"`
}

// moderatedGroup loads a group that v moderates (as a group moderator or owner, or
// as an admin). A group v may not see is ErrNotFound; one v sees but does not
// moderate is ErrForbidden.
func (s *Store) moderatedGroup(ctx context.Context, db *gorm.DB, v *Viewer, slug string) (*GroupAccess, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	a, err := s.groupAccess(ctx, db, v, slug)
	if err != nil {
		return nil, err
	}
	if !a.Moderates {
		return nil, ErrForbidden
	}
	return a, nil
}

// GroupForEdit loads a group for its edit form: v must moderate it (see EditGroup).
func (s *Store) GroupForEdit(ctx context.Context, v *Viewer, slug string) (*GroupAccess, error) {
	a, err := s.moderatedGroup(ctx, s.rdb, v, slug)
	if err != nil {
		return nil, wrapErr("group for edit", err)
	}
	return a, nil
}

// EditGroup changes the fields of a group that in names, validated as GroupInput
// validates a new group. Admins change anything but the slug; the group's moderators
// change its description and rules only (any other change is ErrForbidden). Rules are
// rendered to RulesHTML here, once. A change is audited; no change writes nothing.
func (s *Store) EditGroup(ctx context.Context, v *Viewer, slug string, in GroupEdit) (*Group, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	var out Group
	err := s.tx(ctx, func(tx *gorm.DB) error {
		a, err := s.moderatedGroup(ctx, tx, v, slug)
		if err != nil {
			return err
		}
		g := a.Group
		next := GroupInput{Slug: g.Slug, Name: g.Name, Description: g.Description, Rules: g.Rules,
			Visibility: g.Visibility, PremoderateFirstPosts: g.PremoderateFirstPosts}
		var changed []string
		staffOnly := false
		if in.Slug != nil && strings.TrimSpace(strings.ToLower(*in.Slug)) != g.Slug {
			return &ValidationError{Fields: map[string]string{"slug": "a group's address cannot change"}}
		}
		str := func(field string, given *string, cur *string, staff bool) {
			if given == nil || strings.TrimSpace(*given) == *cur {
				return
			}
			*cur = *given
			changed = append(changed, field)
			staffOnly = staffOnly || staff
		}
		str("name", in.Name, &next.Name, true)
		str("description", in.Description, &next.Description, false)
		str("rules", in.Rules, &next.Rules, false)
		str("visibility", in.Visibility, &next.Visibility, true)
		if p := in.PremoderateFirstPosts; p != nil && *p != next.PremoderateFirstPosts {
			next.PremoderateFirstPosts = *p
			changed = append(changed, "premoderate_first_posts")
			staffOnly = true
		}
		if staffOnly && !v.IsAdmin() {
			return Errorf(EFORBIDDEN, "Moderators can change a group's description and rules; ask site staff to change the rest.")
		}
		if err := next.Validate(); err != nil {
			return err
		}
		if len(changed) == 0 {
			out = *g
			return nil
		}
		now := s.now()
		cols := map[string]any{"updated_at": now}
		for _, f := range changed {
			switch f {
			case "name":
				cols["name"], g.Name = next.Name, next.Name
			case "description":
				cols["description"], g.Description = next.Description, next.Description
			case "rules":
				html := ""
				if next.Rules != "" {
					if html, err = RenderMarkdown(next.Rules); err != nil {
						return err
					}
				}
				cols["rules"], cols["rules_html"] = next.Rules, html
				g.Rules, g.RulesHTML = next.Rules, html
			case "visibility":
				cols["visibility"], g.Visibility = next.Visibility, next.Visibility
			case "premoderate_first_posts":
				cols["premoderate_first_posts"], g.PremoderateFirstPosts = next.PremoderateFirstPosts, next.PremoderateFirstPosts
			}
		}
		if err := tx.Model(&Group{}).Where("id = ?", g.ID).Updates(cols).Error; err != nil {
			return err
		}
		g.UpdatedAt = now
		out = *g
		return s.audit(ctx, tx, v, "group.edit", "group", g.ID, "changed "+strings.Join(changed, ", "))
	})
	if err != nil {
		return nil, wrapErr("edit group", err)
	}
	return &out, nil
}

// AdminGroup is a group in the admins' list, with its waiting join requests.
type AdminGroup struct {
	Group   Group
	Pending int
}

// AdminGroups lists every group by name, whatever its visibility; admins only.
func (s *Store) AdminGroups(ctx context.Context, v *Viewer) ([]AdminGroup, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	if !v.IsAdmin() {
		return nil, ErrNotFound
	}
	db := s.rdb.WithContext(ctx)
	var gs []Group
	if err := db.Order("name, id").Find(&gs).Error; err != nil {
		return nil, fmt.Errorf("models: admin groups: %w", err)
	}
	var counts []struct {
		GroupID int64
		N       int
	}
	err := db.Model(&Membership{}).Select("group_id, COUNT(*) AS n").Where("status = ?", MemberPending).
		Group("group_id").Scan(&counts).Error
	if err != nil {
		return nil, fmt.Errorf("models: admin groups: %w", err)
	}
	pending := make(map[int64]int, len(counts))
	for _, c := range counts {
		pending[c.GroupID] = c.N
	}
	out := make([]AdminGroup, len(gs))
	for i := range gs {
		out[i] = AdminGroup{Group: gs[i], Pending: pending[gs[i].ID]}
	}
	return out, nil
}

// MaxJoinRequests bounds the list of join requests one page shows.
const MaxJoinRequests = 500

// JoinRequest is a request to join a closed group, as its moderators see it. The
// time is the day of the request only, so that request times do not line up one
// person's pseudonyms across groups.
type JoinRequest struct {
	Pseudonym   string
	RequestedAt time.Time
}

// JoinRequests lists the waiting join requests of a group, oldest first (at most
// MaxJoinRequests), for its moderators and admins.
func (s *Store) JoinRequests(ctx context.Context, v *Viewer, slug string) (*GroupAccess, []JoinRequest, error) {
	a, err := s.moderatedGroup(ctx, s.rdb, v, slug)
	if err != nil {
		return nil, nil, wrapErr("join requests", err)
	}
	var ms []Membership
	err = s.rdb.WithContext(ctx).Select("id", "pseudonym", "updated_at").
		Where("group_id = ? AND status = ?", a.Group.ID, MemberPending).
		Order("updated_at, id").Limit(MaxJoinRequests).Find(&ms).Error
	if err != nil {
		return nil, nil, fmt.Errorf("models: join requests: %w", err)
	}
	out := make([]JoinRequest, len(ms))
	for i, m := range ms {
		out[i] = JoinRequest{Pseudonym: m.Pseudonym, RequestedAt: m.UpdatedAt.UTC().Truncate(24 * time.Hour)}
	}
	return a, out, nil
}

// ApproveJoin accepts the waiting join request of the member with the given
// pseudonym: the membership becomes active, the group counts one more member, the
// member is notified, and the decision is audited. Moderators and admins only; no
// such request is ErrNotFound, one already decided a conflict.
func (s *Store) ApproveJoin(ctx context.Context, v *Viewer, slug, pseudonym string) (*Membership, error) {
	return s.decideJoin(ctx, v, slug, pseudonym, true)
}

// DenyJoin turns down the waiting join request of the member with the given
// pseudonym: the membership becomes MemberDenied, and the person may ask again
// later. Audited; permissions and errors as for ApproveJoin.
func (s *Store) DenyJoin(ctx context.Context, v *Viewer, slug, pseudonym string) (*Membership, error) {
	return s.decideJoin(ctx, v, slug, pseudonym, false)
}

func (s *Store) decideJoin(ctx context.Context, v *Viewer, slug, pseudonym string, approve bool) (*Membership, error) {
	op := "deny join"
	if approve {
		op = "approve join"
	}
	var out Membership
	err := s.tx(ctx, func(tx *gorm.DB) error {
		a, err := s.moderatedGroup(ctx, tx, v, slug)
		if err != nil {
			return err
		}
		var m Membership
		err = tx.Where("group_id = ? AND pseudonym = ?", a.Group.ID, strings.TrimSpace(pseudonym)).First(&m).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := s.applyJoinDecision(ctx, tx, v, a.Group, &m, approve); err != nil {
			return err
		}
		out = m
		// In the modlog as when decided from the queue (applyJoinDecision audits it).
		return s.writeModlog(ctx, tx, v, a.Group.ID, joinModlogAction(approve), TargetJoin, m.ID, m.Pseudonym, "")
	})
	if err != nil {
		return nil, wrapErr(op, err)
	}
	return &out, nil
}

// applyJoinDecision approves (active, one more member, a "join_approved"
// notification) or turns down (MemberDenied) the pending membership m of group g,
// inside tx, and audits it as v's decision. The caller checks that v moderates g.
// A membership that is no longer pending is a conflict. Updates m.
func (s *Store) applyJoinDecision(ctx context.Context, tx *gorm.DB, v *Viewer, g *Group, m *Membership, approve bool) error {
	status, action := MemberDenied, "membership.deny"
	if approve {
		status, action = MemberActive, "membership.approve"
	}
	// Conditional, so that two moderators deciding at once count the member once.
	now := s.now()
	res := tx.WithContext(ctx).Model(&Membership{}).Where("id = ? AND status = ?", m.ID, MemberPending).
		Updates(map[string]any{"status": status, "updated_at": now})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return Errorf(ECONFLICT, "There is no request from "+m.Pseudonym+" waiting: it was already decided or withdrawn.")
	}
	m.Status, m.UpdatedAt = status, now
	resolution := ActionRemove
	if approve {
		resolution = ActionApprove
	}
	if err := s.closeJoinItem(ctx, tx, v, m.ID, resolution); err != nil { // its queue item, if open
		return err
	}
	if approve {
		if err := tx.WithContext(ctx).Model(&Group{}).Where("id = ?", g.ID).UpdateColumn("member_count", gorm.Expr("member_count + 1")).Error; err != nil {
			return err
		}
		if err := s.notifyJoinApproved(ctx, tx, m); err != nil {
			return err
		}
	}
	return s.audit(ctx, tx, v, action, "membership", m.ID, "in "+g.Slug)
}
