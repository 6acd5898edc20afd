package models

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"
)

// TestWriteBatchIsolatesTransactions runs many transactions at once on a SQLite file:
// those that fail leave nothing behind, those that succeed are all committed, a panic
// reaches only its own caller, and each caller returns after its commit.
func TestWriteBatchIsolatesTransactions(t *testing.T) {
	if TestDSN(t) != ":memory:" {
		t.Skip("group commit is SQLite's")
	}
	s, err := Open(filepath.Join(t.TempDir(), "batch.db"), Options{Secret: TestSecret})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	errOdd := errors.New("odd ones fail")
	const n = 200
	var wg sync.WaitGroup
	results := make([]error, n)
	panics := make([]any, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { panics[i] = recover() }()
			results[i] = s.tx(ctx, func(tx *gorm.DB) error {
				now := time.Now()
				g := Group{Slug: fmt.Sprintf("g-%d", i), Name: "G", Visibility: VisibilityOpen, LastActivityAt: now, CreatedAt: now}
				if err := tx.Create(&g).Error; err != nil {
					return err
				}
				switch {
				case i%10 == 7:
					panic("boom")
				case i%2 == 1:
					return errOdd
				}
				return nil
			})
			if results[i] == nil {
				// Committed: a fresh read on another connection sees it.
				var c int64
				s.rdb.Model(&Group{}).Where("slug = ?", fmt.Sprintf("g-%d", i)).Count(&c)
				if c != 1 {
					t.Errorf("transaction %d returned before its commit was visible", i)
				}
			}
		}()
	}
	wg.Wait()
	for i := range n {
		var c int64
		s.db.Model(&Group{}).Where("slug = ?", fmt.Sprintf("g-%d", i)).Count(&c)
		switch {
		case i%10 == 7:
			if panics[i] == nil || c != 0 {
				t.Errorf("%d: panic %v, %d rows; want the panic and no row", i, panics[i], c)
			}
		case i%2 == 1:
			if !errors.Is(results[i], errOdd) || c != 0 {
				t.Errorf("%d: error %v, %d rows; want its error and no row", i, results[i], c)
			}
		default:
			if results[i] != nil || panics[i] != nil || c != 1 {
				t.Errorf("%d: error %v, panic %v, %d rows; want one row", i, results[i], panics[i], c)
			}
		}
	}
	if s.batch.commits.Load() > s.batch.txs.Load() {
		t.Errorf("%d commits for %d transactions", s.batch.commits.Load(), s.batch.txs.Load())
	}
	t.Logf("%d transactions in %d commits", s.batch.txs.Load(), s.batch.commits.Load())
}

// TestWriterKeepsStatementsPrepared runs the same statements in several transactions:
// once a statement has run twice the writer keeps it prepared, and it still does its
// work in every later transaction; text holding two statements is never prepared
// (a prepared statement runs only the first) and both still run.
func TestWriterKeepsStatementsPrepared(t *testing.T) {
	if TestDSN(t) != ":memory:" {
		t.Skip("the writer's prepared statements are SQLite's")
	}
	s := NewTestStore(t)
	admin := mustViewer(t, s, "admin", RoleAdmin)
	mustGroup(t, s, admin, "a", VisibilityOpen)
	mustGroup(t, s, admin, "b", VisibilityOpen)
	const one = "UPDATE groups SET name = ? WHERE slug = ?"
	const two = "UPDATE groups SET name = name || 'x' WHERE slug = 'a'; UPDATE groups SET name = name || 'y' WHERE slug = 'b'"
	for i := range 4 {
		err := s.tx(ctx, func(tx *gorm.DB) error {
			if err := tx.Exec(one, fmt.Sprintf("A%d", i), "a").Error; err != nil {
				return err
			}
			return tx.Exec(two).Error
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	c := s.batch.stmts
	c.mu.Lock()
	_, prepared := c.stmts[one]
	_, preparedTwo := c.stmts[two]
	c.mu.Unlock()
	if !prepared || preparedTwo {
		t.Fatalf("prepared: single statement %v (want true), two statements %v (want false)", prepared, preparedTwo)
	}
	var names []string
	s.db.Model(&Group{}).Order("slug").Pluck("name", &names)
	if got, want := strings.Join(names, ","), "A3x,Group byyyy"; got != want {
		t.Fatalf("names %q, want %q", got, want)
	}
}
