package models

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"gorm.io/gorm"
)

// ScaleOptions sizes the dataset SeedScale generates.
type ScaleOptions struct {
	Groups  int
	Members int // users; each joins one to four groups
	Threads int
	Posts   int // including each thread's opening post
	// Progress, when set, receives a progress line (rate and ETA) a few times a second.
	Progress io.Writer
	// Seed makes the dataset reproducible; 0 picks one.
	Seed uint64
}

// ScaleResult counts what SeedScale wrote.
type ScaleResult struct {
	Groups, Users, Memberships, Threads, Posts, Reactions int
	Took                                                  time.Duration
}

// Validate reports what is wrong with the sizes.
func (o *ScaleOptions) Validate() error {
	var v ValidationError
	if o.Groups < 1 {
		v.Add("groups", "use at least 1 group")
	}
	if o.Members < 1 {
		v.Add("members", "use at least 1 member")
	}
	if o.Threads < o.Groups {
		v.Add("threads", "use at least one thread per group")
	}
	if o.Posts < o.Threads {
		v.Add("posts", "use at least one post per thread (its opening post)")
	}
	return v.Err()
}

// SeedScale adds a large, realistic dataset for benchmarks: open groups with skewed
// sizes, members under per-group pseudonyms (each a local-mode identity "mID", where
// ID is the user id), threads whose replies follow a long-tailed distribution, posts
// with Markdown rendered at write time, reactions, correct counters and a filled
// search index. It writes with multi-row INSERTs in large transactions, and adds to
// whatever the database holds.
func (s *Store) SeedScale(ctx context.Context, o ScaleOptions) (*ScaleResult, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Seed == 0 {
		o.Seed = uint64(time.Now().UnixNano())
	}
	start := time.Now()
	g := &scaleGen{s: s, o: o, rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15)), ctx: ctx,
		progress: newProgress(o.Progress)}
	if err := g.plan(); err != nil {
		return nil, err
	}
	if s.dialect == "sqlite" {
		// A large page cache keeps the indexes' random inserts off the disk.
		if err := s.db.WithContext(ctx).Exec("PRAGMA cache_size = -262144").Error; err != nil {
			return nil, err
		}
	}
	steps := []func() error{g.writeUsers, g.writeGroups, g.writeMemberships, g.writeThreads, g.writePosts, g.finish}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, fmt.Errorf("models: seed scale: %w", err)
		}
	}
	g.progress.done()
	g.res.Took = time.Since(start)
	return &g.res, nil
}

// scaleGen holds the plan of one SeedScale run.
type scaleGen struct {
	s        *Store
	o        ScaleOptions
	rng      *rand.Rand
	ctx      context.Context
	progress *progress
	res      ScaleResult
	now      time.Time

	// First ids of each table (the database's max id + 1): rows get explicit ids.
	userID0, groupID0, memberID0, threadID0, postID0, reactionID0 int64

	groupMembers [][]int32 // per group: membership indexes
	memberUser   []int32   // per membership: user index
	memberGroup  []int32   // per membership: group index
	memberPosts  []int32   // per membership: posts written
	memberJoined []time.Time
	threadGroup  []int32 // per thread: group index
	threadPosts  []int32 // per thread: posts including the opening one
	threadStart  []time.Time
	groupThreads []int32
	groupLast    []time.Time
	threadLast   []time.Time

	postAuthors  []int32 // per post, in id order: membership index
	firstPost    []int64 // per thread: its opening post's id
	threadTitles []string

	bodies []scaleBody
}

// scaleBody is one prerendered post text.
type scaleBody struct {
	md, html, plain string
}

func (g *scaleGen) maxID(table string) (int64, error) {
	var n *int64
	if err := g.s.db.WithContext(g.ctx).Raw("SELECT MAX(id) FROM " + table).Scan(&n).Error; err != nil {
		return 0, err
	}
	if n == nil {
		return 1, nil
	}
	return *n + 1, nil
}

// skewed draws an index in [0, n) with a long tail: low indexes are much likelier.
func (g *scaleGen) skewed(n int) int {
	x := math.Pow(g.rng.Float64(), 2.2)
	return min(n-1, int(x*float64(n)))
}

