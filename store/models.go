package store

import (
	"github.com/uptrace/bun"

	"github.com/left4me/left4me/hostbackend"
)

// DesiredState is what the user last asked a server to be.
type DesiredState string

// The desired states; the servers table's CHECK lists the same.
const (
	DesiredRunning DesiredState = "running"
	DesiredStopped DesiredState = "stopped"
)

// Blueprint is a reusable description of a game server: map, mode, player
// count, extra srcds arguments and server.cfg.
type Blueprint struct {
	bun.BaseModel `bun:"table:blueprints"`

	ID         int64    `bun:"id,pk,autoincrement"`
	Name       string   `bun:"name,notnull"`
	Map        string   `bun:"map,notnull"`
	GameMode   string   `bun:"game_mode,notnull"`
	MaxPlayers int      `bun:"max_players,notnull"`
	Args       []string `bun:"args,type:json,notnull"`
	ServerCfg  string   `bun:"server_cfg,notnull"`
	CreatedAt  Time     `bun:"created_at,notnull"`
	UpdatedAt  Time     `bun:"updated_at,notnull"`
}

// Server is one game server instance: systemd unit left4me-server@Name.
type Server struct {
	bun.BaseModel `bun:"table:servers"`

	ID           int64             `bun:"id,pk,autoincrement"`
	Name         string            `bun:"name,notnull"`
	Title        string            `bun:"title,notnull"`
	Port         int               `bun:"port,notnull"`
	BlueprintID  int64             `bun:"blueprint_id,notnull"`
	DesiredState DesiredState      `bun:"desired_state,notnull"`
	ActualState  hostbackend.State `bun:"actual_state,notnull"`
	// SystemdActive, SystemdSub, SystemdResult and NRestarts are systemd's
	// last answer about the unit.
	SystemdActive string `bun:"systemd_active,notnull"`
	SystemdSub    string `bun:"systemd_sub,notnull"`
	SystemdResult string `bun:"systemd_result,notnull"`
	NRestarts     int    `bun:"n_restarts,notnull"`
	// SystemdEnabled is whether the unit starts at boot, as last read.
	SystemdEnabled bool `bun:"systemd_enabled,notnull"`
	// StateReason says why ActualState is what it is: the reason of its
	// last change, or for unknown the error that made it unknown.
	StateReason string `bun:"state_reason,notnull"`
	// StateVersion increases with every write of ActualState.
	StateVersion int64 `bun:"state_version,notnull"`
	// ActualStateUpdatedAt is when ActualState was last confirmed or
	// changed; zero if never.
	ActualStateUpdatedAt Time `bun:"actual_state_updated_at"`
	CreatedAt            Time `bun:"created_at,notnull"`
	// AppliedSpec is the SpecFingerprint of what the running process was
	// started with (a start or restart job writes it), "" if unknown.
	AppliedSpec string `bun:"applied_spec,notnull"`
	// AppliedLayers is the LayersKey of the layers the running process
	// was started on (written with AppliedSpec), "" if unknown or none.
	AppliedLayers string `bun:"applied_layers,notnull"`
	// RCONPassword is the server's own RCON password (NewRCONPassword),
	// written into its server.cfg at every start; never shown.
	RCONPassword string `bun:"rcon_password,notnull" json:"-"`
}

// HistoryEntry is one change of a server's actual_state.
type HistoryEntry struct {
	bun.BaseModel `bun:"table:server_history"`

	ID       int64             `bun:"id,pk,autoincrement"`
	ServerID int64             `bun:"server_id,notnull"`
	At       Time              `bun:"at,notnull"`
	OldState hostbackend.State `bun:"old_state,notnull"`
	NewState hostbackend.State `bun:"new_state,notnull"`
	// Reason is e.g. "after job 42 (start)" or "changed outside the panel;
	// systemd Result=oom-kill".
	Reason string `bun:"reason,notnull"`
}

// Operation is what a job does to a server.
type Operation string

// The operations; the jobs table's CHECK lists the same.
const (
	OpStart   Operation = "start"
	OpStop    Operation = "stop"
	OpRestart Operation = "restart"
	OpDelete  Operation = "delete"
	// The game installation's operations, host-level jobs with no server
	// (their ServerName is ""): install, update, validate, and check for
	// an update.
	OpGameInstall  Operation = "game-install"
	OpGameUpdate   Operation = "game-update"
	OpGameValidate Operation = "game-validate"
	OpGameCheck    Operation = "game-check"
	// OpGameWorkshop downloads Steam Workshop items into an add-on set
	// (its options: WorkshopOptions), a game job as the others are: it
	// runs steamcmd.
	OpGameWorkshop Operation = "game-workshop"
)

// IsGame reports whether op is one of the game installation's operations.
func (op Operation) IsGame() bool {
	switch op {
	case OpGameInstall, OpGameUpdate, OpGameValidate, OpGameCheck, OpGameWorkshop:
		return true
	}
	return false
}

