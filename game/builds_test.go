package game

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// installAt writes a small installation of build id into dir: the
// manifest, srcds_run and a game file whose text names the build.
func installAt(t *testing.T, dir, id string) {
	t.Helper()
	if err := WriteManifest(dir, Manifest{BuildID: id, SizeOnDisk: 1234, LastUpdated: time.Unix(1700000000, 0)}); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "srcds_run"), "#!/bin/sh\n")
	writeFile(t, filepath.Join(dir, "left4dead2", "pak01_dir.vpk"), "build "+id)
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func ids(bs []Build) []string {
	var out []string
	for _, b := range bs {
		s := b.ID
		if b.Current {
			s += "*"
		}
		out = append(out, s)
	}
	return out
}

// update stages a copy of the current build, lets "steamcmd" write build
// id into it, and commits it.
func update(t *testing.T, b Builds, id string) (string, bool) {
	t.Helper()
	unlock, err := b.Lock()
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	cur, err := b.Current()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := b.Stage(context.Background(), cur)
	if err != nil {
		t.Fatal(err)
	}
	installAt(t, dir, id)
	got, changed, err := b.Commit(dir)
	if err != nil {
		t.Fatal(err)
	}
	return got, changed
}

func TestBuildsMigrateAPlainGameDirectory(t *testing.T) {
	t.Parallel()
	b := Builds{Root: t.TempDir()}
	installAt(t, b.Link(), "100")
	// A server running in the old directory holds it open.
	held, err := os.Open(filepath.Join(b.Link(), "left4dead2"))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()

	cur, err := b.Current()
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "current", cur, "100")
	target, err := os.Readlink(b.Link())
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "link", target, "builds/100")
	equal(t, "file through the link", readText(t, filepath.Join(b.Link(), "left4dead2", "pak01_dir.vpk")), "build 100")
	// The held directory is the one now in builds/100.
	names, err := held.Readdirnames(-1)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "held directory", names, []string{"pak01_dir.vpk"})
	list, err := b.List()
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "builds", ids(list), []string{"100*"})
	equal(t, "size from the manifest", list[0].SizeOnDisk, int64(1234))
	// Migrating again changes nothing.
	if err := b.Migrate(); err != nil {
		t.Fatal(err)
	}
	equal(t, "link after a second Migrate", mustReadlink(t, b.Link()), "builds/100")
}

