package hostbackend

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Backend is how left4me reaches the host's systemd. The job workers, the
// state poller and l4d2ctl share it. Every method validates the instance
// names it is given with ValidateName before it does anything, honours
// context cancellation, and is safe for concurrent use.
type Backend interface {
	// Enable enables and starts the instance's unit
	// (systemctl enable --now left4me-server@NAME.service).
	Enable(ctx context.Context, name string, out LineFunc) error
	// Disable stops the unit and removes it from the boot targets
	// (systemctl disable --now).
	Disable(ctx context.Context, name string, out LineFunc) error
	// Restart restarts the unit (systemctl restart).
	Restart(ctx context.Context, name string, out LineFunc) error
	// Show returns the systemd state of every named unit, in the order of
	// names, asking systemd once for all of them (once per MaxShowNames). A unit systemd does not
	// know comes back with Known false.
	Show(ctx context.Context, names ...string) ([]UnitStatus, error)
	// Journal streams the last lines of the unit's log to out and, when
	// follow is set, keeps streaming new lines until ctx is cancelled.
	Journal(ctx context.Context, name string, lines int, follow bool, out LineFunc) error
	// Provision writes the instance's files under the state root
	// (instances/NAME/instance.env and server.cfg), replacing earlier ones.
	Provision(ctx context.Context, spec InstanceSpec) error
	// Purge removes the instance's files from the state root. Purging an
	// instance that has no files is not an error.
	Purge(ctx context.Context, name string) error
	// List returns the names of the instances present under the state
	// root, sorted.
	List(ctx context.Context) ([]string, error)
}

// Stream tells which output stream a line came from.
type Stream int

const (
	// Stdout is the command's standard output.
	Stdout Stream = iota
	// Stderr is the command's standard error.
	Stderr
)

func (s Stream) String() string {
	if s == Stderr {
		return "stderr"
	}
	return "stdout"
}

// Line is one line of output from a host command, without its newline.
type Line struct {
	Stream Stream
	Text   string
	// Time is when the journal recorded the line (Journal's lines); zero
	// when unknown, as for a command's own output.
	Time time.Time
}

// LineFunc receives output lines as they are produced. Backends call it
// from one goroutine at a time per call; a nil LineFunc discards output.
type LineFunc func(Line)

func (f LineFunc) emit(s Stream, text string) {
	if f != nil {
		f(Line{Stream: s, Text: text})
	}
}

// UnitStatus is systemd's view of one instance's unit.
type UnitStatus struct {
	Name        string // the instance name
	Known       bool   // false when systemd has no such unit loaded
	ActiveState string // e.g. active, activating, failed
	SubState    string // e.g. running, auto-restart, dead
	Result      string // e.g. success, oom-kill, exit-code
	NRestarts   int
	MainPID     int
	Since       time.Time // when the unit last changed state; zero if unknown
	// Enabled is true when the unit starts at boot (UnitFileState=enabled).
	Enabled bool

	// What the unit costs, from systemd's cgroup accounting, named as
	// systemd's properties. Each is 0 when systemd reports none (a unit
	// not running; "[not set]" in systemctl show, the uint64 maximum over
	// D-Bus).
	CPUUsageNSec  uint64 // CPU time used since the unit last started, in nanoseconds
	MemoryCurrent uint64 // memory in use now, in bytes
	// MemoryPeak is the most memory used since the unit last started, in
	// bytes; systemd reports it from version 255 on, so it is 0 on
	// Debian 12's 252 and the panel keeps the peak it saw itself.
	MemoryPeak uint64
	// MemoryMax is the unit's memory limit in bytes; 0 means none
	// ("infinity").
	MemoryMax    uint64
	TasksCurrent uint64 // processes and threads in the unit's cgroup
	// ActiveEnterTimestamp is when the unit last became active (its
	// uptime's start); zero if never.
	ActiveEnterTimestamp time.Time
}

// State maps the unit's systemd state to left4me's actual_state.
func (u UnitStatus) State() State {
	if !u.Known {
		return StateStopped
	}
	return MapState(u.ActiveState, u.SubState)
}

