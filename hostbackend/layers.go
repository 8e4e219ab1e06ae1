package hostbackend

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// An instance runs on layers: the game build it starts with at the bottom,
// then its blueprint's add-on sets in the blueprint's order (a later set
// wins over an earlier one), then its own writable layer on top. The
// panel picks the build and the sets' revisions at each start
// (InstanceSpec.Build, InstanceSpec.Sets) and Provision records them in
// the instance's LayersFile; what mounts them reads that file and derives
// every path from the state root itself:
//
//	Root/builds/BUILD/                 a game build (srcds_run, left4dead2/, ...)
//	Root/addons/SET/revs/REV/          a revision of an add-on set, laid out as
//	                                   the game is (left4dead2/cfg/..., left4dead2/addons/...)
//	Root/instances/NAME/upper/         the instance's writable layer
//	Root/instances/NAME/work/          the overlay's work directory
//
// A revision or a build is never changed once an instance may have it
// mounted: a change to a set is a new revision, an update of the game a
// new build.
const (
	// LayersFile is the name of the file in the instance's directory
	// that lists its layers, lowest first.
	LayersFile = "layers"
	// MaxLayerSets is the most add-on sets one instance may stack.
	MaxLayerSets = 32
	// MaxBuildLen is the longest build id accepted (Steam's are ~8 digits).
	MaxBuildLen = 20
)

// LayerSet is one add-on set at one revision.
type LayerSet struct {
	Name string // follows the instance-name rule (ValidateName)
	Rev  int    // 1 or more
}

// ValidateBuild checks a game build id: 1 to MaxBuildLen decimal digits.
func ValidateBuild(build string) error {
	if build == "" || len(build) > MaxBuildLen {
		return fmt.Errorf("%w: build id %q must be 1 to %d digits", ErrInvalidSpec, build, MaxBuildLen)
	}
	for i := 0; i < len(build); i++ {
		if build[i] < '0' || build[i] > '9' {
			return fmt.Errorf("%w: build id %q must be digits only", ErrInvalidSpec, build)
		}
	}
	return nil
}

// validateLayers checks the layer part of a spec: no sets without a
// build, each set named by the name rule at a positive revision, each set
// once.
func validateLayers(spec InstanceSpec) error {
	if spec.Build == "" {
		if len(spec.Sets) > 0 {
			return fmt.Errorf("%w: add-on sets need a game build to stack on", ErrInvalidSpec)
		}
		return nil
	}
	if err := ValidateBuild(spec.Build); err != nil {
		return err
	}
	if len(spec.Sets) > MaxLayerSets {
		return fmt.Errorf("%w: %d add-on sets, at most %d are allowed", ErrInvalidSpec, len(spec.Sets), MaxLayerSets)
	}
	seen := make(map[string]bool, len(spec.Sets))
	for _, s := range spec.Sets {
		if err := ValidateName(s.Name); err != nil {
			return fmt.Errorf("%w: add-on set: %v", ErrInvalidSpec, err)
		}
		if s.Rev < 1 {
			return fmt.Errorf("%w: add-on set %s at revision %d", ErrInvalidSpec, s.Name, s.Rev)
		}
		if seen[s.Name] {
			return fmt.Errorf("%w: add-on set %s is listed twice", ErrInvalidSpec, s.Name)
		}
		seen[s.Name] = true
	}
	return nil
}

// DescribeSets says sets in words, for job output and pages: "add-on sets
// maps (revision 3), competitive (revision 7)", or "no add-on sets".
func DescribeSets(sets []LayerSet) string {
	if len(sets) == 0 {
		return "no add-on sets"
	}
	var b strings.Builder
	b.WriteString("add-on sets ")
	for i, s := range sets {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s.Name + " (revision " + strconv.Itoa(s.Rev) + ")")
	}
	return b.String()
}

// RenderLayers renders the LayersFile of a validated spec with a build:
//
//	# comment
//	build 16548521
//	set competitive 3
//	set maps 7
//
// lowest layer first. The root helper that mounts the layers parses the
// same lines (deploy's tests check that both agree).
func RenderLayers(spec InstanceSpec) []byte {
	var b bytes.Buffer
	b.WriteString("# left4me layers of " + spec.Name + ", lowest first; written by the panel at each start\n")
	b.WriteString("build " + spec.Build + "\n")
	for _, s := range spec.Sets {
		b.WriteString("set " + s.Name + " " + strconv.Itoa(s.Rev) + "\n")
	}
	return b.Bytes()
}

// ParseLayers reads a LayersFile back: the build and the sets, lowest
// first. Anything RenderLayers would not write is refused.
func ParseLayers(data []byte) (build string, sets []LayerSet, err error) {
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
		case f[0] == "build" && len(f) == 2 && build == "" && len(sets) == 0:
			if err := ValidateBuild(f[1]); err != nil {
				return "", nil, fmt.Errorf("layers line %d: %w", n, err)
			}
			build = f[1]
		case f[0] == "set" && len(f) == 3 && build != "":
			rev, err := strconv.Atoi(f[2])
			if err != nil || rev < 1 || strconv.Itoa(rev) != f[2] {
				return "", nil, fmt.Errorf("layers line %d: revision %q is not a positive number", n, f[2])
			}
			sets = append(sets, LayerSet{Name: f[1], Rev: rev})
		default:
			return "", nil, fmt.Errorf("layers line %d: %q is not \"build ID\" (first) or \"set NAME REV\"", n, line)
		}
	}
	if err := sc.Err(); err != nil {
		return "", nil, err
	}
	if build == "" {
		return "", nil, fmt.Errorf("layers: no build line")
	}
	if err := validateLayers(InstanceSpec{Build: build, Sets: sets}); err != nil {
		return "", nil, err
	}
	return build, sets, nil
}

