package hostbackend_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/left4me/left4me/hostbackend"
)

func TestLayersFileRoundTrips(t *testing.T) {
	spec := hostbackend.InstanceSpec{Name: "coop-1", Port: 27015, Build: "16548521",
		Sets: []hostbackend.LayerSet{{Name: "competitive", Rev: 3}, {Name: "maps", Rev: 12}}}
	if err := hostbackend.ValidateSpec(spec); err != nil {
		t.Fatal(err)
	}
	build, sets, err := hostbackend.ParseLayers(hostbackend.RenderLayers(spec))
	if err != nil {
		t.Fatal(err)
	}
	if build != spec.Build || !reflect.DeepEqual(sets, spec.Sets) {
		t.Fatalf("parsed %q %v, want %q %v", build, sets, spec.Build, spec.Sets)
	}
}

func TestLayersRefusesWhatThePanelNeverWrites(t *testing.T) {
	for _, in := range []string{
		"",
		"set maps 1\nbuild 1\n",
		"build 1\nbuild 2\n",
		"build ../x\n",
		"build 1\nset ../etc 1\n",
		"build 1\nset maps 0\n",
		"build 1\nset maps 01\n",
		"build 1\nset maps -1\n",
		"build 1\nset maps 1\nset maps 2\n",
		"build 1\nset maps  1\n",
		"build 1 \n",
		"build 1\nset Maps 1\n",
		"build 1\nlower /etc\n",
	} {
		if _, _, err := hostbackend.ParseLayers([]byte(in)); err == nil {
			t.Errorf("ParseLayers(%q) = nil error", in)
		}
	}
}

func TestSpecRefusesBadLayers(t *testing.T) {
	for _, spec := range []hostbackend.InstanceSpec{
		{Name: "a", Port: 27015, Sets: []hostbackend.LayerSet{{Name: "maps", Rev: 1}}},
		{Name: "a", Port: 27015, Build: "12a"},
		{Name: "a", Port: 27015, Build: "1", Sets: []hostbackend.LayerSet{{Name: "x/y", Rev: 1}}},
		{Name: "a", Port: 27015, Build: "1", Sets: []hostbackend.LayerSet{{Name: "maps", Rev: 0}}},
	} {
		if err := hostbackend.ValidateSpec(spec); !errors.Is(err, hostbackend.ErrInvalidSpec) {
			t.Errorf("ValidateSpec(%+v) = %v, want ErrInvalidSpec", spec, err)
		}
	}
}

func TestWritableLayerListsFilesSortedAndCapped(t *testing.T) {
	root := t.TempDir()
	files := hostbackend.InstanceFiles{Root: root}
	spec := hostbackend.InstanceSpec{Name: "coop-1", Port: 27015, Build: "1"}
	if err := files.Write(spec); err != nil {
		t.Fatal(err)
	}
	upper := filepath.Join(files.Dir("coop-1"), hostbackend.UpperDir)
	logs := filepath.Join(upper, "left4dead2", "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	n := hostbackend.MaxLayerListing + 3
	for i := 0; i < n; i++ {
		if err := os.WriteFile(filepath.Join(logs, fmt.Sprintf("L%04d.log", n-i)), []byte("ab"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(upper, "link")); err != nil {
		t.Fatal(err)
	}
	w, err := files.WritableLayer("coop-1")
	if err != nil {
		t.Fatal(err)
	}
	if w.Files != n+1 || w.Bytes != int64(2*n+len("/etc/passwd")) || !w.Truncated || len(w.List) != hostbackend.MaxLayerListing {
		t.Errorf("WritableLayer = %d files, %d bytes, truncated %v, %d listed", w.Files, w.Bytes, w.Truncated, len(w.List))
	}
	for i := 1; i < len(w.List); i++ {
		if w.List[i-1].Path >= w.List[i].Path {
			t.Fatalf("not sorted at %d: %q, %q", i, w.List[i-1].Path, w.List[i].Path)
		}
	}
	if w.List[0].Path != "left4dead2/logs/L0001.log" || w.List[0].Bytes != 2 {
		t.Errorf("first listed %+v", w.List[0])
	}
}

func TestProvisionKeepsTheWritableLayerAcrossStarts(t *testing.T) {
	root := t.TempDir()
	files := hostbackend.InstanceFiles{Root: root}
	dir := files.Dir("coop-1")
	layered := hostbackend.InstanceSpec{Name: "coop-1", Port: 27015, Build: "7", Sets: []hostbackend.LayerSet{{Name: "maps", Rev: 3}}}
	if err := files.Write(layered); err != nil {
		t.Fatal(err)
	}
	kept := filepath.Join(dir, hostbackend.UpperDir, "banned_user.cfg")
	if err := os.WriteFile(kept, []byte("banid 0 STEAM_1:0:1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, spec := range []hostbackend.InstanceSpec{layered, {Name: "coop-1", Port: 27015}} {
		if err := files.Write(spec); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(kept); err != nil {
			t.Errorf("after a provision with build %q the writable layer lost its file: %v", spec.Build, err)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, hostbackend.LayersFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a provision without a build left the layers file: %v", err)
	}
	if err := files.ResetWritableLayer("coop-1"); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !reflect.DeepEqual(names, []string{"instance.env", "upper", "work"}) {
		t.Errorf("after the reset the instance directory holds %q", names)
	}
	if w, err := files.WritableLayer("coop-1"); err != nil || w.Files != 0 {
		t.Errorf("after the reset: %+v, %v", w, err)
	}
	// An upper that is a file (left4me's doing) is refused, not walked.
	if err := os.RemoveAll(filepath.Join(dir, hostbackend.UpperDir)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, hostbackend.UpperDir), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := files.Write(layered); err == nil {
		t.Errorf("Write accepted a file in the writable layer's place")
	}
}
