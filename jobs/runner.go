package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/left4me/left4me/addons"
	"github.com/left4me/left4me/console"
	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/store"
)

// Defaults of RunnerOpts.
const (
	DefaultWorkers           = 4
	DefaultLeaseDuration     = 30 * time.Second
	DefaultPollInterval      = time.Second
	DefaultMaxLines          = 2000
	DefaultGrace             = 10 * time.Second
	DefaultLineFlushInterval = 250 * time.Millisecond
	DefaultRetryDelay        = 5 * time.Second
)

// Causes of a job context's cancellation.
var (
	errCancelled = errors.New("cancelled by request")
	errShutdown  = errors.New("the worker is shutting down")
)

// RunnerOpts configures NewRunner.
type RunnerOpts struct {
	// Queue and Backend are required.
	Queue   *Queue
	Backend hostbackend.Backend
	// Workers is how many jobs run at once. 0 disables the runner: Start
	// then starts no worker, rescuer or poller and returns at once.
	// Production uses LEFT4ME_JOB_WORKERS, default DefaultWorkers.
	Workers int
	// LeaseDuration is how long a claimed job is a worker's without a
	// heartbeat (default DefaultLeaseDuration).
	LeaseDuration time.Duration
	// HeartbeatInterval is how often a running job's lease is renewed and
	// a cancel from another process noticed (default LeaseDuration/3).
	HeartbeatInterval time.Duration
	// PollInterval is how often idle workers look for jobs enqueued by
	// other processes (default DefaultPollInterval).
	PollInterval time.Duration
	// RescueInterval is how often expired leases are looked for, besides
	// once at start (default LeaseDuration/2).
	RescueInterval time.Duration
	// LineFlushInterval is how often streamed output is written while a
	// job runs (default DefaultLineFlushInterval).
	LineFlushInterval time.Duration
	// MaxLines bounds a job's stored output (default DefaultMaxLines).
	MaxLines int
	// Grace is how long running jobs may go on after Start's context is
	// cancelled (default DefaultGrace); then they go back to the queue.
	Grace time.Duration
	// RetryDelay is how long a job whose host command was cut short (a
	// signal from outside, systemd dropping the request for a conflicting
	// one) waits before it is queued again (default DefaultRetryDelay).
	// If the panel starts stopping meanwhile, the attempt does not count.
	RetryDelay time.Duration
	// PromptTimeout is how long a game job waits for an answer to
	// steamcmd's question (default DefaultPromptTimeout).
	PromptTimeout time.Duration
	// StartTimeout is how long a start or restart waits for the game to
	// answer its first query (default DefaultStartTimeout).
	StartTimeout time.Duration
	// GameCheckInterval is how often a check for a game update is queued
	// (when the last check is older); 0 checks never. Only with a backend
	// that has hostbackend.Game.
	GameCheckInterval time.Duration
	// PollerInterval is the state poller's interval (default
	// DefaultPollerInterval); negative runs no poller.
	PollerInterval time.Duration
	// PollerSettleInterval is the poller's interval while a server is in
	// motion (default DefaultSettleInterval).
	PollerSettleInterval time.Duration
	// WatchBackoff is the first wait before a broken watch of a backend
	// that is a hostbackend.Watcher is tried again, doubling up to
	// WatchBackoffMax (defaults DefaultWatchBackoff,
	// DefaultWatchBackoffMax). The watch runs beside the poller.
	WatchBackoff, WatchBackoffMax time.Duration
	// OwnsQueue says no other process runs jobs on this database (left4me
	// serve holds the database's lock): jobs found running at start-up
	// belong to a panel that died and are taken back at once
	// (Queue.RescueOrphans) rather than when their leases run out.
	OwnsQueue bool
	// Build says which game build a start puts a server on now: the
	// current one when the game is kept as builds (see
	// hostbackend/layers.go), "" otherwise, and the server then runs the
	// game directory as it is, without layers. Nil is "".
	Build func(ctx context.Context) (string, error)
	// Sets says which add-on sets, at which revisions, a start of a
	// server of the blueprint puts over the build, lowest first. Nil
	// (or a start without a build) stacks none.
	Sets func(ctx context.Context, blueprintID int64) ([]hostbackend.LayerSet, error)
	// SetsGC removes the add-on set revisions that are not current and
	// not in inUse (addons.Manager.GC); the runner calls it beside its
	// game build collector. Nil removes none.
	SetsGC func(ctx context.Context, inUse []hostbackend.LayerSet) ([]hostbackend.LayerSet, error)
	// Addons are the add-on sets a game-workshop job puts Workshop items
	// into; nil fails such a job.
	Addons *addons.Manager
	// Clock is the time source of leases and stamps (default: the
	// queue's clock).
	Clock func() time.Time
	// Logger (default slog.Default()).
	Logger *slog.Logger
}

