// Package sudo is the production hostbackend: it drives systemd through
// the two root-owned helpers, called as `sudo -n HELPER ARGS...` with an
// argument vector and never a shell, and writes instance files directly
// under the state root, which the panel user owns.
//
// It registers itself as "sudo" with hostbackend.Register.
package sudo

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"time"

	"github.com/left4me/left4me/hostbackend"
)

// Defaults for the hostbackend.Config fields New is given empty.
const (
	// DefaultSudo is the sudo binary, looked up in PATH.
	DefaultSudo = "sudo"
	// DefaultSystemctlHelper is where deploy/ installs the systemctl helper.
	DefaultSystemctlHelper = "/usr/local/libexec/left4me/left4me-systemctl"
	// DefaultJournalctlHelper is where deploy/ installs the journalctl helper.
	DefaultJournalctlHelper = "/usr/local/libexec/left4me/left4me-journalctl"
	// DefaultStateRoot is the production state root.
	DefaultStateRoot = "/var/lib/left4me"
)

// MaxShowNames is hostbackend.MaxShowNames, the helper's limit per call.
const MaxShowNames = hostbackend.MaxShowNames

// Journal's lines argument must lie within the bounds the journalctl
// helper enforces.
const (
	// MinJournalLines is the fewest log lines Journal asks for.
	MinJournalLines = 1
	// MaxJournalLines is the most log lines Journal asks for.
	MaxJournalLines = hostbackend.MaxJournalLines
)

// ExitUsage is the exit status with which a root helper refuses its
// arguments (an unknown verb, a name breaking the rule); a CommandError
// with this ExitCode means left4me and the installed helper disagree.
const ExitUsage = 2

// Backend runs host commands through sudo and the left4me root helpers,
// and asks the games on this host what they say (live.go). It is safe for
// concurrent use.
type Backend struct {
	sudo       string
	systemctl  string
	journalctl string
	files      hostbackend.InstanceFiles
	steamcmd   string // "" lets the game package choose
	steamUser  string
	serverEnv  string
	freeSpace  int64

	// killGrace is how long a cancelled command gets between SIGTERM and
	// SIGKILL; waitDelay bounds the wait for its pipes after that. Tests
	// shorten or lengthen them.
	killGrace time.Duration
	waitDelay time.Duration
	// steamRetryDelay is the game package's wait before running steamcmd
	// again (0: its default).
	steamRetryDelay time.Duration

	live *liveHost
	// bus reads and watches systemd over the system bus (dbus.go); Show
	// falls back to the show helper without it.
	bus *bus
	log *slog.Logger
}

var _ hostbackend.Backend = (*Backend)(nil)

func init() {
	hostbackend.Register("sudo", func(c hostbackend.Config) (hostbackend.Backend, error) { return New(c) })
}

// New returns a Backend for cfg. Empty fields take the defaults above
// (Sudo "sudo" from PATH, the helpers under /usr/local/libexec/left4me,
// StateRoot /var/lib/left4me). The helper paths must be absolute, since
// sudoers matches commands by absolute path. New runs nothing.
func New(cfg hostbackend.Config) (*Backend, error) {
	if cfg.Sudo == "" {
		cfg.Sudo = DefaultSudo
	}
	if cfg.SystemctlHelper == "" {
		cfg.SystemctlHelper = DefaultSystemctlHelper
	}
	if cfg.JournalctlHelper == "" {
		cfg.JournalctlHelper = DefaultJournalctlHelper
	}
	if cfg.StateRoot == "" {
		cfg.StateRoot = DefaultStateRoot
	}
	if cfg.ServerEnv == "" {
		cfg.ServerEnv = DefaultServerEnv
	}
	for what, p := range map[string]string{
		"systemctl helper":  cfg.SystemctlHelper,
		"journalctl helper": cfg.JournalctlHelper,
	} {
		if !filepath.IsAbs(p) {
			return nil, fmt.Errorf("sudo backend: the %s path %q is not absolute", what, p)
		}
	}
	root, err := filepath.Abs(cfg.StateRoot)
	if err != nil {
		return nil, fmt.Errorf("sudo backend: state root: %w", err)
	}
	b := &Backend{
		live:       &liveHost{},
		sudo:       cfg.Sudo,
		systemctl:  cfg.SystemctlHelper,
		journalctl: cfg.JournalctlHelper,
		files:      hostbackend.InstanceFiles{Root: root},
		steamcmd:   cfg.SteamCMD,
		steamUser:  cfg.SteamUser,
		serverEnv:  cfg.ServerEnv,
		freeSpace:  cfg.GameFreeSpace,
		killGrace:  2 * time.Second,
		waitDelay:  5 * time.Second,
		log:        slog.Default(),
	}
	b.bus = newBus(func() *slog.Logger { return b.log })
	return b, nil
}

// SetLogger sets where the backend logs what it does not return as an
// error (the system bus going away and coming back); the default is
// slog.Default(). Call it before the backend is used.
func (b *Backend) SetLogger(l *slog.Logger) {
	b.log = l
}

