package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/left4me/left4me/addons"
	"github.com/left4me/left4me/app"
	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/internal/buildinfo"
	"github.com/left4me/left4me/internal/connlimit"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/live"
	"github.com/left4me/left4me/store"
)

const usage = `Usage: left4me COMMAND [flags]

Commands:
  serve                      run the web panel, the job workers and the state poller
  create-user NAME [--admin] add a panel user (an operator unless --admin); the
                             password is read from the terminal, or from stdin
  create-token USER NAME     create an API token called NAME for USER and print it
                             (shown once; revoke it on the account page)
  help                       show this help
  version                    show the build (version, commit, Go); also --version

left4me serve flags (each also read from the environment variable beside it):
`

// errUsage marks bad usage (exit status 2).
var errUsage = errors.New("usage")

func exitCode(err error) int {
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

// run executes one left4me invocation.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage+app.ConfigHelp())
		return fmt.Errorf("%w: no command given", errUsage)
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage+app.ConfigHelp())
		return nil
	case "version", "-version", "--version":
		_, err := fmt.Fprintln(stdout, buildinfo.Version("left4me"))
		return err
	case "serve":
		cfg, err := app.LoadConfig(args[1:], getenv)
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage+app.ConfigHelp())
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		log := slog.New(slog.NewTextHandler(stderr, nil))
		return serve(ctx, cfg, log, nil)
	case "create-user":
		return createUser(ctx, args[1:], stdout, getenv)
	case "create-token":
		return createToken(ctx, args[1:], stdout, stderr, getenv)
	default:
		return fmt.Errorf("%w: unknown command %q (try left4me help)", errUsage, args[0])
	}
}

// serve runs the panel until ctx is cancelled, then shuts down in order:
// HTTP, workers (and with them the poller), database. When ready is not
// nil it receives the listening address once the panel accepts requests.
func serve(ctx context.Context, cfg app.Config, log *slog.Logger, ready chan<- string) error {
	backend, err := hostbackend.Open(cfg.Backend, cfg.HostConfig())
	if err != nil {
		return fmt.Errorf("%w: LEFT4ME_BACKEND: %v", errUsage, err)
	}
	// The sudo backend logs the system bus going away and coming back.
	if l, ok := backend.(interface{ SetLogger(*slog.Logger) }); ok {
		l.SetLogger(log)
	}
	return serveOn(ctx, cfg, backend, log, ready)
}

// serveOn is serve on backend, which cfg.Backend names (tests pass a fake
// of their own making).
func serveOn(ctx context.Context, cfg app.Config, backend hostbackend.Backend, log *slog.Logger, ready chan<- string) error {
	// One panel per database: a second one's workers and poller would
	// fight the first's. Taken before the migrations; released last.
	lock, err := store.LockPanel(cfg.DB)
	if err != nil {
		return err
	}
	defer lock.Release()
	db, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return fmt.Errorf("open database %s: %w", cfg.DB, err)
	}
	defer db.Close()
	setupToken, err := app.NewSetupToken(ctx, db)
	if err != nil {
		return err
	}

	// Listen before any worker starts: a second panel on a busy address
	// must not claim jobs or poll systemd on its way to failing.
	inner, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("LEFT4ME_ADDR=%s: %w", cfg.Addr, err)
	}
	ln := connlimit.New(inner, connlimit.Options{
		Max: cfg.MaxConns, MaxPerAddr: cfg.MaxConnsPerAddr, Shared: proxyAddr(cfg), Logger: log,
	})
	defer ln.Close() // a no-op once the HTTP server has closed it
	warnDescriptors(log, cfg.MaxConns)

	// The add-on sets: one Manager per panel (it serializes the changes
	// of a set), shared by the web app and the jobs.
	sets, err := addons.New(db, addons.Options{Root: cfg.StateRoot, MaxBytes: cfg.AddonMaxBytes})
	if err != nil {
		return err
	}

	queue := jobs.NewQueue(jobs.QueueOpts{DB: db})
	runner := jobs.NewRunner(jobs.RunnerOpts{
		Queue: queue, Backend: backend, Workers: cfg.JobWorkers,
		PollerInterval: cfg.PollerInterval, Grace: cfg.ShutdownGraceTime, Logger: log, StartTimeout: cfg.StartTimeout,
		GameCheckInterval: cfg.GameUpdateCheck,
		// A start runs the current game build with its blueprint's
		// add-on sets over it (hostbackend/layers.go).
		Build:  func(ctx context.Context) (string, error) { return hostbackend.CurrentBuild(ctx, backend) },
		Sets:   sets.Resolve,
		SetsGC: sets.GC,
		// Workshop jobs put their items into the add-on sets.
		Addons: sets,
		// serve holds the database's lock: a job found running now
		// belongs to a panel that died.
		OwnsQueue: true,
	})
	var running atomic.Bool
	running.Store(cfg.JobWorkers > 0)
	runnerCtx, stopRunner := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRunner()
	runnerDone := make(chan error, 1)
	go func() {
		runnerDone <- runner.Start(runnerCtx)
		running.Store(false)
	}()

	// The live sweep asks the games what they say; like the poller, it
	// runs with the workers.
	var sweeper *live.Sweeper
	if lh, ok := backend.(hostbackend.Live); ok && cfg.JobWorkers > 0 {
		sweeper = live.New(live.Options{DB: db, Host: lh, Interval: cfg.LiveInterval, Retention: cfg.LiveRetention, Logger: log})
		go sweeper.Run(runnerCtx)
	}

	opts := app.Options{
		DB: db, Queue: queue, Backend: backend, SetupToken: setupToken, Live: sweeper,
		PortRangeStart: cfg.PortRangeStart, PortRangeEnd: cfg.PortRangeEnd, SecureCookies: cfg.SecureCookies,
		ProxyHeader: cfg.ProxyHeader,
		Simulated:   cfg.Backend == "fake", SteamUser: cfg.SteamUser, Logger: log,
		WorkersRunning: running.Load, Addons: sets,
	}
	if cfg.JobWorkers > 0 {
		opts.Health = runner.Health
		if p := runner.Poller(); p != nil {
			opts.PollerLastTick = p.LastTick
			opts.Resources = p.Resources()
			opts.PollStats = p.Stats
			opts.LookState = p.Look
		}
	}
	web := app.New(opts)

	addr := ln.Addr().String()
	lock.Announce(addr)
	if cfg.Backend == "fake" {
		log.Warn("simulated host: the fake backend starts no real game servers")
	}
	if cfg.JobWorkers == 0 {
		log.Warn("job workers disabled (LEFT4ME_JOB_WORKERS=0): jobs stay queued and the state poller is off")
	}
	log.Info("left4me is listening", "url", "http://"+addr+"/", "backend", cfg.Backend, "db", cfg.DB, "workers", cfg.JobWorkers)
	if setupToken != "" {
		log.Warn("no users yet: open this one-time link to create the first admin (or run left4me create-user NAME --admin)",
			"url", "http://"+addr+"/setup?token="+setupToken)
	}
	httpDone := make(chan error, 1)
	go func() { httpDone <- web.Listener(ln) }()
	if ready != nil {
		ready <- addr
	}

	var httpErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case httpErr = <-httpDone:
		log.Error("HTTP server stopped", "err", httpErr)
	}
	if err := web.ShutdownWithTimeout(10 * time.Second); err != nil {
		log.Warn("HTTP shutdown", "err", err)
	}
	stopRunner()
	if err := <-runnerDone; err != nil {
		log.Error("job runner", "err", err)
	}
	log.Info("stopped")
	if httpErr != nil {
		return fmt.Errorf("HTTP server: %w", httpErr)
	}
	return nil
}