// Runner runs queued jobs on a pool of workers, with the rescuer and the
// state poller beside them.
type Runner struct {
	opts   RunnerOpts
	q      *Queue
	poller *Poller
	watch  *watchLoop // nil unless the backend is a hostbackend.Watcher
	health *healthBook
	// buildsKick asks the game build collector to look now (builds.go).
	buildsKick chan struct{}
}

// NewRunner returns a runner. It panics without a Queue or Backend.
func NewRunner(opts RunnerOpts) *Runner {
	if opts.Queue == nil || opts.Backend == nil {
		panic("jobs.NewRunner: Queue and Backend are required")
	}
	if opts.Workers < 0 {
		panic("jobs.NewRunner: Workers must not be negative")
	}
	if opts.LeaseDuration <= 0 {
		opts.LeaseDuration = DefaultLeaseDuration
	}
	if opts.HeartbeatInterval <= 0 {
		opts.HeartbeatInterval = opts.LeaseDuration / 3
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.RescueInterval <= 0 {
		opts.RescueInterval = opts.LeaseDuration / 2
	}
	if opts.LineFlushInterval <= 0 {
		opts.LineFlushInterval = DefaultLineFlushInterval
	}
	if opts.MaxLines <= 0 {
		opts.MaxLines = DefaultMaxLines
	}
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = DefaultRetryDelay
	}
	if opts.PromptTimeout <= 0 {
		opts.PromptTimeout = DefaultPromptTimeout
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = DefaultStartTimeout
	}
	if opts.Clock == nil {
		opts.Clock = opts.Queue.now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	r := &Runner{opts: opts, q: opts.Queue, health: new(healthBook), buildsKick: make(chan struct{}, 1)}
	if opts.PollerInterval >= 0 {
		r.poller = NewPoller(PollerOpts{
			DB: opts.Queue.db, Backend: opts.Backend, Interval: opts.PollerInterval, SettleInterval: opts.PollerSettleInterval,
			Clock: opts.Clock, Logger: opts.Logger,
		})
		r.poller.health = r.health
		if w, ok := opts.Backend.(hostbackend.Watcher); ok {
			r.watch = newWatchLoop(r.poller, w, opts.WatchBackoff, opts.WatchBackoffMax)
		}
	}
	switch {
	case r.watch != nil:
		r.health.setSource(time.Time{}, SourcePolling, "the watch has not begun yet", "")
	case r.poller == nil:
		r.health.setSource(time.Time{}, SourcePolling, "the state poller is off", "")
	default:
		r.health.setSource(time.Time{}, SourcePolling, "the host backend does not report changes as they happen", "")
	}
	return r
}

// Poller returns the runner's state poller, nil if it has none.
func (r *Runner) Poller() *Poller { return r.poller }

// Health returns what the runner's jobs and its poller last learned about
// reaching systemd and writing the database.
func (r *Runner) Health() Health { return r.health.snapshot() }

// Start runs the workers, the rescuer (once now, then every
// RescueInterval), the poller and the watch until ctx is cancelled. Then it stops
// claiming, lets running jobs finish for up to Grace, puts the jobs
// still running back in the queue, and returns once every goroutine has
// ended. With Workers 0 it returns nil at once.
func (r *Runner) Start(ctx context.Context) error {
	if r.opts.Workers == 0 {
		return nil
	}
	log := r.opts.Logger
	if r.opts.OwnsQueue {
		r.rescueWith(ctx, r.q.RescueOrphans, "job rescuer: its panel stopped")
	} else {
		r.rescue(ctx)
	}

	// Jobs get their own context: cancelling ctx stops the claiming, not
	// the jobs, which get the grace period.
	jobCtx, stopJobs := context.WithCancelCause(context.WithoutCancel(ctx))
	defer stopJobs(errShutdown)

	var wg sync.WaitGroup
	var workers sync.WaitGroup
	for i := 0; i < r.opts.Workers; i++ {
		workers.Add(1)
		go func() {
			defer workers.Done()
			r.work(ctx, jobCtx)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(r.opts.RescueInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				r.rescue(ctx)
			}
		}
	}()
	if r.poller != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.poller.Start(ctx)
		}()
	}
	if r.watch != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.watch.start(ctx)
		}()
	}
	if _, ok := r.opts.Backend.(hostbackend.Game); ok {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.collectBuilds(ctx)
		}()
	}
	if _, ok := r.opts.Backend.(hostbackend.Game); ok && r.opts.GameCheckInterval > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			every := r.opts.GameCheckInterval
			r.checkGameNow(ctx, every)
			t := time.NewTicker(min(every, time.Hour))
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					r.checkGameNow(ctx, every)
				}
			}
		}()
	}

	<-ctx.Done()
	done := make(chan struct{})
	go func() {
		workers.Wait()
		close(done)
	}()
	grace := time.NewTimer(r.opts.Grace)
	defer grace.Stop()
	select {
	case <-done:
	case <-grace.C:
		log.Warn("job runner: grace period over; putting the running jobs back in the queue")
		stopJobs(errShutdown)
		<-done
	}
	wg.Wait()
	return nil
}

