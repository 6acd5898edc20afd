package models

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// mustWatch adds a watched word to slug ("" for site-wide) as v.
func mustWatch(t *testing.T, s *Store, v *Viewer, slug string, in WatchedWordInput) *WatchedWord {
	t.Helper()
	w, err := s.CreateWatchedWord(ctx, v, slug, in)
	if err != nil {
		t.Fatalf("watch %q: %v", in.Pattern, err)
	}
	return w
}

// reply posts body in the fixture's thread as v.
func (f *modFixture) reply(v *Viewer, body string) (*Post, error) {
	return f.s.CreatePost(ctx, v, f.thread.ID, PostInput{Body: body})
}

// reportsOn lists the reports on a post's open queue item, oldest first.
func reportsOn(t *testing.T, s *Store, postID int64) (*QueueItem, []Report) {
	t.Helper()
	var it QueueItem
	if err := s.db.Where("target_type = ? AND target_id = ?", TargetPost, postID).First(&it).Error; err != nil {
		return nil, nil
	}
	var rs []Report
	s.db.Where("queue_item_id = ?", it.ID).Order("id").Find(&rs)
	return &it, rs
}

func TestWatchedWordValidation(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    WatchedWordInput
		field string // "" when valid
	}{
		{"flag a word", WatchedWordInput{Pattern: " Scam ", Action: WatchFlag}, ""},
		{"phrase with wildcard", WatchedWordInput{Pattern: "miracle  cure*", Action: WatchHold, Lane: LaneMisinformation}, ""},
		{"a domain", WatchedWordInput{Pattern: "pharmashop.example", Action: WatchBlock, Message: "No sellers, please."}, ""},
		{"replace", WatchedWordInput{Pattern: "idiot", Action: WatchReplace, Replacement: "***"}, ""},
		{"empty pattern", WatchedWordInput{Pattern: "  ", Action: WatchFlag}, "pattern"},
		{"long pattern", WatchedWordInput{Pattern: strings.Repeat("a", 81), Action: WatchFlag}, "pattern"},
		{"star inside", WatchedWordInput{Pattern: "sc*am", Action: WatchFlag}, "pattern"},
		{"star first", WatchedWordInput{Pattern: "*scam", Action: WatchFlag}, "pattern"},
		{"ends in punctuation", WatchedWordInput{Pattern: "scam!", Action: WatchFlag}, "pattern"},
		{"unknown action", WatchedWordInput{Pattern: "scam", Action: "nuke"}, "action"},
		{"unknown lane", WatchedWordInput{Pattern: "scam", Action: WatchFlag, Lane: "urgent"}, "lane"},
		{"replace without replacement", WatchedWordInput{Pattern: "idiot", Action: WatchReplace}, "replacement"},
		{"block without message", WatchedWordInput{Pattern: "scam", Action: WatchBlock}, "message"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.in.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("valid input refused: %v", err)
				}
				return
			}
			wantField(t, err, tc.field)
		})
	}
	in := WatchedWordInput{Pattern: " Miracle   CURE ", Action: WatchFlag, Replacement: "x", Message: "m"}
	if err := in.Validate(); err != nil {
		t.Fatal(err)
	}
	if in.Pattern != "miracle cure" || in.Lane != LaneSpam || in.Replacement != "" || in.Message != "" {
		t.Fatalf("normalised to %+v: want lower case, default spam lane, unused fields cleared", in)
	}
}

