package models

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Watched-word actions, from the strongest: block refuses the post, hold publishes it
// as held for a moderator, flag publishes it and opens a queue item, replace rewrites
// the matched text before the post is stored.
const (
	WatchBlock   = "block"
	WatchHold    = "hold"
	WatchFlag    = "flag"
	WatchReplace = "replace"
)

// Watched-word scopes.
const (
	ScopeGroup = "group"
	ScopeSite  = "site"
)

// Limits on a watched word.
const (
	MaxWatchPatternRunes     = 80
	MaxWatchReplacementRunes = 80
	MaxWatchMessageRunes     = 300
)

// WatchedWord is a word or phrase that moderators watch for in new posts and edits:
// in one group (GroupID set) or site-wide (GroupID nil, set by admins). Pattern is
// lower-case and matched case-insensitively on word boundaries, like the crisis
// phrases; a trailing * matches any ending ("pharma*" matches "pharmacy"). Words are
// soft-deleted, so that the audit log's entries keep pointing at what they changed.
type WatchedWord struct {
	ID      int64  `gorm:"primaryKey"`
	GroupID *int64 `gorm:"index"`
	Group   *Group `gorm:"constraint:OnDelete:CASCADE"`
	Pattern string `gorm:"size:80;not null"`
	Action  string `gorm:"size:16;not null"`
	// Lane is the queue lane of a hold or flag word's item; empty for the others.
	Lane string `gorm:"size:16;not null;default:''"`
	// Replacement replaces the matched text of a replace word.
	Replacement string `gorm:"size:80;not null;default:''"`
	// Message is what the author of a blocked post reads; for a hold word, optionally,
	// why their post waits for a moderator.
	Message     string         `gorm:"size:300;not null;default:''"`
	CreatedByID int64          `gorm:"not null"` // user id: staff-only, never shown
	CreatedAt   time.Time      `gorm:"not null"`
	DeletedAt   gorm.DeletedAt `gorm:"index"`
}

// Scope is "group" for a group's word and "site" for a site-wide one.
func (w *WatchedWord) Scope() string {
	if w.GroupID == nil {
		return ScopeSite
	}
	return ScopeGroup
}

// WatchedWordInput is what a moderator sends to add a watched word.
type WatchedWordInput struct {
	Pattern     string `json:"pattern" form:"pattern"`
	Action      string `json:"action" form:"action"`
	Lane        string `json:"lane" form:"lane"`
	Replacement string `json:"replacement" form:"replacement"`
	Message     string `json:"message" form:"message"`
}

// normalisePattern lower-cases a pattern, folds typographic apostrophes and collapses
// runs of white space, so that equal patterns are stored equal.
func normalisePattern(p string) string {
	p = strings.NewReplacer("’", "'", "‘", "'").Replace(p)
	return strings.ToLower(strings.Join(strings.Fields(p), " "))
}

// Validate normalises the input and reports what is wrong with it. Fields that the
// action does not use are cleared.
func (in *WatchedWordInput) Validate() error {
	in.Pattern = normalisePattern(in.Pattern)
	in.Action = strings.TrimSpace(in.Action)
	in.Lane = strings.TrimSpace(in.Lane)
	in.Replacement = strings.TrimSpace(in.Replacement)
	in.Message = strings.TrimSpace(in.Message)
	var v ValidationError
	stem := strings.TrimSuffix(in.Pattern, "*")
	switch n := utf8.RuneCountInString(in.Pattern); {
	case n == 0:
		v.Add("pattern", "a word or phrase is required")
	case n > MaxWatchPatternRunes:
		v.Add("pattern", "use at most 80 characters")
	case strings.Contains(stem, "*"):
		v.Add("pattern", "a * may only end the pattern, to match any ending")
	case !wordRune(firstRune(stem)) || !wordRune(lastRune(stem)):
		v.Add("pattern", "start and end the pattern with a letter or a digit")
	}
	switch in.Action {
	case WatchHold, WatchFlag:
		if in.Lane == "" {
			in.Lane = LaneSpam
		}
		if laneSeverity(in.Lane) == len(Lanes) {
			v.Add("lane", "choose "+strings.Join(Lanes, ", "))
		}
	case WatchBlock, WatchReplace:
		in.Lane = ""
	default:
		v.Add("action", "choose block, hold, flag or replace")
	}
	if in.Action == WatchReplace {
		switch n := utf8.RuneCountInString(in.Replacement); {
		case n == 0:
			v.Add("replacement", "say what replaces the word, e.g. ***")
		case n > MaxWatchReplacementRunes:
			v.Add("replacement", "use at most 80 characters")
		}
	} else {
		in.Replacement = ""
	}
	if in.Action == WatchBlock && in.Message == "" {
		v.Add("message", "tell the author why their post cannot be published")
	}
	if utf8.RuneCountInString(in.Message) > MaxWatchMessageRunes {
		v.Add("message", "use at most 300 characters")
	}
	if in.Action != WatchBlock && in.Action != WatchHold {
		in.Message = ""
	}
	return v.Err()
}

func wordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

// BlockedError refuses a post that contains a watched word with the block action.
// Message is the word's message; Field is the field that contains it ("title" or
// "body"). It is also a *ValidationError on that field for errors.As, so that every
// form shows the message beside the draft.
type BlockedError struct {
	Field   string
	Message string
}

func (e *BlockedError) Error() string { return e.Message }

// As lets errors.As see the error as a *ValidationError on e.Field.
func (e *BlockedError) As(target any) bool {
	if ve, ok := target.(**ValidationError); ok {
		*ve = &ValidationError{Fields: map[string]string{e.Field: e.Message}}
		return true
	}
	return false
}

// wordCache holds compiled watched-word patterns by pattern. A pattern's regexp
// depends on nothing but the pattern, so entries never go stale, and several app
// instances sharing one database need no invalidation; the words themselves are
// loaded with one indexed query per write.
type wordCache struct {
	mu sync.Mutex
	re map[string]*regexp.Regexp
}

// maxCachedPatterns bounds the cache; when full it starts again.
const maxCachedPatterns = 4096

// get returns the compiled pattern, or nil if it does not compile (Validate keeps
// such patterns out).
func (c *wordCache) get(pattern string) *regexp.Regexp {
	c.mu.Lock()
	defer c.mu.Unlock()
	if re, ok := c.re[pattern]; ok {
		return re
	}
	re, err := compileWatched(pattern)
	if err != nil {
		re = nil
	}
	if c.re == nil || len(c.re) >= maxCachedPatterns {
		c.re = map[string]*regexp.Regexp{}
	}
	c.re[pattern] = re
	return re
}

// compileWatched compiles a watched word as compilePhrases compiles a crisis phrase
// (word boundaries, any separator between words, any apostrophe), with a trailing *
// matching any further letters or digits.
func compileWatched(pattern string) (*regexp.Regexp, error) {
	stem, wildcard := strings.CutSuffix(pattern, "*")
	alt := phraseAlternative(stem)
	if wildcard {
		alt += `[\p{L}\p{N}]*`
	}
	return regexp.Compile(`(?i)(?:^|[^\p{L}\p{N}])(` + alt + `)(?:$|[^\p{L}\p{N}])`)
}

// wordMatches returns the byte ranges of every match of a compiled watched word in
// text. The boundary characters are part of the regexp's match, so the search goes on
// from the end of each word: "scam scam" has two matches.
func wordMatches(re *regexp.Regexp, text string) [][2]int {
	var out [][2]int
	for pos := 0; pos < len(text); {
		loc := re.FindStringSubmatchIndex(text[pos:])
		if loc == nil {
			break
		}
		start, end := pos+loc[2], pos+loc[3]
		out = append(out, [2]int{start, end})
		if end <= pos {
			end = pos + 1
		}
		pos = end
	}
	return out
}

// replaceWord replaces every match of re in text with repl.
func replaceWord(re *regexp.Regexp, text, repl string) (string, bool) {
	ms := wordMatches(re, text)
	if len(ms) == 0 {
		return text, false
	}
	var b strings.Builder
	last := 0
	for _, m := range ms {
		b.WriteString(text[last:m[0]])
		b.WriteString(repl)
		last = m[1]
	}
	b.WriteString(text[last:])
	return b.String(), true
}

