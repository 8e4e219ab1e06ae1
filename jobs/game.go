package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/store"
)

// DefaultPromptTimeout is how long a game job waits for an answer to
// steamcmd's question before it fails.
const DefaultPromptTimeout = 5 * time.Minute

// ErrNotWaiting is returned by Answer for a job that waits for no answer
// in this process.
var ErrNotWaiting = errors.New("the job is not waiting for an answer")

// GameParams says which game operation to queue.
type GameParams struct {
	Operation store.Operation
	// Options is what the operator ticked ("" or
	// store.OptionRestartServers).
	Options string
	// RequestedBy is the user asking; 0 for the system (the periodic
	// check).
	RequestedBy int64
}

// EnqueueGame queues a game operation, a host-level job with no server.
// Game jobs run one at a time, in order; asking for the same operation
// with the same options as the newest queued game job returns that job.
func (q *Queue) EnqueueGame(ctx context.Context, p GameParams) (*store.Job, error) {
	if !p.Operation.IsGame() {
		return nil, &store.Error{Kind: store.ErrInvalid, Msg: fmt.Sprintf("%q is not an operation on the game", p.Operation)}
	}
	if p.Operation == store.OpGameWorkshop {
		if _, err := ParseWorkshopOptions(p.Options); err != nil {
			return nil, &store.Error{Kind: store.ErrInvalid, Msg: err.Error()}
		}
	} else if p.Options != "" && p.Options != store.OptionRestartServers {
		return nil, &store.Error{Kind: store.ErrInvalid, Msg: fmt.Sprintf("unknown option %q", p.Options)}
	}
	var job *store.Job
	err := q.db.WriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		newest := new(store.Job)
		err := tx.NewSelect().Model(newest).
			Where("server_name = '' AND state IN ('queued', 'running')").
			OrderExpr("id DESC").Limit(1).Scan(ctx)
		switch {
		case err == nil && newest.State == store.JobQueued && newest.Operation == p.Operation && newest.Options == p.Options:
			job = newest
			return nil
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return err
		}
		job = &store.Job{
			ServerName:  "",
			Operation:   p.Operation,
			State:       store.JobQueued,
			MaxAttempts: q.maxAttempts,
			Options:     p.Options,
			CreatedAt:   store.NewTime(q.now()),
		}
		if p.RequestedBy != 0 {
			job.RequestedBy = &p.RequestedBy
			name, err := store.UserName(ctx, tx, p.RequestedBy)
			if err != nil {
				return err
			}
			job.RequestedByName = name // kept when the user is deleted
		}
		_, err = tx.NewInsert().Model(job).Returning("id").Exec(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("enqueue %s: %w", p.Operation, err)
	}
	q.notify()
	return job, nil
}

// Answer hands answer to the job's waiting question (steamcmd's password
// or Steam Guard prompt). The answer is never stored or logged. It returns
// ErrNotWaiting when the job, in this process, waits for none.
func (q *Queue) Answer(id int64, answer string) error {
	q.mu.Lock()
	ch := q.waiting[id]
	q.mu.Unlock()
	if ch == nil {
		return fmt.Errorf("job %d: %w", id, ErrNotWaiting)
	}
	select {
	case ch <- answer:
		return nil
	default:
		return fmt.Errorf("job %d: %w (it has an answer already)", id, ErrNotWaiting)
	}
}