// The instance's writable layer and the overlay's work directory, in the
// instance's directory.
const (
	UpperDir = "upper"
	WorkDir  = "work"
	// MaxLayerListing is the most files WritableLayer lists by name.
	MaxLayerListing = 500
)

// Layers is the host side of an instance's writable layer, a capability a
// Backend may have beside its methods: the server page shows what srcds
// wrote there and an admin can throw it away while the server is stopped.
type Layers interface {
	// WritableLayer reports what the instance's writable layer holds. An
	// instance that never ran on layers has an empty one.
	WritableLayer(ctx context.Context, name string) (WritableLayer, error)
	// ResetWritableLayer empties the instance's writable layer. It
	// refuses, with an error matching ErrInstanceRunning, unless the
	// instance's unit is stopped or failed: the overlay is mounted while
	// it runs, and changing a layer under a mounted overlay is undefined.
	ResetWritableLayer(ctx context.Context, name string) error
}

// ErrInstanceRunning is returned by ResetWritableLayer while the
// instance's unit runs (or starts, or stops).
var ErrInstanceRunning = errors.New("the server is not stopped")

// WritableLayer is what an instance's writable layer holds.
type WritableLayer struct {
	// Bytes is the size of the regular files in it.
	Bytes int64
	// Files counts its regular files.
	Files int
	// List names the first MaxLayerListing regular files by path
	// (relative to the game directory, e.g. left4dead2/logs/L1130000.log),
	// sorted; Truncated says there were more.
	List      []LayerFile
	Truncated bool
}

// LayerFile is one file of a writable layer.
type LayerFile struct {
	Path  string
	Bytes int64
}

// WritableLayer walks the instance's UpperDir, following no symlink (one
// counts as a file of its own length). A missing directory is an empty
// layer.
func (f InstanceFiles) WritableLayer(name string) (WritableLayer, error) {
	var w WritableLayer
	if err := ValidateName(name); err != nil {
		return w, err
	}
	dir := f.Dir(name)
	if err := f.checkInside(dir); err != nil {
		return w, err
	}
	upper := filepath.Join(dir, UpperDir)
	if fi, err := os.Lstat(upper); errors.Is(err, fs.ErrNotExist) {
		return w, nil
	} else if err != nil {
		return w, fmt.Errorf("writable layer of %s: %w", name, err)
	} else if !fi.IsDir() {
		return w, fmt.Errorf("writable layer of %s: %s is not a directory", name, upper)
	}
	err := filepath.WalkDir(upper, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() && fi.Mode()&fs.ModeSymlink == 0 {
			return nil // a whiteout (a character device) hides a lower file
		}
		w.Files++
		w.Bytes += fi.Size()
		if len(w.List) < MaxLayerListing {
			rel, _ := filepath.Rel(upper, path)
			w.List = append(w.List, LayerFile{Path: filepath.ToSlash(rel), Bytes: fi.Size()})
		} else {
			w.Truncated = true
		}
		return nil
	})
	if err != nil {
		return WritableLayer{}, fmt.Errorf("writable layer of %s: %w", name, err)
	}
	sort.Slice(w.List, func(i, j int) bool { return w.List[i].Path < w.List[j].Path })
	return w, nil
}

// ResetWritableLayer replaces the instance's UpperDir and WorkDir with
// empty ones: the old ones are renamed aside first, so a half-finished
// removal leaves a clean layer, then removed. The caller makes sure the
// instance is stopped. An instance without a writable layer is left
// without one.
func (f InstanceFiles) ResetWritableLayer(name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	dir := f.Dir(name)
	if err := f.checkInside(dir); err != nil {
		return err
	}
	for _, d := range []struct {
		name string
		mode os.FileMode
	}{{UpperDir, 0o755}, {WorkDir, 0o750}} {
		p := filepath.Join(dir, d.name)
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		old, err := os.MkdirTemp(dir, "."+d.name+".old-")
		if err != nil {
			return fmt.Errorf("reset the writable layer of %s: %w", name, err)
		}
		if err := os.Rename(p, filepath.Join(old, d.name)); err != nil {
			os.Remove(old)
			return fmt.Errorf("reset the writable layer of %s: %w", name, err)
		}
		if err := os.Mkdir(p, d.mode); err != nil {
			return fmt.Errorf("reset the writable layer of %s: %w", name, err)
		}
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("reset the writable layer of %s: the old layer is left in %s: %w", name, old, err)
		}
	}
	return nil
}

// CheckStopped returns an error matching ErrInstanceRunning unless st, the
// instance's unit as Show reports it, is stopped or failed: what
// ResetWritableLayer asks before it touches the layer.
func CheckStopped(st UnitStatus) error {
	switch s := st.State(); s {
	case StateStopped, StateFailed:
		return nil
	default:
		return fmt.Errorf("%w (it is %s): stop it first", ErrInstanceRunning, s)
	}
}
