// Package layermount is the root helper left4me-layers (cmd/left4me-layers):
// it mounts an instance's layers, read from the instance's layers file
// (hostbackend.RenderLayers), as one overlay inside the instance unit's own
// mount namespace, where srcds runs the game from it.
//
// It runs as root, from the unit (ExecStartPost=+, through nsenter into the
// main process's mount namespace; see deploy/README.md for why there), on a
// state root the left4me user owns entirely: left4me can put a symlink, a
// FIFO or a huge file anywhere there. So it takes one argument, the
// instance name, checked with the name rule; derives every path from the
// state root itself; opens every directory on the way one component at a
// time without following a symlink (O_NOFOLLOW), and hands the kernel
// /proc/self/fd/N paths of what it opened, so what is mounted is what was
// checked; reads the layers file as data, capped, with its own parser
// (deploy's tests check it agrees with hostbackend.ParseLayers).
package layermount

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Paths as installed. The unit's tmpfs and the merged view inside it
// exist only in the instance unit's mount namespace.
const (
	// StateRoot is left4me's state root.
	StateRoot = "/var/lib/left4me"
	// InstanceTmpfs is the unit's TemporaryFileSystem=.
	InstanceTmpfs = "/run/left4me-instance"
	// MergedName is the overlay's mount point in InstanceTmpfs: the game
	// directory srcds runs in.
	MergedName = "game"
	// LayersFile is the instance's layers file (hostbackend.LayersFile).
	LayersFile = "layers"
	// MaxLayersFile caps the layers file read; the panel's is far smaller.
	MaxLayersFile = 64 << 10
	// MaxSets is the most add-on sets (hostbackend.MaxLayerSets).
	MaxSets = 32
	// MaxBuildLen is the longest build id (hostbackend.MaxBuildLen).
	MaxBuildLen = 20
)

// Set is one add-on set at one revision.
type Set struct {
	Name string
	Rev  int
}

// Layers is what a layers file says: the build, then the sets, lowest first.
type Layers struct {
	Build string
	Sets  []Set
}

// ValidName is the instance-name rule, ^[a-z0-9][a-z0-9_-]{0,31}$, spelled
// out byte by byte (hostbackend.ValidateName; deploy's fuzz test keeps
// them equal).
func ValidName(s string) bool {
	if len(s) < 1 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '_' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

func validBuild(s string) bool {
	if len(s) < 1 || len(s) > MaxBuildLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Parse reads a layers file: blank lines and "#" comments, then
// "build ID" first and "set NAME REV" lines. Anything the panel would not
// write is refused.
func Parse(data []byte) (Layers, error) {
	var l Layers
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, " ")
		switch {
		case f[0] == "build" && len(f) == 2 && l.Build == "":
			if !validBuild(f[1]) {
				return Layers{}, fmt.Errorf("layers line %d: build id %q must be 1 to %d digits", n, f[1], MaxBuildLen)
			}
			l.Build = f[1]
		case f[0] == "set" && len(f) == 3 && l.Build != "":
			if !ValidName(f[1]) {
				return Layers{}, fmt.Errorf("layers line %d: add-on set name %q breaks the name rule", n, f[1])
			}
			rev, err := strconv.Atoi(f[2])
			if err != nil || rev < 1 || strconv.Itoa(rev) != f[2] {
				return Layers{}, fmt.Errorf("layers line %d: revision %q is not a positive number", n, f[2])
			}
			if seen[f[1]] {
				return Layers{}, fmt.Errorf("layers line %d: add-on set %s is listed twice", n, f[1])
			}
			seen[f[1]] = true
			l.Sets = append(l.Sets, Set{Name: f[1], Rev: rev})
			if len(l.Sets) > MaxSets {
				return Layers{}, fmt.Errorf("layers line %d: more than %d add-on sets", n, MaxSets)
			}
		default:
			return Layers{}, fmt.Errorf("layers line %d: %q is not \"build ID\" (first) or \"set NAME REV\"", n, line)
		}
	}
	if err := sc.Err(); err != nil {
		return Layers{}, fmt.Errorf("layers: %w", err)
	}
	if l.Build == "" {
		return Layers{}, errors.New("layers: no build line")
	}
	return l, nil
}

// openDir opens the directory at the relative path rel below the
// directory dirfd, one component at a time, following no symlink, as an
// O_PATH descriptor. Each component must be a plain name (no "..", no
// "/"); an absolute rel walks from "/".
func openDir(dirfd int, rel string) (int, error) {
	parts := strings.Split(strings.Trim(rel, "/"), "/")
	if strings.HasPrefix(rel, "/") {
		fd, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return -1, err
		}
		dirfd = fd
	} else {
		fd, err := unix.Dup(dirfd)
		if err != nil {
			return -1, err
		}
		dirfd = fd
	}
	for _, p := range parts {
		if p == "" || p == "." || p == ".." {
			unix.Close(dirfd)
			return -1, fmt.Errorf("%s: %q is not a plain name", rel, p)
		}
		fd, err := unix.Openat(dirfd, p, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		unix.Close(dirfd)
		if err != nil {
			if errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
				return -1, fmt.Errorf("%s: %s is not a directory (a symlink is never followed)", rel, p)
			}
			return -1, fmt.Errorf("%s: %w", rel, err)
		}
		dirfd = fd
	}
	return dirfd, nil
}