func (r *Runner) rescue(ctx context.Context) {
	r.rescueWith(ctx, r.q.Rescue, "job rescuer: lease expired")
}

func (r *Runner) rescueWith(ctx context.Context, rescue func(context.Context) ([]store.Job, error), msg string) {
	jobs, err := rescue(ctx)
	if err != nil {
		if ctx.Err() == nil {
			r.opts.Logger.Error("job rescuer", "err", err)
		}
		return
	}
	for _, j := range jobs {
		r.opts.Logger.Warn(msg, "job", j.ID, "server", j.ServerName, "state", j.State, "reason", j.Error)
	}
}

// work is one worker: claim and run jobs until ctx is cancelled, waiting
// for a wake-up from Enqueue or the poll interval when there are none. A
// job already claimed (by the transaction that ended the previous one) is
// always run, even after ctx is cancelled, so that it is never stranded.
func (r *Runner) work(ctx, jobCtx context.Context) {
	t := time.NewTimer(r.opts.PollInterval)
	defer t.Stop()
	var next *store.Job
	for {
		if next != nil {
			next = r.run(ctx, jobCtx, next)
			continue
		}
		if ctx.Err() != nil {
			return
		}
		job, err := r.q.Claim(ctx, r.opts.LeaseDuration)
		if err == nil {
			next = job
			continue
		}
		if !errors.Is(err, ErrNoJob) && ctx.Err() == nil {
			r.opts.Logger.Error("job worker: claim", "err", err)
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(r.opts.PollInterval)
		select {
		case <-ctx.Done():
			return
		case <-r.q.wake:
		case <-t.C:
		}
	}
}

// run executes one claimed job and records its end, the output and the
// server's refreshed state. Unless the worker is stopping (claimCtx is
// done), the transaction that records the end also claims the worker's
// next job, saving a commit per job when busy; run returns it, or nil.
func (r *Runner) run(claimCtx, parent context.Context, job *store.Job) (next *store.Job) {
	log := r.opts.Logger.With("job", job.ID, "server", job.ServerName, "op", job.Operation, "attempt", job.Attempts)
	// Bookkeeping writes must happen even while the job's context is
	// being cancelled.
	bg := context.WithoutCancel(parent)
	db := r.q.db

	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	r.q.register(job.ID, cancel)
	defer r.q.unregister(job.ID)
	// A Cancel that committed between the claim and the registration
	// found no context to cancel; it is seen here instead of at the first
	// heartbeat.
	var cancelRequested bool
	if err := db.Reader().NewRaw(`SELECT cancel_requested FROM jobs WHERE id = ?`, job.ID).Scan(bg, &cancelRequested); err == nil && cancelRequested {
		cancel(errCancelled)
	}

	lines, err := newLineSink(bg, db.Reader(), job, r.opts.MaxLines, r.opts.Clock)
	if err != nil {
		// Without the output's position nothing can be recorded; let the
		// rescuer hand the job out again.
		log.Error("job: read output; giving the job back", "err", err)
		if err := r.q.release(bg, job.ID, job.Attempts); err != nil {
			log.Error("job: release", "err", err)
		}
		return nil
	}
	if job.Attempts > 1 {
		lines.system("attempt %d of %d", job.Attempts, job.MaxAttempts)
	}

	keeperDone := make(chan struct{})
	stopKeeper := make(chan struct{})
	go func() {
		defer close(keeperDone)
		r.keep(bg, job, lines, cancel, stopKeeper, log)
	}()

	keeping := true
	stopKeeping := func() {
		if keeping {
			close(stopKeeper)
			<-keeperDone
			keeping = false
		}
	}
	defer stopKeeping()

	applied, opErr := r.execute(ctx, job, lines)

	cause := context.Cause(ctx)
	if errors.Is(cause, ErrLeaseLost) {
		log.Warn("job: lease lost; another worker has the job now")
		return nil
	}
	if why, free, again := r.again(claimCtx, job, opErr, cause); again {
		// Not a failure of the operation: it was cut short, and every
		// operation is idempotent, so it runs again.
		stopKeeping()
		lines.system("%s; the job will run again", why)
		if err := lines.flush(bg, db, job.Attempts); err != nil {
			log.Warn("job: store output", "err", err)
		}
		if err := r.q.requeue(bg, job, why, free); err != nil {
			// The lease runs out and the rescuer queues it instead.
			log.Error("job: queue again", "err", err)
		}
		log.Info("job queued again", "why", why)
		return nil
	}

	state, msg := store.JobSucceeded, ""
	switch {
	case opErr == nil:
	case errors.Is(cause, errCancelled):
		state, msg = store.JobCancelled, "cancelled while running"
	default:
		state, msg = store.JobFailed, opErr.Error()
	}
	if opErr != nil {
		lines.system("%s: %v", state, opErr)
	}

	// After every job, the server's state is read back from the backend.
	// The answer is written in the transaction that ends the job, so the
	// poller never sees the job gone with the old state still in place.
	var srv *store.Server
	var unit *hostbackend.UnitStatus
	deleted := job.Operation == store.OpDelete && state == store.JobSucceeded
	if job.ServerID != nil && !deleted {
		srv, unit = r.observe(bg, *job.ServerID, job.ServerName, lines)
	}
	// The heartbeat went on while the backend was asked; the rest of the
	// output goes into the transaction that ends the job.
	stopKeeping()

	err = writeTx(bg, db, func(ctx context.Context, tx bun.Tx) error {
		pending, truncated, progress := lines.take()
		if err := r.q.finish(ctx, tx, job.ID, job.Attempts, state, msg, truncated); err != nil {
			return err
		}
		if err := writeProgress(ctx, tx, job.ID, progress); err != nil {
			return err
		}
		if err := writeLines(ctx, tx, pending); err != nil {
			return err
		}
		if state == store.JobCancelled {
			// The user took the request back: what they wanted before stands.
			if err := restoreDesired(ctx, tx, job); err != nil {
				return err
			}
		}
		if applied.spec != "" && job.ServerID != nil {
			// The process now runs this spec on these layers: the server
			// asks for no restart until the server, its blueprint, one of
			// its add-on sets or the game changes again.
			_, err := tx.NewRaw(`UPDATE servers SET applied_spec = ?, applied_layers = ? WHERE id = ?`,
				applied.spec, applied.layers, *job.ServerID).Exec(ctx)
			if err != nil {
				return err
			}
		}
		if deleted && job.ServerID != nil {
			_, err := tx.NewDelete().Model((*store.Server)(nil)).Where("id = ?", *job.ServerID).Exec(ctx)
			return err
		}
		if unit == nil {
			if job.ServerID == nil {
				return nil
			}
			// The state could not be read back. A poller tick that asked
			// systemd before this job ran must not write its older answer
			// now: moving the version makes that write miss.
			_, err := tx.NewRaw(`UPDATE servers SET state_version = state_version + 1 WHERE id = ?`, *job.ServerID).Exec(ctx)
			return err
		}
		w, err := newStateWriter(ctx, tx, r.opts.Clock().UnixMilli(), false)
		if err != nil {
			return err
		}
		defer w.close()
		st := unit.State()
		_, err = w.write(ctx, observation{
			serverID: srv.ID, oldState: srv.ActualState, version: srv.StateVersion, oldRestarts: srv.NRestarts,
			unit: unit, state: st, reason: jobReason(job, state, unit), always: true,
		})
		return err
	}, func(ctx context.Context, tx bun.Tx) error {
		next = nil
		if claimCtx.Err() != nil {
			return nil
		}
		var err error
		next, err = r.q.claimTx(ctx, tx, r.opts.LeaseDuration)
		if errors.Is(err, ErrNoJob) {
			return nil
		}
		return err
	})
	if err != nil {
		next = nil // rolled back with the rest
	}
	if !errors.Is(err, ErrLeaseLost) {
		r.health.storeContact(r.opts.Clock(), err)
	}
	switch {
	case errors.Is(err, ErrLeaseLost):
		log.Warn("job: lease lost before the job could be recorded; another worker has it now")
	case err != nil:
		// The lease will expire and the rescuer runs the job again.
		log.Error("job: record the end", "err", err)
	default:
		log.Info("job ended", "state", state, "err", msg)
		if freesBuild(job.Operation) {
			r.kickBuilds()
		}
		if r.poller != nil && !deleted && (unit == nil || inMotion(unit.State())) {
			// The unit is still starting or stopping, or its state could
			// not be read back: look again soon rather than a whole
			// poller interval later.
			r.poller.Settle()
		}
	}
	return next
}

// again decides whether a job whose operation ended with opErr (the
// context's cause being cause) goes back to the queue instead of ending,
// and why. free means the attempt does not count against the job's
// max_attempts: the panel's own shutdown cut it short, which says nothing
// about the job.
func (r *Runner) again(claimCtx context.Context, job *store.Job, opErr, cause error) (why string, free, again bool) {
	switch {
	case opErr == nil, errors.Is(cause, errCancelled):
		return "", false, false
	case errors.Is(cause, errShutdown):
		return "the panel shut down before the job ended", true, true
	case claimCtx.Err() != nil:
		// The panel is stopping (a restart, the host shutting down):
		// systemd cancelling our request or killing the command is the
		// shutdown's doing, not the job's.
		return fmt.Sprintf("%v, while the panel was shutting down", opErr), true, true
	case errors.Is(opErr, hostbackend.ErrInterrupted), errors.Is(opErr, hostbackend.ErrSuperseded):
		// Whatever cut the command short (a host shutdown, someone
		// stopping the panel's control group) usually stops this panel
		// too, a moment later: give it RetryDelay before the next try,
		// holding the job meanwhile, rather than failing all the
		// attempts against the same conflict within milliseconds.
		t := time.NewTimer(r.opts.RetryDelay)
		defer t.Stop()
		select {
		case <-claimCtx.Done():
			return fmt.Sprintf("%v, while the panel was shutting down", opErr), true, true
		case <-t.C:
		}
		if job.Attempts >= job.MaxAttempts {
			return "", false, false
		}
		return opErr.Error(), false, true
	}
	return "", false, false
}

// writeTx runs the steps in one writing transaction, in order.
func writeTx(ctx context.Context, db *store.DB, steps ...func(context.Context, bun.Tx) error) error {
	return db.WriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for _, step := range steps {
			if err := step(ctx, tx); err != nil {
				return err
			}
		}
		return nil
	})
}

