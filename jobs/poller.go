package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/resources"
	"github.com/left4me/left4me/store"
)

// DefaultPollerInterval is how often the poller asks systemd by default.
const DefaultPollerInterval = 30 * time.Second

// DefaultSettleInterval is how often the poller asks while a server is in
// motion.
const DefaultSettleInterval = 2 * time.Second

// inMotion reports whether st is a state systemd leaves by itself soon.
func inMotion(st hostbackend.State) bool {
	return st == hostbackend.StateStarting || st == hostbackend.StateStopping || st == hostbackend.StateCrashLooping
}

// PollerOpts configures NewPoller.
type PollerOpts struct {
	// DB and Backend are required.
	DB      *store.DB
	Backend hostbackend.Backend
	// Interval is the time between ticks (default DefaultPollerInterval).
	Interval time.Duration
	// SettleInterval is the time between ticks while a server is in
	// motion (starting, stopping or crash-looping), so its settling shows
	// within seconds rather than a whole Interval later (default
	// DefaultSettleInterval; never longer than Interval).
	SettleInterval time.Duration
	// Clock stamps the writes (default time.Now).
	Clock func() time.Time
	// FailuresBeforeUnknown is how many ticks in a row must fail to ask
	// the backend before the servers are marked unknown (default 2), so a
	// single blip changes nothing.
	FailuresBeforeUnknown int
	// Logger gets one line per failure (default slog.Default()).
	Logger *slog.Logger
	// Resources keeps the figures of every read (default: a book of the
	// poller's own, see Poller.Resources).
	Resources *resources.Book
}

// Poller makes actual_state converge to systemd's truth for the servers
// no job is working on: it catches drift nobody asked for.
type Poller struct {
	opts PollerOpts

	mu       sync.Mutex    // one tick at a time
	failures int           // ticks in a row whose Show failed
	lastTick atomic.Int64  // unix nanoseconds of the last finished tick
	moving   atomic.Bool   // the last tick saw a server in motion
	settle   chan struct{} // Settle's signal to Start
	health   *healthBook   // shared with the runner that owns the poller
	stats    pollStats     // for /metrics (Stats)
}

// Health returns what the poller (and, when a runner owns it, the
// runner's jobs) last learned about reaching systemd and writing the
// database.
func (p *Poller) Health() Health { return p.health.snapshot() }

// Settle asks for the next tick after SettleInterval instead of Interval:
// a job just left a server in motion. It never blocks.
func (p *Poller) Settle() {
	select {
	case p.settle <- struct{}{}:
	default:
	}
}

// Resources returns the book where the poller keeps what each server
// costs, from every read (ticks and looks).
func (p *Poller) Resources() *resources.Book { return p.opts.Resources }

