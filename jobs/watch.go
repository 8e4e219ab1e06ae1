package jobs

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/left4me/left4me/hostbackend"
)

// How the panel hears of changes on the host, as Health.Source says it.
const (
	// SourceSignals: a watch reports changes as they happen (systemd's
	// signals), and the poller stays as the safety net.
	SourceSignals = "systemd signals"
	// SourcePolling: only the poller's ticks notice changes.
	SourcePolling = "polling only"
)

// Defaults of the watch's reconnection.
const (
	DefaultWatchBackoff    = time.Second
	DefaultWatchBackoffMax = time.Minute
)

// watchLoop listens to a hostbackend.Watcher and has the poller look at
// each server whose unit changed, at once: the same reads, state writer,
// state_version rule and reasons as a tick, for one server. Events about
// the same server that arrive while it is being looked at coalesce into
// one more look. A watch that breaks leaves the poller alone at its
// interval and is tried again with backoff.
type watchLoop struct {
	p                *Poller
	w                hostbackend.Watcher
	log              *slog.Logger
	health           *healthBook
	clock            func() time.Time
	backoff, ceiling time.Duration

	mu      sync.Mutex
	pending map[string]bool // names reported since the refresher took them
	wake    chan struct{}
}

func newWatchLoop(p *Poller, w hostbackend.Watcher, backoff, ceiling time.Duration) *watchLoop {
	if backoff <= 0 {
		backoff = DefaultWatchBackoff
	}
	if ceiling <= 0 {
		ceiling = DefaultWatchBackoffMax
	}
	return &watchLoop{p: p, w: w, log: p.opts.Logger, health: p.health, clock: p.opts.Clock,
		backoff: backoff, ceiling: max(backoff, ceiling), pending: map[string]bool{}, wake: make(chan struct{}, 1)}
}

// changed is the watch's callback: it never blocks.
func (l *watchLoop) changed(name string) {
	l.p.NoteSignal()
	l.mu.Lock()
	l.pending[name] = true
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// start watches until ctx ends: a Watch counts as live once it reported
// a change or has not failed within the first backoff; when it fails,
// the source is polling only (logged once) until a later Watch is live
// again (logged once), after which a tick catches up with what the gap
// missed.
func (l *watchLoop) start(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() {
		defer wg.Done()
		l.refresh(ctx)
	}()

	wait := l.backoff
	down := false // a failure was logged and the watch is not back yet
	for ctx.Err() == nil {
		live := make(chan struct{})
		var once sync.Once
		ended := make(chan error, 1)
		go func() {
			ended <- l.w.Watch(ctx, func(name string) {
				once.Do(func() { close(live) })
				l.changed(name)
			})
		}()
		var err error
		done := false
		t := time.NewTimer(l.backoff)
		select {
		case err = <-ended:
			done = true
		case <-live:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			<-ended
			return
		}
		t.Stop()
		if !done {
			wait = l.backoff
			back := down
			if back {
				down = false
				l.log.Info("state watch: hearing systemd's signals again")
			}
			l.health.setSource(l.clock(), SourceSignals, "", "")
			if back {
				if err := l.p.Tick(ctx); err != nil && ctx.Err() == nil {
					l.log.Warn("state poller", "err", err)
				}
			}
			err = <-ended
		}
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			err = errors.New("the watch ended")
		}
		if !down {
			down = true
			l.log.Warn("state watch failed; polling only until it works again", "err", err, "poll_interval", l.p.opts.Interval)
		}
		l.health.setSource(l.clock(), SourcePolling, "the watch failed and is tried again", err.Error())
		if !sleep(ctx, wait) {
			return
		}
		wait = min(2*wait, l.ceiling)
	}
}

// refresh looks at the reported servers until ctx ends.
func (l *watchLoop) refresh(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.wake:
		}
		l.mu.Lock()
		names := l.pending
		l.pending = map[string]bool{}
		l.mu.Unlock()
		for name := range names {
			if ctx.Err() != nil {
				return
			}
			l.look(ctx, name)
		}
	}
}

// look refreshes the server called name (nothing when no server is: a
// unit of a server deleted meanwhile) as Poller.Look does; a server with
// a queued or running job is left to the job's read back.
func (l *watchLoop) look(ctx context.Context, name string) {
	if hostbackend.ValidateName(name) != nil {
		return
	}
	var id int64
	err := l.p.opts.DB.Reader().NewRaw(`SELECT id FROM servers WHERE name = ?`, name).Scan(ctx, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return
	}
	if err == nil {
		err = l.p.Look(ctx, id)
	}
	if err != nil && ctx.Err() == nil {
		l.log.Warn("state watch: look at a changed server", "server", name, "err", err)
	}
}