// proxyAddr reports the addresses of a reverse proxy whose clients the
// panel tells apart by cfg.ProxyHeader (app's default TrustedProxies):
// their connections count against LEFT4ME_MAX_CONNS alone.
func proxyAddr(cfg app.Config) func(netip.Addr) bool {
	if cfg.ProxyHeader == "" {
		return nil
	}
	return func(a netip.Addr) bool { return a == netip.MustParseAddr("127.0.0.1") || a == netip.IPv6Loopback() }
}

// descriptorReserve is about what the panel needs besides its HTTP
// connections: the database, host commands' pipes, logs being followed.
const descriptorReserve = 256

// warnDescriptors warns when maxConns connections would leave too few
// descriptors for the rest: the limit of connections is then the
// descriptor limit, reached with the database and host commands failing.
func warnDescriptors(log *slog.Logger, maxConns int) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return
	}
	if maxConns == 0 || uint64(maxConns)+descriptorReserve > rl.Cur {
		log.Warn("LEFT4ME_MAX_CONNS leaves too few file descriptors for the database and host commands; raise LimitNOFILE or lower LEFT4ME_MAX_CONNS",
			"max_conns", maxConns, "nofile", rl.Cur, "reserve", descriptorReserve)
	}
}

// defaultDB is the database the shell commands open without LEFT4ME_DB,
// serve's default; tests replace it.
var defaultDB = app.DefaultConfig().DB

// shellDB is the database a shell command works on.
type shellDB struct {
	*store.DB
	Path string // absolute
	New  bool   // the command made the file
}

// where says which database a command used, for its message.
func (d shellDB) where() string {
	if d.New {
		return "the new database " + d.Path
	}
	return "the database " + d.Path
}

// openDB opens the database named by LEFT4ME_DB for the commands that work
// on it from the shell, making it when LEFT4ME_DB names a file not there
// yet. Without LEFT4ME_DB it opens serve's default only when that exists:
// a new database there would be one no panel reads (make run's is
// var/left4me.db).
func openDB(ctx context.Context, getenv func(string) string) (shellDB, error) {
	path := getenv("LEFT4ME_DB")
	named := path != ""
	if !named {
		path = defaultDB
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	_, err := os.Stat(path)
	isNew := errors.Is(err, fs.ErrNotExist)
	if isNew && !named {
		return shellDB{}, fmt.Errorf("there is no database at %s (the default): set LEFT4ME_DB to the panel's "+
			"(LEFT4ME_DB=var/left4me.db for make run's), or start left4me serve once to make it", path)
	}
	db, err := store.Open(ctx, path)
	if err != nil {
		return shellDB{}, fmt.Errorf("open database %s: %w", path, err)
	}
	return shellDB{DB: db, Path: path, New: isNew}, nil
}