// LastTick returns when the last tick finished, successful or not; the
// zero time before the first.
func (p *Poller) LastTick() time.Time {
	n := p.lastTick.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// NewPoller returns a poller. It panics without a DB or Backend.
func NewPoller(opts PollerOpts) *Poller {
	if opts.DB == nil || opts.Backend == nil {
		panic("jobs.NewPoller: DB and Backend are required")
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultPollerInterval
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.FailuresBeforeUnknown <= 0 {
		opts.FailuresBeforeUnknown = 2
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.SettleInterval <= 0 {
		opts.SettleInterval = DefaultSettleInterval
	}
	opts.SettleInterval = min(opts.SettleInterval, opts.Interval)
	if opts.Resources == nil {
		opts.Resources = resources.New(resources.Options{})
	}
	return &Poller{opts: opts, settle: make(chan struct{}, 1), health: new(healthBook)}
}

// Start ticks at once and then every Interval until ctx is cancelled,
// every SettleInterval instead while the last tick saw a server in motion
// or after Settle was called. A failing tick is logged and the next one
// runs as usual.
func (p *Poller) Start(ctx context.Context) {
	wait := time.Duration(0)
	for {
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-p.settle:
			timer.Stop()
			if !sleep(ctx, p.opts.SettleInterval) {
				return
			}
		case <-timer.C:
		}
		if err := p.Tick(ctx); err != nil && ctx.Err() == nil {
			p.opts.Logger.Warn("state poller", "err", err)
		}
		wait = p.opts.Interval
		if p.moving.Load() {
			wait = p.opts.SettleInterval
		}
	}
}

// sleep waits d or until ctx is done, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// polled is a server as the poller read it before asking the backend.
type polled struct {
	ID           int64             `bun:"id"`
	Name         string            `bun:"name"`
	ActualState  hostbackend.State `bun:"actual_state"`
	StateVersion int64             `bun:"state_version"`
	NRestarts    int               `bun:"n_restarts"`
}

// Tick polls once: it reads the servers that have no queued or running
// job, asks the backend about all of them in one Show, and writes each
// answer unless a newer state was written meanwhile. A server whose
// answer cannot be written is logged and skipped; the error returned
// joins those failures, or is the backend's error when Show failed. Only
// after FailuresBeforeUnknown failed ticks in a row are the servers
// marked unknown, with the error as the reason.
func (p *Poller) Tick(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	defer func() { p.lastTick.Store(p.opts.Clock().UnixNano()) }()
	moving := false
	defer func() { p.moving.Store(moving) }()
	began := time.Now()
	err := p.look(ctx, 0, &moving)
	p.stats.note(&p.stats.ticks, time.Since(began), err)
	return err
}

// Look reads server serverID's state from the backend now and writes it
// as a tick would (unless a job for it is queued or running): a server
// just created shows its state at once instead of "unknown" until the
// next tick. A backend that cannot be asked is returned as the error and
// counts toward nothing: the ticks decide when states become unknown. A
// server found in motion makes the next tick come soon (Settle).
func (p *Poller) Look(ctx context.Context, serverID int64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	moving := false
	began := time.Now()
	err := p.look(ctx, serverID, &moving)
	p.stats.note(&p.stats.looks, time.Since(began), err)
	if moving {
		p.Settle()
	}
	return err
}

// look is a tick over every server (only = 0) or over server only; it
// sets *moving when a server it read is in motion.
func (p *Poller) look(ctx context.Context, only int64, moving *bool) error {
	var servers []polled
	err := p.opts.DB.Reader().NewRaw(`
		SELECT servers.id, servers.name, servers.actual_state, servers.state_version, servers.n_restarts FROM servers
		WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE `+busyJob+`) AND (?0 = 0 OR servers.id = ?0)
		ORDER BY servers.id`, only).Scan(ctx, &servers)
	if err != nil {
		return fmt.Errorf("state poller: list servers: %w", err)
	}
	if len(servers) == 0 {
		return nil
	}

	var errs []error
	names := make([]string, 0, len(servers))
	asked := servers[:0:0]
	for _, s := range servers {
		// The backend refuses the whole call for one bad name; keep that
		// to the one server.
		if err := hostbackend.ValidateName(s.Name); err != nil {
			errs = append(errs, p.serverFailed(s, err))
			continue
		}
		names = append(names, s.Name)
		asked = append(asked, s)
	}
	if len(asked) == 0 {
		return errors.Join(errs...)
	}

	units, err := p.opts.Backend.Show(ctx, names...)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if only != 0 {
			return fmt.Errorf("state poller: %w", err)
		}
		p.health.hostContact(p.opts.Clock(), err)
		p.failures++
		if p.failures < p.opts.FailuresBeforeUnknown {
			return fmt.Errorf("state poller: %w (failure %d in a row; states kept)", err, p.failures)
		}
		obs := make([]observation, len(asked))
		for i, s := range asked {
			obs[i] = observation{serverID: s.ID, oldState: s.ActualState, version: s.StateVersion,
				state: hostbackend.StateUnknown, reason: unknownReason(err)}
		}
		if werr := p.write(ctx, asked, obs); werr != nil {
			errs = append(errs, werr)
		}
		return errors.Join(append(errs, fmt.Errorf("state poller: %w (failure %d in a row; states marked unknown)", err, p.failures))...)
	}
	p.failures = 0
	p.health.hostContact(p.opts.Clock(), nil)

	byName := make(map[string]*hostbackend.UnitStatus, len(units))
	for i := range units {
		byName[units[i].Name] = &units[i]
	}
	read := p.opts.Clock()
	obs := make([]observation, 0, len(asked))
	written := asked[:0:0]
	for _, s := range asked {
		u := byName[s.Name]
		if u == nil {
			errs = append(errs, p.serverFailed(s, errors.New("the backend did not answer about it")))
			continue
		}
		// Before the write: what the write's change counter makes pages
		// reload must include the figures.
		p.opts.Resources.Observe(s.ID, read, u)
		st := u.State()
		*moving = *moving || inMotion(st)
		o := observation{serverID: s.ID, oldState: s.ActualState, version: s.StateVersion,
			oldRestarts: s.NRestarts, unit: u, state: st, reason: pollReason(s.ActualState, st, u)}
		if u.NRestarts > s.NRestarts {
			o.restartCause = p.lastExit(ctx, s.Name)
		}
		obs = append(obs, o)
		written = append(written, s)
	}
	if err := p.write(ctx, written, obs); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// lastExit asks the unit's log how its main process last ended (systemd
// logs it when a crash is restarted); "" when the log does not say.
func (p *Poller) lastExit(ctx context.Context, name string) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var cause string
	err := p.opts.Backend.Journal(ctx, name, restartLogLines, false, func(l hostbackend.Line) {
		if c := exitCause(l.Text); c != "" {
			cause = c
		}
	})
	if err != nil {
		p.opts.Logger.Warn("state poller: read the log of a restarted server", "server", name, "err", err)
	}
	return cause
}

// restartLogLines is how far back lastExit looks in a unit's log.
const restartLogLines = 200

// write stores the observations in one transaction; one server's failed
// write is logged and the others go on (SQLite undoes just the failed
// statement).
func (p *Poller) write(ctx context.Context, servers []polled, obs []observation) error {
	if len(obs) == 0 {
		return nil
	}
	var errs []error
	now := p.opts.Clock().UnixMilli()
	err := p.opts.DB.WriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		errs = errs[:0]
		w, err := newStateWriter(ctx, tx, now, true)
		if err != nil {
			return err
		}
		defer w.close()
		for i, o := range obs {
			if _, err := w.write(ctx, o); err != nil {
				errs = append(errs, p.serverFailed(servers[i], err))
			}
		}
		return nil
	})
	if ctx.Err() == nil {
		p.health.storeContact(p.opts.Clock(), err)
	}
	if err != nil {
		return fmt.Errorf("state poller: write states: %w", err)
	}
	return errors.Join(errs...)
}

func (p *Poller) serverFailed(s polled, err error) error {
	err = fmt.Errorf("server %s: %w", s.Name, err)
	p.opts.Logger.Warn("state poller: skipped a server", "server", s.Name, "err", err)
	return err
}
