package models

import (
	"context"
	"slices"
	"sort"
	"time"

	"gorm.io/gorm"
)

// Dashboard periods.
const (
	Period24h = "24h"
	Period7d  = "7d"
	Period30d = "30d"
)

// DashboardFilter chooses the period and, optionally, one group.
type DashboardFilter struct {
	Period string `query:"period" json:"period"`
	Group  string `query:"group" json:"group"`
}

// Activity is a group's (or the whole site's) activity over a period.
type Activity struct {
	GroupID    int64  `json:"-"`
	Slug       string `json:"group,omitempty"`
	Name       string `json:"name,omitempty"`
	NewMembers int    `json:"new_members"`
	Active     int    `json:"active_members"`
	Threads    int    `json:"threads"`
	Posts      int    `json:"posts"`
	Questions  int    `json:"questions"`
	// Answered counts the period's questions that have a clinician answer.
	Answered int `json:"clinician_answered"`
	// AnsweredShare is Answered / Questions (0 when there were no questions).
	AnsweredShare float64 `json:"clinician_answered_share"`
	// MedianAnswerSeconds is the median wait for a first clinician answer, nil without answers.
	MedianAnswerSeconds *int64 `json:"median_first_clinician_answer_seconds"`
}

// SeriesPoint is one bucket (an hour or a UTC day) of a chart.
type SeriesPoint struct {
	Start      time.Time `json:"start"`
	Posts      int       `json:"posts"`
	NewMembers int       `json:"new_members"`
}

// LaneHealth is the queue's health in one lane.
type LaneHealth struct {
	Lane    string `json:"lane"`
	Open    int    `json:"open"`
	Overdue int    `json:"overdue"`
	// Resolved counts decisions in the period; the times are from opening to decision.
	Resolved      int    `json:"resolved"`
	MedianSeconds *int64 `json:"median_resolution_seconds"`
	P90Seconds    *int64 `json:"p90_resolution_seconds"`
}

// ReasonCount is how many reports and automatic flags gave one reason.
type ReasonCount struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

// CrisisItem is one crisis queue item of the period and how fast a moderator acted.
type CrisisItem struct {
	ItemID    int64     `json:"id"`
	Group     string    `json:"group"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	// FirstActionAt is the first claim or the decision, whichever came first; nil
	// while nobody has acted.
	FirstActionAt *time.Time `json:"first_action_at"`
	// Seconds is the time to that first action.
	Seconds *int64 `json:"seconds_to_first_action"`
	Overdue bool   `json:"overdue"`
}

// Dashboard is the staff dashboard of one period.
type Dashboard struct {
	Period string    `json:"period"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	// Group is the one group shown, nil for the whole site.
	Group  *Group        `json:"-"`
	Totals Activity      `json:"totals"`
	Groups []Activity    `json:"groups"`
	Series []SeriesPoint `json:"series"`
	// Bucket is "hour" or "day": the width of each series point.
	Bucket  string        `json:"bucket"`
	Queue   []LaneHealth  `json:"queue"`
	Reasons []ReasonCount `json:"reports_by_reason"`
	Crisis  []CrisisItem  `json:"crisis_items"`
	// CrisisMedianSeconds is the median time to a first moderator action on crisis items.
	CrisisMedianSeconds *int64          `json:"crisis_median_seconds_to_first_action"`
	Topics              []EmergingTopic `json:"emerging_topics"`
	// UpdatedAt is when the counters were last refreshed.
	UpdatedAt *time.Time `json:"counters_updated_at"`
}

// periodBuckets turns a period into its buckets: 24 hours, or 7 or 30 UTC days, the
// last of which holds now.
func periodBuckets(period string, now time.Time) (from time.Time, n int, width time.Duration, err error) {
	switch period {
	case "", Period24h:
		width, n = time.Hour, 24
	case Period7d:
		width, n = 24*time.Hour, 7
	case Period30d:
		width, n = 24*time.Hour, 30
	default:
		return time.Time{}, 0, 0, &ValidationError{Fields: map[string]string{"period": "choose 24h, 7d or 30d"}}
	}
	last := now.UTC().Truncate(width)
	return last.Add(-time.Duration(n-1) * width), n, width, nil
}