func TestWatchedWordMatching(t *testing.T) {
	for _, tc := range []struct {
		pattern, text string
		want          bool
	}{
		{"scam", "this is a scam!", true},
		{"scam", "SCAM alert", true},
		{"scam", "**scam**", true},
		{"scam", "I had scampi for lunch", false},
		{"scam", "scams everywhere", false},
		{"scam", "ascam", false},
		{"scam*", "what a scammer", true},
		{"scam*", "scams everywhere", true},
		{"scam*", "ascam", false},
		{"miracle cure", "a Miracle   cure, they said", true},
		{"miracle cure", "miracle-cure", true},
		{"miracle cure", "miraclecure", false},
		{"don't", "I don’t know", true},
		{"pharmashop.example", "buy at https://pharmashop.example/pills", true},
		{"pharmashop.example", "pharmashopXexample", false},
	} {
		t.Run(tc.pattern+" in "+tc.text, func(t *testing.T) {
			re, err := compileWatched(tc.pattern)
			if err != nil {
				t.Fatal(err)
			}
			if got := re.MatchString(normaliseForDetection(tc.text)); got != tc.want {
				t.Fatalf("match = %v, want %v", got, tc.want)
			}
		})
	}
	re, _ := compileWatched("scam")
	if got, _ := replaceWord(re, "scam scam, Scam. scampi", "***"); got != "*** ***, ***. scampi" {
		t.Fatalf("replaced to %q", got)
	}
}

func TestWatchedWordBlock(t *testing.T) {
	f := newModFixture(t, VisibilityOpen)
	s := f.s
	msg := "Please don't share links to sellers of unlicensed medicines"
	mustWatch(t, s, f.mod, "g", WatchedWordInput{Pattern: "pharmashop.example", Action: WatchBlock, Message: msg})

	_, err := f.reply(f.author, "I buy mine at pharmashop.example, it is cheap")
	var be *BlockedError
	if !errors.As(err, &be) || be.Message != msg || be.Field != "body" {
		t.Fatalf("blocked reply: %v, want a BlockedError with the word's message", err)
	}
	wantField(t, err, "body") // forms show it beside the draft
	var n int64
	s.db.Model(&Post{}).Where("thread_id = ?", f.thread.ID).Count(&n)
	if n != 1 {
		t.Fatalf("%d posts in the thread, want only the opening post", n)
	}
	// In a new thread's title, the title field is named.
	_, _, err = s.CreateThread(ctx, f.author, "g", ThreadInput{Title: "pharmashop.example review", Body: "good"})
	if !errors.As(err, &be) || be.Field != "title" {
		t.Fatalf("blocked title: %v", err)
	}
	// Moderators are blocked too.
	if _, err := f.reply(f.mod, "do not use pharmashop.example"); !errors.As(err, &be) {
		t.Fatalf("moderator's blocked reply: %v", err)
	}
	// Not on other words.
	if _, err := f.reply(f.author, "pharmashopexample is not the same"); err != nil {
		t.Fatal(err)
	}
}

