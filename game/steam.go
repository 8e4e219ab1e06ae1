package game

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// Strategy is how the game is fetched from Steam.
type Strategy string

const (
	// TwoPass installs anonymously in two runs into the same directory:
	// the Windows files first (+@sSteamCmdForcePlatformType windows),
	// then the Linux ones. Since late 2024 Steam refuses an anonymous
	// Linux-only install of app 222860 with "Invalid platform"; after
	// the Windows pass the Linux pass works. The default.
	TwoPass Strategy = "two-pass"
	// Account logs in with a Steam account that owns the game
	// (Options.User) and installs the Linux files in one run. steamcmd
	// asks for the password and a Steam Guard code through Hooks.Answer
	// when it has no cached login; nothing is put on its command line.
	Account Strategy = "account"
	// LinuxOnly installs anonymously in one Linux run, which is what
	// worked before late 2024; Steam now refuses it with "Invalid
	// platform". For the day Valve gives the files to anonymous logins
	// again.
	LinuxOnly Strategy = "linux-only"
)

// Defaults of Options.
const (
	// DefaultNeedBytes is the free space an install wants: an estimate of
	// the Windows and Linux files together plus room for steamcmd's
	// staging, not a figure Valve publishes.
	DefaultNeedBytes int64 = 15 << 30
	// DefaultUpdateHeadroom is the least free space an update of an
	// existing installation wants.
	DefaultUpdateHeadroom int64 = 2 << 30
	// DefaultAttempts is how often a pass runs at most.
	DefaultAttempts = 3
	// DefaultRetryDelay is the wait before a pass runs again.
	DefaultRetryDelay = 10 * time.Second
	// DefaultPromptTimeout is how long a question waits for its answer.
	DefaultPromptTimeout = 5 * time.Minute
	// DefaultStallTimeout is how long steamcmd may print nothing; a
	// validation of large files can be quiet for minutes.
	DefaultStallTimeout = 15 * time.Minute
	// DefaultKillGrace is the time between SIGTERM and SIGKILL.
	DefaultKillGrace = 5 * time.Second
)

// Options configure a Steam. Zero fields take the documented defaults.
type Options struct {
	// Dir is the installation directory (+force_install_dir). Required.
	Dir string
	// SteamCMD is the steamcmd program: Valve's steamcmd.sh or Debian's
	// steamcmd. Default: "steamcmd" from PATH, else /usr/games/steamcmd.
	SteamCMD string
	// Strategy is TwoPass (default), Account or LinuxOnly.
	Strategy Strategy
	// User is the Steam account of the Account strategy; required with it.
	User string
	// Home is the home directory of the user steamcmd runs as:
	// steamclient.so is copied to Home/.steam/sdk32.
	// Default: the current user's home ($HOME).
	Home string
	// SteamRoot is steamcmd's own directory, with linux32/ and appcache/.
	// Default: the directory of SteamCMD with symbolic links resolved.
	SteamRoot string
	// AppInfoCaches are the files steamcmd may cache app info in;
	// LatestBuild deletes them first, as a cached answer can be stale.
	// Default: appcache/appinfo.vdf in SteamRoot, in
	// Home/.local/share/Steam (Debian's package), Home/.steam/steam and
	// Home/Steam.
	AppInfoCaches []string
	// SteamClients are where steamcmd's 32-bit steamclient.so may be; the
	// first that exists is copied to Home/.steam/sdk32/steamclient.so
	// after an install. Default: linux32/steamclient.so in SteamRoot, in
	// Home/.local/share/Steam/steamcmd, Home/.steam/steamcmd and
	// Home/Steam, then in Dir.
	SteamClients []string
	// Env is added to steamcmd's environment (the panel's own, plus
	// TERM=xterm).
	Env []string
	// NeedBytes is the free space an install wants. Default
	// DefaultNeedBytes. With an installation present, its SizeOnDisk is
	// subtracted, down to UpdateHeadroom.
	NeedBytes int64
	// UpdateHeadroom is the least free space any operation wants.
	// Default DefaultUpdateHeadroom.
	UpdateHeadroom int64
	// Attempts is how often a pass runs before its failure is final, when
	// running again can help. Default 3.
	Attempts int
	// RetryDelay is the wait before running a pass again. Default 10 s.
	RetryDelay time.Duration
	// PromptTimeout is how long a question of steamcmd may wait for its
	// answer before the run ends failed. Default 5 min.
	PromptTimeout time.Duration
	// StallTimeout is how long steamcmd may print nothing (outside a
	// question) before it is stopped. Default 15 min.
	StallTimeout time.Duration
	// KillGrace is the time between SIGTERM and SIGKILL when steamcmd is
	// stopped. Default 5 s.
	KillGrace time.Duration
}