// Dashboard computes the staff dashboard from the pre-aggregated counters and the
// live queue. Admins see the whole site or one group; a group's moderators only
// their group (f.Group is then required).
func (s *Store) Dashboard(ctx context.Context, v *Viewer, f DashboardFilter) (*Dashboard, error) {
	if v == nil {
		return nil, ErrUnauthenticated
	}
	now := s.now()
	from, n, width, err := periodBuckets(f.Period, now)
	if err != nil {
		return nil, err
	}
	if f.Period == "" {
		f.Period = Period24h
	}
	db := s.rdb.WithContext(ctx)
	d := &Dashboard{Period: f.Period, From: from, To: now, Bucket: "hour"}
	if width > time.Hour {
		d.Bucket = "day"
	}
	var groups []Group
	if f.Group != "" {
		var g Group
		if err := db.Where("slug = ?", f.Group).First(&g).Error; err != nil {
			return nil, ErrNotFound
		}
		if !v.IsAdmin() {
			ids, _, err := s.moderatedGroupIDs(ctx, db, v)
			if err != nil {
				return nil, err
			}
			if !slices.Contains(ids, g.ID) {
				return nil, ErrNotFound
			}
		}
		d.Group, groups = &g, []Group{g}
	} else {
		if !v.IsAdmin() {
			return nil, ErrNotFound
		}
		if err := db.Select("id", "slug", "name").Order("name").Find(&groups).Error; err != nil {
			return nil, wrapErr("dashboard", err)
		}
	}
	scope := func(q *gorm.DB, col string) *gorm.DB {
		if d.Group != nil {
			return q.Where(col+" = ?", d.Group.ID)
		}
		return q
	}

	// Activity per group, from the hourly counters.
	var sums []struct {
		GroupID                               int64
		NewMembers, Threads, Questions, Posts int
	}
	if err := scope(db.Model(&StatHour{}), "group_id").Select("group_id, SUM(new_members) AS new_members, SUM(threads) AS threads, "+
		"SUM(questions) AS questions, SUM(posts) AS posts").Where("hour >= ?", from).Group("group_id").Scan(&sums).Error; err != nil {
		return nil, wrapErr("dashboard", err)
	}
	var actives []struct {
		GroupID int64
		N       int
	}
	if err := scope(db.Model(&StatMemberLast{}), "group_id").Select("group_id, COUNT(*) AS n").
		Where("last_hour >= ?", from).Group("group_id").Scan(&actives).Error; err != nil {
		return nil, wrapErr("dashboard", err)
	}
	var answers []StatDuration
	if err := scope(db.Model(&StatDuration{}), "group_id").Select("group_id", "seconds").
		Where("kind = ? AND at >= ?", DurationAnswer, from).Find(&answers).Error; err != nil {
		return nil, wrapErr("dashboard", err)
	}
	byGroup := map[int64]*Activity{}
	for _, g := range groups {
		byGroup[g.ID] = &Activity{GroupID: g.ID, Slug: g.Slug, Name: g.Name}
	}
	get := func(id int64) *Activity {
		if a, ok := byGroup[id]; ok {
			return a
		}
		return &Activity{} // a group deleted since: counted in no row
	}
	for _, r := range sums {
		a := get(r.GroupID)
		a.NewMembers, a.Threads, a.Questions, a.Posts = r.NewMembers, r.Threads, r.Questions, r.Posts
	}
	for _, r := range actives {
		get(r.GroupID).Active = r.N
	}
	waits := map[int64][]int64{}
	var all []int64
	for _, r := range answers {
		waits[r.GroupID] = append(waits[r.GroupID], r.Seconds)
		all = append(all, r.Seconds)
	}
	for _, g := range groups {
		a := byGroup[g.ID]
		a.Answered = len(waits[g.ID])
		a.MedianAnswerSeconds = percentile(waits[g.ID], 50)
		a.AnsweredShare = share(a.Answered, a.Questions)
		d.Groups = append(d.Groups, *a)
		d.Totals.NewMembers += a.NewMembers
		d.Totals.Active += a.Active
		d.Totals.Threads += a.Threads
		d.Totals.Posts += a.Posts
		d.Totals.Questions += a.Questions
		d.Totals.Answered += a.Answered
	}
	d.Totals.AnsweredShare = share(d.Totals.Answered, d.Totals.Questions)
	d.Totals.MedianAnswerSeconds = percentile(all, 50)

	// The chart: posts and new members per bucket.
	var hours []struct {
		Hour       time.Time
		Posts      int
		NewMembers int
	}
	if err := scope(db.Model(&StatHour{}), "group_id").Select("hour, SUM(posts) AS posts, SUM(new_members) AS new_members").
		Where("hour >= ?", from).Group("hour").Scan(&hours).Error; err != nil {
		return nil, wrapErr("dashboard", err)
	}
	d.Series = make([]SeriesPoint, n)
	for i := range d.Series {
		d.Series[i].Start = from.Add(time.Duration(i) * width)
	}
	for _, h := range hours {
		i := int(h.Hour.UTC().Sub(from) / width)
		if i >= 0 && i < n {
			d.Series[i].Posts += h.Posts
			d.Series[i].NewMembers += h.NewMembers
		}
	}

	if err := s.dashboardQueue(ctx, db, d, scope, from, now); err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(groups))
	for _, g := range groups {
		ids = append(ids, g.ID)
	}
	if d.Topics, err = s.emergingTopics(ctx, db, ids); err != nil {
		return nil, err
	}
	var c StatCursor
	if err := db.Where("name = ?", "posts").Limit(1).Find(&c).Error; err == nil && !c.UpdatedAt.IsZero() {
		d.UpdatedAt = &c.UpdatedAt
	}
	return d, nil
}