// InstanceSpec is what Provision writes for one instance.
type InstanceSpec struct {
	Name string
	// Port is the game port (UDP, and TCP for RCON).
	Port int
	// Args are extra srcds arguments, one list element per argument. They
	// reach srcds as separate arguments, never through a shell; see
	// ValidateArgs for what an argument may contain.
	Args []string
	// ServerConfig is the text of the instance's server.cfg; empty writes
	// none.
	ServerConfig string
	// Build is the game build the instance starts on (a directory under
	// Root/builds, see layers.go); "" when the game is not installed as
	// builds, and the instance then runs the game directory as it is,
	// with no layers.
	Build string
	// Sets are the blueprint's add-on sets at the revisions this start
	// uses, lowest first (a later one wins). They need a Build.
	Sets []LayerSet
}

// Limits shared by every backend and mirrored in the root helpers.
const (
	// MaxShowNames is the most names one systemctl-helper show call takes;
	// Show asks in batches of this size.
	MaxShowNames = 500
	// MaxJournalLines is the most log lines Journal returns at once.
	MaxJournalLines = 10000
)

// ValidateJournalLines checks a Journal line count (1..MaxJournalLines).
func ValidateJournalLines(name string, lines int) error {
	if lines < 1 || lines > MaxJournalLines {
		return fmt.Errorf("journal %s: %d lines asked, choose 1 to %d", name, lines, MaxJournalLines)
	}
	return nil
}

// Errors callers can test for with errors.Is.
var (
	// ErrInvalidName is returned for a name that breaks the instance-name rule.
	ErrInvalidName = errors.New("invalid instance name")
	// ErrInvalidSpec is returned by Provision for a spec it refuses.
	ErrInvalidSpec = errors.New("invalid instance spec")
	// ErrOutsideRoot is returned when a path would resolve outside the state root.
	ErrOutsideRoot = errors.New("path resolves outside the state root")
	// ErrInterrupted matches a CommandError whose command was ended by a
	// signal nobody in this process sent (e.g. systemd stopping the
	// panel's whole control group): the operation did not fail, it was cut
	// short, and running it again is the remedy.
	ErrInterrupted = errors.New("host command interrupted by a signal")
	// ErrSuperseded matches a CommandError whose request systemd dropped
	// for a conflicting one, as when the host starts shutting down while
	// a unit is being started: "Job for … canceled." or "Transaction for
	// … is destructive". Asking again later is the remedy.
	ErrSuperseded = errors.New("systemd dropped the request for a conflicting one")
)

// CommandError is returned when a host command exits unsuccessfully. It
// carries what the command said on stderr, which is usually systemd's
// explanation.
type CommandError struct {
	Verb     string // the helper verb, e.g. enable
	Name     string // the instance name, if any
	ExitCode int
	Stderr   string
	// Signal names the signal that ended the command (e.g. "SIGTERM")
	// when it did not exit by itself; ExitCode is then -1 and Stderr is
	// left out of the message, since it says nothing about the cause.
	Signal string
}

// Is makes errors.Is(err, ErrInterrupted) true for a command ended by a
// signal, and errors.Is(err, ErrSuperseded) for a request systemd
// cancelled or refused for a conflicting transaction.
func (e *CommandError) Is(target error) bool {
	switch target {
	case ErrInterrupted:
		return e.Signal != ""
	case ErrSuperseded:
		return strings.Contains(e.Stderr, " is destructive") ||
			(strings.Contains(e.Stderr, "Job for ") && strings.Contains(e.Stderr, " canceled."))
	}
	return false
}

func (e *CommandError) Error() string {
	msg := e.Verb
	if e.Name != "" {
		msg += " " + e.Name
	}
	if e.Signal != "" {
		return msg + " interrupted by " + e.Signal
	}
	msg += " failed"
	if e.ExitCode != 0 {
		msg += " (exit " + strconv.Itoa(e.ExitCode) + ")"
	}
	if e.Stderr != "" {
		msg += ": " + e.Stderr
	}
	return msg
}
