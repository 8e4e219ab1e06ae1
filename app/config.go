// Package app is left4me's web panel: configuration, the Fiber app and its
// handlers.
package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/left4me/left4me/addons"
	"github.com/left4me/left4me/game"
	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/internal/bytesize"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/live"
)

// Config is the panel's configuration. Every field can be set by a flag
// and by an environment variable of the same meaning; a flag wins.
type Config struct {
	Addr              string        // LEFT4ME_ADDR, -addr
	DB                string        // LEFT4ME_DB, -db
	Backend           string        // LEFT4ME_BACKEND, -backend
	StateRoot         string        // LEFT4ME_STATE_ROOT, -state-root
	PortRangeStart    int           // LEFT4ME_PORT_RANGE_START, -port-range-start
	PortRangeEnd      int           // LEFT4ME_PORT_RANGE_END, -port-range-end
	PollerInterval    time.Duration // LEFT4ME_STATE_POLLER_INTERVAL, -state-poller-interval
	JobWorkers        int           // LEFT4ME_JOB_WORKERS, -job-workers
	SecureCookies     bool          // LEFT4ME_SECURE_COOKIES, -secure-cookies
	ProxyHeader       string        // LEFT4ME_PROXY_HEADER, -proxy-header
	MaxConns          int           // LEFT4ME_MAX_CONNS, -max-conns
	MaxConnsPerAddr   int           // LEFT4ME_MAX_CONNS_PER_ADDR, -max-conns-per-addr
	SystemctlHelper   string        // LEFT4ME_SYSTEMCTL_HELPER
	JournalctlHelper  string        // LEFT4ME_JOURNALCTL_HELPER
	ShutdownGraceTime time.Duration // LEFT4ME_SHUTDOWN_GRACE
	SteamCMD          string        // LEFT4ME_STEAMCMD, -steamcmd
	SteamUser         string        // LEFT4ME_STEAM_USER, -steam-user
	GameUpdateCheck   time.Duration // LEFT4ME_GAME_UPDATE_CHECK, -game-update-check
	GameFreeSpace     int64         // LEFT4ME_GAME_FREE_SPACE, -game-free-space
	LiveInterval      time.Duration // LEFT4ME_LIVE_INTERVAL, -live-interval
	LiveRetention     time.Duration // LEFT4ME_LIVE_RETENTION, -live-retention
	StartTimeout      time.Duration // LEFT4ME_START_TIMEOUT, -start-timeout
	AddonMaxBytes     int64         // LEFT4ME_ADDON_MAX_BYTES, -addon-max-bytes
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		Addr:              "127.0.0.1:8080",
		DB:                "/var/lib/left4me/left4me.db",
		Backend:           "sudo",
		StateRoot:         "/var/lib/left4me",
		PortRangeStart:    27015,
		PortRangeEnd:      27115,
		PollerInterval:    30 * time.Second,
		LiveInterval:      live.DefaultInterval,
		LiveRetention:     live.DefaultRetention,
		StartTimeout:      jobs.DefaultStartTimeout,
		JobWorkers:        4,
		MaxConns:          1024,
		MaxConnsPerAddr:   64,
		SystemctlHelper:   "/usr/local/libexec/left4me/left4me-systemctl",
		JournalctlHelper:  "/usr/local/libexec/left4me/left4me-journalctl",
		ShutdownGraceTime: 10 * time.Second,
		GameUpdateCheck:   6 * time.Hour,
		GameFreeSpace:     game.DefaultNeedBytes,
		AddonMaxBytes:     addons.DefaultMaxBytes,
	}
}

// setting ties one configuration value to its flag and variable.
type setting struct {
	flag, env, help string
	set             func(string) error
	show            func() string // the current value, for help
}

