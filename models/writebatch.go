package models

import (
	"context"
	"database/sql"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"

	"gorm.io/gorm"
)

// SQLite has one writer. Each transaction costs a commit, which appends every page it
// touched (the post's table and index pages, the thread's, the group's, the search
// index's…) to the write-ahead log; under many concurrent writers those commits, not
// the work inside them, are the limit. So on SQLite, Store.tx hands its function to
// one writer goroutine, which runs whatever transactions are waiting together in one
// database transaction (group commit), each inside its own savepoint: a function that
// fails is rolled back to its savepoint alone, and its caller gets its error; the
// others commit together. Every caller returns only after the commit, so what it does
// next (publishing live events, redirecting) sees its write durable, exactly as with a
// transaction of its own.
//
// The writer also keeps the statements it runs often prepared (stmtCache): SQLite
// compiles a statement each time it runs otherwise, and for the writes of a post
// (an insert into a table that much of the schema references, an update of a
// thread row and its indexes) compiling costs about as much as running.

// maxWriteBatch bounds how many transactions share one commit.
const maxWriteBatch = 64

// writeReq is one transaction waiting for the writer.
type writeReq struct {
	ctx  context.Context
	fn   func(tx *gorm.DB) error
	err  error
	pnc  *writePanic
	done chan struct{}
}

// writePanic carries a panic in a transaction's function back to its caller.
type writePanic struct {
	value any
	stack []byte
}

// writeBatcher is the one writer goroutine of a SQLite store.
type writeBatcher struct {
	s    *Store
	reqs chan *writeReq
	quit chan struct{}
	done chan struct{}
	// commits and txs count shared commits and the transactions in them.
	commits, txs atomic.Int64
	stmts        *stmtCache
}

func newWriteBatcher(s *Store) *writeBatcher {
	b := &writeBatcher{s: s, reqs: make(chan *writeReq, 1024), quit: make(chan struct{}), done: make(chan struct{})}
	if sqlDB, err := s.db.DB(); err == nil {
		b.stmts = &stmtCache{db: sqlDB, stmts: map[string]*sql.Stmt{}, seen: map[string]int{}}
	}
	go b.loop()
	return b
}

// do runs fn in a transaction, possibly shared with others, and returns its error
// once the transaction has committed (or failed).
func (b *writeBatcher) do(ctx context.Context, fn func(tx *gorm.DB) error) error {
	r := &writeReq{ctx: ctx, fn: fn, done: make(chan struct{})}
	select {
	case b.reqs <- r:
	case <-b.quit:
		return fmt.Errorf("models: the store is closed")
	case <-ctx.Done():
		return ctx.Err()
	}
	<-r.done
	if r.pnc != nil {
		panic(fmt.Sprintf("%v\n\nin the writer goroutine:\n%s", r.pnc.value, r.pnc.stack))
	}
	return r.err
}

// close stops the writer once the transactions already queued are done.
func (b *writeBatcher) close() {
	select {
	case <-b.quit:
		return
	default:
	}
	close(b.quit)
	<-b.done
	if b.stmts != nil {
		b.stmts.closeAll()
	}
}

func (b *writeBatcher) loop() {
	defer close(b.done)
	for {
		var first *writeReq
		select {
		case first = <-b.reqs:
		case <-b.quit:
			for {
				select {
				case r := <-b.reqs:
					b.run([]*writeReq{r})
				default:
					return
				}
			}
		}
		if b.stmts != nil {
			b.stmts.prepare() // the connection is free between transactions
		}
		batch := []*writeReq{first}
	collect:
		for len(batch) < maxWriteBatch {
			select {
			case r := <-b.reqs:
				batch = append(batch, r)
			default:
				break collect
			}
		}
		b.run(batch)
	}
}