// JobState is where a job is in its life: queued → running →
// succeeded | failed | cancelled.
type JobState string

// The job states; the jobs table's CHECK lists the same.
const (
	JobQueued    JobState = "queued"
	JobRunning   JobState = "running"
	JobSucceeded JobState = "succeeded"
	JobFailed    JobState = "failed"
	JobCancelled JobState = "cancelled"
)

// Finished reports whether s is a final state.
func (s JobState) Finished() bool {
	return s == JobSucceeded || s == JobFailed || s == JobCancelled
}

// Job is one operation on one server, run by a worker.
type Job struct {
	bun.BaseModel `bun:"table:jobs"`

	ID int64 `bun:"id,pk,autoincrement"`
	// ServerID is nil once the server has been deleted.
	ServerID    *int64    `bun:"server_id"`
	ServerName  string    `bun:"server_name,notnull"`
	Operation   Operation `bun:"operation,notnull"`
	State       JobState  `bun:"state,notnull"`
	Attempts    int       `bun:"attempts,notnull"`
	MaxAttempts int       `bun:"max_attempts,notnull"`
	// RequestedBy is the user who asked, nil for the system or a deleted user.
	RequestedBy *int64 `bun:"requested_by"`
	// RequestedByName is the name of the user who asked, kept when the
	// user is deleted; "" for the system.
	RequestedByName string `bun:"requested_by_name,notnull"`
	// LeaseUntil is set exactly while the job is running: past it, the
	// rescuer takes the job back.
	LeaseUntil      Time `bun:"lease_until"`
	HeartbeatAt     Time `bun:"heartbeat_at"`
	CancelRequested bool `bun:"cancel_requested,notnull"`
	// Error says why the job failed or was cancelled, or why it was
	// re-queued.
	Error        string `bun:"error,notnull"`
	LogTruncated bool   `bun:"log_truncated,notnull"`
	CreatedAt    Time   `bun:"created_at,notnull"`
	StartedAt    Time   `bun:"started_at"`
	FinishedAt   Time   `bun:"finished_at"`
	// Options holds what the operator ticked for the job (e.g.
	// OptionRestartServers), "" for none.
	Options string `bun:"options,notnull"`
	// Progress is what a running job last reported of its progress.
	Progress JobProgress `bun:"embed:progress_"`
	// Prompt is the question the job waits to have answered ("Steam Guard
	// code:"), "" when it waits for nothing. The answer is never stored.
	Prompt string `bun:"prompt,notnull"`
}

// OptionRestartServers lets a game update stop the running servers, update
// and start them again.
const OptionRestartServers = "restart-servers"

// JobProgress is how far a job has got: a phase ("downloading") and, where
// known, a percent and a byte count.
type JobProgress struct {
	Phase   string   `bun:"phase,notnull"`
	Percent *float64 `bun:"percent"`
	Done    *int64   `bun:"done"`
	Total   *int64   `bun:"total"`
}

// Stream names where a job line came from.
const (
	StreamStdout = "stdout"
	StreamStderr = "stderr"
	// StreamSystem lines are written by left4me itself, not the host command.
	StreamSystem = "system"
)

// JobLine is one line of a job's output.
type JobLine struct {
	bun.BaseModel `bun:"table:job_lines"`

	JobID     int64  `bun:"job_id,pk"`
	Seq       int64  `bun:"seq,pk"`
	Stream    string `bun:"stream,notnull"`
	Text      string `bun:"text,notnull"`
	CreatedAt Time   `bun:"created_at,notnull"`
}

// Role is what a user may do.
type Role string

// The roles; the users table's CHECK lists the same.
const (
	// RoleAdmin may do everything.
	RoleAdmin Role = "admin"
	// RoleOperator may start, stop and restart servers and read logs.
	RoleOperator Role = "operator"
)

// User is an account of the panel.
type User struct {
	bun.BaseModel `bun:"table:users"`

	ID   int64  `bun:"id,pk,autoincrement"`
	Name string `bun:"name,notnull"`
	// NameKey is text.Fold(Name): no two users share one. It is empty only
	// for a look-alike of an older user that existed before user names
	// became unique regardless of case (migration 0005).
	NameKey      string `bun:"name_key,nullzero"`
	PasswordHash string `bun:"password_hash,notnull"`
	Role         Role   `bun:"role,notnull"`
	Disabled     bool   `bun:"disabled,notnull"`
	CreatedAt    Time   `bun:"created_at,notnull"`
}

// Session is a logged-in browser. ID is the hash of the session token the
// browser holds; the token itself is never stored.
type Session struct {
	bun.BaseModel `bun:"table:sessions"`

	ID        string `bun:"id,pk"`
	UserID    int64  `bun:"user_id,notnull"`
	CSRFToken string `bun:"csrf_token,notnull"`
	CreatedAt Time   `bun:"created_at,notnull"`
	ExpiresAt Time   `bun:"expires_at,notnull"`
}
