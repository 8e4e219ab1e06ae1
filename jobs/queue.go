package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/left4me/left4me/store"
)

// Errors callers can test for with errors.Is.
var (
	// ErrNoJob is returned by Claim when no job can run now.
	ErrNoJob = errors.New("no job ready to run")
	// ErrFinished is returned by Cancel for a job that has already ended.
	ErrFinished = errors.New("job already finished")
	// ErrLeaseLost is returned when a worker touches a job whose lease it
	// no longer holds: the rescuer took the job back.
	ErrLeaseLost = errors.New("job lease lost")
)

// DefaultMaxAttempts is how many times a job is claimed before the
// rescuer gives up on it.
const DefaultMaxAttempts = 3

// QueueOpts configures NewQueue.
type QueueOpts struct {
	// DB is the database; required.
	DB *store.DB
	// Clock is the time source for stamps and leases (default time.Now).
	Clock func() time.Time
	// MaxAttempts is how many claims a job gets before an expired lease
	// fails it (default DefaultMaxAttempts).
	MaxAttempts int
}

// Queue is the durable job queue on the jobs table. It is safe for
// concurrent use, and several processes may share one database file.
type Queue struct {
	db          *store.DB
	now         func() time.Time
	maxAttempts int

	// wake carries one token per enqueue to idle workers of this process.
	wake chan struct{}

	mu      sync.Mutex
	running map[int64]context.CancelCauseFunc // jobs this process runs
	waiting map[int64]chan string             // jobs waiting for an answer (Answer)
}

// NewQueue returns a queue on opts.DB. It panics without a DB.
func NewQueue(opts QueueOpts) *Queue {
	if opts.DB == nil {
		panic("jobs.NewQueue: DB is required")
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	return &Queue{
		db:          opts.DB,
		now:         opts.Clock,
		maxAttempts: opts.MaxAttempts,
		wake:        make(chan struct{}, 64),
		running:     map[int64]context.CancelCauseFunc{},
		waiting:     map[int64]chan string{},
	}
}

// DB returns the queue's database.
func (q *Queue) DB() *store.DB { return q.db }

func (q *Queue) nowMilli() int64 { return q.now().UnixMilli() }

// EnqueueParams says what to do to which server. Give ServerID or
// ServerName.
type EnqueueParams struct {
	ServerID   int64
	ServerName string
	Operation  store.Operation
	// RequestedBy is the user asking; 0 for the system.
	RequestedBy int64
}

// desiredFor is the desired_state an operation records.
func desiredFor(op store.Operation) (store.DesiredState, error) {
	switch op {
	case store.OpStart, store.OpRestart:
		return store.DesiredRunning, nil
	case store.OpStop, store.OpDelete:
		return store.DesiredStopped, nil
	}
	return "", &store.Error{Kind: store.ErrInvalid, Msg: fmt.Sprintf("unknown operation %q", op)}
}

// Enqueue records the user's intent as the server's desired_state and
// queues the job, in one transaction. When the server's newest queued job
// is the same operation (a double click), that job is returned instead of
// a new one. It returns an error matching store.ErrNotFound for a missing
// server and store.ErrConflict for a server whose delete is pending.
func (q *Queue) Enqueue(ctx context.Context, p EnqueueParams) (*store.Job, error) {
	desired, err := desiredFor(p.Operation)
	if err != nil {
		return nil, err
	}
	var job *store.Job
	err = q.db.WriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var srv store.Server
		sel := tx.NewSelect().Model(&srv).Column("id", "name")
		if p.ServerID != 0 {
			sel = sel.Where("id = ?", p.ServerID)
		} else {
			sel = sel.Where("name = ?", p.ServerName)
		}
		if err := sel.Scan(ctx); errors.Is(err, sql.ErrNoRows) {
			who := p.ServerName
			if p.ServerID != 0 {
				who = fmt.Sprint(p.ServerID)
			}
			return &store.Error{Kind: store.ErrNotFound, Msg: fmt.Sprintf("server %s does not exist", who)}
		} else if err != nil {
			return err
		}

		var active []store.Job
		if err := tx.NewSelect().Model(&active).
			Where("server_name = ? AND state IN ('queued', 'running')", srv.Name).
			OrderExpr("id").Scan(ctx); err != nil {
			return err
		}
		for i := range active {
			if active[i].Operation == store.OpDelete {
				return &store.Error{Kind: store.ErrConflict, Msg: fmt.Sprintf("server %s is being deleted", srv.Name)}
			}
		}
		// Coalesce only with the newest queued job: with stop, start
		// queued, a second stop must still run after the start.
		if n := len(active); n > 0 && active[n-1].State == store.JobQueued && active[n-1].Operation == p.Operation {
			job = &active[n-1]
			return nil
		}

		now := store.NewTime(q.now())
		job = &store.Job{
			ServerID:    &srv.ID,
			ServerName:  srv.Name,
			Operation:   p.Operation,
			State:       store.JobQueued,
			MaxAttempts: q.maxAttempts,
			CreatedAt:   now,
		}
		if p.RequestedBy != 0 {
			job.RequestedBy = &p.RequestedBy
			name, err := store.UserName(ctx, tx, p.RequestedBy)
			if err != nil {
				return err
			}
			job.RequestedByName = name // kept when the user is deleted
		}
		if _, err := tx.NewInsert().Model(job).Returning("id").Exec(ctx); err != nil {
			return err
		}
		_, err := tx.NewUpdate().Model((*store.Server)(nil)).Set("desired_state = ?", desired).
			Where("id = ?", srv.ID).Exec(ctx)
		return err
	})
	if err != nil {
		var ue *store.Error
		if errors.As(err, &ue) {
			return nil, err
		}
		return nil, fmt.Errorf("enqueue %s: %w", p.Operation, err)
	}
	q.notify()
	return job, nil
}