func TestWatchedWordHoldAndFlag(t *testing.T) {
	f := newModFixture(t, VisibilityOpen)
	s := f.s
	mustWatch(t, s, f.mod, "g", WatchedWordInput{Pattern: "miracle cure*", Action: WatchHold, Lane: LaneMisinformation,
		Message: "Posts about miracle cures are checked by a moderator first."})
	mustWatch(t, s, f.mod, "g", WatchedWordInput{Pattern: "scam", Action: WatchFlag, Lane: LaneHarassment})

	t.Run("hold", func(t *testing.T) {
		p, err := f.reply(f.author, "Has anyone tried this Miracle Cures oil?")
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != PostHeld || p.StatusReason != heldForWatchedWord {
			t.Fatalf("status %q (%q), want held for a watched word", p.Status, p.StatusReason)
		}
		if len(p.Notices) != 1 || p.Notices[0].Kind != NoticeHeld || !strings.Contains(p.Notices[0].Reason, "miracle cures") {
			t.Fatalf("notices %+v, want the hold word's message", p.Notices)
		}
		it, rs := reportsOn(t, s, p.ID)
		if it == nil || it.Lane != LaneMisinformation || len(rs) != 1 || rs[0].Source != "watched_word" ||
			!strings.Contains(rs[0].Note, `"miracle cure*"`) {
			t.Fatalf("item %+v reports %+v, want one watched_word report naming the word", it, rs)
		}
	})
	t.Run("flag", func(t *testing.T) {
		p, err := f.reply(f.author, "That seller is a scam.")
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != PostPublished {
			t.Fatalf("status %q, want published", p.Status)
		}
		it, rs := reportsOn(t, s, p.ID)
		if it == nil || it.Lane != LaneHarassment || len(rs) != 1 || !strings.Contains(rs[0].Note, `"scam"`) {
			t.Fatalf("item %+v reports %+v", it, rs)
		}
	})
	t.Run("no match", func(t *testing.T) {
		p, err := f.reply(f.author, "I had scampi and no cure for it")
		if err != nil {
			t.Fatal(err)
		}
		if it, _ := reportsOn(t, s, p.ID); p.Status != PostPublished || it != nil {
			t.Fatalf("status %q, item %+v: want published, no item", p.Status, it)
		}
	})
	t.Run("hold over flag", func(t *testing.T) {
		p, err := f.reply(f.author, "a miracle cure or a scam?")
		if err != nil {
			t.Fatal(err)
		}
		it, rs := reportsOn(t, s, p.ID)
		if p.Status != PostHeld || it == nil || it.ReportCount != 2 || len(rs) != 2 || it.Lane != LaneMisinformation {
			t.Fatalf("status %q item %+v reports %d: want held, one item with both words", p.Status, it, len(rs))
		}
	})
	t.Run("crisis is never held", func(t *testing.T) {
		p, err := f.reply(f.author, "No miracle cure works and I want to die")
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != PostPublished || !p.Crisis {
			t.Fatalf("status %q crisis %v, want a published crisis post", p.Status, p.Crisis)
		}
		it, rs := reportsOn(t, s, p.ID)
		if it == nil || it.Lane != LaneCrisis || len(rs) != 2 {
			t.Fatalf("item %+v reports %+v: want the crisis lane with the crisis and the watched-word reports", it, rs)
		}
	})
	t.Run("moderators are not held", func(t *testing.T) {
		p, err := f.reply(f.mod, "Reminder: no miracle cure claims here.")
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != PostPublished {
			t.Fatalf("moderator's post %q, want published", p.Status)
		}
	})
	t.Run("block over hold", func(t *testing.T) {
		mustWatch(t, s, f.mod, "g", WatchedWordInput{Pattern: "bleach", Action: WatchBlock, Message: "Never drink bleach."})
		_, err := f.reply(f.author, "miracle cure: bleach")
		if be := (*BlockedError)(nil); !errors.As(err, &be) || be.Message != "Never drink bleach." {
			t.Fatalf("got %v, want the block", err)
		}
	})
}

func TestWatchedWordReplace(t *testing.T) {
	f := newModFixture(t, VisibilityOpen)
	s := f.s
	mustWatch(t, s, f.admin, "", WatchedWordInput{Pattern: "idiot*", Action: WatchReplace, Replacement: "***"})
	p, err := f.reply(f.author, "My doctor is an idiot, a real IDIOT. Idiotic!")
	if err != nil {
		t.Fatal(err)
	}
	// The replaced text is what is stored: the original is not kept anywhere.
	if strings.Contains(strings.ToLower(p.Body), "idiot") || strings.Contains(strings.ToLower(p.BodyHTML), "idiot") {
		t.Fatalf("body %q html %q still hold the word", p.Body, p.BodyHTML)
	}
	if got := strings.Count(p.BodyHTML, "***"); got != 3 || strings.Contains(p.BodyHTML, "<em>") || strings.Contains(p.BodyHTML, "<hr") {
		t.Fatalf("html %q: want three literal *** and no emphasis", p.BodyHTML)
	}
	var stored Post
	s.db.First(&stored, p.ID)
	if strings.Contains(strings.ToLower(stored.Body), "idiot") {
		t.Fatalf("stored body %q", stored.Body)
	}
	if it, _ := reportsOn(t, s, p.ID); it != nil || p.Status != PostPublished {
		t.Fatalf("a replace word opened item %+v / status %q", it, p.Status)
	}
	th, op, err := s.CreateThread(ctx, f.author, "g", ThreadInput{Title: "Idiot doctors", Body: "idiot"})
	if err != nil {
		t.Fatal(err)
	}
	if th.Title != "*** doctors" || strings.Contains(op.BodyHTML, "idiot") {
		t.Fatalf("title %q body %q", th.Title, op.BodyHTML)
	}
}

