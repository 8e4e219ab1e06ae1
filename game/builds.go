package game

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Builds keeps the game's builds under a state root, so that an update
// never changes the files a running server uses:
//
//	Root/builds/BUILD/          one build (BUILD is Steam's build id),
//	                            never changed once it is there
//	Root/game -> builds/BUILD   the current build, a symbolic link
//
// An update copies the current build into a staging directory beside
// the builds (Stage: a reflink copy where the file system can, else a
// full one), runs steamcmd there, and Commit renames it to builds/NEW
// and swaps the link in one rename. A running server keeps the build it
// started with; GC removes the builds that are neither current nor in
// use. Staging, Commit and GC hold a lock (Root/builds/.lock) so that GC
// never removes a staging directory an update is filling.
//
// An installation from before builds (Root/game a plain directory with
// the game in it) is moved into builds/ by Migrate, which the other
// methods call first. A Root/game directory without a manifest is not
// builds: when it holds no regular file but empty ones (the skeleton
// deploy/install.sh makes: left4dead2/cfg and its link) the first Commit
// replaces it; otherwise (a game of the operator's own) it is left alone
// and Commit refuses to replace it.
type Builds struct {
	// Root is the state root. Required.
	Root string
	// Prepare, when set, is called on a build's directory before it
	// becomes current (the server.cfg link in left4dead2/cfg).
	Prepare func(dir string) error
}

// Build is one build present under Root/builds.
type Build struct {
	// ID is Steam's build id, the directory's name.
	ID string
	// Current is true for the build Root/game points to.
	Current bool
	// SizeOnDisk and LastUpdated are what its manifest says (0 and zero
	// when it cannot be read).
	SizeOnDisk  int64
	LastUpdated time.Time
}

// migrateMu makes one Migrate at a time in this process.
var migrateMu sync.Mutex

// Dir returns Root/builds.
func (b Builds) Dir() string { return filepath.Join(b.Root, "builds") }

// Link returns Root/game, the link to the current build.
func (b Builds) Link() string { return filepath.Join(b.Root, "game") }

// Path returns the directory of build id.
func (b Builds) Path(id string) string { return filepath.Join(b.Dir(), id) }

// validID reports whether id can name a build directory: 1 to 20 digits
// (hostbackend.ValidateBuild's rule; the root helper that mounts a build
// checks the same).
func validID(id string) bool {
	if id == "" || len(id) > 20 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return true
}

// Current returns the id of the current build, "" when none is installed.
// It migrates an installation from before builds first.
func (b Builds) Current() (string, error) {
	if err := b.Migrate(); err != nil {
		return "", err
	}
	return b.current()
}

func (b Builds) current() (string, error) {
	fi, err := os.Lstat(b.Link())
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the current build: %w", err)
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		return "", nil // the install.sh skeleton (Migrate refused anything else)
	}
	target, err := os.Readlink(b.Link())
	if err != nil {
		return "", fmt.Errorf("read the current build: %w", err)
	}
	id, ok := strings.CutPrefix(target, "builds/")
	if !ok || !validID(id) {
		return "", fmt.Errorf("%s points to %s, not to builds/BUILD: make it a link to one of the builds in %s", b.Link(), target, b.Dir())
	}
	return id, nil
}

// Migrate moves an installation from before builds into builds/: a plain
// Root/game directory with the game's manifest becomes builds/BUILD, and
// Root/game a link to it. A running server keeps its files (a rename
// moves nothing). Root/game as a link, missing, or a directory without
// a manifest (the install.sh skeleton, or a game of the operator's own)
// is left as it is; a manifest without a build id is an error.
func (b Builds) Migrate() error {
	fi, err := os.Lstat(b.Link())
	if errors.Is(err, fs.ErrNotExist) || err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return nil
	}
	if err != nil {
		return fmt.Errorf("look at the game directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is neither a directory nor a link to a build: move it away", b.Link())
	}
	m, err := ReadManifest(b.Link())
	if errors.Is(err, ErrNotInstalled) {
		return nil // not builds: the skeleton, or the operator's own game
	}
	if err != nil {
		return err
	}
	if !validID(m.BuildID) {
		return fmt.Errorf("the manifest in %s names no build id (%q): validate the game by hand or move it away", b.Link(), m.BuildID)
	}
	// Two lookers at once (a page and a job) move it once. Not the
	// builds' lock: GC and an update call Migrate while they hold it.
	migrateMu.Lock()
	defer migrateMu.Unlock()
	if fi, err := os.Lstat(b.Link()); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return nil
	}
	if err := os.MkdirAll(b.Dir(), 0o755); err != nil {
		return fmt.Errorf("make the builds directory: %w", err)
	}
	if _, err := os.Lstat(b.Path(m.BuildID)); err == nil {
		return fmt.Errorf("%s and %s are both build %s: remove one of them", b.Link(), b.Path(m.BuildID), m.BuildID)
	}
	if err := os.Rename(b.Link(), b.Path(m.BuildID)); err != nil {
		return fmt.Errorf("move the game into %s: %w", b.Dir(), err)
	}
	return b.point(m.BuildID)
}