// notify wakes one idle worker of this process, if any is waiting.
func (q *Queue) notify() {
	select {
	case q.wake <- struct{}{}:
	default: // enough wake-ups are pending already
	}
}

// claimSQL takes the oldest queued job whose server has no running job,
// in one statement, so two workers (or two processes) never get the same
// job and one server's jobs run one at a time, in order. attempts counts
// claims; it doubles as the fencing token of the lease.
const claimSQL = `
UPDATE jobs
SET state = 'running', attempts = attempts + 1,
    started_at = ?0, heartbeat_at = ?0, lease_until = ?1
WHERE id = (
    SELECT j.id FROM jobs AS j
    WHERE j.state = 'queued'
      AND NOT EXISTS (
          SELECT 1 FROM jobs AS r
          WHERE r.server_name = j.server_name AND r.state = 'running')
    ORDER BY j.id
    LIMIT 1)
RETURNING *`

// Claim marks the next runnable job running with a lease of the given
// length and returns it, or returns ErrNoJob.
func (q *Queue) Claim(ctx context.Context, lease time.Duration) (*store.Job, error) {
	// Take the writer first and read the clock then, so that started_at
	// is not earlier than the end of the job this claim waited for.
	conn, err := q.db.Writer().Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("claim job: %w", err)
	}
	defer conn.Close()
	return q.claimTx(ctx, conn, lease)
}

// claimTx is Claim on a connection or transaction that holds the writer.
func (q *Queue) claimTx(ctx context.Context, db bun.IDB, lease time.Duration) (*store.Job, error) {
	now := q.now()
	job := new(store.Job)
	err := db.NewRaw(claimSQL, now.UnixMilli(), now.Add(lease).UnixMilli()).Scan(ctx, job)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoJob
	}
	if err != nil {
		return nil, fmt.Errorf("claim job: %w", err)
	}
	return job, nil
}

// heartbeat extends the lease of a job this worker holds (attempt is the
// fence) and reports whether a cancel was requested. It returns
// ErrLeaseLost when the job is no longer this worker's.
func (q *Queue) heartbeat(ctx context.Context, id int64, attempt int, lease time.Duration) (cancel bool, err error) {
	now := q.now()
	err = q.db.Writer().NewRaw(`UPDATE jobs SET lease_until = ?, heartbeat_at = ?
		WHERE id = ? AND attempts = ? AND state = 'running' RETURNING cancel_requested`,
		now.Add(lease).UnixMilli(), now.UnixMilli(), id, attempt).Scan(ctx, &cancel)
	if errors.Is(err, sql.ErrNoRows) {
		return false, ErrLeaseLost
	}
	if err != nil {
		return false, fmt.Errorf("heartbeat job %d: %w", id, err)
	}
	return cancel, nil
}

