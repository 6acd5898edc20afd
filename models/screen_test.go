package models

import "testing"

func TestScreeningOnPost(t *testing.T) {
	s := NewTestStore(t)
	admin := mustViewer(t, s, "admin", RoleAdmin)
	ann := mustViewer(t, s, "ann", RoleMember)
	mustGroup(t, s, admin, "open", VisibilityOpen)
	mustGroup(t, s, admin, "closed", VisibilityClosed)
	mustJoin(t, s, ann, "open", MemberActive)
	mustJoin(t, s, admin, "closed", MemberActive)
	th, _, err := s.CreateThread(ctx, ann, "open", ThreadInput{Title: "Evenings", Body: "How are evenings for you?"})
	if err != nil {
		t.Fatal(err)
	}
	closedTh, _, err := s.CreateThread(ctx, admin, "closed", ThreadInput{Title: "Welcome", Body: "Hello"})
	if err != nil {
		t.Fatal(err)
	}
	count := func() int64 {
		var n int64
		s.db.Model(&Post{}).Count(&n)
		return n
	}
	before := count()

	t.Run("personal data needs confirming", func(t *testing.T) {
		_, err := s.CreatePost(ctx, ann, th.ID, PostInput{Body: "text me on 07700 900123"})
		pd, ok := err.(*PersonalDataError)
		if !ok || len(pd.Matches) != 1 || pd.Matches[0] != PDPhone {
			t.Fatalf("got %v, want a personal data error for a phone", err)
		}
		if got := count(); got != before {
			t.Fatalf("%d posts after an unconfirmed post, want %d", got, before)
		}
		_, _, err = s.CreateThread(ctx, ann, "open", ThreadInput{Title: "Email me at a@b.org", Body: "hi"})
		if _, ok := err.(*PersonalDataError); !ok {
			t.Fatalf("personal data in a title: %v", err)
		}
	})
	t.Run("confirmed in an open group is held", func(t *testing.T) {
		p, err := s.CreatePost(ctx, ann, th.ID, PostInput{Body: "text me on 07700 900123", ConfirmPersonalData: true})
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != PostHeld || len(p.Notices) != 1 || p.Notices[0].Kind != NoticeHeld {
			t.Fatalf("status %q notices %v, want held", p.Status, p.Notices)
		}
		tp, _ := s.ThreadPage(ctx, nil, th.ID, 1)
		for _, q := range tp.Posts {
			if q.ID == p.ID {
				t.Fatal("a visitor sees the held post")
			}
		}
		tp, _ = s.ThreadPage(ctx, ann, th.ID, 1)
		found := false
		for _, q := range tp.Posts {
			found = found || q.ID == p.ID
		}
		if !found {
			t.Fatal("the author does not see their held post")
		}
	})
	t.Run("confirmed in a closed group is published", func(t *testing.T) {
		p, err := s.CreatePost(ctx, admin, closedTh.ID, PostInput{Body: "my email is x@example.org", ConfirmPersonalData: true})
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != PostPublished {
			t.Fatalf("status %q, want published", p.Status)
		}
	})
	t.Run("crisis is published with a notice", func(t *testing.T) {
		p, err := s.CreatePost(ctx, ann, th.ID, PostInput{Body: "I don't want to be here anymore"})
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != PostPublished || !p.Crisis || len(p.Notices) == 0 || p.Notices[0].Kind != NoticeCrisis {
			t.Fatalf("status %q crisis %v notices %v", p.Status, p.Crisis, p.Notices)
		}
	})
	t.Run("crisis with personal data in an open group is never hidden", func(t *testing.T) {
		p, err := s.CreatePost(ctx, ann, th.ID, PostInput{Body: "I want to end my life. Call 07700 900123", ConfirmPersonalData: true})
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != PostPublished || !p.Crisis {
			t.Fatalf("status %q crisis %v: a crisis post was hidden", p.Status, p.Crisis)
		}
	})
}