// settingsOf lists every setting of c, bound to c's fields.
func settingsOf(c *Config) []setting {
	return []setting{
		str("addr", "LEFT4ME_ADDR", "HTTP listen address", &c.Addr),
		str("db", "LEFT4ME_DB", "SQLite database file", &c.DB),
		str("backend", "LEFT4ME_BACKEND", "host backend: sudo or fake", &c.Backend),
		str("state-root", "LEFT4ME_STATE_ROOT", "directory holding instances/", &c.StateRoot),
		integer("port-range-start", "LEFT4ME_PORT_RANGE_START", "lowest game port handed out", &c.PortRangeStart),
		integer("port-range-end", "LEFT4ME_PORT_RANGE_END", "highest game port handed out", &c.PortRangeEnd),
		duration("state-poller-interval", "LEFT4ME_STATE_POLLER_INTERVAL", "how often systemd is polled for drift", &c.PollerInterval),
		integer("job-workers", "LEFT4ME_JOB_WORKERS", "job workers; 0 disables workers and the poller", &c.JobWorkers),
		boolean("secure-cookies", "LEFT4ME_SECURE_COOKIES", "mark cookies Secure (behind HTTPS)", &c.SecureCookies),
		str("proxy-header", "LEFT4ME_PROXY_HEADER", "header with the client address set by a reverse proxy on this host, e.g. X-Real-IP", &c.ProxyHeader),
		integer("max-conns", "LEFT4ME_MAX_CONNS", "open HTTP connections at most; the longest idle makes room (0: no limit)", &c.MaxConns),
		integer("max-conns-per-addr", "LEFT4ME_MAX_CONNS_PER_ADDR", "open HTTP connections per client address (IPv6: per /64; 0: no limit)", &c.MaxConnsPerAddr),
		str("systemctl-helper", "LEFT4ME_SYSTEMCTL_HELPER", "root helper for systemctl", &c.SystemctlHelper),
		str("journalctl-helper", "LEFT4ME_JOURNALCTL_HELPER", "root helper for journalctl", &c.JournalctlHelper),
		duration("shutdown-grace", "LEFT4ME_SHUTDOWN_GRACE", "how long running jobs may finish at shutdown", &c.ShutdownGraceTime),
		orDefault(str("steamcmd", "LEFT4ME_STEAMCMD", "steamcmd program that installs the game (Valve's steamcmd.sh or Debian's steamcmd)", &c.SteamCMD),
			"steamcmd in PATH, else /usr/games/steamcmd"),
		orDefault(str("steam-user", "LEFT4ME_STEAM_USER", "Steam account that installs the game (its password and Steam Guard code are asked on the job's page)", &c.SteamUser),
			"none: anonymous, in two passes"),
		duration("game-update-check", "LEFT4ME_GAME_UPDATE_CHECK", "how often Steam is asked for a newer build of the game (0: never; it never updates by itself)", &c.GameUpdateCheck),
		byteSize("game-free-space", "LEFT4ME_GAME_FREE_SPACE", "free disk space an install of the game wants before it starts (e.g. 20GiB)", &c.GameFreeSpace),
		duration("live-interval", "LEFT4ME_LIVE_INTERVAL", "how often every running server's game is asked for its map and players", &c.LiveInterval),
		duration("live-retention", "LEFT4ME_LIVE_RETENTION", "how long the player-count samples are kept (e.g. 336h)", &c.LiveRetention),
		duration("start-timeout", "LEFT4ME_START_TIMEOUT", "how long a start or restart waits for the game to answer its first query", &c.StartTimeout),
		byteSize("addon-max-bytes", "LEFT4ME_ADDON_MAX_BYTES", "how much one add-on set may hold after a change (e.g. 2GiB)", &c.AddonMaxBytes),
	}
}