// setPrompt records (or, with "", clears) the question a running job
// waits on, fenced by its attempt.
func (q *Queue) setPrompt(ctx context.Context, job *store.Job, prompt string) error {
	res, err := q.db.Writer().NewRaw(`UPDATE jobs SET prompt = ? WHERE id = ? AND attempts = ? AND state = 'running'`,
		prompt, job.ID, job.Attempts).Exec(ctx)
	if err != nil {
		return fmt.Errorf("job %d prompt: %w", job.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrLeaseLost
	}
	return nil
}

// runGame carries out a game job through the backend's Game capability.
func (r *Runner) runGame(ctx context.Context, job *store.Job, lines *lineSink) error {
	if job.Operation == store.OpGameWorkshop {
		return r.runWorkshop(ctx, job, lines)
	}
	g, ok := r.opts.Backend.(hostbackend.Game)
	if !ok {
		return errors.New("this host backend cannot install the game")
	}
	ev := hostbackend.GameEvents{Line: lines.lineFunc(), Progress: lines.setProgress, Ask: r.asker(job, lines)}
	if job.Operation == store.OpGameCheck {
		return r.checkGame(ctx, g, ev, lines)
	}
	// Install and Validate check every file; Update only fetches what
	// changed.
	validate := job.Operation != store.OpGameUpdate
	before, err := g.GameStatus(ctx)
	if err != nil {
		return err
	}
	// An install or an update makes a new build beside the one servers
	// run; a validation of an installed game repairs the current build in
	// place, which is never done under a running server.
	var stopped []gameServer
	if validate && before.BuildID != "" {
		if stopped, err = r.stopForGame(ctx, job, lines); err != nil {
			return err
		}
	}
	lines.system("running steamcmd (%s)", strings.TrimPrefix(string(job.Operation), "game-"))
	gameErr := g.GameInstall(ctx, validate, ev)
	var after hostbackend.GameStatus
	if gameErr == nil {
		if after, err = g.GameStatus(ctx); err == nil && after.BuildID != "" {
			lines.system("installed build %s in %s", after.BuildID, after.Path)
		}
	}
	// The servers come back whether the update worked or not: the old
	// files are still there when it failed.
	startErr := r.startAfterGame(context.WithoutCancel(ctx), job, stopped, lines)
	if gameErr == nil && !validate && job.Options == store.OptionRestartServers && after.BuildID != "" {
		startErr = errors.Join(startErr, r.restartOnOlderBuilds(context.WithoutCancel(ctx), g, job, after.BuildID, lines))
	}
	return errors.Join(gameErr, startErr)
}

// restartOnOlderBuilds queues a restart of every running server that runs
// another build than current (or one the panel does not know), for an
// update asked to restart the servers: each picks up the new build at
// its restart, one at a time as jobs do.
func (r *Runner) restartOnOlderBuilds(ctx context.Context, g hostbackend.Game, job *store.Job, current string, lines *lineSink) error {
	var running []gameServer
	err := r.q.db.Reader().NewRaw(`SELECT id, name FROM servers
		WHERE actual_state IN ('running', 'starting', 'crashlooping') AND desired_state = 'running' ORDER BY name`).Scan(ctx, &running)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("list running servers: %w", err)
	}
	var by int64
	if job.RequestedBy != nil {
		by = *job.RequestedBy
	}
	var errs []error
	for _, s := range running {
		b, err := g.InstanceBuild(ctx, s.Name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if b == current {
			continue
		}
		j, err := r.q.Enqueue(ctx, EnqueueParams{ServerID: s.ID, Operation: store.OpRestart, RequestedBy: by})
		if err != nil {
			errs = append(errs, fmt.Errorf("restart %s: %w", s.Name, err))
			continue
		}
		lines.system("%s: restart queued (job %d) to run build %s", s.Name, j.ID, current)
	}
	return errors.Join(errs...)
}

// checkGame asks Steam for the latest build and records the answer.
func (r *Runner) checkGame(ctx context.Context, g hostbackend.Game, ev hostbackend.GameEvents, lines *lineSink) error {
	build, err := g.GameLatestBuild(ctx, ev)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	c := store.GameCheck{LatestBuildID: build, CheckedAt: store.NewTime(r.opts.Clock())}
	if err != nil {
		c.Error = err.Error()
		lines.system("the latest build is unknown: %v", err)
	} else {
		lines.system("the latest build is %s", build)
	}
	if werr := r.q.db.WriteTx(ctx, func(ctx context.Context, tx bun.Tx) error { return store.SaveGameCheck(ctx, tx, c) }); werr != nil {
		return werr
	}
	return err
}

// gameServer is a server a game update stopped.
type gameServer struct {
	ID   int64  `bun:"id"`
	Name string `bun:"name"`
}

// stopForGame stops the servers that run the game before a validation
// repairs the current build's files in place: only when the job says so
// (store.OptionRestartServers); otherwise it refuses while any runs.
// Their desired_state is kept.
func (r *Runner) stopForGame(ctx context.Context, job *store.Job, lines *lineSink) ([]gameServer, error) {
	var running []gameServer
	err := r.q.db.Reader().NewRaw(`SELECT id, name FROM servers
		WHERE actual_state IN ('running', 'starting', 'crashlooping', 'stopping') ORDER BY name`).Scan(ctx, &running)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("list running servers: %w", err)
	}
	if len(running) == 0 {
		return nil, nil
	}
	names := make([]string, len(running))
	for i, s := range running {
		names[i] = s.Name
	}
	if job.Options != store.OptionRestartServers {
		return nil, fmt.Errorf("%d server(s) are running (%s): a validation repairs the current build's files in place, never under a running server; stop them first, or ask again with \"stop running servers, validate, start them again\"",
			len(running), strings.Join(names, ", "))
	}
	var stopped []gameServer
	for _, s := range running {
		lines.system("%s: stopping it for the game's update (it stays wanted running)", s.Name)
		if err := r.opts.Backend.Disable(ctx, s.Name, lines.lineFunc()); err != nil {
			// Start again what was stopped before giving up.
			startErr := r.startAfterGame(context.WithoutCancel(ctx), job, stopped, lines)
			return nil, errors.Join(fmt.Errorf("stop %s for the update: %w", s.Name, err), startErr)
		}
		r.recordState(context.WithoutCancel(ctx), job, s, "stopped for the game's update", lines)
		stopped = append(stopped, s)
	}
	return stopped, nil
}