// observe reads the server and asks the backend for its unit. A failure
// is noted in the job's output and leaves the state to the poller.
func (r *Runner) observe(ctx context.Context, serverID int64, name string, lines *lineSink) (*store.Server, *hostbackend.UnitStatus) {
	ctx, cancel := context.WithTimeout(ctx, r.opts.LeaseDuration)
	defer cancel()
	// The version read here is the one the finish compares with.
	srv := new(store.Server)
	if err := r.q.db.Reader().NewSelect().Model(srv).Where("id = ?", serverID).Scan(ctx); err != nil {
		lines.system("could not read the server back: %v", err)
		return nil, nil
	}
	units, err := r.opts.Backend.Show(ctx, name)
	if err == nil && len(units) != 1 {
		err = fmt.Errorf("the backend answered about %d units instead of 1", len(units))
	}
	r.health.hostContact(r.opts.Clock(), err)
	if err != nil {
		lines.system("could not read the unit's state: %v", err)
		return nil, nil
	}
	return srv, &units[0]
}

// keep renews the job's lease, notices a cancel requested from another
// process and streams the output to the database until stop is closed.
func (r *Runner) keep(ctx context.Context, job *store.Job, lines *lineSink, cancel context.CancelCauseFunc, stop <-chan struct{}, log *slog.Logger) {
	hb := time.NewTicker(r.opts.HeartbeatInterval)
	defer hb.Stop()
	fl := time.NewTicker(r.opts.LineFlushInterval)
	defer fl.Stop()
	for {
		select {
		case <-stop:
			return
		case <-hb.C:
			cancelRequested, err := r.q.heartbeat(ctx, job.ID, job.Attempts, r.opts.LeaseDuration)
			switch {
			case errors.Is(err, ErrLeaseLost):
				cancel(ErrLeaseLost)
				return
			case err != nil:
				// Keep trying: the lease has slack for a few misses.
				log.Warn("job: heartbeat", "err", err)
			case cancelRequested:
				cancel(errCancelled)
			}
		case <-fl.C:
			if err := lines.flush(ctx, r.q.db, job.Attempts); errors.Is(err, ErrLeaseLost) {
				cancel(ErrLeaseLost)
				return
			} else if err != nil {
				log.Warn("job: store output", "err", err)
			}
		}
	}
}

