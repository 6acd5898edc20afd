package models

import (
	"database/sql"
	"os"
	"sync"
	"testing"

	"gorm.io/gorm"
)

// TestReplicasServeReads opens a PostgreSQL store whose "replica" is its own schema
// (a real replica cannot be made here) and checks which pool serves each statement:
// reads through the replica, writes, transactions and ReadPrimary contexts through
// the primary; and that the store works as usual.
func TestReplicasServeReads(t *testing.T) {
	if os.Getenv("HAVEN_TEST_POSTGRES") == "" {
		t.Skip("HAVEN_TEST_POSTGRES is not set")
	}
	dsn := TestDSN(t)
	s, err := Open(dsn, Options{Secret: TestSecret, Replicas: []string{dsn}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.replayTestSchema(); err != nil {
		t.Fatal(err)
	}
	if !s.HasReplicas() {
		t.Fatal("no replicas")
	}
	primary, _ := s.db.DB()
	replica := s.replicas[0]

	// served records the pool of every statement that reaches the database.
	var mu sync.Mutex
	served := map[string]int{}
	record := func(tx *gorm.DB) {
		if tx.DryRun {
			return
		}
		name := "other"
		switch p := tx.Statement.ConnPool.(type) {
		case *sql.DB:
			if p == primary {
				name = "primary"
			} else if p == replica {
				name = "replica"
			}
		case *sql.Tx:
			name = "tx"
		}
		mu.Lock()
		served[name]++
		mu.Unlock()
	}
	cb := s.rdb.Callback()
	cb.Query().Before("gorm:query").Register("test:served", record)
	cb.Row().Before("gorm:row").Register("test:served", record)
	cb.Raw().Before("gorm:raw").Register("test:served", record)
	take := func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		out := served
		served = map[string]int{}
		return out
	}

	admin := mustViewer(t, s, "root", "admin")
	alice := mustViewer(t, s, "alice", "member")
	mustGroup(t, s, admin, "g", VisibilityOpen)
	mustJoin(t, s, alice, "g", MemberActive)
	th, _, err := s.CreateThread(ctx, alice, "g", ThreadInput{Title: "Hello there", Body: "First post here."})
	if err != nil {
		t.Fatal(err)
	}
	take()

	gp, err := s.GroupPage(ctx, alice, "g", 1)
	if err != nil || len(gp.Threads) != 1 || gp.Threads[0].ID != th.ID {
		t.Fatalf("group page through the replica: %v %v", gp, err)
	}
	if got := take(); got["replica"] == 0 || got["primary"] != 0 || got["other"] != 0 {
		t.Fatalf("a plain read was served by %v, want the replica only", got)
	}
	if _, err := s.HeaderCounts(ctx, alice); err != nil {
		t.Fatal(err)
	}
	if got := take(); got["replica"] != 1 || len(got) != 1 {
		t.Fatalf("header counts served by %v, want one replica query", got)
	}

	// Search's candidates are read in a transaction of their own, on a replica; the
	// list of groups it keeps is read from the primary once (see catalog).
	for i := 0; i < 2; i++ {
		take()
		if res, err := s.Search(ctx, alice, SearchQuery{Text: "first", Group: "g"}); err != nil || len(res.Hits) != 1 {
			t.Fatalf("search with replicas: %v, %v", res, err)
		}
	}
	if got := take(); got["primary"] != 0 || got["other"] != 0 {
		t.Fatalf("a search was served by %v, want the replica and its transaction", got)
	}

	if _, err := s.GroupPage(ReadPrimary(ctx), alice, "g", 1); err != nil {
		t.Fatal(err)
	}
	if got := take(); got["primary"] == 0 || got["replica"] != 0 {
		t.Fatalf("a ReadPrimary read was served by %v, want the primary only", got)
	}

	// Requests that write read from the primary throughout (app/replicas.go).
	if _, err := s.CreatePost(ReadPrimary(ctx), alice, th.ID, PostInput{Body: "A reply."}); err != nil {
		t.Fatal(err)
	}
	if got := take(); got["replica"] != 0 {
		t.Fatalf("a write read %v through the replica", got)
	}
	if st := replica.Stats(); st.OpenConnections == 0 {
		t.Fatalf("the replica's pool never connected: %+v", st)
	}
	if dbs := s.DBs(); dbs["replica1"] != replica || dbs["readers"] != nil {
		t.Fatalf("pools %v", dbs)
	}
}

// TestReplicasNeedPostgres checks that SQLite refuses read replicas.
func TestReplicasNeedPostgres(t *testing.T) {
	_, err := Open(":memory:", Options{Secret: TestSecret, Replicas: []string{"postgres://x@127.0.0.1/y"}})
	if err == nil {
		t.Fatal("SQLite opened with replicas")
	}
}
