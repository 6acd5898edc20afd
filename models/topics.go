package models

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Emerging topics are terms (words and two-word phrases) whose share of a group's
// posts in the last 24 hours rises far above their daily baseline of the previous
// weeks. They are computed on a schedule (RefreshTopics, run by app/jobs.go), never on a page
// view: each completed UTC day is counted once into TermDay, and each refresh reads
// only the last 24 hours of posts.

// Emerging-topic tuning.
const (
	// TopicBaselineDays is how many days before the last 24 hours form the baseline.
	TopicBaselineDays = 28
	// TopicMinPosts is how many recent posts must mention a term.
	TopicMinPosts = 3
	// TopicMinRatio is how far above its baseline a term must rise: (recent+1)/(daily mean+1).
	TopicMinRatio = 3.0
	// TopicsPerGroup bounds the list of one group.
	TopicsPerGroup = 10
	// topicTrendDays is the length of a topic's trend line, in days (the last point is
	// the last 24 hours).
	topicTrendDays = 14
)

// TermDay counts the posts of a group on one UTC day that mention a term.
type TermDay struct {
	// idx_term_day_group serves RefreshTopics, which reads one group's terms at a time:
	// by the primary key alone it read every group's days, for each group.
	Day     time.Time `gorm:"primaryKey;index:idx_term_day_group,priority:3"`
	GroupID int64     `gorm:"primaryKey;index:idx_term_day_group,priority:1"`
	Term    string    `gorm:"primaryKey;size:80;index:idx_term_day_group,priority:2"`
	Count   int       `gorm:"not null"`
}

// EmergingTopic is one term of a group rising above its baseline, as last computed.
type EmergingTopic struct {
	ID      int64  `gorm:"primaryKey" json:"-"`
	GroupID int64  `gorm:"not null;index" json:"-"`
	Group   string `gorm:"-" json:"group"`
	Term    string `gorm:"size:80;not null" json:"term"`
	// Count is the number of posts in the last 24 hours that mention the term.
	Count int `gorm:"not null" json:"count"`
	// Baseline is the mean number of posts a day that mentioned it before.
	Baseline float64 `gorm:"not null" json:"baseline_per_day"`
	// Ratio is (Count+1)/(Expected+1), where Expected is Count's share of the
	// baseline's posts applied to the last 24 hours' posts: how many times its usual level.
	Ratio float64 `gorm:"not null" json:"ratio"`
	// TrendCSV holds the daily counts of the previous days and then the last 24 hours.
	TrendCSV string `gorm:"size:400;not null;default:''" json:"-"`
	Trend    []int  `gorm:"-" json:"trend"`
	// PostsCSV holds "thread:post" pairs of the newest mentioning posts.
	PostsCSV   string      `gorm:"size:400;not null;default:''" json:"-"`
	Posts      []TopicPost `gorm:"-" json:"posts"`
	ComputedAt time.Time   `gorm:"not null" json:"computed_at"`
}

// TopicPost is a post that mentions an emerging topic.
type TopicPost struct {
	ThreadID int64 `json:"thread_id"`
	PostID   int64 `json:"post_id"`
}

var (
	urlPattern   = regexp.MustCompile(`(?i)\b(https?://|www\.)\S+`)
	topicStop    = map[string]bool{}
	topicStopRaw = `a about above after again against all also am an and any are aren't as at be because been before being
below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each few
for from further get got had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him
himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself just know let's like me more most much
mustn't my myself no nor not now of off on once only or other ought our ours ourselves out over own really same shan't she
she'd she'll she's should shouldn't so some such than that that's the their theirs them themselves then there there's
these they they'd they'll they're they've this those through to too under until up us very was wasn't we we'd we'll
we're we've were weren't what what's when when's where where's which while who who's whom why why's will with won't
would wouldn't you you'd you'll you're you've your yours yourself yourselves one two three going think thing things
still even back well day days time today yesterday week weeks anyone someone something anything everyone people
see thanks thank hi hello hey yes yeah ok okay lot lots way make made want need feel feeling good bad new first last
year years month months since ever never always maybe sure though through http https www com im ive dont cant
didnt doesnt isnt wasnt wont thats theres whats youre`
)

func init() {
	for _, w := range strings.Fields(topicStopRaw) {
		topicStop[w] = true
		topicStop[strings.ReplaceAll(w, "'", "")] = true
	}
}

