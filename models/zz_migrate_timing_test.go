package models

import (
	"context"
	"os"
	"testing"
	"time"
)

func TestZZMigrateTiming(t *testing.T) {
	dsn := os.Getenv("ZZ_DSN")
	if dsn == "" {
		t.Skip()
	}
	t0 := time.Now()
	s, err := Open(dsn, Options{Secret: TestSecret})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("open %s", time.Since(t0))
	t0 = time.Now()
	if err := s.db.AutoMigrate(allModels()...); err != nil {
		t.Fatal(err)
	}
	t.Logf("automigrate %s", time.Since(t0))
	t0 = time.Now()
	s.migrateSearch(context.Background())
	t.Logf("search %s", time.Since(t0))
	t0 = time.Now()
	s.migrateStats(context.Background())
	t.Logf("stats %s", time.Since(t0))
	t0 = time.Now()
	s.renderMissingRules(context.Background())
	t.Logf("rules %s", time.Since(t0))
}