// Enable runs `sudo -n SYSTEMCTL_HELPER enable NAME`, streaming its output
// to out. A non-zero exit is a *hostbackend.CommandError.
func (b *Backend) Enable(ctx context.Context, name string, out hostbackend.LineFunc) error {
	return b.unitVerb(ctx, "enable", name, out)
}

// Disable runs `sudo -n SYSTEMCTL_HELPER disable NAME`, streaming its
// output to out. A non-zero exit is a *hostbackend.CommandError.
func (b *Backend) Disable(ctx context.Context, name string, out hostbackend.LineFunc) error {
	return b.unitVerb(ctx, "disable", name, out)
}

// Restart runs `sudo -n SYSTEMCTL_HELPER restart NAME`, streaming its
// output to out. A non-zero exit is a *hostbackend.CommandError.
func (b *Backend) Restart(ctx context.Context, name string, out hostbackend.LineFunc) error {
	return b.unitVerb(ctx, "restart", name, out)
}

func (b *Backend) unitVerb(ctx context.Context, verb, name string, out hostbackend.LineFunc) error {
	if err := hostbackend.ValidateName(name); err != nil {
		return err
	}
	return b.run(ctx, command{verb: verb, name: name, args: []string{b.systemctl, verb, name}}, out)
}

// Show returns one status per name, in the order given, asking once per
// MaxShowNames distinct names: over the system bus when it is reachable
// (dbus.go: no process), else with `sudo -n SYSTEMCTL_HELPER show NAME...`.
// No names means no call and a nil result. Every name is validated before
// anything runs.
func (b *Backend) Show(ctx context.Context, names ...string) ([]hostbackend.UnitStatus, error) {
	for _, n := range names {
		if err := hostbackend.ValidateName(n); err != nil {
			return nil, err
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	unique := make([]string, 0, len(names))
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			unique = append(unique, n)
		}
	}
	byName := make(map[string]hostbackend.UnitStatus, len(unique))
	for start := 0; start < len(unique); start += MaxShowNames {
		batch := unique[start:min(start+MaxShowNames, len(unique))]
		statuses, ok := b.showBus(ctx, batch)
		if !ok {
			var err error
			if statuses, err = b.showBatch(ctx, batch); err != nil {
				return nil, err
			}
		}
		for _, s := range statuses {
			byName[s.Name] = s
		}
	}
	result := make([]hostbackend.UnitStatus, len(names))
	for i, n := range names {
		result[i] = byName[n]
	}
	return result, nil
}

func (b *Backend) showBatch(ctx context.Context, names []string) ([]hostbackend.UnitStatus, error) {
	c := command{verb: "show", args: append([]string{b.systemctl, "show"}, names...)}
	if len(names) == 1 {
		c.name = names[0]
	}
	var stdout []string
	err := b.run(ctx, c, func(l hostbackend.Line) {
		if l.Stream == hostbackend.Stdout {
			stdout = append(stdout, l.Text)
		}
	})
	if err != nil {
		return nil, err
	}
	statuses, err := parseShow(stdout, names)
	if err != nil {
		return nil, fmt.Errorf("show: reading systemctl output: %w", err)
	}
	return statuses, nil
}

// Journal runs `sudo -n JOURNALCTL_HELPER NAME --lines N --follow|--no-follow`
// and streams the unit's log lines to out, each with the time the journal
// recorded it (see journalLines). lines must be within
// MinJournalLines..MaxJournalLines. When following, it returns only when
// ctx is cancelled, with an error wrapping ctx.Err().
func (b *Backend) Journal(ctx context.Context, name string, lines int, follow bool, out hostbackend.LineFunc) error {
	if err := hostbackend.ValidateName(name); err != nil {
		return err
	}
	if err := hostbackend.ValidateJournalLines(name, lines); err != nil {
		return err
	}
	mode := "--no-follow"
	if follow {
		mode = "--follow"
	}
	args := []string{b.journalctl, name, "--lines", strconv.Itoa(lines), mode}
	return b.run(ctx, command{verb: "journal", name: name, args: args}, journalLines(out))
}

// Provision writes the instance's files under the state root with
// hostbackend.InstanceFiles; it runs no host command. It returns ctx.Err()
// without writing when ctx is already done.
func (b *Backend) Provision(ctx context.Context, spec hostbackend.InstanceSpec) error {
	if err := hostbackend.ValidateName(spec.Name); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("provision %s: %w", spec.Name, err)
	}
	return b.files.Write(spec)
}

// Purge removes the instance's directory under the state root; a missing
// one is not an error. It runs no host command.
func (b *Backend) Purge(ctx context.Context, name string) error {
	if err := hostbackend.ValidateName(name); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("purge %s: %w", name, err)
	}
	return b.files.Remove(name)
}

// List returns the sorted names of the instance directories under the
// state root. It runs no host command.
func (b *Backend) List(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list instances: %w", err)
	}
	return b.files.List()
}
