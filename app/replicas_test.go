package app

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"haven/models"
)

// TestConfigValidatesReplicas checks HAVEN_DATABASE_REPLICAS: postgres:// URLs for a
// PostgreSQL database only, with a message that does not repeat the URL.
func TestConfigValidatesReplicas(t *testing.T) {
	for _, tc := range []struct {
		name, db, replicas, want string
	}{
		{"none", "haven.db", "", ""},
		{"postgres", "postgres://h@db/haven", "postgres://h@r1/haven, postgresql://h@r2/haven", ""},
		{"sqlite", "haven.db", "postgres://h@r1/haven", "needs HAVEN_DATABASE to be a postgres:// URL"},
		{"not postgres", "postgres://h@db/haven", "postgres://h@r1/haven,mysql://h:pw@r2/haven", "entry 2 is not a postgres:// URL"},
		{"no host", "postgres://h@db/haven", "postgres://", "entry 1 is not a postgres:// URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"HAVEN_DATABASE": tc.db, "HAVEN_DATABASE_REPLICAS": tc.replicas}
			err := ConfigFromEnv(func(k string) string { return env[k] }).Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Validate: %v, want %q", err, tc.want)
			case err != nil && strings.Contains(err.Error(), "pw@"):
				t.Fatalf("the message shows a password: %v", err)
			}
		})
	}
	c := ConfigFromEnv(func(k string) string {
		return map[string]string{"HAVEN_DATABASE_REPLICAS": " postgres://a/x ,, postgres://b/x"}[k]
	})
	if got := c.Replicas(); len(got) != 2 || got[1] != "postgres://b/x" {
		t.Fatalf("Replicas() = %q", got)
	}
}

// TestWritesPinReadsToThePrimary checks, on PostgreSQL with a "replica" that is the
// same database, that the site works and that a form post leaves the cookie that
// sends the next requests' reads to the primary, while plain reads leave none.
func TestWritesPinReadsToThePrimary(t *testing.T) {
	base := os.Getenv("HAVEN_TEST_POSTGRES")
	if base == "" {
		t.Skip("HAVEN_TEST_POSTGRES is not set")
	}
	dsn := models.TestDSN(t)
	store, err := models.Open(dsn, models.Options{Secret: models.TestSecret, Replicas: []string{dsn}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate(); err != nil {
		t.Fatal(err)
	}
	ta := newTestAppOnStore(t, localConfig(), store)
	anon := ta.newClient()
	r := anon.get("/groups")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET /groups: %d", r.StatusCode)
	}
	for _, c := range r.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, primaryCookie+"=") {
			t.Fatalf("a read left %q", c)
		}
	}
	admin := ta.signIn("root", "admin")
	if admin.jarCookie(primaryCookie) != "1" {
		t.Fatal("signing in left no primary cookie")
	}
	if r := admin.do(http.MethodPost, "/groups", map[string]any{"slug": "g", "name": "Group g", "visibility": "open"}); r.StatusCode != http.StatusCreated {
		t.Fatalf("create group: %d", r.StatusCode)
	}
	if r := admin.get("/groups/g"); r.StatusCode != http.StatusOK {
		t.Fatalf("GET /groups/g: %d", r.StatusCode)
	}
}