// release gives a running job back to the rescuer at once by ending its
// lease now; used when a worker cannot even record the job's output.
func (q *Queue) release(ctx context.Context, id int64, attempt int) error {
	_, err := q.db.Writer().NewRaw(`UPDATE jobs SET lease_until = ?
		WHERE id = ? AND attempts = ? AND state = 'running'`, q.nowMilli()-1, id, attempt).Exec(ctx)
	if err != nil {
		return fmt.Errorf("release job %d: %w", id, err)
	}
	return nil
}

// requeue puts a running job of this worker (job.Attempts is the fence)
// back in the queue at once, why in its error, for a job that was cut
// short rather than failed. When free, the attempt does not count: the
// job gets one more than it had. A job whose cancel was requested ends
// cancelled instead, and its server's desired_state is restored.
func (q *Queue) requeue(ctx context.Context, job *store.Job, why string, free bool) error {
	extra := 0
	if free {
		extra = 1
	}
	err := q.db.WriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var cancelled bool
		err := tx.NewRaw(`UPDATE jobs
			SET state = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'queued' END,
			    finished_at = CASE WHEN cancel_requested THEN ?0 END,
			    error = CASE WHEN cancel_requested THEN 'cancelled while running' ELSE ?1 END,
			    lease_until = NULL, heartbeat_at = NULL,
			    max_attempts = max_attempts + ?2
			WHERE id = ?3 AND attempts = ?4 AND state = 'running'
			RETURNING cancel_requested`, q.nowMilli(), why, extra, job.ID, job.Attempts).Scan(ctx, &cancelled)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrLeaseLost
		}
		if err != nil || !cancelled {
			return err
		}
		return restoreDesired(ctx, tx, job)
	})
	if err != nil {
		return fmt.Errorf("queue job %d again: %w", job.ID, err)
	}
	q.notify()
	return nil
}

// finish ends a running job inside tx, fenced by attempt. It returns
// ErrLeaseLost when the job is no longer this worker's.
func (q *Queue) finish(ctx context.Context, tx bun.Tx, id int64, attempt int, state store.JobState, msg string, truncated bool) error {
	res, err := tx.NewRaw(`UPDATE jobs SET state = ?, error = ?, finished_at = ?, lease_until = NULL, prompt = '',
		log_truncated = log_truncated OR ?
		WHERE id = ? AND attempts = ? AND state = 'running'`,
		state, msg, q.nowMilli(), truncated, id, attempt).Exec(ctx)
	if err != nil {
		return fmt.Errorf("finish job %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrLeaseLost
	}
	return nil
}

// Cancel cancels a job: a queued job is cancelled at once; a running one
// is marked, its context is cancelled (in this process at once, in
// another at its next heartbeat) and its worker then records it
// cancelled. It returns the job as it is after the request, or an error
// matching store.ErrNotFound or ErrFinished.
func (q *Queue) Cancel(ctx context.Context, id int64) (*store.Job, error) {
	job := new(store.Job)
	err := q.db.WriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		err := tx.NewRaw(`UPDATE jobs SET state = 'cancelled', finished_at = ?, error = 'cancelled before it started'
			WHERE id = ? AND state = 'queued' RETURNING *`, q.nowMilli(), id).Scan(ctx, job)
		if err == nil {
			return restoreDesired(ctx, tx, job)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		err = tx.NewRaw(`UPDATE jobs SET cancel_requested = 1
			WHERE id = ? AND state = 'running' RETURNING *`, id).Scan(ctx, job)
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		err = tx.NewSelect().Model(job).Where("id = ?", id).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return &store.Error{Kind: store.ErrNotFound, Msg: fmt.Sprintf("job %d does not exist", id)}
		}
		if err != nil {
			return err
		}
		return fmt.Errorf("cancel job %d: %w (%s)", id, ErrFinished, job.State)
	})
	if err != nil {
		return nil, err
	}
	if job.State == store.JobRunning {
		q.mu.Lock()
		cancel := q.running[id]
		q.mu.Unlock()
		if cancel != nil {
			cancel(errCancelled)
		}
	}
	return job, nil
}