// readLayers reads the layers file in the instance directory instfd:
// a regular file, not a symlink, at most MaxLayersFile bytes. A missing
// file is (nil, nil).
func readLayers(instfd int) (*Layers, error) {
	fd, err := unix.Openat(instfd, LayersFile, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open the layers file: %w (it must be a regular file, not a symlink)", err)
	}
	f := os.NewFile(uintptr(fd), LayersFile)
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, errors.New("the layers file is not a regular file")
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxLayersFile+1))
	if err != nil {
		return nil, fmt.Errorf("read the layers file: %w", err)
	}
	if len(data) > MaxLayersFile {
		return nil, fmt.Errorf("the layers file is larger than %d bytes", MaxLayersFile)
	}
	l, err := Parse(data)
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// Plan is what Open found for an instance: descriptors of its directories.
type Plan struct {
	Layers  Layers
	Inst    int   // the instance directory
	Lowers  []int // highest first, as overlay's lowerdir lists them
	ownerID uint32
}

// Close closes the plan's descriptors.
func (p *Plan) Close() {
	for _, fd := range append([]int{p.Inst}, p.Lowers...) {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
}

// Open finds the instance name's layers under root: its directory, its
// layers file, the build's and the sets' directories. It returns nil and
// no error when the instance has no layers file (it runs the game
// directory as it is, with no overlay).
func Open(root, name string) (*Plan, error) {
	if !ValidName(name) {
		return nil, fmt.Errorf("instance name %q breaks the name rule", name)
	}
	rootfd, err := openDir(-1, root)
	if err != nil {
		return nil, fmt.Errorf("open the state root: %w", err)
	}
	defer unix.Close(rootfd)
	var st unix.Stat_t
	if err := unix.Fstat(rootfd, &st); err != nil {
		return nil, err
	}
	inst, err := openDir(rootfd, "instances/"+name)
	if err != nil {
		return nil, fmt.Errorf("open instance %s: %w", name, err)
	}
	p := &Plan{Inst: inst, ownerID: st.Uid}
	l, err := readLayers(inst)
	if err != nil || l == nil {
		p.Close()
		return nil, err
	}
	p.Layers = *l
	dirs := []string{"builds/" + l.Build}
	for _, s := range l.Sets {
		dirs = append(dirs, "addons/"+s.Name+"/revs/"+strconv.Itoa(s.Rev))
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		fd, err := openDir(rootfd, dirs[i])
		if err != nil {
			p.Close()
			return nil, fmt.Errorf("layer %s: %w", dirs[i], err)
		}
		p.Lowers = append(p.Lowers, fd)
	}
	return p, nil
}

// fdPath names a descriptor for the kernel.
func fdPath(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }

// Options renders overlay's mount options for lower descriptors and the
// upper and work descriptors.
func Options(lowers []int, upper, work int) string {
	ls := make([]string, len(lowers))
	for i, fd := range lowers {
		ls[i] = fdPath(fd)
	}
	return "lowerdir=" + strings.Join(ls, ":") + ",upperdir=" + fdPath(upper) + ",workdir=" + fdPath(work)
}

// Mount mounts the plan's overlay at tmpfs/MergedName, tmpfs being the
// unit's own tmpfs (it refuses when tmpfs is no mount point of its own:
// then it does not run inside the unit's namespace). The instance's
// upper/ and work/ are reached through a writable bind of the instance
// directory made, for the moment of the mount, in a root-only directory
// of the tmpfs: the unit's ProtectSystem=strict has the state root
// read-only in its namespace, and overlay needs its upper writable. The
// bind goes again once the overlay holds its own reference.
func (p *Plan) Mount(tmpfs string) error {
	var tst, pst unix.Stat_t
	if err := unix.Lstat(tmpfs, &tst); err != nil {
		return fmt.Errorf("%s: %w", tmpfs, err)
	}
	parent := tmpfs[:strings.LastIndex(tmpfs, "/")+1]
	if err := unix.Stat(parent, &pst); err != nil {
		return err
	}
	if tst.Mode&unix.S_IFMT != unix.S_IFDIR || tst.Dev == pst.Dev {
		return fmt.Errorf("%s is not a mount of its own: run only inside the instance unit's mount namespace", tmpfs)
	}
	tmpfd, err := openDir(-1, tmpfs)
	if err != nil {
		return err
	}
	defer unix.Close(tmpfd)

	// The root-only staging directory for the writable bind.
	stage, err := os.MkdirTemp(tmpfs, ".layers-")
	if err != nil {
		return fmt.Errorf("make a staging directory: %w", err)
	}
	defer os.Remove(stage)
	if err := unix.Mount(fdPath(p.Inst), stage, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind the instance directory: %w", err)
	}
	defer unix.Unmount(stage, unix.MNT_DETACH)
	if err := unix.Mount("", stage, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_NOSUID|unix.MS_NODEV, ""); err != nil {
		return fmt.Errorf("make the instance directory writable for the overlay: %w", err)
	}
	stagefd, err := openDir(-1, stage)
	if err != nil {
		return err
	}
	defer unix.Close(stagefd)
	var rw [2]int
	for i, d := range []string{"upper", "work"} {
		fd, err := openDir(stagefd, d)
		if err != nil {
			return fmt.Errorf("the instance's %s directory: %w", d, err)
		}
		defer unix.Close(fd)
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			return err
		}
		if st.Uid != p.ownerID {
			return fmt.Errorf("the instance's %s directory is not owned by the state root's owner (uid %d)", d, p.ownerID)
		}
		rw[i] = fd
	}

	if err := unix.Mkdirat(tmpfd, MergedName, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("make the mount point: %w", err)
	}
	target, err := openDir(tmpfd, MergedName)
	if err != nil {
		return fmt.Errorf("the mount point: %w", err)
	}
	defer unix.Close(target)
	if err := unix.Mount("overlay", fdPath(target), "overlay", unix.MS_NOSUID|unix.MS_NODEV, Options(p.Lowers, rw[0], rw[1])); err != nil {
		return fmt.Errorf("mount the overlay: %w", err)
	}
	return nil
}