// dashboardQueue fills the queue health, reports by reason and crisis items.
func (s *Store) dashboardQueue(ctx context.Context, db *gorm.DB, d *Dashboard, scope func(*gorm.DB, string) *gorm.DB, from, now time.Time) error {
	var open []struct {
		Lane    string
		N       int
		Overdue int
	}
	if err := scope(db.Model(&QueueItem{}), "group_id").Select("lane, COUNT(*) AS n, SUM(CASE WHEN deadline_at < ? THEN 1 ELSE 0 END) AS overdue", now).
		Where("status = ?", ItemOpen).Group("lane").Scan(&open).Error; err != nil {
		return wrapErr("dashboard queue", err)
	}
	var res []StatDuration
	if err := scope(db.Model(&StatDuration{}), "group_id").Select("lane", "seconds").
		Where("kind = ? AND at >= ?", DurationResolution, from).Find(&res).Error; err != nil {
		return wrapErr("dashboard queue", err)
	}
	byLane := map[string][]int64{}
	for _, r := range res {
		byLane[r.Lane] = append(byLane[r.Lane], r.Seconds)
	}
	for _, lane := range Lanes {
		lh := LaneHealth{Lane: lane, Resolved: len(byLane[lane]),
			MedianSeconds: percentile(byLane[lane], 50), P90Seconds: percentile(byLane[lane], 90)}
		for _, o := range open {
			if o.Lane == lane {
				lh.Open, lh.Overdue = o.N, o.Overdue
			}
		}
		d.Queue = append(d.Queue, lh)
	}
	var reasons []ReasonCount
	if err := scope(db.Model(&StatReasonHour{}), "group_id").Select("reason, SUM(count) AS count").
		Where("hour >= ?", from).Group("reason").Scan(&reasons).Error; err != nil {
		return wrapErr("dashboard reasons", err)
	}
	counts := map[string]int{}
	for _, r := range reasons {
		counts[r.Reason] = r.Count
	}
	for _, lane := range Lanes {
		d.Reasons = append(d.Reasons, ReasonCount{Reason: lane, Count: counts[lane]})
		delete(counts, lane)
	}
	for reason, n := range counts {
		d.Reasons = append(d.Reasons, ReasonCount{Reason: reason, Count: n})
	}

	var items []QueueItem
	if err := scope(db.Preload("Group"), "group_id").Where("lane = ? AND created_at >= ?", LaneCrisis, from).
		Order("created_at DESC").Limit(200).Find(&items).Error; err != nil {
		return wrapErr("dashboard crisis", err)
	}
	var waits []int64
	for _, it := range items {
		ci := CrisisItem{ItemID: it.ID, Status: it.Status, CreatedAt: it.CreatedAt, Overdue: it.Overdue(now)}
		if it.Group != nil {
			ci.Group = it.Group.Slug
		}
		first := it.ResolvedAt
		if it.ClaimExpiresAt != nil {
			claimed := it.ClaimExpiresAt.Add(-ClaimLease)
			if first == nil || claimed.Before(*first) {
				first = &claimed
			}
		}
		if first != nil {
			sec := int64(max(first.Sub(it.CreatedAt), 0) / time.Second)
			ci.FirstActionAt, ci.Seconds = first, &sec
			waits = append(waits, sec)
		}
		d.Crisis = append(d.Crisis, ci)
	}
	d.CrisisMedianSeconds = percentile(waits, 50)
	return nil
}

// percentile is the p-th percentile (nearest rank) of xs, nil when xs is empty.
func percentile(xs []int64, p int) *int64 {
	if len(xs) == 0 {
		return nil
	}
	s := slices.Clone(xs)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := (p*len(s) + 99) / 100 // ceil(p/100 * n)
	if rank < 1 {
		rank = 1
	}
	v := s[rank-1]
	return &v
}

func share(part, whole int) float64 {
	if whole == 0 {
		return 0
	}
	return float64(part) / float64(whole)
}
