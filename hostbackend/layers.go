package hostbackend

import (
	"bufio"
	"bytes"
	"fmt"
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
