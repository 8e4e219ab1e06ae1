package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/internal/buildinfo"
	"github.com/left4me/left4me/internal/bytesize"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // the host refused or failed an operation
	exitUsage  = 2 // bad usage or a bad name; nothing was invoked
)

const usage = `Usage: l4d2ctl [flags] COMMAND [ARGS]

Commands:
  start NAME             enable and start the instance (comes back after a reboot)
  stop NAME              stop and disable the instance
  restart NAME           restart the instance
  status [NAME...]       state of the named instances (default: all under the state root)
  list                   instances under the state root, with their states
  logs NAME [-n N] [-f]  the last N (default 50) log lines of an instance under the
                         state root, each after its time (RFC 3339, UTC); -f keeps
                         following
  game status            the game installation: installed or not, build, size, path,
                         the program that runs a server (install and update it from
                         the panel's Game page or its API)

Flags:
  --backend sudo|fake    host backend (env LEFT4ME_BACKEND, default sudo)
  --state-root DIR       state root holding instances/ (env LEFT4ME_STATE_ROOT, default /var/lib/left4me)
  --help                 show this help
  --version              show the build (version, commit, Go)

Instance names: ` + hostbackend.NameRule + `.
Exit status: 0 success, 1 the operation failed (or the state root or instance is
not there), 2 bad usage or name (nothing was run).
`

// usageError is bad usage; run prints it with a hint and exits 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// opener builds a backend by name, as hostbackend.Open does.
type opener func(name string, cfg hostbackend.Config) (hostbackend.Backend, error)

// run executes one l4d2ctl invocation and returns its exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, open opener) int {
	err := runErr(ctx, args, stdout, stderr, getenv, open)
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		return exitOK
	case errors.As(err, &ue), errors.Is(err, hostbackend.ErrInvalidName):
		fmt.Fprintf(stderr, "l4d2ctl: %v\nRun 'l4d2ctl --help' for usage.\n", err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "l4d2ctl: %v\n", err)
		return exitFailed
	}
}

func runErr(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, open opener) error {
	flags := flag.NewFlagSet("l4d2ctl", flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	backendName := flags.String("backend", envOr(getenv, "LEFT4ME_BACKEND", "sudo"), "")
	stateRoot := flags.String("state-root", envOr(getenv, "LEFT4ME_STATE_ROOT", "/var/lib/left4me"), "")
	version := flags.Bool("version", false, "")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if *version {
		_, err := fmt.Fprintln(stdout, buildinfo.Version("l4d2ctl"))
		return err
	}
	rest := flags.Args()
	if len(rest) == 0 {
		return usagef("no command given")
	}
	cmd, rest := rest[0], rest[1:]
	if cmd == "help" {
		return flag.ErrHelp
	}

	// Check the command line completely before opening the backend, so a
	// bad invocation never reaches the host.
	var action func(b hostbackend.Backend) error
	switch cmd {
	case "start", "stop", "restart":
		name, err := oneName(cmd, rest)
		if err != nil {
			return err
		}
		action = func(b hostbackend.Backend) error { return lifecycle(ctx, b, cmd, name, stdout, stderr) }
	case "status":
		for _, n := range rest {
			if err := hostbackend.ValidateName(n); err != nil {
				return err
			}
		}
		action = func(b hostbackend.Backend) error { return status(ctx, b, rest, stdout) }
	case "list":
		if len(rest) != 0 {
			return usagef("list takes no arguments")
		}
		action = func(b hostbackend.Backend) error { return status(ctx, b, nil, stdout) }
	case "logs":
		name, lines, follow, err := parseLogs(rest)
		if err != nil {
			return err
		}
		action = func(b hostbackend.Backend) error {
			if err := instanceExists(ctx, b, name, *stateRoot); err != nil {
				return err
			}
			err := b.Journal(ctx, name, lines, follow, printLine(stdout, stderr))
			if follow && errors.Is(err, context.Canceled) {
				return nil // Ctrl-C ends a follow; that is success
			}
			return err
		}
	case "game":
		if len(rest) != 1 || rest[0] != "status" {
			return usagef("game takes one command: status")
		}
		action = func(b hostbackend.Backend) error { return gameStatus(ctx, b, stdout) }
	default:
		return usagef("unknown command %q", cmd)
	}

	b, err := open(*backendName, hostbackend.Config{StateRoot: *stateRoot})
	if err != nil {
		return usageError{err.Error()}
	}
	if err := checkStateRoot(*stateRoot); err != nil {
		return err
	}
	return action(b)
}

// checkStateRoot fails when the state root is not a directory: every
// instance and the game live below it, so without it "no instances" would
// be a wrong answer rather than an empty one.
func checkStateRoot(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("the state root %s does not exist: is left4me installed here? "+
			"Name the right one with --state-root or LEFT4ME_STATE_ROOT (make run's is ./var)", dir)
	case err != nil:
		return fmt.Errorf("the state root: %w", err)
	case !fi.IsDir():
		return fmt.Errorf("the state root %s is not a directory (--state-root, LEFT4ME_STATE_ROOT)", dir)
	}
	return nil
}

