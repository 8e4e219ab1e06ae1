package deploy_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/internal/layermount"
)

// The layers helper is a Go program (cmd/left4me-layers, its work in
// internal/layermount): the tests build it once and run it as they run
// the shell helpers, and call layermount's functions on temporary state
// roots for what needs a tree to walk.

var (
	layersHelperOnce sync.Once
	layersHelperPath string
	layersHelperErr  error
)

// TestMain removes the layers helper the tests built, if any.
func TestMain(m *testing.M) {
	code := m.Run()
	if layersHelperPath != "" {
		os.RemoveAll(filepath.Dir(layersHelperPath))
	}
	os.Exit(code)
}

// layersHelper builds cmd/left4me-layers into a directory of its own.
func layersHelper(tb testing.TB) string {
	tb.Helper()
	layersHelperOnce.Do(func() {
		dir, err := os.MkdirTemp("", "left4me-layers-test-")
		if err != nil {
			layersHelperErr = err
			return
		}
		layersHelperPath = filepath.Join(dir, "left4me-layers")
		out, err := exec.Command("go", "build", "-o", layersHelperPath, "../cmd/left4me-layers").CombinedOutput()
		if err != nil {
			layersHelperErr = errors.New("go build ../cmd/left4me-layers: " + err.Error() + "\n" + string(out))
		}
	})
	if layersHelperErr != nil {
		tb.Fatal(layersHelperErr)
	}
	return layersHelperPath
}

func TestLayersHelperRefusesHostileArguments(t *testing.T) {
	t.Parallel()
	helper := layersHelper(t)
	type tc struct {
		name string
		args []string
	}
	var tests []tc
	for _, h := range hostileNames {
		tests = append(tests, tc{"mount refuses a name with " + h.what, []string{"mount", h.name}})
	}
	tests = append(tests, []tc{
		{"no arguments at all are refused", nil},
		{"mount without a name is refused", []string{"mount"}},
		{"mount with two names is refused", []string{"mount", "a", "b"}},
		{"umount is not a verb", []string{"umount", "a"}},
		{"an uppercase verb is refused", []string{"MOUNT", "a"}},
		{"an option before the verb is refused", []string{"--root=/", "mount", "a"}},
		{"an option after the name is refused", []string{"mount", "a", "--root=/tmp"}},
		{"a help option is refused", []string{"--help"}},
		{"a path as the name is refused", []string{"mount", "/var/lib/left4me/instances/a"}},
	}...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runRecorded(t, helper, nil, tt.args...)
			wantRefused(t, r)
			equal(t, "stderr", r.stderr, "usage: left4me-layers mount NAME\n")
		})
	}
}

// TestLayersHelperAcceptsGoodNames: a good name gets past the usage check
// (it then fails to find the instance on this machine, or finds no
// layers, but never exits 2).
func TestLayersHelperAcceptsGoodNames(t *testing.T) {
	t.Parallel()
	helper := layersHelper(t)
	for _, n := range goodNames {
		r := runRecorded(t, helper, nil, "mount", n)
		if r.code == 2 || strings.HasPrefix(r.stderr, "usage:") {
			t.Errorf("mount %q was refused as usage: exit %d, %q", n, r.code, r.stderr)
		}
	}
}