// plan decides every row's place before anything is written, so that counters are
// right the first time.
func (g *scaleGen) plan() error {
	o := g.o
	var err error
	for _, t := range []struct {
		table string
		dst   *int64
	}{{"users", &g.userID0}, {"groups", &g.groupID0}, {"memberships", &g.memberID0},
		{"threads", &g.threadID0}, {"posts", &g.postID0}, {"reactions", &g.reactionID0}} {
		if *t.dst, err = g.maxID(t.table); err != nil {
			return err
		}
	}
	g.now = g.s.now()
	g.bodies = scaleBodies(g.rng, 400)
	for i := range g.bodies {
		if g.bodies[i].html, err = RenderMarkdown(g.bodies[i].md); err != nil {
			return err
		}
		g.bodies[i].plain = PlainText(g.bodies[i].html)
	}

	// Memberships: each user joins one to four groups, popular groups more often.
	g.groupMembers = make([][]int32, o.Groups)
	for u := range o.Members {
		k := 1 + g.skewed(4)
		seen := map[int]bool{}
		for range k {
			gi := g.skewed(o.Groups)
			if seen[gi] {
				continue
			}
			seen[gi] = true
			g.groupMembers[gi] = append(g.groupMembers[gi], int32(len(g.memberUser)))
			g.memberUser = append(g.memberUser, int32(u))
			g.memberGroup = append(g.memberGroup, int32(gi))
		}
	}
	// Every group needs a member to open its threads.
	for gi := range g.groupMembers {
		if len(g.groupMembers[gi]) == 0 {
			u := g.rng.IntN(o.Members)
			g.groupMembers[gi] = append(g.groupMembers[gi], int32(len(g.memberUser)))
			g.memberUser = append(g.memberUser, int32(u))
			g.memberGroup = append(g.memberGroup, int32(gi))
		}
	}
	g.memberPosts = make([]int32, len(g.memberUser))

	// Threads: one per group first, the rest skewed towards big groups.
	g.threadGroup = make([]int32, o.Threads)
	g.groupThreads = make([]int32, o.Groups)
	for t := range o.Threads {
		gi := t
		if t >= o.Groups {
			gi = g.skewed(o.Groups)
		}
		g.threadGroup[t] = int32(gi)
		g.groupThreads[gi]++
	}
	// Posts: one opening post each; the replies long-tailed over threads.
	g.threadPosts = make([]int32, o.Threads)
	for t := range g.threadPosts {
		g.threadPosts[t] = 1
	}
	for range o.Posts - o.Threads {
		g.threadPosts[g.skewed(o.Threads)]++
	}
	// Shuffle so that busy threads are spread over time and groups.
	g.rng.Shuffle(len(g.threadPosts), func(i, j int) { g.threadPosts[i], g.threadPosts[j] = g.threadPosts[j], g.threadPosts[i] })

	// Times: threads open over the last two years, in id order; replies follow.
	span := 730 * 24 * time.Hour
	begin := g.now.Add(-span)
	g.threadStart = make([]time.Time, o.Threads)
	g.threadLast = make([]time.Time, o.Threads)
	g.groupLast = make([]time.Time, o.Groups)
	g.memberJoined = make([]time.Time, len(g.memberUser))
	for i := range g.memberJoined {
		g.memberJoined[i] = begin.Add(-time.Duration(g.rng.IntN(90*24)) * time.Hour)
	}
	for t := range o.Threads {
		g.threadStart[t] = begin.Add(time.Duration(float64(span) * float64(t) / float64(o.Threads)))
	}
	return nil
}

// postTimes spreads a thread's posts from its start, never past now.
func (g *scaleGen) postTime(t, i int) time.Time {
	n := int(g.threadPosts[t])
	avail := g.now.Sub(g.threadStart[t])
	step := min(avail/time.Duration(n+1), 6*time.Hour)
	return g.threadStart[t].Add(time.Duration(i) * step).Round(time.Microsecond)
}

// insertRows writes rows with multi-row INSERTs, batch rows a statement, in
// transactions of about 20,000 rows.
func (g *scaleGen) insertRows(table string, cols []string, n int, row func(i int, args []any), label string) error {
	return g.insertRowsThen(table, cols, n, row, label, nil)
}

