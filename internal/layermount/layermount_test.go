package layermount_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/left4me/left4me/internal/layermount"
)

// TestMountInAPrivateNamespace mounts for real, as root, in a mount
// namespace of its own (unshare -m), on a state root made read-only as
// the unit's ProtectSystem=strict makes it, with a tmpfs standing in for
// the unit's: the overlay shows the layers in order, a write lands in
// upper/, the state root stays read-only, and no bind is left behind.
// deploy's tests cover what the helper refuses; make e2e runs it in the
// real unit.
func TestMountInAPrivateNamespace(t *testing.T) {
	if dir := os.Getenv("LAYERMOUNT_TEST_DIR"); dir != "" {
		mountChild(t, dir)
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("no unshare")
	}
	dir := t.TempDir()
	cmd := exec.Command("unshare", "-m", "--propagation", "private", os.Args[0],
		"-test.run=^TestMountInAPrivateNamespace$", "-test.v")
	cmd.Env = append(os.Environ(), "LAYERMOUNT_TEST_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if strings.Contains(string(out), "--- SKIP") {
		t.Skip("the child could not mount here:\n" + string(out))
	}
	if err != nil {
		t.Fatalf("the child failed: %v\n%s", err, out)
	}
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func mountChild(t *testing.T, dir string) {
	root := filepath.Join(dir, "state")
	write(t, root+"/builds/100/left4dead2/cfg/server.cfg", "the build's\n")
	write(t, root+"/builds/100/left4dead2/only-build.txt", "build\n")
	write(t, root+"/addons/maps/revs/1/left4dead2/cfg/server.cfg", "maps'\n")
	write(t, root+"/addons/comp/revs/2/left4dead2/cfg/server.cfg", "comp's\n")
	write(t, root+"/instances/coop-1/layers", "build 100\nset maps 1\nset comp 2\n")
	for _, d := range []string{"upper", "work"} {
		if err := os.MkdirAll(root+"/instances/coop-1/"+d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(t, root+"/instances/other/layers", "build 100\n")
	for _, d := range []string{"upper", "work"} {
		if err := os.MkdirAll(root+"/instances/other/"+d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(root+"/instances/other/upper", 12345, 12345); err != nil {
		t.Fatal(err)
	}
	tmpfs := filepath.Join(dir, "run")
	for _, d := range []string{tmpfs, filepath.Join(dir, "run2")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := unix.Mount("tmpfs", tmpfs, "tmpfs", 0, "mode=1777"); err != nil {
		t.Skipf("cannot mount a tmpfs: %v", err)
	}
	// The unit's ProtectSystem=strict: the state root read-only.
	if err := unix.Mount(root, root, "", unix.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("", root, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, ""); err != nil {
		t.Fatal(err)
	}

	p, err := layermount.Open(root, "coop-1")
	if err != nil || p == nil {
		t.Fatalf("Open = %v, %v", p, err)
	}
	defer p.Close()
	if err := p.Mount(tmpfs); err != nil {
		if strings.Contains(err.Error(), "mount the overlay") {
			t.Skipf("no overlay here: %v", err)
		}
		t.Fatal(err)
	}
	merged := filepath.Join(tmpfs, layermount.MergedName)
	if got := read(t, merged+"/left4dead2/cfg/server.cfg"); got != "comp's\n" {
		t.Errorf("server.cfg in the merged view = %q, want the last set's", got)
	}
	if got := read(t, merged+"/left4dead2/only-build.txt"); got != "build\n" {
		t.Errorf("only-build.txt = %q", got)
	}
	write(t, merged+"/left4dead2/logs/L1.log", "srcds wrote this\n")
	if got := read(t, root+"/instances/coop-1/upper/left4dead2/logs/L1.log"); got != "srcds wrote this\n" {
		t.Errorf("upper has %q", got)
	}
	if err := os.WriteFile(root+"/instances/coop-1/x", nil, 0o644); err == nil {
		t.Errorf("the state root became writable")
	}
	entries, err := os.ReadDir(tmpfs)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != layermount.MergedName {
		t.Errorf("the tmpfs holds %v, want only %s (the staging bind gone)", entries, layermount.MergedName)
	}
	mi := read(t, "/proc/self/mountinfo")
	if n := strings.Count(mi, " - overlay "); n != 1 {
		t.Errorf("%d overlays mounted, want 1", n)
	}
	if strings.Contains(mi, ".layers-") {
		t.Errorf("the staging bind is still mounted:\n%s", mi)
	}
	var st unix.Statfs_t
	if err := unix.Statfs(merged, &st); err != nil || st.Flags&unix.ST_NOSUID == 0 || st.Flags&unix.ST_NODEV == 0 {
		t.Errorf("merged view flags %#x, %v; want nosuid and nodev", st.Flags, err)
	}

	// A writable layer that is not the state root owner's (a directory
	// of someone else's moved there) is refused.
	q, err := layermount.Open(root, "other")
	if err != nil || q == nil {
		t.Fatalf("Open(other) = %v, %v", q, err)
	}
	defer q.Close()
	tmpfs2 := filepath.Join(dir, "run2")
	if err := unix.Mount("tmpfs", tmpfs2, "tmpfs", 0, "mode=1777"); err != nil {
		t.Fatal(err)
	}
	if err := q.Mount(tmpfs2); err == nil || !strings.Contains(err.Error(), "upper directory is not owned by the state root's owner") {
		t.Errorf("Mount(other) = %v, want the upper refused", err)
	}
	if n := strings.Count(read(t, "/proc/self/mountinfo"), " - overlay "); n != 1 {
		t.Errorf("%d overlays mounted after the refusal, want 1", n)
	}
}
