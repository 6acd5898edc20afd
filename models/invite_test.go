package models

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"testing"
	"time"
)

// mustInvite makes an invitation link as v.
func mustInvite(t *testing.T, s *Store, v *Viewer, slug string, in InviteInput) (*GroupInvite, string) {
	t.Helper()
	inv, token, err := s.CreateInvite(ctx, v, slug, in)
	if err != nil {
		t.Fatalf("create invite to %s: %v", slug, err)
	}
	return inv, token
}

func TestInviteInputValidate(t *testing.T) {
	for _, c := range []struct {
		name  string
		in    InviteInput
		field string
	}{
		{"defaults", InviteInput{}, ""},
		{"most", InviteInput{MaxUses: 100, ExpiresInHours: 720}, ""},
		{"too many uses", InviteInput{MaxUses: 101}, "max_uses"},
		{"negative uses", InviteInput{MaxUses: -1}, "max_uses"},
		{"too long", InviteInput{ExpiresInHours: 721}, "expires_in_hours"},
		{"negative hours", InviteInput{ExpiresInHours: -5}, "expires_in_hours"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.in.Validate()
			if c.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantField(t, err, c.field)
		})
	}
	in := InviteInput{}
	in.Validate()
	if in.MaxUses != 1 || in.ExpiresInHours != 168 {
		t.Fatalf("defaults %+v", in)
	}
}

func TestInviteLifecycle(t *testing.T) {
	s := NewTestStore(t)
	now := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	admin := mustViewer(t, s, "admin", RoleAdmin)
	ann := mustViewer(t, s, "ann", RoleMember)
	ben := mustViewer(t, s, "ben", RoleMember)
	cat := mustViewer(t, s, "cat", RoleMember)
	groupWithRules(t, s, admin, "hidden", VisibilitySecret)

	// Secret groups: nobody can join without a link.
	if _, err := s.JoinGroup(ctx, ann, "hidden", JoinInput{AcceptRules: true}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("join a secret group: %v", err)
	}
	inv, token := mustInvite(t, s, admin, "hidden", InviteInput{MaxUses: 2, ExpiresInHours: 2})
	if inv.UsesLeft != 2 || !inv.ExpiresAt.Equal(now.Add(2*time.Hour)) || inv.CreatedByMembershipID != nil {
		t.Fatalf("invite %+v", inv)
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != 32 {
		t.Fatalf("token %q: %d bytes, %v", token, len(raw), err)
	}

	t.Run("token stored only hashed", func(t *testing.T) {
		var stored GroupInvite
		if err := s.db.First(&stored, inv.ID).Error; err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(token))
		if got, want := stored.TokenHash, hex.EncodeToString(sum[:]); got != want {
			t.Fatalf("stored hash %q, want %q", got, want)
		}
		var n int64
		s.db.Model(&GroupInvite{}).Where("token_hash = ?", token).Count(&n)
		if n != 0 {
			t.Fatal("the token itself is stored")
		}
		wantAudit(t, s, admin, "invite.create")
	})

	t.Run("outsider sees the group through the link", func(t *testing.T) {
		iv, err := s.OpenInvite(ctx, ann, token)
		if err != nil {
			t.Fatal(err)
		}
		if iv.Group.Slug != "hidden" || iv.Group.RulesHTML == "" || iv.Membership != nil {
			t.Fatalf("invite view %+v", iv)
		}
		if _, err := s.OpenInvite(ctx, nil, token); err != nil {
			t.Fatalf("visitor: %v", err)
		}
	})

	t.Run("rules must be accepted", func(t *testing.T) {
		_, _, err := s.JoinByInvite(ctx, ann, token, JoinInput{})
		wantField(t, err, "accept_rules")
	})

	m, g, err := s.JoinByInvite(ctx, ann, token, JoinInput{AcceptRules: true})
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != MemberActive || g.Slug != "hidden" || g.MemberCount != 1 {
		t.Fatalf("joined %+v in %+v", m, g)
	}
	a, err := s.GroupAccess(ctx, ann, "hidden")
	if err != nil || !a.CanRead {
		t.Fatalf("member of the secret group: %v %+v", err, a)
	}
	// Using the link again as a member consumes nothing.
	if _, _, err := s.JoinByInvite(ctx, ann, token, JoinInput{AcceptRules: true}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.JoinByInvite(ctx, ben, token, JoinInput{AcceptRules: true}); err != nil {
		t.Fatalf("second use: %v", err)
	}
	t.Run("used up", func(t *testing.T) {
		if _, err := s.OpenInvite(ctx, cat, token); !errors.Is(err, ErrNotFound) {
			t.Fatalf("open a used-up link: %v", err)
		}
		if _, _, err := s.JoinByInvite(ctx, cat, token, JoinInput{AcceptRules: true}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("use a used-up link: %v", err)
		}
		_, list, err := s.Invites(ctx, admin, "hidden")
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].UsesLeft != 0 || list[0].Status(now) != InviteUsedUp {
			t.Fatalf("invites %+v", list)
		}
	})

	t.Run("expired", func(t *testing.T) {
		_, tok := mustInvite(t, s, admin, "hidden", InviteInput{ExpiresInHours: 1})
		if _, err := s.OpenInvite(ctx, cat, tok); err != nil {
			t.Fatal(err)
		}
		s.SetClock(func() time.Time { return now.Add(time.Hour) })
		defer s.SetClock(func() time.Time { return now })
		if _, err := s.OpenInvite(ctx, cat, tok); !errors.Is(err, ErrNotFound) {
			t.Fatalf("open an expired link: %v", err)
		}
		if _, _, err := s.JoinByInvite(ctx, cat, tok, JoinInput{AcceptRules: true}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("use an expired link: %v", err)
		}
	})

	t.Run("revoked", func(t *testing.T) {
		// A member who moderates the group makes and revokes links too.
		if _, err := s.SetModerator(ctx, admin, "hidden", m.Pseudonym, MemberModerator); err != nil {
			t.Fatal(err)
		}
		ri, tok := mustInvite(t, s, ann, "hidden", InviteInput{MaxUses: 5})
		if ri.CreatedByMembershipID == nil || *ri.CreatedByMembershipID != m.ID {
			t.Fatalf("made by %v, want membership %d", ri.CreatedByMembershipID, m.ID)
		}
		if _, err := s.RevokeInvite(ctx, ben, "hidden", ri.ID); !errors.Is(err, ErrForbidden) {
			t.Fatalf("member revokes: %v", err)
		}
		if _, err := s.RevokeInvite(ctx, cat, "hidden", ri.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("outsider revokes: %v", err)
		}
		got, err := s.RevokeInvite(ctx, ann, "hidden", ri.ID)
		if err != nil || got.RevokedAt == nil {
			t.Fatalf("revoke: %v %+v", err, got)
		}
		wantAudit(t, s, admin, "invite.revoke")
		if _, _, err := s.JoinByInvite(ctx, cat, tok, JoinInput{AcceptRules: true}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("use a revoked link: %v", err)
		}
		if _, err := s.OpenInvite(ctx, cat, tok); !errors.Is(err, ErrNotFound) {
			t.Fatalf("open a revoked link: %v", err)
		}
	})

	t.Run("unknown token", func(t *testing.T) {
		for _, tok := range []string{"", "nope", token + "x"} {
			if _, err := s.OpenInvite(ctx, cat, tok); !errors.Is(err, ErrNotFound) {
				t.Fatalf("open %q: %v", tok, err)
			}
		}
	})

	t.Run("members may not make links", func(t *testing.T) {
		if _, _, err := s.CreateInvite(ctx, ben, "hidden", InviteInput{}); !errors.Is(err, ErrForbidden) {
			t.Fatalf("member: %v", err)
		}
		if _, _, err := s.CreateInvite(ctx, cat, "hidden", InviteInput{}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("outsider: %v", err)
		}
		if _, _, err := s.Invites(ctx, ben, "hidden"); !errors.Is(err, ErrForbidden) {
			t.Fatalf("member lists: %v", err)
		}
	})
}

