package hostbackend

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Config is what a backend constructor gets. Each implementation reads the
// fields it needs and documents their defaults.
type Config struct {
	// StateRoot is the directory holding instances/NAME/ (production:
	// /var/lib/left4me).
	StateRoot string
	// SystemctlHelper and JournalctlHelper are the root helpers' paths
	// (production: /usr/local/libexec/left4me/left4me-systemctl and
	// left4me-journalctl).
	SystemctlHelper  string
	JournalctlHelper string
	// Sudo is the sudo binary (default "sudo" from PATH).
	Sudo string
	// SteamCMD is the steamcmd program that installs the game (Valve's
	// steamcmd.sh or Debian's steamcmd; default: steamcmd from PATH, else
	// /usr/games/steamcmd).
	SteamCMD string
	// SteamUser, when set, installs the game logged in as this Steam
	// account (its password and Steam Guard code are asked for) instead of
	// anonymously in two passes.
	SteamUser string
	// GameFreeSpace is the free disk space (bytes) an install of the game
	// wants before it starts (0: the game package's estimate, 15 GiB).
	GameFreeSpace int64
	// ServerEnv is the host-wide settings file of the instance units
	// (production: /etc/left4me/server.env); its LEFT4ME_SRCDS says which
	// program runs a server when it is not the game's srcds_run.
	ServerEnv string
}

// Factory builds a backend from its configuration.
type Factory func(Config) (Backend, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Factory{}
)

// Register makes a backend available to Open under name. It panics when
// name is registered twice, which is a programming error.
func Register(name string, f Factory) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("hostbackend: Register called twice for " + name)
	}
	registry[name] = f
}

// Names returns the registered backend names, sorted.
func Names() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Open builds the backend registered under name.
func Open(name string, cfg Config) (Backend, error) {
	registryMu.RLock()
	f, ok := registry[name]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown host backend %q (choose one of: %s)", name, strings.Join(Names(), ", "))
	}
	return f(cfg)
}
