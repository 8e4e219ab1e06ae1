package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"strings"

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
	// oldRestarts is n_restarts as read with version: a rise is a crash
	// systemd restarted, an event even when the state is the same.
	oldRestarts int
	// restartCause is how the last crash ended, as systemd logged it
	// (e.g. "signal KILL"); empty if unknown.
	restartCause string
	// always writes reason as the server's state_reason even without a
	// change: a job's end is the newest cause of the state.
	always bool
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
    systemd_enabled = coalesce(?, systemd_enabled),
    state_reason = coalesce(?, state_reason),
    state_version = state_version + 1,
    actual_state_updated_at = ?
WHERE id = ? AND state_version = ?`

// idleOnly keeps the poller's writes off servers that got a job after the
// poller listed them (or while a game update that may stop and start them
// runs, see busyJob): the job's own refresh will say what happened.
const idleOnly = `
  AND NOT EXISTS (
      SELECT 1 FROM jobs
      WHERE ` + busyJob + `)`

// busyJob, in a query over jobs and servers, matches a job that makes the
// poller leave the server alone: one of its own queued or running, or a
// running game job allowed to stop and start every server
// (store.OptionRestartServers), which records their states itself.
const busyJob = `(jobs.server_name = servers.name AND jobs.state IN ('queued', 'running'))
         OR (jobs.server_name = '' AND jobs.state = 'running' AND jobs.options = 'restart-servers')`

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
// adds a history row when the state changed or systemd restarted the
// unit after a crash. applied is false when a newer write (or a job) got
// there first.
func (w *stateWriter) write(ctx context.Context, o observation) (applied bool, err error) {
	changed := o.state != o.oldState
	var active, sub, result, restarts, enabled, reason any // nil keeps the column
	if o.unit != nil {
		active, sub, result, restarts, enabled = o.unit.ActiveState, o.unit.SubState, o.unit.Result, o.unit.NRestarts, o.unit.Enabled
	}
	why := o.reason
	restarted := o.unit != nil && o.unit.NRestarts > o.oldRestarts
	if restarted {
		note := restartReason(o.unit.NRestarts-o.oldRestarts, o.unit.NRestarts, o.restartCause)
		if changed {
			why += "; " + note
		} else {
			why = note
		}
	}
	if changed || restarted || o.always || o.state == hostbackend.StateUnknown {
		reason = why
	}
	res, err := w.update.ExecContext(ctx, string(o.state), active, sub, result, restarts, enabled, reason, w.at, o.serverID, o.version)
	if err != nil {
		return false, fmt.Errorf("write state of server %d: %w", o.serverID, err)
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return false, err
	}
	if changed || restarted {
		if _, err := w.insert.ExecContext(ctx, o.serverID, w.at, string(o.oldState), string(o.state), why); err != nil {
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

// jobReason is the reason of the state seen right after a job that
// ended in state.
func jobReason(job *store.Job, state store.JobState, u *hostbackend.UnitStatus) string {
	why := fmt.Sprintf("after job %d (%s)", job.ID, job.Operation)
	if state != store.JobSucceeded {
		why += ", which " + string(state)
	}
	return why + resultNote(u)
}

// restartReason is the history reason of automatic restarts: n more
// since the last look, total in all since the unit was last started by
// hand; cause is how the last crash ended, if known.
func restartReason(n, total int, cause string) string {
	why := "crashed and was restarted by systemd"
	if n > 1 {
		why = fmt.Sprintf("crashed and was restarted by systemd %d times since the last look", n)
	}
	if cause != "" {
		if n > 1 {
			why += " (the last time: " + cause + ")"
		} else {
			why += " (" + cause + ")"
		}
	}
	return why + ", " + ordinal(total) + " restart"
}

// ordinal spells n as 1st, 2nd, 3rd, 4th, 11th, 21st ...
func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return fmt.Sprintf("%d%s", n, suffix)
}

// exitCause reads how a unit's main process last ended from systemd's
// log line about it ("Main process exited, code=killed, status=9/KILL")
// and says it briefly ("signal KILL", "signal SEGV, core dumped", "exit
// status 1"). It returns "" for a line that is not such a report.
func exitCause(line string) string {
	_, rest, ok := strings.Cut(line, "Main process exited, code=")
	if !ok {
		return ""
	}
	code, status, ok := strings.Cut(rest, ", status=")
	if !ok {
		return ""
	}
	num, name, _ := strings.Cut(strings.TrimSpace(status), "/")
	switch code {
	case "killed":
		return "signal " + cmp.Or(name, num)
	case "dumped":
		return "signal " + cmp.Or(name, num) + ", core dumped"
	case "exited":
		return "exit status " + num
	}
	return ""
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