// topicTerms lists the distinct terms of a text: words of 3 or more letters that are
// not stop words or pseudonyms, and two-word phrases of such words.
func topicTerms(text string, exclude map[string]bool) []string {
	text = urlPattern.ReplaceAllString(strings.ToLower(text), " ")
	seen := map[string]bool{}
	var out []string
	add := func(t string) {
		if !seen[t] && len(t) <= 80 {
			seen[t] = true
			out = append(out, t)
		}
	}
	// Phrases do not cross punctuation: a space between words becomes a boundary
	// marker ("|") that is not a word itself.
	text = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'':
			return r
		case unicode.IsSpace(r):
			return ' '
		}
		return '|'
	}, text)
	text = strings.ReplaceAll(text, "|", " | ")
	prev := ""
	for _, w := range strings.Fields(text) {
		w = strings.Trim(w, "'")
		w = strings.TrimSuffix(w, "'s")
		ok := len([]rune(w)) >= 3 && !topicStop[w] && !exclude[w] && strings.IndexFunc(w, unicode.IsLetter) >= 0
		if !ok {
			prev = ""
			continue
		}
		add(w)
		if prev != "" {
			add(prev + " " + w)
		}
		prev = w
	}
	return out
}

// groupPseudonyms is every pseudonym ever used in each group, lowercased, to keep
// them out of the topics.
func (s *Store) groupPseudonyms(ctx context.Context, db *gorm.DB, groupIDs []int64) (map[int64]map[string]bool, error) {
	var rows []struct {
		GroupID   int64
		Pseudonym string
	}
	if err := db.WithContext(ctx).Model(&Membership{}).Select("group_id, pseudonym").Where("group_id IN ?", groupIDs).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := map[int64]map[string]bool{}
	for _, r := range rows {
		if out[r.GroupID] == nil {
			out[r.GroupID] = map[string]bool{}
		}
		out[r.GroupID][strings.ToLower(r.Pseudonym)] = true
	}
	return out, nil
}

type topicPost struct {
	ID       int64
	ThreadID int64
	GroupID  int64
	Body     string
}

// postsBetween streams the published posts written in [from, to), an hour at a
// time, so that every query is a range of the posts' created_at index.
func (s *Store) postsBetween(ctx context.Context, from, to time.Time, fn func([]topicPost) error) error {
	for start := from; start.Before(to); start = start.Add(time.Hour) {
		end := start.Add(time.Hour)
		if end.After(to) {
			end = to
		}
		var batch []topicPost
		err := s.rdb.WithContext(ctx).Table("posts").Select("posts.id, posts.thread_id, threads.group_id, posts.body").
			Joins("JOIN threads ON threads.id = posts.thread_id").
			Where("posts.created_at >= ? AND posts.created_at < ? AND posts.status = ?", start, end, PostPublished).
			Scan(&batch).Error
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			continue
		}
		sort.Slice(batch, func(i, j int) bool { return batch[i].ID < batch[j].ID })
		if err := fn(batch); err != nil {
			return err
		}
	}
	return nil
}

// countTerms counts, per group and term, the posts that mention it.
func (s *Store) countTerms(ctx context.Context, from, to time.Time, keep func(groupID int64, term string, p topicPost)) error {
	pseudonyms := map[int64]map[string]bool{}
	return s.postsBetween(ctx, from, to, func(ps []topicPost) error {
		var missing []int64
		for _, p := range ps {
			if _, ok := pseudonyms[p.GroupID]; !ok {
				pseudonyms[p.GroupID] = nil
				missing = append(missing, p.GroupID)
			}
		}
		if len(missing) > 0 {
			m, err := s.groupPseudonyms(ctx, s.rdb, missing)
			if err != nil {
				return err
			}
			for _, id := range missing {
				pseudonyms[id] = m[id]
			}
		}
		for _, p := range ps {
			keep(p.GroupID, "", p) // the empty term counts every post
			for _, t := range topicTerms(p.Body, pseudonyms[p.GroupID]) {
				keep(p.GroupID, t, p)
			}
		}
		return nil
	})
}

type groupTerm struct {
	group int64
	term  string
}

