package hostbackend

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// How srcds finds an instance's server.cfg. srcds reads configs only from
// the game's left4dead2/cfg/, which all instances share; there,
// ServerCfgLinkName is a symlink to ServerCfgLinkTarget, a path below a
// tmpfs that exists only in each instance unit's mount namespace, where
// the unit's launcher copies that instance's server.cfg before it passes
// "+servercfgfile left4me-server.cfg". deploy/ holds the other half.
const (
	ServerCfgLinkName   = "left4me-server.cfg"
	ServerCfgLinkTarget = "/run/left4me-instance/server.cfg"
)

// InstanceFiles manages the instance directories under a state root:
// Root/instances/NAME/instance.env and server.cfg, and the game's link to
// the server.cfg (Root/game/left4dead2/cfg/left4me-server.cfg). Backends
// that write real files share it.
type InstanceFiles struct {
	// Root is the state root; it must exist.
	Root string
}

// GameCfgDir is the game's config directory, where srcds looks for
// +servercfgfile.
func (f InstanceFiles) GameCfgDir() string {
	return filepath.Join(f.Root, "game", "left4dead2", "cfg")
}

// InstancesDir is the directory holding one directory per instance.
func (f InstanceFiles) InstancesDir() string { return filepath.Join(f.Root, "instances") }

// Dir returns the directory of the named instance.
func (f InstanceFiles) Dir(name string) string { return filepath.Join(f.InstancesDir(), name) }

// Write validates spec and writes the instance's files atomically: each
// file goes to a temporary file in the same directory, is synced, given
// its mode (instance.env 0640; server.cfg 0600, since it holds the RCON
// password, and only left4me, who runs srcds, reads it) and renamed over
// the old one, so a reader sees the old file or the new one, never half
// of one. When spec has a server.cfg and the
// game is installed under Root (GameCfgDir exists), Write also makes sure
// the game's left4me-server.cfg is the link to ServerCfgLinkTarget (see
// LinkGameCfg), so that the instance's srcds reads it.
func (f InstanceFiles) Write(spec InstanceSpec) error {
	if err := ValidateSpec(spec); err != nil {
		return err
	}
	dir := f.Dir(spec.Name)
	if err := f.checkInside(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create instance directory: %w", err)
	}
	// MkdirAll follows a symlink planted at dir; check again now that it exists.
	if err := f.checkInside(dir); err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(dir, "instance.env"), InstanceEnv(spec), 0o640); err != nil {
		return err
	}
	if err := f.writeLayers(dir, spec); err != nil {
		return err
	}
	cfg := filepath.Join(dir, "server.cfg")
	if spec.ServerConfig == "" {
		if err := os.Remove(cfg); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove old server.cfg: %w", err)
		}
		return nil
	}
	if err := writeAtomic(cfg, []byte(spec.ServerConfig), 0o600); err != nil {
		return err
	}
	return f.LinkGameCfg()
}

// writeLayers writes the instance's LayersFile (0640) when spec has a
// build, after making sure its writable layer (UpperDir, 0755) and the
// overlay's work directory (WorkDir, 0750) exist; both are kept from one
// start to the next. Without a build it removes the LayersFile, and the
// instance runs the game directory as it is.
func (f InstanceFiles) writeLayers(dir string, spec InstanceSpec) error {
	path := filepath.Join(dir, LayersFile)
	if spec.Build == "" {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove old layers file: %w", err)
		}
		return nil
	}
	for _, d := range []struct {
		name string
		mode os.FileMode
	}{{UpperDir, 0o755}, {WorkDir, 0o750}} {
		p := filepath.Join(dir, d.name)
		if err := os.Mkdir(p, d.mode); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("create the instance's %s directory: %w", d.name, err)
		}
		if fi, err := os.Lstat(p); err != nil || !fi.IsDir() {
			return fmt.Errorf("the instance's %s is not a directory; remove it", p)
		}
	}
	return writeAtomic(path, RenderLayers(spec), 0o640)
}

// LinkGameCfg makes GameCfgDir/left4me-server.cfg a symlink to
// ServerCfgLinkTarget when it is anything else (missing, the empty file an
// older install.sh left, another link), by renaming a new link over it.
// It does nothing when GameCfgDir does not exist: no game is installed
// there, or it lives elsewhere and its operator makes the link. It runs
// as the panel's user, who owns the game; no root process ever follows
// this link. A directory in the link's place is an error.
func (f InstanceFiles) LinkGameCfg() error {
	return LinkBuildCfg(filepath.Join(f.Root, "game"))
}

// LinkBuildCfg is LinkGameCfg for the game installed in gameDir (a build
// being made, before it becomes current).
func LinkBuildCfg(gameDir string) error {
	dir := filepath.Join(gameDir, "left4dead2", "cfg")
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("link the game's cfg/%s: %w", ServerCfgLinkName, err)
	}
	if !fi.IsDir() {
		return nil
	}
	link := filepath.Join(dir, ServerCfgLinkName)
	if target, err := os.Readlink(link); err == nil && target == ServerCfgLinkTarget {
		return nil
	}
	if fi, err := os.Lstat(link); err == nil && fi.IsDir() {
		return fmt.Errorf("the game's %s is a directory; remove it so that instances can read their server.cfg", link)
	}
	tmp, err := os.MkdirTemp(dir, "."+ServerCfgLinkName+".tmp-")
	if err != nil {
		return fmt.Errorf("link the game's cfg/%s: %w", ServerCfgLinkName, err)
	}
	defer os.RemoveAll(tmp)
	newLink := filepath.Join(tmp, ServerCfgLinkName)
	if err := os.Symlink(ServerCfgLinkTarget, newLink); err != nil {
		return fmt.Errorf("link the game's cfg/%s: %w", ServerCfgLinkName, err)
	}
	if err := os.Rename(newLink, link); err != nil {
		return fmt.Errorf("link the game's cfg/%s: %w", ServerCfgLinkName, err)
	}
	return nil
}