// Hooks receive what an operation sees while it runs; any field may be
// nil. Line, Progress, Prompt and Step are called one at a time, in
// order, from the goroutine running the operation, and should return
// quickly: steamcmd waits meanwhile.
type Hooks struct {
	// Line gets every line steamcmd prints, terminal escapes removed and
	// without the answers typed to it.
	Line func(line string)
	// Progress gets every progress report, as it comes.
	Progress func(p Progress)
	// Prompt is told that steamcmd asks a question (Answer is asked for
	// the answer at the same time).
	Prompt func(p Prompt)
	// Step gets the operation's own sentences: a pass starting, a retry
	// and why, the steamclient.so copy.
	Step func(sentence string)
	// Answer returns the answer to p; it runs in its own goroutine and
	// its ctx ends after Options.PromptTimeout. An error, or no Answer
	// at all, fails the operation. The answer is typed to steamcmd and
	// never reaches Line.
	Answer func(ctx context.Context, p Prompt) (string, error)
}

// Steam installs, updates and validates the game with steamcmd, and asks
// Steam for the latest build. It keeps no state between calls; run one
// operation at a time per installation directory.
type Steam struct {
	opts Options
}

// New returns a Steam for opts. It panics when Dir is empty, or when the
// Account strategy has no User, or on an unknown strategy: those are
// programming errors.
func New(opts Options) *Steam {
	if opts.Dir == "" {
		panic("game.New: Options.Dir is required")
	}
	if abs, err := filepath.Abs(opts.Dir); err == nil {
		opts.Dir = abs
	}
	switch opts.Strategy {
	case "":
		opts.Strategy = TwoPass
	case TwoPass, LinuxOnly:
	case Account:
		if opts.User == "" {
			panic("game.New: the Account strategy needs Options.User")
		}
	default:
		panic(fmt.Sprintf("game.New: unknown strategy %q", opts.Strategy))
	}
	if opts.SteamCMD == "" {
		opts.SteamCMD = "/usr/games/steamcmd"
		if p, err := exec.LookPath("steamcmd"); err == nil {
			opts.SteamCMD = p
		}
	}
	if opts.Home == "" {
		opts.Home, _ = os.UserHomeDir()
	}
	if opts.SteamRoot == "" {
		p := opts.SteamCMD
		if r, err := exec.LookPath(p); err == nil {
			p = r
		}
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		opts.SteamRoot = filepath.Dir(p)
	}
	home := opts.Home
	if opts.AppInfoCaches == nil {
		opts.AppInfoCaches = []string{
			filepath.Join(opts.SteamRoot, "appcache", "appinfo.vdf"),
			filepath.Join(home, ".local", "share", "Steam", "appcache", "appinfo.vdf"),
			filepath.Join(home, ".steam", "steam", "appcache", "appinfo.vdf"),
			filepath.Join(home, "Steam", "appcache", "appinfo.vdf"),
		}
	}
	if opts.SteamClients == nil {
		so := filepath.Join("linux32", "steamclient.so")
		opts.SteamClients = []string{
			filepath.Join(opts.SteamRoot, so),
			filepath.Join(home, ".local", "share", "Steam", "steamcmd", so),
			filepath.Join(home, ".steam", "steamcmd", so),
			filepath.Join(home, "Steam", so),
			filepath.Join(opts.Dir, so),
		}
	}
	if opts.NeedBytes == 0 {
		opts.NeedBytes = DefaultNeedBytes
	}
	if opts.UpdateHeadroom == 0 {
		opts.UpdateHeadroom = DefaultUpdateHeadroom
	}
	if opts.Attempts <= 0 {
		opts.Attempts = DefaultAttempts
	}
	if opts.RetryDelay == 0 {
		opts.RetryDelay = DefaultRetryDelay
	}
	if opts.PromptTimeout == 0 {
		opts.PromptTimeout = DefaultPromptTimeout
	}
	if opts.StallTimeout == 0 {
		opts.StallTimeout = DefaultStallTimeout
	}
	if opts.KillGrace == 0 {
		opts.KillGrace = DefaultKillGrace
	}
	return &Steam{opts: opts}
}

// Dir returns the installation directory (absolute).
func (s *Steam) Dir() string { return s.opts.Dir }

// Install installs the game into Dir, checking every file
// (app_update 222860 validate, each pass of the strategy), and returns
// the installation's manifest. It fails with a *Failure whose Error is a
// sentence for the user, or with an error wrapping ctx.Err() when ctx
// ends (steamcmd is stopped).
func (s *Steam) Install(ctx context.Context, h Hooks) (Manifest, error) {
	return s.appUpdate(ctx, h, "Install", true)
}

// Update brings the installation to the latest build without checking
// the files already there (app_update 222860 without validate). Errors
// as Install.
func (s *Steam) Update(ctx context.Context, h Hooks) (Manifest, error) {
	return s.appUpdate(ctx, h, "Update", false)
}

// Validate checks every file of the installation and fetches what is
// missing or damaged (app_update 222860 validate). Errors as Install.
func (s *Steam) Validate(ctx context.Context, h Hooks) (Manifest, error) {
	return s.appUpdate(ctx, h, "Validate", true)
}

