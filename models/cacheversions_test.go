package models

import (
	"testing"

	"gorm.io/gorm"
)

// Raw SQL is placed by its first word: reads change nothing without being parsed
// further, writes name their table, and a write that cannot be placed ages everything.
func TestRawSQLChanges(t *testing.T) {
	raw := func(q string) Change {
		st := &gorm.Statement{DB: &gorm.DB{}}
		st.SQL.WriteString(q)
		return changeOf(st)
	}
	for _, q := range []string{
		"SELECT 1", "  select * from posts", "\n\tSELECT 0 AS k, (SELECT 1 FROM thread_reads) UNION ALL SELECT 1",
		"WITH c AS (SELECT 1) SELECT * FROM c", "PRAGMA foreign_keys = ON", "SAVEPOINT haven_w1", "", "up",
	} {
		if c := raw(q); !c.Empty() {
			t.Errorf("%q: %+v, want no change", q, c)
		}
	}
	for _, q := range []string{
		"UPDATE posts SET body = 'x' WHERE id = 1", "insert into threads (title) values ('x')",
		"  DELETE FROM groups WHERE id = 3", "REPLACE INTO memberships VALUES (1)", "TRUNCATE reactions",
		"WITH d AS (DELETE FROM posts RETURNING id) SELECT * FROM d",
	} {
		if c := raw(q); !c.All {
			t.Errorf("%q: %+v, want everything aged", q, c)
		}
	}
	for _, q := range []string{"INSERT INTO notifications (user_id) VALUES (1)", "update queue_items set status = 'x'"} {
		if c := raw(q); !c.Badges || c.All {
			t.Errorf("%q: %+v, want the badges aged", q, c)
		}
	}
	if c := raw("INSERT OR REPLACE INTO post_search (docid) VALUES (1)"); !c.Empty() {
		t.Errorf("the search index: %+v, want no change", c)
	}
}
