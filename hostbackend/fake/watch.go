package fake

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/left4me/left4me/hostbackend"
)

var _ hostbackend.Watcher = (*Backend)(nil)

// DefaultWatchInterval is how often a Watch advances the units' timed
// transitions and rereads the state root when nothing woke it sooner.
const DefaultWatchInterval = time.Second

// watch is one running Watch call: the names changed since it last
// reported, and its wake-ups.
type watch struct {
	pending map[string]bool
	wake    chan struct{} // a name was added to pending
	broke   chan struct{} // closed by BreakWatch
}

// snap is what a Watch compares to notice a change made by another
// process on the same state root.
type snap struct {
	active, sub, result string
	enabled             bool
	nRestarts, mainPID  int
	since               time.Time
}

func snapOf(u *unit) snap {
	return snap{active: u.active, sub: u.sub, result: u.result, enabled: u.enabled,
		nRestarts: u.nRestarts, mainPID: u.mainPID, since: u.since}
}

// touchLocked tells every running Watch that the unit name changed.
func (b *Backend) touchLocked(name string) {
	for w := range b.watchers {
		w.pending[name] = true
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// BreakWatch makes every running Watch return err at once and later ones
// return it without watching, as a bus that went away; nil mends it.
func (b *Backend) BreakWatch(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.watchErr = err
	if err == nil {
		return
	}
	for w := range b.watchers {
		close(w.broke)
		delete(b.watchers, w)
	}
}

// Watch implements hostbackend.Watcher: it reports every unit an
// operation, a timed transition or injected drift changed, and, with a
// state root, what another process changed there. Timed transitions
// are applied when they are due by the clock in Options.Now, checked at
// the earliest pending one and every WatchInterval.
func (b *Backend) Watch(ctx context.Context, changed func(name string)) error {
	w := &watch{pending: map[string]bool{}, wake: make(chan struct{}, 1), broke: make(chan struct{})}
	b.mu.Lock()
	if err := b.watchErr; err != nil {
		b.mu.Unlock()
		return fmt.Errorf("watch the simulated units: %w", err)
	}
	if b.watchers == nil {
		b.watchers = map[*watch]struct{}{}
	}
	b.watchers[w] = struct{}{}
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.watchers, w)
		b.mu.Unlock()
	}()

	every := b.opts.WatchInterval
	if every <= 0 {
		every = DefaultWatchInterval
	}
	seen := map[string]snap{}
	first := true
	for {
		names, next := b.collect(w, seen, first)
		first = false
		for _, n := range names {
			changed(n)
		}
		wait := every
		if !next.IsZero() {
			wait = max(min(wait, next.Sub(b.opts.Now())), time.Millisecond)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-w.broke:
			t.Stop()
			b.mu.Lock()
			err := b.watchErr
			b.mu.Unlock()
			if err == nil {
				err = errors.New("the watch was broken")
			}
			return fmt.Errorf("watch the simulated units: %w", err)
		case <-w.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// collect applies the due transitions of every unit and returns the
// names changed since the last collect (sorted) and when the earliest
// pending transition is due (zero when none is). The first collect only
// takes note of the units.
func (b *Backend) collect(w *watch, seen map[string]snap, first bool) ([]string, time.Time) {
	_ = b.lock() // on a file error, the units as this process last knew them
	defer b.unlock()
	now := b.opts.Now()
	var next time.Time
	for _, u := range b.units {
		b.advance(u, now)
		if u.next != noTransition && (next.IsZero() || u.nextAt.Before(next)) {
			next = u.nextAt
		}
	}
	changed := w.pending
	w.pending = map[string]bool{}
	for name, u := range b.units {
		s := snapOf(u)
		if old, ok := seen[name]; (ok && old != s) || (!ok && !first) {
			changed[name] = true
		}
		seen[name] = s
	}
	if first {
		clear(changed)
	}
	names := make([]string, 0, len(changed))
	for n := range changed {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, next
}