// LoadConfig reads the configuration from args (flags) and getenv. A bad
// value is an error that names the variable or flag and what is wrong.
func LoadConfig(args []string, getenv func(string) string) (Config, error) {
	c := DefaultConfig()
	settings := settingsOf(&c)
	for _, s := range settings {
		if v := getenv(s.env); v != "" {
			if err := s.set(v); err != nil {
				return Config{}, fmt.Errorf("%s=%q: %w", s.env, v, err)
			}
		}
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for _, s := range settings {
		s := s
		fs.Func(s.flag, s.help+" (env "+s.env+")", s.set)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return Config{}, err
		}
		return Config{}, fmt.Errorf("serve: %w", err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	return c, c.validate()
}

// ConfigHelp describes every setting with its flag, variable and default,
// for `left4me serve -help`.
func ConfigHelp() string {
	var b strings.Builder
	d := DefaultConfig()
	for _, s := range settingsOf(&d) {
		fmt.Fprintf(&b, "  -%-23s %-31s %s (default %s)\n", s.flag, s.env, s.help, s.show())
	}
	return b.String()
}

func (c Config) validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("LEFT4ME_ADDR=%q: want host:port, e.g. 127.0.0.1:8080", c.Addr)
	}
	if c.DB == "" {
		return errors.New("LEFT4ME_DB: a database file is required")
	}
	known := false
	for _, n := range hostbackend.Names() {
		known = known || n == c.Backend
	}
	if !known {
		return fmt.Errorf("LEFT4ME_BACKEND=%q: choose one of %s", c.Backend, strings.Join(hostbackend.Names(), ", "))
	}
	for _, p := range []struct {
		env string
		v   int
	}{{"LEFT4ME_PORT_RANGE_START", c.PortRangeStart}, {"LEFT4ME_PORT_RANGE_END", c.PortRangeEnd}} {
		if p.v < 1024 || p.v > 65535 {
			return fmt.Errorf("%s=%d: a port must be between 1024 and 65535", p.env, p.v)
		}
	}
	if c.PortRangeEnd < c.PortRangeStart {
		return fmt.Errorf("LEFT4ME_PORT_RANGE_END=%d is below LEFT4ME_PORT_RANGE_START=%d", c.PortRangeEnd, c.PortRangeStart)
	}
	if c.PollerInterval < time.Second {
		return fmt.Errorf("LEFT4ME_STATE_POLLER_INTERVAL=%s: must be at least 1s", c.PollerInterval)
	}
	if c.LiveInterval < time.Second {
		return fmt.Errorf("LEFT4ME_LIVE_INTERVAL=%s: must be at least 1s", c.LiveInterval)
	}
	if c.StartTimeout < time.Second {
		return fmt.Errorf("LEFT4ME_START_TIMEOUT=%s: must be at least 1s", c.StartTimeout)
	}
	if c.LiveRetention < time.Hour {
		return fmt.Errorf("LEFT4ME_LIVE_RETENTION=%s: must be at least 1h", c.LiveRetention)
	}
	if c.JobWorkers < 0 || c.JobWorkers > 64 {
		return fmt.Errorf("LEFT4ME_JOB_WORKERS=%d: must be between 0 and 64", c.JobWorkers)
	}
	for _, r := range c.ProxyHeader {
		if !(r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return fmt.Errorf("LEFT4ME_PROXY_HEADER=%q: want a header name such as X-Real-IP", c.ProxyHeader)
		}
	}
	if c.MaxConns < 0 {
		return fmt.Errorf("LEFT4ME_MAX_CONNS=%d: must be 0 (no limit) or more", c.MaxConns)
	}
	if c.MaxConnsPerAddr < 0 {
		return fmt.Errorf("LEFT4ME_MAX_CONNS_PER_ADDR=%d: must be 0 (no limit) or more", c.MaxConnsPerAddr)
	}
	if c.ShutdownGraceTime <= 0 {
		return fmt.Errorf("LEFT4ME_SHUTDOWN_GRACE=%s: must be a positive duration such as 10s", c.ShutdownGraceTime)
	}
	if !steamUser.MatchString(c.SteamUser) {
		return fmt.Errorf("LEFT4ME_STEAM_USER=%q: a Steam account name is 3 to 64 letters, digits and _", c.SteamUser)
	}
	if c.GameUpdateCheck != 0 && c.GameUpdateCheck < time.Minute {
		return fmt.Errorf("LEFT4ME_GAME_UPDATE_CHECK=%s: must be 0 (never) or at least 1m, e.g. 6h", c.GameUpdateCheck)
	}
	if c.AddonMaxBytes <= 0 {
		return fmt.Errorf("LEFT4ME_ADDON_MAX_BYTES=%d: must be an amount of bytes above 0, e.g. 2GiB", c.AddonMaxBytes)
	}
	if c.GameFreeSpace <= 0 {
		return fmt.Errorf("LEFT4ME_GAME_FREE_SPACE=%d: must be an amount of bytes above 0, e.g. 15GiB", c.GameFreeSpace)
	}
	return nil
}

// steamUser is Steam's rule for account names, or none. The name goes on
// steamcmd's command line, whose words starting with + are its commands.
var steamUser = regexp.MustCompile(`^(|[A-Za-z0-9_]{3,64})$`)

// HostConfig is the backend configuration the panel's settings imply.
func (c Config) HostConfig() hostbackend.Config {
	return hostbackend.Config{StateRoot: c.StateRoot, SystemctlHelper: c.SystemctlHelper, JournalctlHelper: c.JournalctlHelper,
		SteamCMD: c.SteamCMD, SteamUser: c.SteamUser, GameFreeSpace: c.GameFreeSpace}
}

func str(name, env, help string, p *string) setting {
	return setting{flag: name, env: env, help: help, set: func(v string) error { *p = v; return nil },
		show: func() string { return *p }}
}

// orDefault makes s's help say what an empty value means.
func orDefault(s setting, whenEmpty string) setting {
	show := s.show
	s.show = func() string {
		if v := show(); v != "" {
			return v
		}
		return whenEmpty
	}
	return s
}

func byteSize(name, env, help string, p *int64) setting {
	return setting{flag: name, env: env, help: help, set: func(v string) error {
		n, err := bytesize.Parse(v)
		if err != nil {
			return err
		}
		*p = n
		return nil
	}, show: func() string { return bytesize.Format(*p) }}
}

func integer(name, env, help string, p *int) setting {
	return setting{flag: name, env: env, help: help, set: func(v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("not a whole number")
		}
		*p = n
		return nil
	}, show: func() string { return strconv.Itoa(*p) }}
}

func duration(name, env, help string, p *time.Duration) setting {
	return setting{flag: name, env: env, help: help, set: func(v string) error {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			// A bare number is seconds, as in the original panel.
			n, nerr := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if nerr != nil {
				return fmt.Errorf("not a duration (e.g. 30s, 2m)")
			}
			d = time.Duration(n * float64(time.Second))
		}
		*p = d
		return nil
	}, show: func() string { return p.String() }}
}

func boolean(name, env, help string, p *bool) setting {
	return setting{flag: name, env: env, help: help, set: func(v string) error {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("not true or false")
		}
		*p = b
		return nil
	}, show: func() string { return strconv.FormatBool(*p) }}
}