// Remove deletes the instance's directory. It refuses, with an error
// wrapping ErrOutsideRoot, when that directory (or anything on the way to
// it) is a symlink or otherwise resolves outside the instances directory.
// A missing directory is not an error.
func (f InstanceFiles) Remove(name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	dir := f.Dir(name)
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("purge %s: %w", name, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 || !fi.IsDir() {
		return fmt.Errorf("purge %s: %w: %s is not a plain directory", name, ErrOutsideRoot, dir)
	}
	if err := f.checkInside(dir); err != nil {
		return err
	}
	// RemoveAll does not follow symlinks inside dir; it unlinks them.
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("purge %s: %w", name, err)
	}
	return nil
}

// Read returns what Write last wrote for name: the port and arguments
// from instance.env (its values unquoted as EnvQuote quoted them; the
// arguments split at spaces, as the launcher splits them), server.cfg,
// and the build and add-on sets from the LayersFile.
// The simulated host reads its instances back with it after a restart.
func (f InstanceFiles) Read(name string) (InstanceSpec, error) {
	if err := ValidateName(name); err != nil {
		return InstanceSpec{}, err
	}
	dir := f.Dir(name)
	if err := f.checkInside(dir); err != nil {
		return InstanceSpec{}, err
	}
	env, err := os.ReadFile(filepath.Join(dir, "instance.env"))
	if err != nil {
		return InstanceSpec{}, fmt.Errorf("read instance %s: %w", name, err)
	}
	spec := InstanceSpec{Name: name}
	for _, line := range strings.Split(string(env), "\n") {
		key, value, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(key, "#") {
			continue
		}
		value = envUnquote(value)
		switch key {
		case "LEFT4ME_PORT":
			if spec.Port, err = strconv.Atoi(value); err != nil {
				return InstanceSpec{}, fmt.Errorf("read instance %s: port %q: %w", name, value, err)
			}
		case "SRCDS_ARGS":
			spec.Args = strings.Fields(value)
		}
	}
	cfg, err := os.ReadFile(filepath.Join(dir, "server.cfg"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return InstanceSpec{}, fmt.Errorf("read instance %s: %w", name, err)
	}
	spec.ServerConfig = string(cfg)
	layers, err := os.ReadFile(filepath.Join(dir, LayersFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return InstanceSpec{}, fmt.Errorf("read instance %s: %w", name, err)
	default:
		if spec.Build, spec.Sets, err = ParseLayers(layers); err != nil {
			return InstanceSpec{}, fmt.Errorf("read instance %s: %w", name, err)
		}
	}
	return spec, nil
}

// envUnquote undoes EnvQuote: the double quotes around the value go, and
// a backslash keeps the character after it.
func envUnquote(v string) string {
	v = strings.TrimSuffix(strings.TrimPrefix(v, `"`), `"`)
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// Build returns the game build the named instance's LayersFile names
// (what it was last provisioned to start on), "" when it has no such
// file: it runs the current game directory, whichever build that was.
func (f InstanceFiles) Build(name string) (string, error) {
	if err := ValidateName(name); err != nil {
		return "", err
	}
	data, err := os.ReadFile(filepath.Join(f.Dir(name), LayersFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the layers of %s: %w", name, err)
	}
	build, _, err := ParseLayers(data)
	if err != nil {
		return "", fmt.Errorf("read the layers of %s: %w", name, err)
	}
	return build, nil
}

// List returns the names of the instance directories, sorted. Entries
// whose names break the name rule are ignored.
func (f InstanceFiles) List() ([]string, error) {
	entries, err := os.ReadDir(f.InstancesDir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list instances: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && ValidateName(e.Name()) == nil {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// checkInside resolves symlinks on path (as far as it exists) and on the
// instances directory, and refuses a path that lands outside it.
func (f InstanceFiles) checkInside(path string) error {
	base, err := resolveExisting(f.InstancesDir())
	if err != nil {
		return err
	}
	real, err := resolveExisting(path)
	if err != nil {
		return err
	}
	if real == base || !strings.HasPrefix(real, base+string(filepath.Separator)) {
		return fmt.Errorf("%w: %s resolves to %s", ErrOutsideRoot, path, real)
	}
	return nil
}

// resolveExisting returns path with symlinks resolved for the part of it
// that exists, and the rest appended unchanged.
func resolveExisting(path string) (string, error) {
	path, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	rest := ""
	for {
		real, err := filepath.EvalSymlinks(path)
		if err == nil {
			return filepath.Join(real, rest), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("resolve %s: %w", path, err)
		}
		parent := filepath.Dir(path)
		if parent == path {
			return filepath.Join(path, rest), nil
		}
		rest = filepath.Join(filepath.Base(path), rest)
		path = parent
	}
}

func writeAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}