// RefreshTopics counts any completed days not yet counted and recomputes every
// group's emerging topics from the last 24 hours.
func (s *Store) RefreshTopics(ctx context.Context) error {
	now := s.now()
	today := now.Truncate(24 * time.Hour)
	if err := s.foldTermDays(ctx, today); err != nil {
		return fmt.Errorf("models: refresh topics: %w", err)
	}
	recent := map[groupTerm]int{}
	posts := map[groupTerm][]TopicPost{}
	err := s.countTerms(ctx, now.Add(-24*time.Hour), now.Add(time.Second), func(g int64, t string, p topicPost) {
		k := groupTerm{g, t}
		recent[k]++
		if t == "" {
			return
		}
		posts[k] = append(posts[k], TopicPost{ThreadID: p.ThreadID, PostID: p.ID})
		if len(posts[k]) > 5 {
			posts[k] = posts[k][1:] // keep the newest five
		}
	})
	if err != nil {
		return fmt.Errorf("models: refresh topics: %w", err)
	}
	// The baseline: the days before the last 24 hours (yesterday overlaps them).
	baseTo := today.Add(-24 * time.Hour)
	baseFrom := baseTo.Add(-TopicBaselineDays * 24 * time.Hour)
	candidates := map[int64][]string{}
	for k, n := range recent {
		if k.term != "" && n >= TopicMinPosts {
			candidates[k.group] = append(candidates[k.group], k.term)
		}
	}
	var topics []EmergingTopic
	for g, terms := range candidates {
		var rows []TermDay
		for chunk := range slices.Chunk(terms, 500) {
			var part []TermDay
			if err := s.rdb.WithContext(ctx).Where("group_id = ? AND day >= ? AND day < ? AND term IN ?", g, baseFrom, today, append(chunk, "")).
				Find(&part).Error; err != nil {
				return fmt.Errorf("models: refresh topics: %w", err)
			}
			rows = append(rows, part...)
		}
		var days int64
		if err := s.rdb.WithContext(ctx).Model(&TermDay{}).Where("group_id = ? AND day >= ? AND day < ?", g, baseFrom, baseTo).
			Distinct("day").Count(&days).Error; err != nil {
			return fmt.Errorf("models: refresh topics: %w", err)
		}
		sum := map[string]int{}
		trend := map[string][]int{}
		for _, t := range terms {
			trend[t] = make([]int, topicTrendDays)
		}
		for _, r := range rows {
			day := r.Day.UTC()
			if day.Before(baseTo) {
				sum[r.Term] += r.Count
			}
			// Trend: the topicTrendDays-1 days before today, then the last 24 hours.
			if i := topicTrendDays - 1 - int(today.Sub(day)/(24*time.Hour)); i >= 0 && i < topicTrendDays-1 && r.Term != "" {
				trend[r.Term][i] = r.Count
			}
		}
		// A term rises when more recent posts mention it than its share of earlier
		// posts predicts: busier days alone raise nothing.
		total, baseTotal := float64(recent[groupTerm{g, ""}]), float64(sum[""])
		for _, t := range terms {
			n := recent[groupTerm{g, t}]
			base := float64(sum[t]) / float64(max(days, 1))
			expected := base
			if baseTotal > 0 {
				expected = float64(sum[t]) / baseTotal * total
			}
			ratio := (float64(n) + 1) / (expected + 1)
			if ratio < TopicMinRatio {
				continue
			}
			tr := trend[t]
			tr[topicTrendDays-1] = n
			topics = append(topics, EmergingTopic{GroupID: g, Term: t, Count: n, Baseline: base, Ratio: ratio,
				TrendCSV: joinInts(tr), PostsCSV: joinPosts(posts[groupTerm{g, t}]), ComputedAt: now})
		}
	}
	// Keep the strongest few per group; a phrase hides its words when they rose together.
	sort.Slice(topics, func(i, j int) bool {
		if topics[i].GroupID != topics[j].GroupID {
			return topics[i].GroupID < topics[j].GroupID
		}
		if topics[i].Ratio != topics[j].Ratio {
			return topics[i].Ratio > topics[j].Ratio
		}
		return topics[i].Term < topics[j].Term
	})
	var keep []EmergingTopic
	perGroup := map[int64]int{}
	for _, t := range topics {
		if perGroup[t.GroupID] < TopicsPerGroup && !coveredByPhrase(t, topics) {
			keep = append(keep, t)
			perGroup[t.GroupID]++
		}
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("1 = 1").Delete(&EmergingTopic{}).Error; err != nil {
			return err
		}
		if len(keep) == 0 {
			return nil
		}
		return tx.CreateInBatches(keep, 200).Error
	})
	if err != nil {
		return fmt.Errorf("models: refresh topics: %w", err)
	}
	return nil
}