func TestInviteSkipsJoinRequest(t *testing.T) {
	s := NewTestStore(t)
	admin := mustViewer(t, s, "admin", RoleAdmin)
	ann := mustViewer(t, s, "ann", RoleMember)
	ben := mustViewer(t, s, "ben", RoleMember)
	mustGroup(t, s, admin, "carers", VisibilityClosed)
	mustGroup(t, s, admin, "lounge", VisibilityProfessional)
	mustJoin(t, s, ann, "carers", MemberPending)
	_, token := mustInvite(t, s, admin, "carers", InviteInput{MaxUses: 3})

	m, g, err := s.JoinByInvite(ctx, ann, token, JoinInput{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != MemberActive || g.MemberCount != 1 {
		t.Fatalf("pending request through a link: %+v, %d members", m, g.MemberCount)
	}
	m, g, err = s.JoinByInvite(ctx, ben, token, JoinInput{})
	if err != nil || m.Status != MemberActive || g.MemberCount != 2 {
		t.Fatalf("newcomer through a link: %v %+v", err, m)
	}
	_, reqs, _ := s.JoinRequests(ctx, admin, "carers")
	if len(reqs) != 0 {
		t.Fatalf("requests left %+v", reqs)
	}

	// A professional group still needs a verified clinician.
	_, ptoken := mustInvite(t, s, admin, "lounge", InviteInput{})
	_, _, err = s.JoinByInvite(ctx, ann, ptoken, JoinInput{})
	wantCode(t, err, EFORBIDDEN)
	doc := mustViewer(t, s, "dr-doc", RoleClinician)
	if _, _, err := s.JoinByInvite(ctx, doc, ptoken, JoinInput{}); err != nil {
		t.Fatalf("clinician through a link: %v", err)
	}
}
