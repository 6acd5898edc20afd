package models

import (
	"testing"
	"time"
)

func TestZZPGScale(t *testing.T) {
	s := NewTestStore(t)
	if s.dialect != "postgres" {
		t.Skip()
	}
	admin := mustViewer(t, s, "admin", RoleAdmin)
	mustGroup(t, s, admin, "big", VisibilityOpen)
	mustJoin(t, s, admin, "big", MemberActive)
	th, _ := searchThread(t, s, admin, "big", "Big thread", "start")
	err := s.db.Exec(`INSERT INTO posts (thread_id, body, body_html, status, version, created_at, updated_at)
SELECT ?, 'post ' || i || ' about insulin and common words here', '', 'published', 1, now(), now() FROM generate_series(1, 100000) i`, th.ID).Error
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.Exec(`INSERT INTO post_search (post_id, title, body) SELECT id, '', body FROM posts WHERE id > 1`).Error; err != nil {
		t.Fatal(err)
	}
	s.db.Exec("ANALYZE")
	for _, q := range []string{"common", "insulin", "nothingmatches"} {
		start := time.Now()
		cands, err := s.searchCandidates(ctx, parseSearchTerms(q), []int64{1})
		t.Logf("%q: candidates %d in %v %v", q, len(cands), time.Since(start), err)
		start = time.Now()
		res := searchFor(t, s, admin, q, "")
		t.Logf("%q: %d hits in %v", q, len(res.Hits), time.Since(start))
	}
}