func mustReadlink(t *testing.T, path string) string {
	t.Helper()
	s, err := os.Readlink(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBuildsMigrateRefusesWhatIsNotAGame(t *testing.T) {
	t.Parallel()
	t.Run("a game directory of the operator's own, without a manifest", func(t *testing.T) {
		b := Builds{Root: t.TempDir()}
		writeFile(t, filepath.Join(b.Link(), "srcds_run"), "mine")
		if cur, err := b.Current(); err != nil || cur != "" {
			t.Fatalf("Current = %q, %v; want none and no error", cur, err)
		}
		list, err := b.List()
		if err != nil || len(list) != 0 {
			t.Fatalf("List = %v, %v", list, err)
		}
		// An install does not replace it.
		dir, err := b.Stage(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		installAt(t, dir, "300")
		if _, _, err := b.Commit(dir); err == nil || !strings.Contains(err.Error(), "not replaced") {
			t.Fatalf("Commit = %v", err)
		}
		equal(t, "file kept", readText(t, filepath.Join(b.Link(), "srcds_run")), "mine")
	})
	t.Run("a manifest without a build id", func(t *testing.T) {
		b := Builds{Root: t.TempDir()}
		if err := WriteManifest(b.Link(), Manifest{}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Current(); err == nil || !strings.Contains(err.Error(), "names no build id") {
			t.Fatalf("err = %v", err)
		}
		if fi, err := os.Lstat(b.Link()); err != nil || !fi.IsDir() {
			t.Fatalf("the game directory was changed: %v %v", fi, err)
		}
	})
	t.Run("a link somewhere else", func(t *testing.T) {
		b := Builds{Root: t.TempDir()}
		if err := os.Symlink("/etc", b.Link()); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Current(); err == nil || !strings.Contains(err.Error(), "not to builds/BUILD") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestBuildsFirstInstallReplacesTheInstallSkeleton(t *testing.T) {
	t.Parallel()
	b := Builds{Root: t.TempDir()}
	// What deploy/install.sh makes before any game is there.
	if err := os.MkdirAll(filepath.Join(b.Link(), "left4dead2", "cfg"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/run/left4me-instance/server.cfg", filepath.Join(b.Link(), "left4dead2", "cfg", "left4me-server.cfg")); err != nil {
		t.Fatal(err)
	}
	// An older install.sh's empty placeholder.
	writeFile(t, filepath.Join(b.Link(), "left4dead2", "cfg", "placeholder.cfg"), "")
	cur, err := b.Current()
	if err != nil || cur != "" {
		t.Fatalf("Current = %q, %v; want none", cur, err)
	}
	if _, err := b.Stage(context.Background(), "1"); err == nil {
		t.Fatal("Stage copied a build that is not there")
	}
	prepared := ""
	b.Prepare = func(dir string) error { prepared = dir; return nil }
	id, changed := update(t, b, "200")
	equal(t, "id", id, "200")
	equal(t, "changed", changed, true)
	equal(t, "prepared the staging directory", filepath.Dir(prepared), b.Dir())
	equal(t, "link", mustReadlink(t, b.Link()), "builds/200")
	equal(t, "game file", readText(t, filepath.Join(b.Link(), "left4dead2", "pak01_dir.vpk")), "build 200")
}

func TestBuildsUpdateKeepsTheOldBuildUntilGC(t *testing.T) {
	t.Parallel()
	b := Builds{Root: t.TempDir()}
	installAt(t, b.Link(), "100")
	writeFile(t, filepath.Join(b.Link(), "left4dead2", "maps", "c1m1.bsp"), "a map")

	id, changed := update(t, b, "101")
	equal(t, "new build", id, "101")
	equal(t, "changed", changed, true)
	// The copy carried what steamcmd did not touch; the old build is as it was.
	equal(t, "copied map", readText(t, filepath.Join(b.Path("101"), "left4dead2", "maps", "c1m1.bsp")), "a map")
	equal(t, "old build's file", readText(t, filepath.Join(b.Path("100"), "left4dead2", "pak01_dir.vpk")), "build 100")
	equal(t, "current's file", readText(t, filepath.Join(b.Link(), "left4dead2", "pak01_dir.vpk")), "build 101")
	list, err := b.List()
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "builds", ids(list), []string{"100", "101*"})

	// A server still runs 100: GC keeps it.
	removed, err := b.GC([]string{"100"})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "removed while in use", removed, []string(nil))
	// Once nobody runs it, it goes; the current one never does.
	removed, err = b.GC(nil)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "removed", removed, []string{"100"})
	list, _ = b.List()
	equal(t, "builds after GC", ids(list), []string{"101*"})
	entries, _ := os.ReadDir(b.Dir())
	for _, e := range entries {
		if e.Name() != ".lock" && e.Name() != "101" {
			t.Errorf("GC left %s", e.Name())
		}
	}
}

func TestBuildsUpdateWithNothingNewChangesNothing(t *testing.T) {
	t.Parallel()
	b := Builds{Root: t.TempDir()}
	installAt(t, b.Link(), "100")
	id, changed := update(t, b, "100")
	equal(t, "id", id, "100")
	equal(t, "changed", changed, false)
	list, _ := b.List()
	equal(t, "builds", ids(list), []string{"100*"})
	entries, _ := os.ReadDir(b.Dir())
	equal(t, "entries (no staging left)", len(entries), 2) // .lock, 100
}

func TestBuildsCommitRefusesAHalfFinishedBuild(t *testing.T) {
	t.Parallel()
	b := Builds{Root: t.TempDir()}
	installAt(t, b.Link(), "100")
	cur, _ := b.Current()
	dir, err := b.Stage(context.Background(), cur)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteManifest(dir, Manifest{BuildID: "101", BytesToDownload: 10, BytesDownloaded: 5}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Commit(dir); err == nil || !strings.Contains(err.Error(), "half-finished") {
		t.Fatalf("err = %v", err)
	}
	equal(t, "link unchanged", mustReadlink(t, b.Link()), "builds/100")
	// GC clears what the failed update left.
	if _, err := b.GC(nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("staging directory left: %v", err)
	}
}

func TestBuildsGCLeavesAnUpdateInProgressAlone(t *testing.T) {
	t.Parallel()
	b := Builds{Root: t.TempDir()}
	installAt(t, b.Link(), "100")
	update(t, b, "101")
	unlock, err := b.Lock()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := b.Stage(context.Background(), "101")
	if err != nil {
		t.Fatal(err)
	}
	removed, err := b.GC(nil)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "removed while locked", removed, []string(nil))
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("GC removed the staging directory of an update in progress: %v", err)
	}
	unlock()
	if removed, err = b.GC(nil); err != nil {
		t.Fatal(err)
	}
	equal(t, "removed after", removed, []string{"100"})
}

func TestBuildsCommitRefusesWhatIsNotStaging(t *testing.T) {
	t.Parallel()
	b := Builds{Root: t.TempDir()}
	installAt(t, b.Link(), "100")
	if _, _, err := b.Commit(b.Path("100")); err == nil {
		t.Fatal("Commit took a build directory")
	}
	if err := b.Discard(b.Path("100")); err == nil {
		t.Fatal("Discard took a build directory")
	}
}

// BenchmarkStage measures the copy of a build for an update (a reflink
// copy on btrfs or XFS, a full copy elsewhere) of 64 files of 1 MiB.
func BenchmarkStage(b *testing.B) {
	bs := Builds{Root: b.TempDir()}
	if err := WriteManifest(bs.Link(), Manifest{BuildID: "1"}); err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 1<<20)
	for i := 0; i < 64; i++ {
		p := filepath.Join(bs.Link(), "left4dead2", "f"+string(rune('a'+i%26))+string(rune('a'+i/26)))
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := bs.Current(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dir, err := bs.Stage(context.Background(), "1")
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = bs.Discard(dir)
		b.StartTimer()
	}
	b.SetBytes(64 << 20)
}