// escapeMarkdown backslash-escapes ASCII punctuation, so that a replacement such as
// "***" reads as itself in a Markdown body rather than as emphasis or a rule.
func escapeMarkdown(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < utf8.RuneSelf && (unicode.IsPunct(r) || unicode.IsSymbol(r)) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// loadWatchedWords loads the words that apply in a group: its own and the site's,
// the group's first.
func (s *Store) loadWatchedWords(ctx context.Context, db *gorm.DB, groupID int64) ([]WatchedWord, error) {
	var ws []WatchedWord
	err := db.WithContext(ctx).Where("(group_id IS NULL OR group_id = ?)", groupID).
		Order("CASE WHEN group_id IS NULL THEN 1 ELSE 0 END, id").Find(&ws).Error
	if err != nil {
		return nil, fmt.Errorf("models: load watched words: %w", err)
	}
	return ws, nil
}

// wordScreen is what the watched words found in text being written: the hold and
// flag words it contains, and whether replace words changed it.
type wordScreen struct {
	held     []WatchedWord
	flagged  []WatchedWord
	replaced bool
	message  string // the first hold word's message, if any
}

// screenWords applies the watched words of group groupID to a title and a body
// being written (either may be nil). It first replaces the replace words in place
// (the body's replacement escaped for Markdown); then a block word anywhere refuses
// the text with a *BlockedError; the hold and flag words found are returned for
// holdForWords and autoFlag. Matching uses the text as the crisis check sees it
// (Markdown emphasis stripped, apostrophes folded).
func (s *Store) screenWords(ctx context.Context, tx *gorm.DB, groupID int64, title, body *string) (*wordScreen, error) {
	ws := &wordScreen{}
	words, err := s.loadWatchedWords(ctx, tx, groupID)
	if err != nil || len(words) == 0 {
		return ws, err
	}
	for _, w := range words {
		if w.Action != WatchReplace {
			continue
		}
		re := s.words.get(w.Pattern)
		if re == nil {
			continue
		}
		if title != nil {
			t, ok := replaceWord(re, *title, w.Replacement)
			if ok {
				if utf8.RuneCountInString(t) > 200 {
					t = string([]rune(t)[:200])
				}
				*title, ws.replaced = t, true
			}
		}
		if body != nil {
			b, ok := replaceWord(re, *body, escapeMarkdown(w.Replacement))
			if ok {
				*body, ws.replaced = b, true
			}
		}
	}
	var titleText, bodyText string
	if title != nil {
		titleText = normaliseForDetection(*title)
	}
	if body != nil {
		bodyText = normaliseForDetection(*body)
	}
	for _, w := range words {
		if w.Action == WatchReplace {
			continue
		}
		re := s.words.get(w.Pattern)
		if re == nil {
			continue
		}
		inTitle, inBody := title != nil && re.MatchString(titleText), body != nil && re.MatchString(bodyText)
		if !inTitle && !inBody {
			continue
		}
		switch w.Action {
		case WatchBlock:
			field := "body"
			if inTitle {
				field = "title"
			}
			return nil, &BlockedError{Field: field, Message: w.Message}
		case WatchHold:
			ws.held = append(ws.held, w)
			if ws.message == "" {
				ws.message = w.Message
			}
		case WatchFlag:
			ws.flagged = append(ws.flagged, w)
		}
	}
	return ws, nil
}

// screenPostWords applies watched words to a new post and, for a new thread, its
// title; a changed body is rendered again.
func (s *Store) screenPostWords(ctx context.Context, tx *gorm.DB, groupID int64, p *Post, title *string) (*wordScreen, error) {
	ws, err := s.screenWords(ctx, tx, groupID, title, &p.Body)
	if err != nil {
		return nil, err
	}
	if ws.replaced {
		html, err := RenderMarkdown(p.Body)
		if err != nil {
			return nil, err
		}
		p.BodyHTML = html
	}
	return ws, nil
}

// heldForWatchedWord is the status reason of a post held for a watched word.
const heldForWatchedWord = "held for review: a watched word"

// holdForWords runs after screen: a hold word holds a published post for a
// moderator, unless it is a crisis post (crisis posts are answered, not hidden) or
// its author moderates the group. Either way the hold and flag words go to autoFlag,
// which opens a queue item naming each.
func (ws *wordScreen) holdForWords(p *Post, moderates bool) {
	p.watched = append(append([]WatchedWord(nil), ws.held...), ws.flagged...)
	if len(ws.held) == 0 || p.Crisis || moderates || p.Status != PostPublished {
		return
	}
	p.Status, p.StatusReason = PostHeld, heldForWatchedWord
	reason := ws.message
	if reason == "" {
		reason = "A moderator will read your post before others can see it. It will be visible soon if all is well."
	}
	p.Notices = append(p.Notices, Notice{Kind: NoticeHeld, Reason: reason})
}

// flagWatched opens (or joins) the queue item of a post for each hold or flag word
// it contains, in the word's lane, naming the word in the note.
func (s *Store) flagWatched(ctx context.Context, tx *gorm.DB, base flagInput, words []WatchedWord) error {
	for _, w := range words {
		in := base
		in.Lane, in.Source = w.Lane, "watched_word"
		if laneSeverity(in.Lane) == len(Lanes) {
			in.Lane = LaneSpam
		}
		in.Note = fmt.Sprintf("watched word %q (%s, %s)", w.Pattern, w.Action, w.Scope())
		if _, err := s.flag(ctx, tx, in); err != nil {
			return err
		}
	}
	return nil
}

// screenEditWords applies watched words to an edit of a post. Replace words rewrite
// the new text and block words refuse it, as for a new post; hold and flag words
// count only when the edit brings them in (the old text did not have them), so that
// fixing a typo does not report a post again.
func (s *Store) screenEditWords(ctx context.Context, tx *gorm.DB, pc *PostContext, body *string) (*wordScreen, error) {
	ws, err := s.screenWords(ctx, tx, pc.Thread.GroupID, nil, body)
	if err != nil || (len(ws.held) == 0 && len(ws.flagged) == 0) {
		return ws, err
	}
	old := normaliseForDetection(pc.Post.Body)
	fresh := func(words []WatchedWord) []WatchedWord {
		var out []WatchedWord
		for _, w := range words {
			if re := s.words.get(w.Pattern); re != nil && !re.MatchString(old) {
				out = append(out, w)
			}
		}
		return out
	}
	ws.held, ws.flagged, ws.message = fresh(ws.held), fresh(ws.flagged), ""
	for _, w := range ws.held {
		if ws.message == "" {
			ws.message = w.Message
		}
	}
	return ws, nil
}

// holdEditForWords finishes an edit that brought in hold or flag words: a hold word
// holds a published post (not a crisis post, not a moderator's), and each word opens
// or joins the post's queue item with a snapshot of the edited text.
func (s *Store) holdEditForWords(ctx context.Context, tx *gorm.DB, t *Thread, pc *PostContext, ws *wordScreen) error {
	if ws == nil || (len(ws.held) == 0 && len(ws.flagged) == 0) {
		return nil
	}
	p := pc.Post
	crisis := p.Crisis || len(DetectCrisis(p.Body)) > 0
	if len(ws.held) > 0 && !crisis && !pc.Access.Moderates && p.Status == PostPublished {
		if err := tx.WithContext(ctx).Model(&Post{}).Where("id = ?", p.ID).
			Updates(map[string]any{"status": PostHeld, "status_reason": heldForWatchedWord}).Error; err != nil {
			return err
		}
		p.Status, p.StatusReason = PostHeld, heldForWatchedWord
		reason := ws.message
		if reason == "" {
			reason = "A moderator will read your edited post before others can see it again."
		}
		p.Notices = append(p.Notices, Notice{Kind: NoticeHeld, Reason: reason})
	}
	base := flagInput{GroupID: t.GroupID, TargetType: TargetPost, TargetID: p.ID, Snapshot: snapshotOf(t, p)}
	return s.flagWatched(ctx, tx, base, append(append([]WatchedWord(nil), ws.held...), ws.flagged...))
}

// WatchedWordList is the watched words of one scope: a group's page lists its own
// words and the site's (Access is set); the admins' page lists the site's.
type WatchedWordList struct {
	Access *GroupAccess // nil for the site-wide list
	Words  []WatchedWord
}

// watchScope loads what a watched-word route acts on: for a slug, the group v
// moderates (ErrNotFound when v may not see it, ErrForbidden when v sees it but does
// not moderate it); for an empty slug, the site, for admins alone (ErrNotFound).
func (s *Store) watchScope(ctx context.Context, db *gorm.DB, v *Viewer, slug string) (*GroupAccess, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	if slug == "" {
		if !v.IsAdmin() {
			return nil, ErrNotFound
		}
		return nil, nil
	}
	return s.moderatedGroup(ctx, db, v, slug)
}

// WatchedWords lists the watched words of a group (slug), with the site-wide words
// that also apply there, for the group's moderators and admins; with an empty slug,
// the site-wide words, for admins.
func (s *Store) WatchedWords(ctx context.Context, v *Viewer, slug string) (*WatchedWordList, error) {
	a, err := s.watchScope(ctx, s.rdb, v, slug)
	if err != nil {
		return nil, err
	}
	l := &WatchedWordList{Access: a}
	q := s.rdb.WithContext(ctx)
	if a == nil {
		err = q.Where("group_id IS NULL").Order("id").Find(&l.Words).Error
	} else {
		l.Words, err = s.loadWatchedWords(ctx, s.rdb, a.Group.ID)
	}
	if err != nil {
		return nil, wrapErr("watched words", err)
	}
	return l, nil
}

// watchedLabel is how the modlog names a watched word: not by its pattern, which the
// modlog of an open group would show to everyone (the audit log keeps the word's id).
func watchedLabel(w *WatchedWord) string {
	switch w.Action {
	case WatchHold, WatchFlag:
		return fmt.Sprintf("watched word (%s, %s lane)", w.Action, w.Lane)
	}
	return fmt.Sprintf("watched word (%s)", w.Action)
}

// CreateWatchedWord adds a watched word to a group (slug) or, with an empty slug, to
// the whole site. The change is audited, and a group's is in its modlog.
func (s *Store) CreateWatchedWord(ctx context.Context, v *Viewer, slug string, in WatchedWordInput) (*WatchedWord, error) {
	verr := in.Validate()
	var w WatchedWord
	err := s.tx(ctx, func(tx *gorm.DB) error {
		a, err := s.watchScope(ctx, tx, v, slug)
		if err != nil {
			return err
		}
		// Permission first, so that only moderators learn what is wrong with a word.
		if verr != nil {
			return verr
		}
		w = WatchedWord{Pattern: in.Pattern, Action: in.Action, Lane: in.Lane, Replacement: in.Replacement,
			Message: in.Message, CreatedByID: v.User.ID, CreatedAt: s.now()}
		dup := tx.Model(&WatchedWord{}).Where("pattern = ?", w.Pattern)
		if a != nil {
			w.GroupID = &a.Group.ID
			dup = dup.Where("group_id = ?", a.Group.ID)
		} else {
			dup = dup.Where("group_id IS NULL")
		}
		var n int64
		if err := dup.Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return &ValidationError{Fields: map[string]string{"pattern": "this word is already watched here; delete it first to change it"}}
		}
		if err := tx.Create(&w).Error; err != nil {
			return err
		}
		if a == nil {
			return s.audit(ctx, tx, v, "watched_word.create", "watched_word", w.ID, fmt.Sprintf("%s %q", w.Action, w.Pattern))
		}
		return s.modlog(ctx, tx, v, a.Group.ID, "watched_word.create", "watched_word", w.ID, watchedLabel(&w), "")
	})
	if err != nil {
		return nil, wrapErr("create watched word", err)
	}
	return &w, nil
}

// DeleteWatchedWord stops watching a word of a group (slug) or, with an empty slug,
// a site-wide word. A word of another scope is ErrNotFound. The change is audited,
// and a group's is in its modlog.
func (s *Store) DeleteWatchedWord(ctx context.Context, v *Viewer, slug string, id int64) (*WatchedWord, error) {
	var w WatchedWord
	err := s.tx(ctx, func(tx *gorm.DB) error {
		a, err := s.watchScope(ctx, tx, v, slug)
		if err != nil {
			return err
		}
		q := tx.Where("id = ?", id)
		if a != nil {
			q = q.Where("group_id = ?", a.Group.ID)
		} else {
			q = q.Where("group_id IS NULL")
		}
		if err := q.First(&w).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return err
		}
		if err := tx.Delete(&w).Error; err != nil {
			return err
		}
		if a == nil {
			return s.audit(ctx, tx, v, "watched_word.delete", "watched_word", w.ID, fmt.Sprintf("%s %q", w.Action, w.Pattern))
		}
		return s.modlog(ctx, tx, v, a.Group.ID, "watched_word.delete", "watched_word", w.ID, watchedLabel(&w), "")
	})
	if err != nil {
		return nil, wrapErr("delete watched word", err)
	}
	return &w, nil
}