// skeleton reports whether dir holds no regular file but empty ones:
// directories and links, as deploy/install.sh makes before the game is
// installed (an older one made cfg/left4me-server.cfg an empty file).
func skeleton(dir string) bool {
	found := false
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			found = true
			return filepath.SkipAll
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err != nil || fi.Size() > 0 {
				found = true
				return filepath.SkipAll
			}
		}
		return nil
	})
	return !found
}

// point makes Root/game a link to builds/id in one rename, replacing
// the install.sh skeleton if it is there.
func (b Builds) point(id string) error {
	if fi, err := os.Lstat(b.Link()); err == nil && fi.IsDir() {
		if !skeleton(b.Link()) {
			return fmt.Errorf("%s is a game directory without steamcmd's manifest, with files in it; it is not replaced: move it away, then install the game", b.Link())
		}
		if err := os.RemoveAll(b.Link()); err != nil {
			return fmt.Errorf("remove the empty game directory: %w", err)
		}
	}
	tmp := filepath.Join(b.Root, fmt.Sprintf(".game-%d", time.Now().UnixNano()))
	if err := os.Symlink("builds/"+id, tmp); err != nil {
		return fmt.Errorf("make the link to build %s: %w", id, err)
	}
	if err := os.Rename(tmp, b.Link()); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("make build %s the current one: %w", id, err)
	}
	return syncDir(b.Root)
}

// List returns the builds present, oldest id first.
func (b Builds) List() ([]Build, error) {
	cur, err := b.Current()
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(b.Dir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list the game's builds: %w", err)
	}
	var out []Build
	for _, e := range entries {
		if !e.IsDir() || !validID(e.Name()) {
			continue
		}
		bd := Build{ID: e.Name(), Current: e.Name() == cur}
		if m, err := ReadManifest(b.Path(e.Name())); err == nil {
			bd.SizeOnDisk, bd.LastUpdated = m.SizeOnDisk, m.LastUpdated
		}
		out = append(out, bd)
	}
	sort.Slice(out, func(i, j int) bool { return lessID(out[i].ID, out[j].ID) })
	return out, nil
}

// lessID orders build ids as numbers.
func lessID(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// Lock takes the builds' lock, waiting for it; unlock releases it.
func (b Builds) Lock() (unlock func(), err error) { return b.lock(false) }

func (b Builds) lock(try bool) (func(), error) {
	if err := os.MkdirAll(b.Dir(), 0o755); err != nil {
		return nil, fmt.Errorf("make the builds directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(b.Dir(), ".lock"), os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock the builds: %w", err)
	}
	how := unix.LOCK_EX
	if try {
		how |= unix.LOCK_NB
	}
	if err := unix.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}

// Stage makes a staging directory beside the builds for an install or an
// update and returns its path: empty when from is "", else a copy of
// build from (cp -a --reflink=auto: the file system shares the blocks
// where it can, else it copies them). The caller holds the lock (Lock)
// from Stage to Commit or Discard.
func (b Builds) Stage(ctx context.Context, from string) (string, error) {
	if err := os.MkdirAll(b.Dir(), 0o755); err != nil {
		return "", fmt.Errorf("make the builds directory: %w", err)
	}
	dir, err := os.MkdirTemp(b.Dir(), ".staging-")
	if err != nil {
		return "", fmt.Errorf("make a staging directory: %w", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", errors.Join(fmt.Errorf("make a staging directory: %w", err), os.RemoveAll(dir))
	}
	if from == "" {
		return dir, nil
	}
	if !validID(from) {
		return "", errors.Join(fmt.Errorf("%q is not a build id", from), os.RemoveAll(dir))
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "cp", "-a", "--reflink=auto", "--", b.Path(from)+"/.", dir+"/")
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", errors.Join(fmt.Errorf("copy build %s to stage the update (%s): check the free disk space of %s", from, msg, b.Dir()),
			os.RemoveAll(dir))
	}
	return dir, nil
}

