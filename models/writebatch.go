package models

import (
	"context"
	"fmt"
	"runtime/debug"
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
}

func newWriteBatcher(s *Store) *writeBatcher {
	b := &writeBatcher{s: s, reqs: make(chan *writeReq, 1024), quit: make(chan struct{}), done: make(chan struct{})}
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