func TestWatchedWordScope(t *testing.T) {
	f := newModFixture(t, VisibilityOpen)
	s := f.s
	mustGroup(t, s, f.admin, "g2", VisibilityOpen)
	mustJoin(t, s, f.author, "g2", MemberActive)
	mustWatch(t, s, f.mod, "g", WatchedWordInput{Pattern: "scam", Action: WatchFlag})
	mustWatch(t, s, f.admin, "", WatchedWordInput{Pattern: "spamlink", Action: WatchHold})

	_, p, err := s.CreateThread(ctx, f.author, "g2", ThreadInput{Title: "Is this a scam?", Body: "asking"})
	if err != nil {
		t.Fatal(err)
	}
	if it, _ := reportsOn(t, s, p.ID); it != nil {
		t.Fatalf("group g's word fired in g2: %+v", it)
	}
	_, p, err = s.CreateThread(ctx, f.author, "g2", ThreadInput{Title: "Look", Body: "spamlink here"})
	if err != nil {
		t.Fatal(err)
	}
	if it, _ := reportsOn(t, s, p.ID); p.Status != PostHeld || it == nil || it.Lane != LaneSpam {
		t.Fatalf("site word in g2: status %q item %+v, want held in the spam lane", p.Status, it)
	}
	l, err := s.WatchedWords(ctx, f.mod, "g")
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Words) != 2 || l.Words[0].Scope() != ScopeGroup || l.Words[1].Scope() != ScopeSite {
		t.Fatalf("g's list %+v: want its word, then the site's", l.Words)
	}
	site, err := s.WatchedWords(ctx, f.admin, "")
	if err != nil || len(site.Words) != 1 {
		t.Fatalf("site list %v %+v", err, site)
	}
}