// instanceExists fails unless name is an instance under the state root:
// systemd answers for any name of the unit template, so its log would be
// empty rather than unknown.
func instanceExists(ctx context.Context, b hostbackend.Backend, name, stateRoot string) error {
	names, err := b.List(ctx)
	if err != nil {
		return err
	}
	for _, n := range names {
		if n == name {
			return nil
		}
	}
	return fmt.Errorf("there is no instance %s under the state root %s ('l4d2ctl list' shows those there are)", name, stateRoot)
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

func oneName(cmd string, args []string) (string, error) {
	if len(args) != 1 {
		return "", usagef("%s takes exactly one instance name, got %d arguments", cmd, len(args))
	}
	return args[0], hostbackend.ValidateName(args[0])
}

func parseLogs(args []string) (name string, lines int, follow bool, err error) {
	fs := flag.NewFlagSet("logs", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	n := fs.Int("n", 50, "")
	f := fs.Bool("f", false, "")
	// Accept the name before or after the flags: logs NAME -n 5 -f.
	var names []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return "", 0, false, usageError{"logs: " + err.Error()}
		}
		args = fs.Args()
		if len(args) > 0 {
			names = append(names, args[0])
			args = args[1:]
		}
	}
	if len(names) != 1 {
		return "", 0, false, usagef("logs takes exactly one instance name")
	}
	if *n < 1 || *n > hostbackend.MaxJournalLines {
		return "", 0, false, usagef("logs: -n must be between 1 and %d, not %d", hostbackend.MaxJournalLines, *n)
	}
	return names[0], *n, *f, hostbackend.ValidateName(names[0])
}

var pastTense = map[string]string{"start": "started", "stop": "stopped", "restart": "restarted"}