// restoreDesired undoes what a cancelled job's enqueue recorded:
// the server's desired_state becomes what its newest job that was not
// cancelled asked for, or stopped when there is none.
func restoreDesired(ctx context.Context, tx bun.Tx, job *store.Job) error {
	if job.ServerID == nil {
		return nil
	}
	_, err := tx.NewRaw(`UPDATE servers SET desired_state = COALESCE((
			SELECT CASE operation WHEN 'start' THEN 'running' WHEN 'restart' THEN 'running' ELSE 'stopped' END
			FROM jobs WHERE server_id = ?0 AND state != 'cancelled' ORDER BY id DESC LIMIT 1), 'stopped')
		WHERE id = ?0`, *job.ServerID).Exec(ctx)
	return err
}

// register and unregister track the jobs this process runs, for Cancel.
func (q *Queue) register(id int64, cancel context.CancelCauseFunc) {
	q.mu.Lock()
	q.running[id] = cancel
	q.mu.Unlock()
}

func (q *Queue) unregister(id int64) {
	q.mu.Lock()
	delete(q.running, id)
	q.mu.Unlock()
}

// rescueSQL takes back every running job whose lease has expired: its
// worker crashed, hung or lost the database. The operations are
// idempotent, so the job is queued again until it has used its attempts;
// then it fails. The reason goes to the job's error.
const rescueSQL = `
UPDATE jobs
SET state = CASE
        WHEN cancel_requested THEN 'cancelled'
        WHEN attempts >= max_attempts THEN 'failed'
        ELSE 'queued' END,
    error = CASE
        WHEN cancel_requested THEN 'cancelled; its worker stopped before confirming'
        WHEN attempts >= max_attempts THEN printf(
            'gave up: %s on attempt %d of %d', ?2, attempts, max_attempts)
        ELSE printf(
            '%s on attempt %d of %d; queued again', ?2, attempts, max_attempts) END,
    finished_at = CASE WHEN cancel_requested OR attempts >= max_attempts THEN ?0 ELSE NULL END,
    lease_until = NULL
WHERE state = 'running' AND lease_until < ?1
RETURNING *`

// Rescue re-queues or fails the running jobs whose lease expired before
// the queue's clock reading, records why in each job's error and output,
// and returns them as they are now.
func (q *Queue) Rescue(ctx context.Context) ([]store.Job, error) {
	return q.rescue(ctx, q.nowMilli(), "the worker stopped renewing its lease")
}

// RescueOrphans takes back every running job at once, whatever its lease
// says, as Rescue does with expired ones. Only for a process that knows no
// other one runs jobs on the database (left4me serve holds the database's
// lock): the jobs it finds running at start-up belong to a panel that
// died, and waiting out their leases would only delay them.
func (q *Queue) RescueOrphans(ctx context.Context) ([]store.Job, error) {
	return q.rescue(ctx, math.MaxInt64, "the panel running it stopped before the job ended")
}

// rescue takes back the running jobs whose lease ends before cutoff, with
// why in their error.
func (q *Queue) rescue(ctx context.Context, cutoff int64, why string) ([]store.Job, error) {
	now := q.nowMilli()
	var rescued []store.Job
	err := q.db.WriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		rescued = rescued[:0]
		if err := tx.NewRaw(rescueSQL, now, cutoff, why).Scan(ctx, &rescued); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		for i := range rescued {
			j := &rescued[i]
			if err := appendSystemLine(ctx, tx, j.ID, now, "rescuer: "+j.Error); err != nil {
				return err
			}
			if j.State == store.JobCancelled {
				if err := restoreDesired(ctx, tx, j); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("rescue jobs: %w", err)
	}
	if len(rescued) > 0 {
		q.notify()
	}
	return rescued, nil
}

// appendSystemLine adds one line of left4me's own to a job's output.
func appendSystemLine(ctx context.Context, tx bun.IDB, jobID, at int64, text string) error {
	_, err := tx.NewRaw(`INSERT INTO job_lines (job_id, seq, stream, text, created_at)
		SELECT ?, coalesce(max(seq), 0) + 1, 'system', ?, ? FROM job_lines WHERE job_id = ?`,
		jobID, text, at, jobID).Exec(ctx)
	return err
}