// Discard removes a staging directory.
func (b Builds) Discard(staging string) error {
	if filepath.Dir(staging) != b.Dir() || !strings.HasPrefix(filepath.Base(staging), ".staging-") {
		return fmt.Errorf("%s is not a staging directory", staging)
	}
	return os.RemoveAll(staging)
}

// Commit makes what steamcmd left in staging a build and the current one:
// its manifest names the build id; Prepare runs on it; the file system
// is synced; it is renamed to builds/ID and Root/game swapped to it. When
// builds/ID is there already (an update that found nothing new), staging
// is removed and builds/ID becomes current. It returns the id and
// whether the current build changed.
func (b Builds) Commit(staging string) (id string, changed bool, err error) {
	if filepath.Dir(staging) != b.Dir() || !strings.HasPrefix(filepath.Base(staging), ".staging-") {
		return "", false, fmt.Errorf("%s is not a staging directory", staging)
	}
	m, err := ReadManifest(staging)
	if err != nil {
		return "", false, err
	}
	if !validID(m.BuildID) {
		return "", false, fmt.Errorf("steamcmd left a manifest without a build id (%q)", m.BuildID)
	}
	if m.Partial() {
		return "", false, fmt.Errorf("steamcmd left build %s half-finished; nothing was changed", m.BuildID)
	}
	id = m.BuildID
	cur, err := b.current()
	if err != nil {
		return "", false, err
	}
	if _, err := os.Lstat(b.Path(id)); err == nil {
		if err := b.Discard(staging); err != nil {
			return "", false, err
		}
		if id == cur {
			return id, false, nil
		}
		return id, true, b.point(id)
	}
	if b.Prepare != nil {
		if err := b.Prepare(staging); err != nil {
			return "", false, err
		}
	}
	if err := syncFS(staging); err != nil {
		return "", false, err
	}
	if err := os.Rename(staging, b.Path(id)); err != nil {
		return "", false, fmt.Errorf("make build %s: %w", id, err)
	}
	if err := syncDir(b.Dir()); err != nil {
		return "", false, err
	}
	return id, id != cur, b.point(id)
}

// GC removes the builds that are neither current nor named in inUse, and
// what an interrupted update left (staging directories), and returns the
// ids removed. A build is first renamed out of the way, so nothing ever
// sees half of one. While an update holds the lock, GC does nothing.
func (b Builds) GC(inUse []string) ([]string, error) {
	if _, err := os.Stat(b.Dir()); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	// The lock is tried for a moment: besides an update, a process this
	// one forks holds a copy of its descriptor until it executes its
	// program.
	var unlock func()
	var err error
	for try := 0; ; try++ {
		unlock, err = b.lock(true)
		if !errors.Is(err, unix.EWOULDBLOCK) {
			break
		}
		if try == 25 {
			return nil, nil // an update runs; a later GC does the work
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return nil, err
	}
	defer unlock()
	cur, err := b.Current()
	if err != nil {
		return nil, err
	}
	keep := map[string]bool{cur: true}
	for _, id := range inUse {
		keep[id] = true
	}
	entries, err := os.ReadDir(b.Dir())
	if err != nil {
		return nil, fmt.Errorf("list the game's builds: %w", err)
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, ".staging-") || strings.HasPrefix(name, ".trash-"):
			if err := os.RemoveAll(filepath.Join(b.Dir(), name)); err != nil {
				errs = append(errs, err)
			}
		case e.IsDir() && validID(name) && !keep[name]:
			trash := filepath.Join(b.Dir(), ".trash-"+name)
			if err := os.Rename(b.Path(name), trash); err != nil {
				errs = append(errs, fmt.Errorf("remove build %s: %w", name, err))
				continue
			}
			removed = append(removed, name)
			if err := os.RemoveAll(trash); err != nil {
				errs = append(errs, fmt.Errorf("remove build %s: %w", name, err))
			}
		}
	}
	sort.Slice(removed, func(i, j int) bool { return lessID(removed[i], removed[j]) })
	return removed, errors.Join(errs...)
}

// syncFS flushes the file system holding path (the files steamcmd
// wrote) before a build made of them becomes current.
func syncFS(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