// layersTree is a state root with a game build, two add-on sets and an
// instance with its writable layer, as the panel and its jobs lay them out.
func layersTree(t *testing.T, layers string) (root string) {
	t.Helper()
	root = t.TempDir()
	for _, d := range []string{"builds/100/left4dead2/cfg", "addons/maps/revs/1/left4dead2/addons",
		"addons/comp/revs/3/left4dead2/cfg", "instances/coop-1/upper", "instances/coop-1/work"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o750); err != nil {
			t.Fatal(err)
		}
	}
	if layers != "" {
		if err := os.WriteFile(filepath.Join(root, "instances/coop-1/layers"), []byte(layers), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// sameDir reports whether the descriptor fd is the directory at path.
func sameDir(t *testing.T, fd int, path string) bool {
	t.Helper()
	var a, b syscall.Stat_t
	if err := syscall.Fstat(fd, &a); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Stat(path, &b); err != nil {
		t.Fatal(err)
	}
	return a.Dev == b.Dev && a.Ino == b.Ino
}

func TestLayersHelperFindsTheLayersHighestFirst(t *testing.T) {
	t.Parallel()
	spec := hostbackend.InstanceSpec{Name: "coop-1", Port: 27015, Build: "100",
		Sets: []hostbackend.LayerSet{{Name: "maps", Rev: 1}, {Name: "comp", Rev: 3}}}
	root := layersTree(t, string(hostbackend.RenderLayers(spec)))
	p, err := layermount.Open(root, "coop-1")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	equal(t, "layers", p.Layers, layermount.Layers{Build: "100",
		Sets: []layermount.Set{{Name: "maps", Rev: 1}, {Name: "comp", Rev: 3}}})
	// overlay's lowerdir lists the highest layer first: the last set
	// wins, the build is at the bottom.
	want := []string{"addons/comp/revs/3", "addons/maps/revs/1", "builds/100"}
	equal(t, "number of lower layers", len(p.Lowers), len(want))
	for i, w := range want {
		if i < len(p.Lowers) && !sameDir(t, p.Lowers[i], filepath.Join(root, w)) {
			t.Errorf("lower layer %d is not %s", i, w)
		}
	}
	if !sameDir(t, p.Inst, filepath.Join(root, "instances/coop-1")) {
		t.Errorf("the instance descriptor is not the instance directory")
	}
	opts := layermount.Options(p.Lowers, 7, 8)
	wantOpts := "lowerdir=/proc/self/fd/" + strconv.Itoa(p.Lowers[0]) + ":/proc/self/fd/" + strconv.Itoa(p.Lowers[1]) +
		":/proc/self/fd/" + strconv.Itoa(p.Lowers[2]) + ",upperdir=/proc/self/fd/7,workdir=/proc/self/fd/8"
	equal(t, "mount options", opts, wantOpts)
}

func TestLayersHelperWithoutALayersFileMountsNothing(t *testing.T) {
	t.Parallel()
	p, err := layermount.Open(layersTree(t, ""), "coop-1")
	if p != nil || err != nil {
		t.Fatalf("Open = %v, %v; want nothing to mount", p, err)
	}
}

// TestLayersHelperFollowsNoSymlink: left4me owns the state root and can
// put a symlink, a FIFO or a huge file anywhere there. The helper, root,
// refuses each without following it, reading it, or hanging.
func TestLayersHelperFollowsNoSymlink(t *testing.T) {
	t.Parallel()
	good := "build 100\nset maps 1\n"
	outside := t.TempDir() // stands for /etc: root's
	if err := os.MkdirAll(filepath.Join(outside, "left4dead2"), 0o755); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(outside, "secret")
	if err := os.WriteFile(secret, []byte("build 100\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		layers  string
		plant   func(t *testing.T, root string) // turns part of the tree into the hostile thing
		wantErr string
	}{
		{"the instances directory as a symlink", good, func(t *testing.T, root string) {
			replaceWithLink(t, filepath.Join(root, "instances"), outside)
		}, "not a directory (a symlink is never followed)"},
		{"the instance directory as a symlink", good, func(t *testing.T, root string) {
			replaceWithLink(t, filepath.Join(root, "instances/coop-1"), outside)
		}, "not a directory (a symlink is never followed)"},
		{"the layers file as a symlink to a root-only file", "", func(t *testing.T, root string) {
			replaceWithLink(t, filepath.Join(root, "instances/coop-1/layers"), secret)
		}, "open the layers file"},
		{"the layers file as a FIFO", "", func(t *testing.T, root string) {
			if err := syscall.Mkfifo(filepath.Join(root, "instances/coop-1/layers"), 0o640); err != nil {
				t.Fatal(err)
			}
		}, "not a regular file"},
		{"the layers file as a directory", "", func(t *testing.T, root string) {
			if err := os.Mkdir(filepath.Join(root, "instances/coop-1/layers"), 0o750); err != nil {
				t.Fatal(err)
			}
		}, "not a regular file"},
		{"a layers file larger than the cap", "# " + strings.Repeat("x", layermount.MaxLayersFile) + "\nbuild 100\n", nil,
			"larger than"},
		{"the build as a symlink out of the state root", good, func(t *testing.T, root string) {
			replaceWithLink(t, filepath.Join(root, "builds/100"), outside)
		}, "not a directory (a symlink is never followed)"},
		{"the builds directory as a symlink", good, func(t *testing.T, root string) {
			replaceWithLink(t, filepath.Join(root, "builds"), outside)
		}, "not a directory (a symlink is never followed)"},
		{"an add-on set as a symlink", good, func(t *testing.T, root string) {
			replaceWithLink(t, filepath.Join(root, "addons/maps"), outside)
		}, "not a directory (a symlink is never followed)"},
		{"a revision as a symlink", good, func(t *testing.T, root string) {
			replaceWithLink(t, filepath.Join(root, "addons/maps/revs/1"), outside)
		}, "not a directory (a symlink is never followed)"},
		{"a revision as a file", good, func(t *testing.T, root string) {
			p := filepath.Join(root, "addons/maps/revs/1")
			if err := os.RemoveAll(p); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, nil, 0o640); err != nil {
				t.Fatal(err)
			}
		}, "not a directory"},
		{"a missing build", "build 999\n", nil, "builds/999"},
		{"a layers line the panel never writes", "build 100\nlower /etc\n", nil, "is not \"build ID\""},
		{"a set named with a path", "build 100\nset ../../etc 1\n", nil, "breaks the name rule"},
		{"a build named with a path", "build ../../etc\n", nil, "must be 1 to 20 digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := layersTree(t, tt.layers)
			if tt.plant != nil {
				tt.plant(t, root)
			}
			p, err := layermount.Open(root, "coop-1")
			if err == nil {
				p.Close()
				t.Fatalf("Open accepted it")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not say %q", err, tt.wantErr)
			}
		})
	}
}

func replaceWithLink(t *testing.T, path, target string) {
	t.Helper()
	if err := os.RemoveAll(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

// TestLayersHelperMountsOnlyInsideTheUnit: outside the instance unit's
// namespace the unit's tmpfs is no mount of its own (on the host it is an
// empty directory of /run's), and the helper refuses to mount anything.
func TestLayersHelperMountsOnlyInsideTheUnit(t *testing.T) {
	t.Parallel()
	root := layersTree(t, "build 100\n")
	p, err := layermount.Open(root, "coop-1")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	tmpfs := filepath.Join(t.TempDir(), "left4me-instance")
	if err := os.Mkdir(tmpfs, 0o755); err != nil {
		t.Fatal(err)
	}
	err = p.Mount(tmpfs)
	if err == nil || !strings.Contains(err.Error(), "is not a mount of its own") {
		t.Errorf("Mount = %v, want a refusal", err)
	}
	entries, _ := os.ReadDir(tmpfs)
	equal(t, "entries made in the would-be tmpfs", len(entries), 0)
}

// layersCorpus is what both parsers must read alike: what the panel
// writes, and what it never writes.
var layersCorpus = []string{
	"", "\n", "# only a comment\n", "build 1\n", "build 16548521\nset maps 1\nset comp 12\n",
	"# c\nbuild 1\n\nset a 1\n", "build 1", "set maps 1\nbuild 1\n", "build 1\nbuild 2\n",
	"build ../x\n", "build 1\nset ../etc 1\n", "build 1\nset maps 0\n", "build 1\nset maps 01\n",
	"build 1\nset maps -1\n", "build 1\nset maps 1\nset maps 2\n", "build 1\nset maps  1\n",
	"build 1 \n", "build 1\nset Maps 1\n", "build 1\nlower /etc\n", "build 1\r\n", "build 1\nset maps 1\r\n",
	"build 123456789012345678901\n", "build 12345678901234567890\n", "build 1\nset maps 99999999999999999999\n",
	"build 1\nset maps +1\n", " build 1\n", "build\t1\n", "build 1\nset " + strings.Repeat("a", 33) + " 1\n",
	"build 1\n" + manySets(32), "build 1\n" + manySets(33), "build 1\x00\n", "#\x00\nbuild 1\n",
}

func manySets(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString("set s" + strconv.Itoa(i) + " 1\n")
	}
	return b.String()
}

// parsersAgree checks that layermount.Parse and hostbackend.ParseLayers
// accept and refuse the same input, and read it alike.
func parsersAgree(t *testing.T, in string) {
	t.Helper()
	build, sets, herr := hostbackend.ParseLayers([]byte(in))
	l, lerr := layermount.Parse([]byte(in))
	if (herr == nil) != (lerr == nil) {
		t.Fatalf("on %q hostbackend.ParseLayers says %v, layermount.Parse says %v", in, herr, lerr)
	}
	if herr != nil {
		return
	}
	var got []hostbackend.LayerSet
	for _, s := range l.Sets {
		got = append(got, hostbackend.LayerSet{Name: s.Name, Rev: s.Rev})
	}
	if l.Build != build || !reflect.DeepEqual(got, sets) {
		t.Errorf("on %q hostbackend reads %q %v, layermount %q %v", in, build, sets, l.Build, got)
	}
}

func TestLayersParsersAgree(t *testing.T) {
	t.Parallel()
	for _, in := range layersCorpus {
		parsersAgree(t, in)
	}
	for _, spec := range []hostbackend.InstanceSpec{
		{Name: "a", Port: 27015, Build: "1"},
		{Name: "a", Port: 27015, Build: "16548521", Sets: []hostbackend.LayerSet{{Name: "z", Rev: 1}, {Name: "a-b_c", Rev: 999}}},
	} {
		parsersAgree(t, string(hostbackend.RenderLayers(spec)))
	}
}

// FuzzLayersParsersAgree: the root helper's parser and the panel's
// accept exactly the same layers files and read them alike.
func FuzzLayersParsersAgree(f *testing.F) {
	for _, in := range layersCorpus {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in string) { parsersAgree(t, in) })
}

// FuzzLayersHelperNameRule: the helper accepts exactly the names
// hostbackend.ValidateName accepts.
func FuzzLayersHelperNameRule(f *testing.F) {
	for _, h := range hostileNames {
		f.Add(h.name)
	}
	for _, n := range goodNames {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if got, want := layermount.ValidName(name), hostbackend.ValidateName(name) == nil; got != want {
			t.Errorf("layermount.ValidName(%q) = %v, hostbackend.ValidateName accepts: %v", name, got, want)
		}
		if _, err := layermount.Open(t.TempDir(), name); !layermount.ValidName(name) &&
			(err == nil || !strings.Contains(err.Error(), "breaks the name rule")) {
			t.Errorf("Open(%q) = %v, want the name refused", name, err)
		}
	})
}