// appliedSpec is what a start or restart put the process on: the
// store.SpecFingerprint of the spec it provisioned and the store.LayersKey
// of its layers.
type appliedSpec struct{ spec, layers string }

// execute performs the operation against the backend. applied is what a
// start or restart provisioned, once the process runs it: after the
// restart, or after a start of a unit that was not running (enable --now
// leaves a running one as it is); zero otherwise.
func (r *Runner) execute(ctx context.Context, job *store.Job, lines *lineSink) (applied appliedSpec, err error) {
	if job.Operation.IsGame() {
		return applied, r.runGame(ctx, job, lines)
	}
	b := r.opts.Backend
	out := lines.lineFunc()
	name := job.ServerName
	switch job.Operation {
	case store.OpStart, store.OpRestart:
		if err := hostbackend.CheckGameInstalled(ctx, b); err != nil {
			return applied, err
		}
		spec, srv, err := r.spec(ctx, job)
		if err != nil {
			return applied, err
		}
		// What the server and its blueprint ask for; the RCON password and
		// the bans appended below change no fingerprint, so a ban or an
		// unban asks for no restart.
		fingerprint := appliedSpec{spec: store.SpecFingerprint(spec), layers: store.LayersKey(spec)}
		if spec.ServerConfig, err = console.ServerConfig(ctx, r.q.db, srv, spec.ServerConfig); err != nil {
			return applied, fmt.Errorf("server.cfg: %w", err)
		}
		if spec.Build != "" {
			lines.system("layers: game build %s, %s", spec.Build, hostbackend.DescribeSets(spec.Sets))
		}
		lines.system("writing the instance files of %s", name)
		if err := b.Provision(ctx, spec); err != nil {
			return applied, fmt.Errorf("provision: %w", err)
		}
		if job.Operation == store.OpRestart {
			lines.system("restarting %s", hostbackend.UnitName(name))
			if err := b.Restart(ctx, name, out); err != nil {
				return applied, err
			}
			applied = fingerprint
		}
		// enable --now also makes sure a restarted unit comes back after
		// a reboot: the unit is enabled exactly when it should run.
		lines.system("enabling and starting %s", hostbackend.UnitName(name))
		if err := b.Enable(ctx, name, out); err != nil {
			return applied, err
		}
		if srv.ActualState != hostbackend.StateRunning && srv.ActualState != hostbackend.StateStarting {
			applied = fingerprint
		}
		return applied, r.waitForGame(ctx, name, spec.Port, lines)
	case store.OpStop:
		lines.system("disabling and stopping %s", hostbackend.UnitName(name))
		return applied, b.Disable(ctx, name, out)
	case store.OpDelete:
		lines.system("disabling and stopping %s", hostbackend.UnitName(name))
		if err := b.Disable(ctx, name, out); err != nil {
			return applied, err
		}
		lines.system("removing the instance files of %s", name)
		if err := b.Purge(ctx, name); err != nil {
			return applied, fmt.Errorf("purge: %w", err)
		}
		return applied, nil
	}
	return applied, fmt.Errorf("unknown operation %q", job.Operation)
}

// spec builds what Provision writes from the server and its blueprint,
// and returns the server as read.
func (r *Runner) spec(ctx context.Context, job *store.Job) (hostbackend.InstanceSpec, *store.Server, error) {
	if job.ServerID == nil {
		return hostbackend.InstanceSpec{}, nil, fmt.Errorf("server %s has been deleted", job.ServerName)
	}
	srv, err := r.q.db.GetServer(ctx, *job.ServerID)
	if err != nil {
		return hostbackend.InstanceSpec{}, nil, err
	}
	bp, err := r.q.db.GetBlueprint(ctx, srv.BlueprintID)
	if err != nil {
		return hostbackend.InstanceSpec{}, nil, err
	}
	spec := store.ServerSpec(srv, bp)
	if r.opts.Build == nil {
		return spec, srv, nil
	}
	if spec.Build, err = r.opts.Build(ctx); err != nil {
		return spec, srv, fmt.Errorf("which game build to start on: %w", err)
	}
	if spec.Build != "" && r.opts.Sets != nil {
		if spec.Sets, err = r.opts.Sets(ctx, bp.ID); err != nil {
			return spec, srv, fmt.Errorf("the add-on sets of blueprint %s: %w", bp.Name, err)
		}
	}
	return spec, srv, nil
}