// pass is one steamcmd run of an operation.
type pass struct {
	platform string // "windows" or "linux"
	login    string
}

func (s *Steam) passes() []pass {
	switch s.opts.Strategy {
	case Account:
		return []pass{{"linux", s.opts.User}}
	case LinuxOnly:
		return []pass{{"linux", "anonymous"}}
	}
	return []pass{{"windows", "anonymous"}, {"linux", "anonymous"}}
}

func (s *Steam) appUpdate(ctx context.Context, h Hooks, op string, validate bool) (Manifest, error) {
	if err := os.MkdirAll(s.opts.Dir, 0o755); err != nil {
		return Manifest{}, fmt.Errorf("make the game directory: %w", err)
	}
	if err := s.checkSpace(); err != nil {
		return Manifest{}, err
	}
	ps := s.passes()
	for i, p := range ps {
		args := []string{"+@sSteamCmdForcePlatformType", p.platform, "+force_install_dir", s.opts.Dir,
			"+login", p.login, "+app_update", AppID}
		if validate {
			args = append(args, "validate")
		}
		args = append(args, "+quit")
		for attempt := 1; ; attempt++ {
			step(h, fmt.Sprintf("%s, pass %d of %d: the %s files as %s (attempt %d of %d).",
				op, i+1, len(ps), p.platform, p.login, attempt, s.opts.Attempts))
			t, _, err := s.run(ctx, runOpts{args: args, hooks: h, pass: i + 1, passes: len(ps)})
			var f *Failure
			if err != nil {
				if !errors.As(err, &f) {
					return Manifest{}, err
				}
			} else if f = t.classify(s.opts.Dir, p.login); f == nil {
				break
			}
			f.Attempts = attempt
			if !f.retry || attempt >= s.opts.Attempts {
				return Manifest{}, f
			}
			step(h, fmt.Sprintf("The %s pass failed: %s Trying again in %s.", p.platform, f.sentence, s.opts.RetryDelay))
			if err := sleep(ctx, s.opts.RetryDelay); err != nil {
				return Manifest{}, fmt.Errorf("cancelled while waiting to try again: %w", err)
			}
		}
	}
	if err := s.placeSteamClient(h); err != nil {
		return Manifest{}, err
	}
	m, err := ReadManifest(s.opts.Dir)
	if err != nil {
		return Manifest{}, fmt.Errorf("steamcmd reported success, but: %w", err)
	}
	return m, nil
}

// checkSpace refuses to start when the disk holding Dir has less free
// space than the operation wants.
func (s *Steam) checkSpace() error {
	need := s.opts.NeedBytes
	if m, err := ReadManifest(s.opts.Dir); err == nil {
		need -= m.SizeOnDisk
	}
	if need < s.opts.UpdateHeadroom {
		need = s.opts.UpdateHeadroom
	}
	var st unix.Statfs_t
	if err := unix.Statfs(s.opts.Dir, &st); err != nil {
		return fmt.Errorf("check the free disk space of %s: %w", s.opts.Dir, err)
	}
	free := int64(st.Bavail) * int64(st.Bsize)
	if free >= need {
		return nil
	}
	return &Failure{Reason: ReasonNotEnoughSpace, Exit: -1, sentence: fmt.Sprintf("Not enough free disk space for the game: "+
		"%s free on the disk that holds %s, about %s needed (%d of %d bytes). Free some space or grow the disk, then try again.",
		size(free), s.opts.Dir, size(need), free, need)}
}

// size writes n bytes for people: "3.2 GiB".
func size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

// placeSteamClient copies steamcmd's 32-bit steamclient.so to
// Home/.steam/sdk32/steamclient.so, where srcds looks for it: without it
// the server's Steam API does not start and lobby joins fail.
func (s *Steam) placeSteamClient(h Hooks) error {
	dst := filepath.Join(s.opts.Home, ".steam", "sdk32", "steamclient.so")
	for _, src := range s.opts.SteamClients {
		fi, err := os.Stat(src)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		if err := copyFile(src, dst); err != nil {
			return &Failure{Reason: ReasonSteamClient, Exit: -1, sentence: fmt.Sprintf("The game is installed, but "+
				"steamclient.so could not be copied to %s (%v); the server's Steam API needs it there.", dst, err)}
		}
		step(h, fmt.Sprintf("Copied %s to %s.", src, dst))
		return nil
	}
	return &Failure{Reason: ReasonSteamClient, Exit: -1, sentence: fmt.Sprintf("The game is installed, but steamcmd's "+
		"linux32/steamclient.so was not found (looked at %v); copy it to %s, where the server's Steam API needs it.",
		s.opts.SteamClients, dst)}
}

// copyFile writes src's bytes to dst through a temporary file and a
// rename, so a running server never sees half a file.
func copyFile(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".steamclient-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o755); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

// removeIfThere removes path; a missing file is no error.
func removeIfThere(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func step(h Hooks, sentence string) {
	if h.Step != nil {
		h.Step(sentence)
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
