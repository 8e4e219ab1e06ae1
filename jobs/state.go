package jobs

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/store"
)

// observation is one answer of the backend about one server, ready to be
// written. Both the post-job refresh and the poller write through
// stateWriter, so the rules (conditional update, history on change,
// reasons) are the same everywhere.
type observation struct {
	serverID int64
	// oldState and version are what the writer read before asking the
	// backend; the write applies only if version is still current, so an
	// answer never overwrites a state written after it was asked for.
	oldState hostbackend.State
	version  int64
	// unit is systemd's answer; nil when the backend could not be asked
	// (state is then unknown and the systemd columns are left alone).
	unit   *hostbackend.UnitStatus
	state  hostbackend.State
	reason string // the history reason, if the state changes
}

// stateWriter writes observations inside one transaction with prepared
// statements, so a tick over hundreds of servers stays cheap.
type stateWriter struct {
	at     int64
	update *sql.Stmt
	insert *sql.Stmt
}

const updateStateSQL = `
UPDATE servers
SET actual_state = ?,
    systemd_active = coalesce(?, systemd_active),
    systemd_sub = coalesce(?, systemd_sub),
    systemd_result = coalesce(?, systemd_result),
    n_restarts = coalesce(?, n_restarts),
    state_reason = coalesce(?, state_reason),
    state_version = state_version + 1,
    actual_state_updated_at = ?
WHERE id = ? AND state_version = ?`

// idleOnly keeps the poller's writes off servers that got a job after the
// poller listed them: the job's own refresh will say what happened.
const idleOnly = `
  AND NOT EXISTS (
      SELECT 1 FROM jobs
      WHERE jobs.server_name = servers.name AND jobs.state IN ('queued', 'running'))`

// newStateWriter prepares the statements on tx. With onlyIdle, a write is
// skipped for a server that has a queued or running job.
func newStateWriter(ctx context.Context, tx bun.Tx, at int64, onlyIdle bool) (*stateWriter, error) {
	q := updateStateSQL
	if onlyIdle {
		q += idleOnly
	}
	upd, err := tx.Tx.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	ins, err := tx.Tx.PrepareContext(ctx, `INSERT INTO server_history (server_id, at, old_state, new_state, reason)
		VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		upd.Close()
		return nil, err
	}
	return &stateWriter{at: at, update: upd, insert: ins}, nil
}

func (w *stateWriter) close() {
	w.update.Close()
	w.insert.Close()
}

// write applies o if the server's state_version is still o.version and
// adds a history row when the state changed. applied is false when a
// newer write (or a job) got there first.
func (w *stateWriter) write(ctx context.Context, o observation) (applied bool, err error) {
	changed := o.state != o.oldState
	var active, sub, result, restarts, reason any // nil keeps the column
	if o.unit != nil {
		active, sub, result, restarts = o.unit.ActiveState, o.unit.SubState, o.unit.Result, o.unit.NRestarts
	}
	if changed || o.state == hostbackend.StateUnknown {
		reason = o.reason
	}
	res, err := w.update.ExecContext(ctx, string(o.state), active, sub, result, restarts, reason, w.at, o.serverID, o.version)
	if err != nil {
		return false, fmt.Errorf("write state of server %d: %w", o.serverID, err)
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return false, err
	}
	if changed {
		if _, err := w.insert.ExecContext(ctx, o.serverID, w.at, string(o.oldState), string(o.state), o.reason); err != nil {
			return false, fmt.Errorf("write history of server %d: %w", o.serverID, err)
		}
	}
	return true, nil
}

// resultNote is systemd's Result when it says something went wrong.
func resultNote(u *hostbackend.UnitStatus) string {
	if u == nil || u.Result == "" || u.Result == "success" {
		return ""
	}
	return " (systemd Result=" + u.Result + ")"
}

// jobReason is the history reason of a change seen right after a job.
func jobReason(job *store.Job, u *hostbackend.UnitStatus) string {
	return fmt.Sprintf("after job %d (%s)", job.ID, job.Operation) + resultNote(u)
}

// pollReason is the history reason of a change the poller saw.
func pollReason(old, state hostbackend.State, u *hostbackend.UnitStatus) string {
	var why string
	switch {
	case old == hostbackend.StateStarting && state == hostbackend.StateRunning:
		why = "finished starting"
	case old == hostbackend.StateStopping && state == hostbackend.StateStopped:
		why = "finished stopping"
	case old == hostbackend.StateUnknown:
		why = "checked by the state poller"
	default:
		why = "changed outside the panel"
	}
	return why + resultNote(u)
}

// unknownReason is the reason kept with a state that could not be read.
func unknownReason(err error) string {
	return "could not ask systemd: " + err.Error()
}