// FuzzLayersHelperOpen: whatever left4me writes into an instance's layers
// file, the helper either refuses it or opens only directories inside
// the state root's builds/ and addons/, the ones the file names.
func FuzzLayersHelperOpen(f *testing.F) {
	for _, in := range layersCorpus {
		f.Add(in)
	}
	f.Add("build 100\nset maps 1\nset comp 3\n")
	f.Fuzz(func(t *testing.T, in string) {
		root := layersTree(t, in)
		p, err := layermount.Open(root, "coop-1")
		if err != nil || p == nil {
			return
		}
		defer p.Close()
		l, perr := layermount.Parse([]byte(in))
		if perr != nil {
			t.Fatalf("Open accepted %q, which Parse refuses: %v", in, perr)
		}
		want := []string{filepath.Join(root, "builds", l.Build)}
		for _, s := range l.Sets {
			want = append([]string{filepath.Join(root, "addons", s.Name, "revs", strconv.Itoa(s.Rev))}, want...)
		}
		if len(p.Lowers) != len(want) {
			t.Fatalf("%d lower layers for %q, want %d", len(p.Lowers), in, len(want))
		}
		for i, fd := range p.Lowers {
			got, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
			if err != nil {
				t.Fatal(err)
			}
			if got != want[i] {
				t.Errorf("lower layer %d of %q is %s, want %s", i, in, got, want[i])
			}
		}
	})
}
