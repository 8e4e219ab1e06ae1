package hostbackend_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/left4me/left4me/hostbackend"
)

// gameCfgState describes what is at the game's left4me-server.cfg:
// "link TARGET", "file CONTENT", "dir" or "missing".
func gameCfgState(t *testing.T, f hostbackend.InstanceFiles) string {
	t.Helper()
	p := filepath.Join(f.GameCfgDir(), hostbackend.ServerCfgLinkName)
	fi, err := os.Lstat(p)
	switch {
	case os.IsNotExist(err):
		return "missing"
	case err != nil:
		t.Fatal(err)
	case fi.Mode()&os.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			t.Fatal(err)
		}
		return "link " + target
	case fi.IsDir():
		return "dir"
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return "file " + string(data)
}

func TestWriteLinksTheGamesServerCfg(t *testing.T) {
	t.Parallel()
	const wantLink = "link /run/left4me-instance/server.cfg"
	withCfg := hostbackend.InstanceSpec{Name: "coop-1", Port: 27015, ServerConfig: "hostname \"Game night\"\n"}
	withoutCfg := hostbackend.InstanceSpec{Name: "coop-1", Port: 27015}
	tests := []struct {
		name    string
		spec    hostbackend.InstanceSpec
		game    bool                         // the game's cfg/ exists
		before  func(t *testing.T, p string) // puts something at the link's place
		want    string
		wantErr string
		same    bool // what was there is left in place
	}{
		{"a missing link is made", withCfg, true, nil, wantLink, "", false},
		{"the empty file an older install.sh left becomes the link", withCfg, true,
			func(t *testing.T, p string) { writeFile(t, p, "") }, wantLink, "", false},
		{"another file there becomes the link", withCfg, true,
			func(t *testing.T, p string) { writeFile(t, p, "hostname \"shared\"\n") }, wantLink, "", false},
		{"a link elsewhere is pointed back", withCfg, true,
			func(t *testing.T, p string) { symlink(t, "/etc/passwd", p) }, wantLink, "", false},
		{"the right link stays", withCfg, true,
			func(t *testing.T, p string) { symlink(t, hostbackend.ServerCfgLinkTarget, p) }, wantLink, "", true},
		{"without a server.cfg the game is not touched", withoutCfg, true,
			func(t *testing.T, p string) { writeFile(t, p, "") }, "file ", "", true},
		{"without the game's cfg/ nothing is made", withCfg, false, nil, "", "", false},
		{"a directory in its place is an error", withCfg, true,
			func(t *testing.T, p string) {
				if err := os.Mkdir(p, 0o755); err != nil {
					t.Fatal(err)
				}
			}, "dir", "is a directory; remove it", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := hostbackend.InstanceFiles{Root: t.TempDir()}
			if tt.game {
				if err := os.MkdirAll(f.GameCfgDir(), 0o755); err != nil {
					t.Fatal(err)
				}
				if tt.before != nil {
					tt.before(t, filepath.Join(f.GameCfgDir(), hostbackend.ServerCfgLinkName))
				}
			}
			link := filepath.Join(f.GameCfgDir(), hostbackend.ServerCfgLinkName)
			before, _ := os.Lstat(link)
			err := f.Write(tt.spec)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("Write = %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Write = %v, want an error with %q", err, tt.wantErr)
			}
			if !tt.game {
				if _, err := os.Stat(filepath.Join(f.Root, "game")); !os.IsNotExist(err) {
					t.Fatalf("Write made the game directory: %v", err)
				}
				return
			}
			if got := gameCfgState(t, f); got != tt.want {
				t.Errorf("the game's %s: %q, want %q", hostbackend.ServerCfgLinkName, got, tt.want)
			}
			if after, err := os.Lstat(link); tt.same && (err != nil || !os.SameFile(before, after)) {
				t.Errorf("what was there was replaced (%v)", err)
			}
			entries, err := os.ReadDir(f.GameCfgDir())
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 {
				t.Errorf("the game's cfg/ holds %d entries, want only %s (no temporary ones)", len(entries), hostbackend.ServerCfgLinkName)
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, path string) {
	t.Helper()
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

func TestReadGivesBackWhatWriteWrote(t *testing.T) {
	f := hostbackend.InstanceFiles{Root: t.TempDir()}
	spec := hostbackend.InstanceSpec{Name: "coop-1", Port: 27015, Args: []string{"+map", "c1m1_hotel", "-tickrate", "60"},
		ServerConfig: "hostname \"Game night\"\n"}
	if err := f.Write(spec); err != nil {
		t.Fatal(err)
	}
	got, err := f.Read("coop-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != spec.Name || got.Port != spec.Port || strings.Join(got.Args, "|") != strings.Join(spec.Args, "|") || got.ServerConfig != spec.ServerConfig {
		t.Fatalf("Read = %+v, want %+v", got, spec)
	}
	if _, err := f.Read("missing"); err == nil {
		t.Error("Read of an instance never written succeeded")
	}
	if _, err := f.Read("../x"); err == nil {
		t.Error("Read took a name the rule refuses")
	}
}

func TestBuildReadsTheBuildAnInstanceWasProvisionedOn(t *testing.T) {
	root := t.TempDir()
	f := hostbackend.InstanceFiles{Root: root}
	if b, err := f.Build("alpha"); err != nil || b != "" {
		t.Fatalf("no instance: %q, %v", b, err)
	}
	dir := filepath.Join(root, "instances", "alpha")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	spec := hostbackend.InstanceSpec{Name: "alpha", Port: 27015, Build: "16548521", Sets: []hostbackend.LayerSet{{Name: "maps", Rev: 2}}}
	if err := os.WriteFile(filepath.Join(dir, hostbackend.LayersFile), hostbackend.RenderLayers(spec), 0o640); err != nil {
		t.Fatal(err)
	}
	if b, err := f.Build("alpha"); err != nil || b != "16548521" {
		t.Fatalf("Build = %q, %v", b, err)
	}
	if err := os.WriteFile(filepath.Join(dir, hostbackend.LayersFile), []byte("build ../x\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Build("alpha"); err == nil {
		t.Fatal("a bad layers file was read")
	}
	if _, err := f.Build("../alpha"); err == nil {
		t.Fatal("a bad name was read")
	}
}

func TestLinkBuildCfgLinksTheServerCfgInABuildBeingMade(t *testing.T) {
	dir := t.TempDir()
	if err := hostbackend.LinkBuildCfg(dir); err != nil {
		t.Fatalf("a build without cfg/: %v", err)
	}
	cfg := filepath.Join(dir, "left4dead2", "cfg")
	if err := os.MkdirAll(cfg, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := hostbackend.LinkBuildCfg(dir); err != nil {
		t.Fatal(err)
	}
	if target, err := os.Readlink(filepath.Join(cfg, hostbackend.ServerCfgLinkName)); err != nil || target != hostbackend.ServerCfgLinkTarget {
		t.Fatalf("link %q, %v", target, err)
	}
}