func TestWatchedWordPermissions(t *testing.T) {
	f := newModFixture(t, VisibilityOpen)
	s := f.s
	mustGroup(t, s, f.admin, "secret", VisibilitySecret)
	in := WatchedWordInput{Pattern: "scam", Action: WatchFlag}

	if _, err := s.WatchedWords(ctx, f.author, "g"); !errors.Is(err, ErrForbidden) {
		t.Fatalf("member lists: %v, want forbidden", err)
	}
	if _, err := s.CreateWatchedWord(ctx, f.author, "g", in); !errors.Is(err, ErrForbidden) {
		t.Fatalf("member adds: %v, want forbidden", err)
	}
	if _, err := s.WatchedWords(ctx, f.mod, "secret"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("outsider lists a secret group's words: %v, want not found", err)
	}
	if _, err := s.CreateWatchedWord(ctx, f.mod, "", in); !errors.Is(err, ErrNotFound) {
		t.Fatalf("moderator adds a site word: %v, want not found", err)
	}
	if _, err := s.WatchedWords(ctx, nil, "g"); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("visitor: %v", err)
	}
	// Permission comes before validation.
	if _, err := s.CreateWatchedWord(ctx, f.author, "g", WatchedWordInput{}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("member with bad input: %v, want forbidden", err)
	}

	w := mustWatch(t, s, f.mod, "g", in)
	_, err := s.CreateWatchedWord(ctx, f.mod, "g", WatchedWordInput{Pattern: "SCAM", Action: WatchHold})
	wantField(t, err, "pattern")
	site := mustWatch(t, s, f.admin, "", in) // the same word site-wide is another word
	if _, err := s.DeleteWatchedWord(ctx, f.mod, "g", site.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleting a site word through the group: %v, want not found", err)
	}
	if _, err := s.DeleteWatchedWord(ctx, f.author, "g", w.ID); !errors.Is(err, ErrForbidden) {
		t.Fatalf("member deletes: %v", err)
	}
	if _, err := s.DeleteWatchedWord(ctx, f.mod, "g", w.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteWatchedWord(ctx, f.mod, "g", w.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := s.DeleteWatchedWord(ctx, f.admin, "", site.ID); err != nil {
		t.Fatal(err)
	}
	// A deleted word no longer fires, and may be added again.
	p, err := f.reply(f.author, "a scam")
	if err != nil {
		t.Fatal(err)
	}
	if it, _ := reportsOn(t, s, p.ID); it != nil {
		t.Fatalf("deleted word fired: %+v", it)
	}
	mustWatch(t, s, f.mod, "g", in)

	// The trail: the group's changes in its modlog (without the word itself) and all in the audit log.
	var logs []ModlogEntry
	s.db.Where("group_id = ? AND target_type = ?", w.GroupID, "watched_word").Order("id").Find(&logs)
	if len(logs) != 3 || logs[0].Action != "watched_word.create" || logs[1].Action != "watched_word.delete" {
		t.Fatalf("modlog %+v", logs)
	}
	for _, e := range logs {
		if strings.Contains(e.TargetLabel+e.Reason, "scam") {
			t.Fatalf("the public modlog names the word: %+v", e)
		}
	}
	var audits []AuditEntry
	s.db.Where("target_type = ?", "watched_word").Order("id").Find(&audits)
	if len(audits) != 5 {
		t.Fatalf("%d audit entries, want 5: %+v", len(audits), audits)
	}
}

func TestWatchedWordEdits(t *testing.T) {
	f := newModFixture(t, VisibilityOpen)
	s := f.s
	mustWatch(t, s, f.mod, "g", WatchedWordInput{Pattern: "scam", Action: WatchFlag})
	mustWatch(t, s, f.mod, "g", WatchedWordInput{Pattern: "spamlink", Action: WatchHold})
	mustWatch(t, s, f.mod, "g", WatchedWordInput{Pattern: "bleach", Action: WatchBlock, Message: "Never drink bleach."})
	mustWatch(t, s, f.mod, "g", WatchedWordInput{Pattern: "idiot", Action: WatchReplace, Replacement: "***"})

	p, err := f.reply(f.author, "It is a scam")
	if err != nil {
		t.Fatal(err)
	}
	edit := func(body string) (*PostContext, error) {
		var cur Post
		s.db.First(&cur, p.ID)
		return s.EditPost(ctx, f.author, p.ID, PostEdit{Body: body, Version: cur.Version})
	}
	// Fixing a typo does not report the post again.
	if _, err := edit("It is a scam!"); err != nil {
		t.Fatal(err)
	}
	if _, rs := reportsOn(t, s, p.ID); len(rs) != 1 {
		t.Fatalf("%d reports after an edit that added no word, want 1", len(rs))
	}
	// A blocked word refuses the edit, and nothing changes.
	_, err = edit("It is a scam, drink bleach")
	if be := (*BlockedError)(nil); !errors.As(err, &be) {
		t.Fatalf("edit with a blocked word: %v", err)
	}
	// A replace word is replaced in the edit.
	pc, err := edit("It is a scam, you idiot")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(pc.Post.Body, "idiot") || strings.Contains(pc.Post.BodyHTML, "idiot") {
		t.Fatalf("edited body %q", pc.Post.Body)
	}
	// A hold word brought in by an edit holds the post and reports it.
	pc, err = edit("It is a scam, see spamlink")
	if err != nil {
		t.Fatal(err)
	}
	if pc.Post.Status != PostHeld {
		t.Fatalf("status %q, want held", pc.Post.Status)
	}
	var stored Post
	s.db.First(&stored, p.ID)
	if stored.Status != PostHeld {
		t.Fatalf("stored status %q", stored.Status)
	}
	if _, rs := reportsOn(t, s, p.ID); len(rs) != 2 || !strings.Contains(rs[1].Note, "spamlink") ||
		!strings.Contains(rs[1].Snapshot, "see spamlink") {
		t.Fatalf("reports %+v: want a second report with the edited text", rs)
	}
}

func TestSlowMode(t *testing.T) {
	f := newModFixture(t, VisibilityOpen)
	s := f.s
	mustGroup(t, s, f.admin, "secret", VisibilitySecret)
	mustJoin(t, s, f.admin, "secret", MemberActive)
	_, _, err := s.CreateThread(ctx, f.admin, "secret", ThreadInput{Title: "Staff only", Body: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	var secretThread Thread
	s.db.Where("title = ?", "Staff only").First(&secretThread)

	t.Run("permissions", func(t *testing.T) {
		if _, err := s.SetSlowMode(ctx, f.author, f.thread.ID, SlowModeInput{Seconds: 60}); !errors.Is(err, ErrForbidden) {
			t.Fatalf("member: %v, want forbidden", err)
		}
		if _, err := s.SetSlowMode(ctx, f.mod, secretThread.ID, SlowModeInput{Seconds: 60}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("outsider: %v, want not found", err)
		}
		if _, err := s.SetSlowMode(ctx, f.mod, 999999, SlowModeInput{Seconds: 60}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("no thread: %v", err)
		}
		for _, n := range []int{-1, MaxSlowModeSeconds + 1} {
			_, err := s.SetSlowMode(ctx, f.mod, f.thread.ID, SlowModeInput{Seconds: n})
			wantField(t, err, "seconds")
		}
	})

	now := time.Now().UTC().Add(time.Hour).Truncate(time.Second)
	s.SetClock(func() time.Time { return now })
	th, err := s.SetSlowMode(ctx, f.mod, f.thread.ID, SlowModeInput{Seconds: 300})
	if err != nil {
		t.Fatal(err)
	}
	if th.SlowModeSeconds != 300 {
		t.Fatalf("slow mode %d", th.SlowModeSeconds)
	}
	var e ModlogEntry
	s.db.Where("action = ? AND target_id = ?", "slow_mode", f.thread.ID).First(&e)
	if e.Reason != "slow mode: one post every 5 minutes" {
		t.Fatalf("modlog %+v", e)
	}

	// The author's opening post was an hour ago: they may reply once.
	if _, err := f.reply(f.author, "first"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(100 * time.Second)
	_, err = f.reply(f.author, "too soon")
	var rl *RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfterSeconds() != 200 {
		t.Fatalf("second reply: %v, want a rate limit of 200 seconds", err)
	}
	wantCode(t, err, ERATELIMITED)
	if !strings.Contains(rl.Message, "one post every 5 minutes") || !strings.Contains(rl.Message, "in 4 minutes") {
		t.Fatalf("message %q", rl.Message)
	}
	// Others are not slowed by the author; moderators are never slowed.
	if _, err := f.reply(f.reporters[0], "me too"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := f.reply(f.mod, "calm down, everyone"); err != nil {
			t.Fatalf("moderator's reply %d: %v", i, err)
		}
	}
	now = now.Add(199 * time.Second)
	if _, err := f.reply(f.author, "still too soon"); !errors.As(err, &rl) || rl.RetryAfterSeconds() != 1 {
		t.Fatalf("a second early: %v", err)
	}
	now = now.Add(time.Second)
	if _, err := f.reply(f.author, "now"); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
	// Off again: no limit, and the change is logged once.
	if _, err := s.SetSlowMode(ctx, f.mod, f.thread.ID, SlowModeInput{Seconds: 0}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetSlowMode(ctx, f.mod, f.thread.ID, SlowModeInput{Seconds: 0}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.reply(f.author, "and again"); err != nil {
		t.Fatal(err)
	}
	var n int64
	s.db.Model(&ModlogEntry{}).Where("action = ?", "slow_mode").Count(&n)
	if n != 2 {
		t.Fatalf("%d slow-mode modlog entries, want 2", n)
	}
}

func TestSlowModeText(t *testing.T) {
	for n, want := range map[int]string{0: "off", 30: "30 seconds", 60: "1 minute", 90: "90 seconds", 300: "5 minutes",
		3600: "1 hour", 7200: "2 hours", 86400: "1 day"} {
		if got := SlowModeText(n); got != want {
			t.Fatalf("SlowModeText(%d) = %q, want %q", n, got, want)
		}
	}
}