func lifecycle(ctx context.Context, b hostbackend.Backend, cmd, name string, stdout, stderr io.Writer) error {
	out := printLine(stdout, stderr)
	if cmd != "stop" {
		if err := hostbackend.CheckGameInstalled(ctx, b); err != nil {
			return fmt.Errorf("%s %s: %w", cmd, name, err)
		}
	}
	var err error
	switch cmd {
	case "start":
		err = b.Enable(ctx, name, out)
	case "stop":
		err = b.Disable(ctx, name, out)
	case "restart":
		err = b.Restart(ctx, name, out)
	}
	var ce *hostbackend.CommandError
	if errors.As(err, &ce) && ce.Stderr != "" {
		// The helper's words were streamed already; say them once more as
		// the reason, since that is what the operator needs to act on.
		return fmt.Errorf("%s %s failed: %s", cmd, name, lastLine(ce.Stderr))
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", cmd, name, err)
	}
	fmt.Fprintf(stdout, "%s %s\n", pastTense[cmd], name)
	return nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// printLine writes a line to stdout or stderr, after its time when it has
// one (a log line: "2026-11-30T09:21:08Z text").
func printLine(stdout, stderr io.Writer) hostbackend.LineFunc {
	return func(l hostbackend.Line) {
		w := stdout
		if l.Stream == hostbackend.Stderr {
			w = stderr
		}
		if l.Time.IsZero() {
			fmt.Fprintln(w, l.Text)
			return
		}
		fmt.Fprintln(w, l.Time.UTC().Format(time.RFC3339), l.Text)
	}
}

// status prints a table of the named instances, or of every instance
// under the state root when names is empty.
func status(ctx context.Context, b hostbackend.Backend, names []string, stdout io.Writer) error {
	if len(names) == 0 {
		var err error
		if names, err = b.List(ctx); err != nil {
			return err
		}
		if len(names) == 0 {
			fmt.Fprintln(stdout, "no instances under the state root")
			return nil
		}
	}
	units, err := b.Show(ctx, names...)
	if err != nil {
		return fmt.Errorf("ask systemd: %w", err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tACTIVE\tSUB\tSINCE")
	now := time.Now()
	for _, u := range units {
		active, sub := u.ActiveState, u.SubState
		if !u.Known {
			active, sub = "not-found", "-"
		}
		st := string(u.State())
		if u.Result != "" && u.Result != "success" && (u.State() == hostbackend.StateFailed || u.State() == hostbackend.StateCrashLooping) {
			st += " (" + u.Result + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.Name, st, active, sub, since(u.Since, now))
	}
	return tw.Flush()
}

// gameStatus prints the game installation as the backend finds it. The
// latest build is Steam's to say, which only the panel asks (its checks
// are on its Game page).
func gameStatus(ctx context.Context, b hostbackend.Backend, stdout io.Writer) error {
	g, ok := b.(hostbackend.Game)
	if !ok {
		return errors.New("this host backend cannot report the game")
	}
	st, err := g.GameStatus(ctx)
	if err != nil {
		return fmt.Errorf("read the game's installation: %w", err)
	}
	yesNo := map[bool]string{true: "yes", false: "no"}
	size := "-"
	if st.SizeBytes > 0 {
		size = fmt.Sprintf("%s (%d bytes)", bytesize.Format(st.SizeBytes), st.SizeBytes)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "installed\t%s\n", yesNo[st.Installed])
	fmt.Fprintf(tw, "build\t%s\n", orDash(st.BuildID))
	fmt.Fprintf(tw, "size\t%s\n", size)
	fmt.Fprintf(tw, "path\t%s\n", st.Path)
	fmt.Fprintf(tw, "program\t%s\n", st.Program)
	fmt.Fprintf(tw, "updated\t%s\n", since(st.UpdatedAt, time.Now()))
	fmt.Fprintf(tw, "half-finished update\t%s\n", yesNo[st.Partial])
	if err := tw.Flush(); err != nil {
		return err
	}
	switch {
	case !st.Installed:
		fmt.Fprintln(stdout, "The game is not installed: servers cannot start. Install it on the panel's Game page (or POST /api/v1/game/install).")
	case st.Partial:
		fmt.Fprintln(stdout, "An update was left half-finished: run Update or Validate on the panel's Game page.")
	}
	fmt.Fprintln(stdout, "The latest build Steam publishes: see the panel's Game page or GET /api/v1/game (l4d2ctl does not ask Steam).")
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func since(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t).Round(time.Second)
	var ago string
	switch {
	case d < time.Minute:
		ago = strconv.Itoa(int(d.Seconds())) + "s ago"
	case d < time.Hour:
		ago = strconv.Itoa(int(d.Minutes())) + "min ago"
	case d < 48*time.Hour:
		ago = strconv.Itoa(int(d.Hours())) + "h ago"
	default:
		ago = strconv.Itoa(int(d.Hours()/24)) + "d ago"
	}
	return t.Local().Format("2006-01-02 15:04:05") + " (" + ago + ")"
}