// insertRowsThen is insertRows that also runs then, in each transaction, for the
// rows [lo, hi) it wrote.
func (g *scaleGen) insertRowsThen(table string, cols []string, n int, row func(i int, args []any), label string,
	then func(tx *gorm.DB, lo, hi int) error) error {
	per := max(1, min(500, 30000/len(cols)))
	const perTx = 20000
	args := make([]any, 0, per*len(cols))
	ph := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	head := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES "
	g.progress.start(label, n)
	for lo := 0; lo < n; lo += perTx {
		hi := min(n, lo+perTx)
		err := g.s.db.WithContext(g.ctx).Transaction(func(tx *gorm.DB) error {
			for b := lo; b < hi; b += per {
				e := min(hi, b+per)
				args = args[:0]
				one := make([]any, len(cols))
				for i := b; i < e; i++ {
					row(i, one)
					args = append(args, one...)
				}
				q := head + strings.TrimSuffix(strings.Repeat(ph+",", e-b), ",")
				if err := tx.Exec(q, args...).Error; err != nil {
					return fmt.Errorf("%s: %w", table, err)
				}
				g.progress.add(e - b)
			}
			if then != nil {
				return then(tx, lo, hi)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (g *scaleGen) writeUsers() error {
	o := g.o
	if err := g.insertRows("users", []string{"id", "role", "status", "created_at"}, o.Members, func(i int, a []any) {
		a[0], a[1], a[2], a[3] = g.userID0+int64(i), RoleMember, UserActive, g.now.Add(-800*24*time.Hour)
	}, "users"); err != nil {
		return err
	}
	var id0 int64
	var err error
	if id0, err = g.maxID("identities"); err != nil {
		return err
	}
	g.res.Users = o.Members
	return g.insertRows("identities", []string{"id", "user_id", "provider", "subject_hash", "created_at"}, o.Members, func(i int, a []any) {
		uid := g.userID0 + int64(i)
		a[0], a[1], a[2], a[3], a[4] = id0+int64(i), uid, "local", g.s.SubjectHash("local", fmt.Sprintf("m%d", uid)), g.now.Add(-800*24*time.Hour)
	}, "identities")
}

func (g *scaleGen) writeGroups() error {
	o := g.o
	cols := []string{"id", "slug", "name", "description", "rules", "rules_html", "visibility", "premoderate_first_posts",
		"member_count", "thread_count", "last_activity_at", "created_at", "updated_at"}
	rules := "Be kind. Share experience, not prescriptions. No selling, no personal details."
	rulesHTML, err := RenderMarkdown(rules)
	if err != nil {
		return err
	}
	for t := range o.Threads {
		gi := g.threadGroup[t]
		g.threadLast[t] = g.postTime(t, int(g.threadPosts[t])-1)
		if g.threadLast[t].After(g.groupLast[gi]) {
			g.groupLast[gi] = g.threadLast[t]
		}
	}
	g.res.Groups = o.Groups
	return g.insertRows("groups", cols, o.Groups, func(i int, a []any) {
		id := g.groupID0 + int64(i)
		topic := scaleTopics[i%len(scaleTopics)]
		created := g.now.Add(-760 * 24 * time.Hour)
		a[0], a[1], a[2] = id, fmt.Sprintf("%s-%d", slugify(topic), id), fmt.Sprintf("%s · circle %d", topic, id)
		a[3] = "A peer support group for people living with " + strings.ToLower(topic) + " and those who care for them."
		a[4], a[5], a[6], a[7] = rules, rulesHTML, VisibilityOpen, 0
		a[8], a[9], a[10], a[11], a[12] = len(g.groupMembers[i]), g.groupThreads[i], g.groupLast[i], created, created
	}, "groups")
}

func slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// authorOf picks the membership that writes post i of thread t (index into g.memberUser).
func (g *scaleGen) authorOf(t int) int32 {
	ms := g.groupMembers[g.threadGroup[t]]
	return ms[g.skewed(len(ms))]
}

func (g *scaleGen) writeMemberships() error {
	// Decide every post's author first, so that post counts are right when written.
	postAuthor := make([]int32, 0, g.o.Posts)
	for t := range g.o.Threads {
		for range g.threadPosts[t] {
			m := g.authorOf(t)
			postAuthor = append(postAuthor, m)
			g.memberPosts[m]++
		}
	}
	g.postAuthors = postAuthor
	taken := make([]map[string]bool, g.o.Groups)
	cols := []string{"id", "user_id", "group_id", "pseudonym", "role", "status", "post_count",
		"pseudonym_changed_at", "created_at", "updated_at"}
	g.res.Memberships = len(g.memberUser)
	return g.insertRows("memberships", cols, len(g.memberUser), func(i int, a []any) {
		gi := g.memberGroup[i]
		if taken[gi] == nil {
			taken[gi] = map[string]bool{}
		}
		p := ""
		for p == "" || taken[gi][p] {
			p = adjectives[g.rng.IntN(len(adjectives))] + nouns[g.rng.IntN(len(nouns))] + fmt.Sprint(10+g.rng.IntN(990))
		}
		taken[gi][p] = true
		role := MemberRegular
		if g.groupMembers[gi][0] == int32(i) {
			role = MemberOwner
		}
		j := g.memberJoined[i]
		a[0], a[1], a[2], a[3], a[4], a[5] = g.memberID0+int64(i), g.userID0+int64(g.memberUser[i]), g.groupID0+int64(gi), p, role, MemberActive
		a[6], a[7], a[8], a[9] = g.memberPosts[i], j, j, j
	}, "memberships")
}

var scaleTitles = []string{
	"How do you cope with %s on bad days?", "New here: just diagnosed with %s", "Does anyone else find %s worse in winter?",
	"Questions to ask at my next appointment about %s", "Small wins this week (%s)", "Work and %s: what adjustments helped?",
	"Sleep and %s", "Telling family about %s", "Medication side effects and %s: your experience?", "Three years with %s: what I wish I had known",
}

func (g *scaleGen) writeThreads() error {
	cols := []string{"id", "group_id", "membership_id", "title", "kind", "pinned", "locked", "reply_count", "last_post_at",
		"clinician_answered", "slow_mode_seconds", "created_at", "updated_at"}
	g.firstPost = make([]int64, g.o.Threads)
	g.threadTitles = make([]string, g.o.Threads)
	pid := g.postID0
	for t := range g.o.Threads {
		g.firstPost[t] = pid
		pid += int64(g.threadPosts[t])
	}
	g.res.Threads = g.o.Threads
	return g.insertRows("threads", cols, g.o.Threads, func(t int, a []any) {
		gi := g.threadGroup[t]
		topic := strings.ToLower(scaleTopics[int(gi)%len(scaleTopics)])
		title := fmt.Sprintf(scaleTitles[g.rng.IntN(len(scaleTitles))], topic)
		g.threadTitles[t] = title
		kind := KindDiscussion
		if t%7 == 3 {
			kind = KindQuestion
		}
		opener := g.postAuthors[g.firstPost[t]-g.postID0]
		a[0], a[1], a[2], a[3], a[4] = g.threadID0+int64(t), g.groupID0+int64(gi), g.memberID0+int64(opener), title, kind
		a[5], a[6], a[7], a[8] = t%997 == 0, false, g.threadPosts[t]-1, g.threadLast[t]
		a[9], a[10], a[11], a[12] = false, 0, g.threadStart[t], g.threadLast[t]
	}, "threads")
}

func (g *scaleGen) writePosts() error {
	cols := []string{"id", "thread_id", "membership_id", "body", "body_html", "content_warning", "status", "crisis",
		"status_reason", "version", "support_count", "helpful_count", "same_here_count", "created_at", "updated_at"}
	// postThread maps a post index to its thread and place, in id order.
	type place struct{ t, i int32 }
	places := make([]place, 0, g.o.Posts)
	for t := range g.o.Threads {
		for i := range g.threadPosts[t] {
			places = append(places, place{int32(t), i})
		}
	}
	// Reactions: about one post in four gets one to three, from members of its group.
	type react struct {
		post, member int64
		kind         string
		at           time.Time
	}
	var reactions []react
	kinds := []string{ReactionSupport, ReactionHelpful, ReactionSameHere}
	counts := make([][3]int32, len(places))
	for pi, pl := range places {
		if g.rng.IntN(4) != 0 {
			continue
		}
		ms := g.groupMembers[g.threadGroup[pl.t]]
		for range 1 + g.rng.IntN(3) {
			k := g.rng.IntN(3)
			m := ms[g.rng.IntN(len(ms))]
			dup := false
			for _, r := range reactions[max(0, len(reactions)-3):] {
				if r.post == g.postID0+int64(pi) && r.member == g.memberID0+int64(m) && r.kind == kinds[k] {
					dup = true
				}
			}
			if dup {
				continue
			}
			counts[pi][k]++
			reactions = append(reactions, react{g.postID0 + int64(pi), g.memberID0 + int64(m), kinds[k],
				g.postTime(int(pl.t), int(pl.i)).Add(time.Hour)})
		}
	}
	g.res.Posts = len(places)
	err := g.insertRows("posts", cols, len(places), func(pi int, a []any) {
		pl := places[pi]
		b := &g.bodies[(pi*7919)%len(g.bodies)]
		at := g.postTime(int(pl.t), int(pl.i))
		cw := ""
		if pi%53 == 0 {
			cw = "medication details"
		}
		a[0], a[1], a[2], a[3], a[4], a[5] = g.postID0+int64(pi), g.threadID0+int64(pl.t), g.memberID0+int64(g.postAuthors[pi]), b.md, b.html, cw
		a[6], a[7], a[8], a[9] = PostPublished, false, "", 1
		a[10], a[11], a[12], a[13], a[14] = counts[pi][0], counts[pi][1], counts[pi][2], at, at
	}, "posts")
	if err != nil {
		return err
	}
	g.res.Reactions = len(reactions)
	err = g.insertRows("reactions", []string{"id", "post_id", "membership_id", "kind", "created_at"}, len(reactions), func(i int, a []any) {
		r := reactions[i]
		a[0], a[1], a[2], a[3], a[4] = g.reactionID0+int64(i), r.post, r.member, r.kind, r.at
	}, "reactions")
	if err != nil {
		return err
	}
	// The search index: opening posts carry their thread's title; every post its group.
	// On SQLite the text goes to the index's content table, and the index reads it in
	// the same transaction, so that an interrupted seed leaves no text unindexed.
	table, cols := "post_search_text", []string{"docid", "title", "body", "grp"}
	var then func(tx *gorm.DB, lo, hi int) error
	if g.s.dialect == "postgres" {
		table, cols = "post_search", []string{"post_id", "title", "body", "group_id"}
	} else {
		then = func(tx *gorm.DB, lo, hi int) error {
			return tx.Exec(`INSERT INTO post_search (docid, title, body, grp, bucket)
SELECT docid, title, body, grp, bucket FROM post_search_text WHERE docid >= ? AND docid < ? ORDER BY docid`,
				g.postID0+int64(lo), g.postID0+int64(hi)).Error
		}
	}
	err = g.insertRowsThen(table, cols, len(places), func(pi int, a []any) {
		pl := places[pi]
		title := ""
		if pl.i == 0 {
			title = g.threadTitles[pl.t]
		}
		b := &g.bodies[(pi*7919)%len(g.bodies)]
		groupID := g.groupID0 + int64(g.threadGroup[pl.t])
		a[0], a[1], a[2], a[3] = g.postID0+int64(pi), indexText(title), b.plain, groupToken(groupID, g.s.dialect)
		if g.s.dialect == "postgres" {
			a[3] = groupID
		}
	}, "search index", then)
	if err != nil || g.s.dialect == "postgres" {
		return err
	}
	// SQLite's index by group, group by group in one pass (see fillGroupIndex), and
	// the whole forum's index merged, a segment a bucket (see optimizeSearch).
	g.progress.start("group index", len(places))
	if err := g.s.fillGroupIndex(g.ctx, g.s.db, g.postID0, g.postID0+int64(len(places))); err != nil {
		return err
	}
	g.progress.add(len(places))
	g.progress.start("index merge", len(places))
	if err := g.s.db.WithContext(g.ctx).Exec(optimizeSearch).Error; err != nil {
		return err
	}
	g.progress.add(len(places))
	return nil
}

// finish moves PostgreSQL's id sequences past the explicit ids.
func (g *scaleGen) finish() error {
	if g.s.dialect != "postgres" {
		return nil
	}
	for _, t := range []string{"users", "identities", "groups", "memberships", "threads", "posts", "reactions"} {
		q := fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT COALESCE(MAX(id), 1) FROM %s))", t, t)
		if err := g.s.db.WithContext(g.ctx).Exec(q).Error; err != nil {
			return err
		}
	}
	return g.s.db.WithContext(g.ctx).Exec("ANALYZE").Error
}

// progress writes one line that rewrites itself: what is being written, how far,
// the rate and the time left.
type progress struct {
	w     io.Writer
	label string
	total int
	n     int
	began time.Time
	last  time.Time
}

func newProgress(w io.Writer) *progress { return &progress{w: w} }

func (p *progress) start(label string, total int) {
	p.finishLine()
	p.label, p.total, p.n, p.began, p.last = label, total, 0, time.Now(), time.Time{}
}

func (p *progress) add(n int) {
	p.n += n
	if p.w == nil || time.Since(p.last) < 250*time.Millisecond && p.n < p.total {
		return
	}
	p.last = time.Now()
	el := time.Since(p.began).Seconds()
	rate := float64(p.n) / max(el, 1e-6)
	eta := time.Duration(float64(p.total-p.n)/max(rate, 1e-6)) * time.Second
	fmt.Fprintf(p.w, "\rseed: %-13s %10d / %-10d %5.1f%%  %9.0f rows/s  ETA %-8s", p.label, p.n, p.total,
		100*float64(p.n)/float64(max(p.total, 1)), rate, eta.Round(time.Second))
}

func (p *progress) finishLine() {
	if p.w != nil && p.label != "" {
		fmt.Fprintf(p.w, "\rseed: %-13s %10d rows in %-8s %40s\n", p.label, p.n, time.Since(p.began).Round(time.Millisecond), "")
	}
	p.label = ""
}

func (p *progress) done() { p.finishLine() }

// scaleTopics name the generated groups.
var scaleTopics = []string{
	"Type 2 diabetes", "Long COVID", "Anxiety and panic", "Multiple sclerosis", "Breast cancer", "Caring for a parent with dementia",
	"Chronic pain", "Crohn's and colitis", "Heart failure", "Endometriosis", "Parkinson's", "Postnatal depression",
	"ME/CFS", "Epilepsy", "Lupus", "Stroke recovery", "Kidney disease", "Psoriasis", "Asthma", "Bipolar disorder",
}

// scaleSentences are the building blocks of generated posts.
var scaleSentences = []string{
	"I was diagnosed last spring and I am still learning what my body is telling me.",
	"What helped me most was keeping a simple diary of sleep, food and symptoms.",
	"My GP suggested pacing, and it took me months to understand what that really means.",
	"Some days are **much** better than others, and I have stopped blaming myself for the bad ones.",
	"Has anyone tried changing the time of day they take their medication?",
	"The waiting list for the clinic is long, so this group has been a lifeline.",
	"I found it easier to explain to my family once I wrote down what a bad day looks like.",
	"*Gentle* walking, ten minutes at a time, made more difference than I expected.",
	"My nurse said it is normal to feel tired for a few weeks after the dose changes.",
	"I keep a list of questions on my phone so I do not forget them at appointments.",
	"Work agreed to let me start later, which helps with the morning stiffness.",
	"Thank you all for sharing; reading this thread made me feel less alone.",
	"I would ask your care team before changing anything, but this is what worked for me.",
	"The hardest part has been the uncertainty, more than the symptoms themselves.",
	"Cold weather makes everything worse for me, so I plan rest days around it.",
}

// scaleBodies composes n Markdown posts of two to six paragraphs, some with lists.
func scaleBodies(rng *rand.Rand, n int) []scaleBody {
	out := make([]scaleBody, n)
	for i := range out {
		var b strings.Builder
		for p := range 1 + rng.IntN(4) {
			if p > 0 {
				b.WriteString("\n\n")
			}
			for s := range 1 + rng.IntN(3) {
				if s > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(scaleSentences[rng.IntN(len(scaleSentences))])
			}
		}
		if rng.IntN(4) == 0 {
			b.WriteString("\n\nWhat I do now:\n\n- rest *before* I need it\n- one task a day\n- ask for help early")
		}
		out[i].md = b.String()
	}
	return out
}

// ScaleMemberNames returns the local sign-in names ("m" and the user id) of up to n
// active members (not moderators) of a group, for benchmarks that sign in as
// generated members.
func (s *Store) ScaleMemberNames(ctx context.Context, groupID int64, n int) ([]string, error) {
	var ids []int64
	err := s.rdb.WithContext(ctx).Model(&Membership{}).Where("group_id = ? AND status = ? AND role = ?", groupID, MemberActive, MemberRegular).
		Order("id").Limit(n).Pluck("user_id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("models: scale members: %w", err)
	}
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = fmt.Sprintf("m%d", id)
	}
	return names, nil
}