// startAfterGame starts again the servers stopForGame stopped, those still
// wanted running, and says for each what it did.
func (r *Runner) startAfterGame(ctx context.Context, job *store.Job, stopped []gameServer, lines *lineSink) error {
	var errs []error
	for _, s := range stopped {
		var desired store.DesiredState
		err := r.q.db.Reader().NewRaw(`SELECT desired_state FROM servers WHERE id = ?`, s.ID).Scan(ctx, &desired)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			lines.system("%s: deleted meanwhile; not started", s.Name)
			continue
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", s.Name, err))
			continue
		case desired != store.DesiredRunning:
			lines.system("%s: now wanted stopped; left stopped", s.Name)
			continue
		}
		if err := r.opts.Backend.Enable(ctx, s.Name, lines.lineFunc()); err != nil {
			lines.system("%s: could not start it again: %v", s.Name, err)
			errs = append(errs, fmt.Errorf("start %s again: %w", s.Name, err))
			continue
		}
		lines.system("%s: started again", s.Name)
		r.recordState(ctx, job, s, "started again after the game's update", lines)
	}
	if len(stopped) > 0 && r.poller != nil {
		r.poller.Settle()
	}
	return errors.Join(errs...)
}

// recordState reads a server's unit back after the game job stopped or
// started it and writes the state through the state writer, with the job
// as its reason, so the history puts the change down to the job rather
// than to something outside the panel (the poller leaves such servers
// alone while the job runs).
func (r *Runner) recordState(ctx context.Context, job *store.Job, s gameServer, what string, lines *lineSink) {
	srv, unit := r.observe(ctx, s.ID, s.Name, lines)
	if unit == nil {
		return
	}
	err := writeTx(ctx, r.q.db, func(ctx context.Context, tx bun.Tx) error {
		w, err := newStateWriter(ctx, tx, r.opts.Clock().UnixMilli(), false)
		if err != nil {
			return err
		}
		defer w.close()
		_, err = w.write(ctx, observation{
			serverID: srv.ID, oldState: srv.ActualState, version: srv.StateVersion, oldRestarts: srv.NRestarts,
			unit: unit, state: unit.State(), always: true,
			reason: fmt.Sprintf("after job %d (%s): %s", job.ID, job.Operation, what),
		})
		return err
	})
	r.health.storeContact(r.opts.Clock(), err)
	if err != nil {
		lines.system("%s: could not record its state: %v", s.Name, err)
	}
}

// asker answers steamcmd's questions through Queue.Answer: the job shows
// the question (its prompt column) until an answer comes, the job is
// cancelled, or PromptTimeout passes.
func (r *Runner) asker(job *store.Job, lines *lineSink) func(context.Context, string) (string, error) {
	return func(ctx context.Context, prompt string) (string, error) {
		ch := make(chan string, 1)
		r.q.mu.Lock()
		r.q.waiting[job.ID] = ch
		r.q.mu.Unlock()
		defer func() {
			r.q.mu.Lock()
			delete(r.q.waiting, job.ID)
			r.q.mu.Unlock()
		}()
		bg := context.WithoutCancel(ctx)
		if err := r.q.setPrompt(bg, job, prompt); err != nil {
			return "", err
		}
		// The job's end clears it too, should this write fail.
		defer func() { _ = r.q.setPrompt(bg, job, "") }()
		lines.system("steamcmd asks %q: answer it on the job's page (the answer is not stored)", prompt)
		t := time.NewTimer(r.opts.PromptTimeout)
		defer t.Stop()
		select {
		case a := <-ch:
			lines.system("answered; steamcmd goes on")
			return a, nil
		case <-ctx.Done():
			return "", ctx.Err()
		case <-t.C:
			return "", fmt.Errorf("nobody answered steamcmd's question %q within %s", prompt, r.opts.PromptTimeout)
		}
	}
}

// checkGameNow queues a check for a game update unless the newest check
// is younger than every.
func (r *Runner) checkGameNow(ctx context.Context, every time.Duration) {
	if c, err := r.q.db.GetGameCheck(ctx); err == nil && r.opts.Clock().Sub(c.CheckedAt.Time) < every {
		return
	}
	if _, err := r.q.EnqueueGame(ctx, GameParams{Operation: store.OpGameCheck}); err != nil && ctx.Err() == nil {
		r.opts.Logger.Error("game update check", "err", err)
	}
}