// coveredByPhrase reports whether t is a word of a rising phrase with the same count.
func coveredByPhrase(t EmergingTopic, all []EmergingTopic) bool {
	if strings.Contains(t.Term, " ") {
		return false
	}
	for _, o := range all {
		if o.GroupID == t.GroupID && o.Count == t.Count && strings.Contains(o.Term, " ") {
			for _, w := range strings.Fields(o.Term) {
				if w == t.Term {
					return true
				}
			}
		}
	}
	return false
}

// foldTermDays counts every completed day of the baseline window not counted yet,
// and forgets days older than the window.
func (s *Store) foldTermDays(ctx context.Context, today time.Time) error {
	oldest := today.Add(-(TopicBaselineDays + 2) * 24 * time.Hour)
	var c StatCursor
	if err := s.db.WithContext(ctx).Where("name = ?", "term_days").Limit(1).Find(&c).Error; err != nil {
		return err
	}
	day := oldest
	if !c.LastAt.IsZero() && c.LastAt.UTC().Add(24*time.Hour).After(day) {
		day = c.LastAt.UTC().Add(24 * time.Hour)
	}
	for ; day.Before(today); day = day.Add(24 * time.Hour) {
		counts := map[groupTerm]int{}
		if err := s.countTerms(ctx, day, day.Add(24*time.Hour), func(g int64, t string, _ topicPost) {
			counts[groupTerm{g, t}]++
		}); err != nil {
			return err
		}
		// Phrases one post a day mentioned are most of the distinct terms and say
		// little: they are not kept (their baseline counts as zero). Words always are.
		rows := make([]TermDay, 0, len(counts)/4)
		for k, n := range counts {
			if n >= 2 || !strings.Contains(k.term, " ") {
				rows = append(rows, TermDay{Day: day, GroupID: k.group, Term: k.term, Count: n})
			}
		}
		err := s.tx(ctx, func(tx *gorm.DB) error {
			if err := tx.Where("day = ?", day).Delete(&TermDay{}).Error; err != nil {
				return err
			}
			if len(rows) > 0 {
				if err := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, 500).Error; err != nil {
					return err
				}
			}
			cur := StatCursor{Name: "term_days", LastAt: day, UpdatedAt: s.now()}
			return tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "name"}},
				DoUpdates: clause.AssignmentColumns([]string{"last_at", "updated_at"})}).Create(&cur).Error
		})
		if err != nil {
			return err
		}
	}
	return s.db.WithContext(ctx).Where("day < ?", oldest).Delete(&TermDay{}).Error
}

// emergingTopics lists the last computed topics of the given groups, strongest first.
func (s *Store) emergingTopics(ctx context.Context, db *gorm.DB, groupIDs []int64) ([]EmergingTopic, error) {
	out := []EmergingTopic{}
	if len(groupIDs) == 0 {
		return out, nil
	}
	if err := db.Where("group_id IN ?", groupIDs).Order("ratio DESC, term").Limit(100).Find(&out).Error; err != nil {
		return nil, wrapErr("emerging topics", err)
	}
	var groups []Group
	if err := db.Select("id", "slug").Where("id IN ?", groupIDs).Find(&groups).Error; err != nil {
		return nil, wrapErr("emerging topics", err)
	}
	slugs := map[int64]string{}
	for _, g := range groups {
		slugs[g.ID] = g.Slug
	}
	for i := range out {
		t := &out[i]
		t.Group = slugs[t.GroupID]
		for _, f := range strings.Split(t.TrendCSV, ",") {
			n, _ := strconv.Atoi(f)
			t.Trend = append(t.Trend, n)
		}
		t.Posts = []TopicPost{}
		for _, f := range strings.Split(t.PostsCSV, ",") {
			a, b, ok := strings.Cut(f, ":")
			if !ok {
				continue
			}
			tid, _ := strconv.ParseInt(a, 10, 64)
			pid, _ := strconv.ParseInt(b, 10, 64)
			t.Posts = append([]TopicPost{{ThreadID: tid, PostID: pid}}, t.Posts...) // newest first
		}
	}
	return out, nil
}

func joinInts(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ",")
}

func joinPosts(ps []TopicPost) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprintf("%d:%d", p.ThreadID, p.PostID)
	}
	return strings.Join(parts, ",")
}