// call runs one function, turning a panic into the caller's.
func call(r *writeReq, tx *gorm.DB) (err error) {
	defer func() {
		if v := recover(); v != nil {
			r.pnc = &writePanic{value: v, stack: debug.Stack()}
			err = fmt.Errorf("models: panic in a transaction: %v", v)
		}
	}()
	return r.fn(tx.WithContext(context.WithoutCancel(r.ctx)))
}

// run executes a batch in one transaction.
func (b *writeBatcher) run(batch []*writeReq) {
	live := batch[:0:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = err
			close(r.done)
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	b.commits.Add(1)
	b.txs.Add(int64(len(live)))
	s := b.s
	var pool gorm.ConnPool
	err := s.db.Transaction(func(tx *gorm.DB) error {
		if sqlTx, ok := tx.Statement.ConnPool.(*sql.Tx); ok && b.stmts != nil {
			tx.Statement.ConnPool = &cachedTx{Tx: sqlTx, c: b.stmts}
		}
		pool = tx.Statement.ConnPool
		s.versions.begin(pool)
		if len(live) == 1 {
			// Alone: no savepoint needed; its error rolls the transaction back.
			live[0].err = call(live[0], tx)
			return live[0].err
		}
		for i, r := range live {
			sp := fmt.Sprintf("haven_w%d", i)
			if err := tx.SavePoint(sp).Error; err != nil {
				return err
			}
			if r.err = call(r, tx); r.err != nil {
				if err := tx.RollbackTo(sp).Error; err != nil {
					return err
				}
			}
			if err := tx.Exec("RELEASE SAVEPOINT " + sp).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if pool != nil {
		s.versions.end(pool, err == nil)
	}
	for _, r := range live {
		if err != nil && r.err == nil {
			r.err = err // the shared commit failed: nothing of it was written
		}
		close(r.done)
	}
}

// maxCachedStmts bounds the writer's prepared statements; past it they are all
// closed and the cache starts again.
const maxCachedStmts = 256

// stmtCache keeps the statements the writer runs often prepared on its connection.
// A statement is prepared (between transactions, when the connection is free) once
// it has run twice, and then runs from its prepared form in every transaction
// (database/sql reuses a statement prepared on the same connection). Text with more
// than one statement is never cached: a prepared statement runs only the first.
type stmtCache struct {
	db    *sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
	seen  map[string]int // statements not prepared yet, with how often they ran
}

// get returns the prepared form of query, or nil (and counts the query).
func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.stmts[query]; st != nil {
		return st
	}
	if len(c.seen) >= 4*maxCachedStmts {
		clear(c.seen)
	}
	if !strings.Contains(query, ";") {
		c.seen[query]++
	}
	return nil
}

// prepare prepares the statements that ran twice or more. Call it between
// transactions: it needs the writer's one connection.
func (c *stmtCache) prepare() {
	c.mu.Lock()
	var queries []string
	for q, n := range c.seen {
		if n >= 2 {
			queries = append(queries, q)
			delete(c.seen, q)
		}
	}
	c.mu.Unlock()
	for _, q := range queries {
		st, err := c.db.Prepare(q)
		if err != nil {
			continue // it runs unprepared, as before
		}
		c.mu.Lock()
		if len(c.stmts) >= maxCachedStmts {
			c.closeAllLocked()
		}
		c.stmts[q] = st
		c.mu.Unlock()
	}
}

func (c *stmtCache) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeAllLocked()
}

func (c *stmtCache) closeAllLocked() {
	for q, st := range c.stmts {
		st.Close()
		delete(c.stmts, q)
	}
}

// cachedTx is the writer's transaction: statements the cache holds run prepared.
type cachedTx struct {
	*sql.Tx
	c *stmtCache
}

func (t *cachedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.c.get(query); st != nil {
		return t.Tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, query, args...)
}

func (t *cachedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.c.get(query); st != nil {
		return t.Tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, query, args...)
}

func (t *cachedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.c.get(query); st != nil {
		return t.Tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, query, args...)
}
