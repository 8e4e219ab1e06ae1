// Package jobs is left4me's durable job queue on SQLite, the workers that
// run its jobs against the host backend, and the state poller.
//
// # Queue rules
//
//   - A job is one operation on one server: start (provision the instance
//     from the server and its blueprint, then enable --now), stop
//     (disable --now), restart (provision, restart, enable) or delete
//     (disable --now, purge the files, remove the server row). Every
//     operation is idempotent, so running a job twice is harmless.
//   - States: queued → running → succeeded | failed | cancelled, with a
//     CHECK on the column. A job is running exactly while it has a lease.
//   - Enqueue writes the server's desired_state in the same transaction as
//     the job. Asking for the same operation as the server's newest queued
//     job returns that job instead of adding one (double clicks).
//   - Claim is one UPDATE … WHERE id = (SELECT …) RETURNING statement on
//     the single writer connection: no job is claimed twice, at most one
//     job per server runs, and one server's jobs run in the order they
//     were queued. Every claim increments attempts, which fences the
//     worker's later writes: a worker that lost its lease writes nothing.
//     A busy worker claims its next job in the transaction that records
//     the end of the last one.
//   - A running job's worker renews the lease every HeartbeatInterval. The
//     rescuer, at start-up and every RescueInterval, takes back jobs whose
//     lease expired: queued again while attempts < max_attempts, failed
//     after, the reason in the job's error and output. No job stays
//     running after a crash and none is lost. A runner that owns the
//     queue (RunnerOpts.OwnsQueue: left4me serve, which holds the
//     database's lock) takes back every running job at start-up at once
//     (Queue.RescueOrphans): they belong to a panel that died.
//   - A job cut short is not a failed job: when the runner is stopping
//     (grace over, or the operation failed while the panel shut down),
//     the job goes back to the queue at once and the attempt is given
//     back (max_attempts grows by one). When a host command was killed by
//     a signal from outside (hostbackend.ErrInterrupted) or systemd
//     dropped the request for a conflicting one, such as a host shutdown
//     (hostbackend.ErrSuperseded), the worker holds the job for
//     RetryDelay first — such a cause usually stops this panel too a
//     moment later, and then the attempt is given back — and queues it
//     again while it has attempts left. A stopping runner claims nothing
//     new.
//   - Cancel: a queued job is cancelled at once; a running job's context
//     is cancelled (in this process at once, in another at its next
//     heartbeat) and the job ends cancelled. Either way the server's
//     desired_state goes back to what its newest job that was not
//     cancelled asked for (stopped when there is none).
//   - After every job the server's unit is read back from the backend and
//     written in the transaction that ends the job; its reason ("after job
//     N (start), which failed") becomes the server's state_reason even
//     when the state did not change, since the job is the newest cause.
//   - Output lines are stored as they stream, at most MaxLines per job,
//     then one "output truncated" line.
//   - Workers are woken by Enqueue in the same process and poll every
//     PollInterval for jobs queued by other processes.
//
// # State poller
//
// Every interval the poller asks the backend, in one Show, about every
// server with no queued or running job and writes what it says. A write
// applies only if the server's state_version is still the one read before
// asking, so a state a job wrote meanwhile wins. History rows are written
// only on a change, with the reason, and when NRestarts rose since the
// last look: systemd restarted a crashed unit, maybe several times within
// one interval, so the row says how many, the restart count and how the
// last crash ended (from the unit's log: "signal KILL"). A failing Show marks the states
// unknown only after it failed FailuresBeforeUnknown ticks in a row.
// While a server is in motion (starting, stopping, crash-looping) — seen
// by the last tick, or left so by a job (Poller.Settle) — the poller asks
// again every SettleInterval instead of every Interval.
//
// # State watch
//
// When the backend is a hostbackend.Watcher (systemd's signals, the
// fake's transitions), the runner watches beside the poller: each
// reported unit has its server looked at at once (Poller.Look: the same
// read, state writer, state_version rule and reasons as a tick; a server
// with a queued or running job is left to the job's read back), and
// reports that arrive during a look coalesce into one more. A watch that
// breaks leaves the poller alone at its interval (Health.Source "polling
// only", with the reason; logged once) and is tried again after 1 s,
// doubling up to a minute; once it is live again (logged once) a tick
// catches up with what the gap missed.
package jobs
