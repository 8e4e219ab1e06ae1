package app

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/left4me/left4me/live"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// statusMaxAge bounds how old the status table's data may be: writes by
// other processes (a worker process, left4me create-user) show within it.
// This process's own writes show at once (see statusCache).
const statusMaxAge = time.Second

// statusCache holds what the status table shows (servers, blueprint
// names, last state changes, in-flight jobs, and the game: the backend's
// look at the installation and the game's job), shared by every request,
// so that 50 dashboards polling it cost one load per change rather than
// six queries and a look at the disk each. It is shared: nothing may
// modify it. A game job's progress is a write, so it shows at once too.
//
// A snapshot is used while the store's change counter (store.DB.Changes)
// is what it was before the snapshot's load began and the snapshot is
// younger than maxAge. The counter moves only once a write through this
// process's store is visible to readers, so a request that starts after a
// write returned never gets rows loaded before it.
//
// One load runs at a time. A request that finds the snapshot stale waits
// for the load in flight when that load began after everything the
// request must see, and otherwise waits for it to end and starts the
// next: concurrent misses cause one load, not one each.
type statusCache struct {
	load    func(ctx context.Context) (views.Status, error)
	changes func() uint64
	now     func() time.Time
	maxAge  time.Duration

	cur     atomic.Pointer[statusSnapshot]
	mu      sync.Mutex
	loading *statusLoad // the load in flight, or nil
}

// statusChanges is the status cache's change counter: the store's
// (store.DB.Changes) plus the live sweep's (live.Sweeper.Generation), so
// that a new answer from a game shows at once as a write does. Both only
// grow, and so does their sum. Each moves after what it counts is
// visible, as covers needs.
func statusChanges(db *store.DB, sw *live.Sweeper) func() uint64 {
	if sw == nil {
		return db.Changes
	}
	return func() uint64 { return db.Changes() + sw.Generation() }
}

// statusSnapshot is one load's status, with the change counter and the
// clock read before the load began.
type statusSnapshot struct {
	status views.Status
	gen    uint64
	at     time.Time
}

// statusLoad is a load in flight; done is closed when snap or err is set.
type statusLoad struct {
	gen  uint64
	at   time.Time
	done chan struct{}
	snap *statusSnapshot
	err  error
}

// covers reports whether data read from the database at gen and at
// serves a request that saw the counter at gen and the clock at now.
func (c *statusCache) covers(gen uint64, at time.Time, wantGen uint64, now time.Time) bool {
	return gen >= wantGen && now.Sub(at) < c.maxAge
}

// status returns what the status table shows, loading it if the
// snapshot is stale. A load's error goes to every request that waited for
// it and is not cached.
func (c *statusCache) status(ctx context.Context) (views.Status, error) {
	s, err := c.snapshot(ctx)
	if err != nil {
		return views.Status{}, err
	}
	return s.status, nil
}

// snapshot is status, returning the snapshot itself: its identity tells a
// renderer whether the status changed.
func (c *statusCache) snapshot(ctx context.Context) (*statusSnapshot, error) {
	for {
		gen, now := c.changes(), c.now()
		if s := c.cur.Load(); s != nil && c.covers(s.gen, s.at, gen, now) {
			return s, nil
		}
		c.mu.Lock()
		l := c.loading
		if l == nil {
			// A load may have finished between the look above and the
			// lock: it published its snapshot before it cleared loading.
			if s := c.cur.Load(); s != nil && c.covers(s.gen, s.at, gen, now) {
				c.mu.Unlock()
				return s, nil
			}
			l = &statusLoad{gen: c.changes(), at: c.now(), done: make(chan struct{})}
			c.loading = l
			c.mu.Unlock()
			c.run(ctx, l)
		} else {
			c.mu.Unlock()
			select {
			case <-l.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if c.covers(l.gen, l.at, gen, now) {
			if l.err != nil {
				return nil, l.err
			}
			return l.snap, nil
		}
		// The load began before a write this request must see: go again.
	}
}

// run loads l, publishes its snapshot and wakes its waiters. It does not
// stop when the request that started it goes away, since others may wait
// for it.
func (c *statusCache) run(ctx context.Context, l *statusLoad) {
	defer func() { // also if load panics, so that no one waits forever
		c.mu.Lock()
		c.loading = nil
		c.mu.Unlock()
		close(l.done)
	}()
	l.err = errors.New("loading the status table did not finish")
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	st, err := c.load(ctx)
	if err != nil {
		l.err = err
		return
	}
	l.snap, l.err = &statusSnapshot{status: st, gen: l.gen, at: l.at}, nil
	if old := c.cur.Load(); old == nil || old.gen <= l.gen {
		c.cur.Store(l.snap)
	}
}
