package sudo

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
)

var (
	fakeSteamcmdOnce sync.Once
	fakeSteamcmdPath string
	fakeSteamcmdErr  error
)

// fakeSteamcmd builds cmd/fakesteamcmd once for the package's tests.
func fakeSteamcmd(t *testing.T) string {
	t.Helper()
	fakeSteamcmdOnce.Do(func() {
		fakeSteamcmdPath = filepath.Join(stubDir, "fakesteamcmd")
		out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", fakeSteamcmdPath, "../../cmd/fakesteamcmd").CombinedOutput()
		if err != nil {
			fakeSteamcmdErr = errors.New(string(out))
		}
	})
	if fakeSteamcmdErr != nil {
		t.Fatalf("build fakesteamcmd: %v", fakeSteamcmdErr)
	}
	return fakeSteamcmdPath
}

// gameHost is a sudo backend whose steamcmd is the stand-in, installing
// into its state root's game/.
func gameHost(t *testing.T) (*Backend, hostbackend.Config) {
	t.Helper()
	h := newStubHost(t)
	base := t.TempDir()
	srcds := filepath.Join(base, "fakesrcds")
	if err := os.WriteFile(srcds, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	// steamcmd keeps linux32/ and appcache/ beside itself, as Valve's
	// tarball does: give the stand-in a directory of its own.
	root := filepath.Join(base, "steamcmd")
	steamcmd := filepath.Join(root, "steamcmd.sh")
	bin, err := os.ReadFile(fakeSteamcmd(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(steamcmd, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", filepath.Join(base, "home"))
	t.Setenv("FAKESTEAMCMD_ROOT", root)
	t.Setenv("FAKESTEAMCMD_STEPS", "4")
	t.Setenv("FAKESTEAMCMD_STEP_DELAY", "1ms")
	t.Setenv("FAKESTEAMCMD_SRCDS", srcds)
	t.Setenv("FAKESTEAMCMD_BUILDID", "16500001")
	cfg := h.config()
	cfg.SteamCMD = steamcmd
	cfg.GameFreeSpace = 1
	cfg.ServerEnv = filepath.Join(base, "server.env")
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b.steamRetryDelay = time.Millisecond
	return b, cfg
}

func TestTheGameIsInstalledUpdatedAndCheckedWithSteamcmd(t *testing.T) {
	ctx := context.Background()
	b, cfg := gameHost(t)
	st, err := b.GameStatus(ctx)
	if err != nil || st.Installed || st.Path != filepath.Join(cfg.StateRoot, "game") || st.Program != filepath.Join(st.Path, "srcds_run") {
		t.Fatalf("before the install: %+v, %v", st, err)
	}

	var lines []string
	var phases []string
	ev := hostbackend.GameEvents{
		Line: func(l hostbackend.Line) { lines = append(lines, l.Text) },
		Progress: func(p hostbackend.GameProgress) {
			if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
				phases = append(phases, p.Phase)
			}
		},
	}
	if err := b.GameInstall(ctx, true, ev); err != nil {
		t.Fatalf("install: %v\n%s", err, strings.Join(lines, "\n"))
	}
	st, err = b.GameStatus(ctx)
	if err != nil || !st.Installed || st.BuildID != "16500001" || st.SizeBytes == 0 || st.Partial {
		t.Fatalf("after the install: %+v, %v", st, err)
	}
	// The anonymous install ran Windows first, then Linux: Steam refuses a
	// Linux-only one.
	var passes []string
	for _, p := range phases {
		if i := strings.Index(p, "(pass "); i > 0 {
			passes = append(passes, p[i:])
		}
	}
	if len(passes) == 0 || !strings.Contains(strings.Join(passes, " "), "(pass 2 of 2)") {
		t.Fatalf("progress phases %q: want both passes", phases)
	}
	// Of the progress lines, the output keeps a phase's first one only.
	for i := 1; i < len(lines); i++ {
		if strings.Contains(lines[i], "downloading, progress:") && strings.Contains(lines[i-1], "downloading, progress:") {
			t.Fatalf("two progress lines of one phase in a row in the output: %q, %q", lines[i-1], lines[i])
		}
	}
	if !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, "Success! App '222860' fully installed.") }) {
		t.Fatalf("the output lost the result line: %q", lines)
	}

	t.Setenv("FAKESTEAMCMD_BUILDID", "16500002")
	if latest, err := b.GameLatestBuild(ctx, hostbackend.GameEvents{}); err != nil || latest != "16500002" {
		t.Fatalf("latest build = %q, %v", latest, err)
	}
	if err := b.GameInstall(ctx, false, hostbackend.GameEvents{}); err != nil {
		t.Fatalf("update: %v", err)
	}
	st, _ = b.GameStatus(ctx)
	if st.BuildID != "16500002" {
		t.Fatalf("after the update: build %q", st.BuildID)
	}
	// The update made a new build beside the old one and swapped the link;
	// the new build has the server.cfg link before it became current.
	var builds []string
	for _, bd := range st.Builds {
		builds = append(builds, bd.ID+map[bool]string{true: "*"}[bd.Current])
	}
	if strings.Join(builds, " ") != "16500001 16500002*" {
		t.Fatalf("builds %q", builds)
	}
	if target, err := os.Readlink(st.Path); err != nil || target != "builds/16500002" {
		t.Fatalf("game link %q, %v", target, err)
	}
	link := filepath.Join(cfg.StateRoot, "builds", "16500002", "left4dead2", "cfg", hostbackend.ServerCfgLinkName)
	if target, err := os.Readlink(link); err != nil || target != hostbackend.ServerCfgLinkTarget {
		t.Fatalf("the new build's cfg link: %q, %v", target, err)
	}
	// A server started on the old build keeps it from GC.
	spec := hostbackend.InstanceSpec{Name: "alpha", Port: 27015, Build: "16500001"}
	if err := os.MkdirAll(filepath.Join(cfg.StateRoot, "instances", "alpha"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg.StateRoot, "instances", "alpha", hostbackend.LayersFile), hostbackend.RenderLayers(spec), 0o640); err != nil {
		t.Fatal(err)
	}
	if got, err := b.InstanceBuild(ctx, "alpha"); err != nil || got != "16500001" {
		t.Fatalf("InstanceBuild = %q, %v", got, err)
	}
	if got, err := b.InstanceBuild(ctx, "beta"); err != nil || got != "" {
		t.Fatalf("InstanceBuild of an instance without layers = %q, %v", got, err)
	}
	if removed, err := b.GameGC(ctx, []string{"16500001"}); err != nil || len(removed) != 0 {
		t.Fatalf("GC with the old build in use: %v, %v", removed, err)
	}
	if removed, err := b.GameGC(ctx, nil); err != nil || strings.Join(removed, " ") != "16500001" {
		t.Fatalf("GC: %v, %v", removed, err)
	}
	if _, err := os.Stat(filepath.Join(cfg.StateRoot, "builds", "16500001")); !os.IsNotExist(err) {
		t.Fatalf("the old build is still there: %v", err)
	}

	t.Setenv("FAKESTEAMCMD_APPINFO_EMPTY", "always")
	if _, err := b.GameLatestBuild(ctx, hostbackend.GameEvents{}); !errors.Is(err, hostbackend.ErrBuildUnknown) {
		t.Fatalf("a silent app_info_print: %v, want ErrBuildUnknown", err)
	}
}

func TestGameStatusNamesTheProgramServerEnvRuns(t *testing.T) {
	ctx := context.Background()
	b, cfg := gameHost(t)
	standIn := filepath.Join(t.TempDir(), "fakesrcds")
	if err := os.WriteFile(standIn, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg.ServerEnv, []byte("# written by install.sh\nLEFT4ME_SRCDS="+standIn+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := b.GameStatus(ctx)
	if err != nil || !st.Installed || st.Program != standIn || st.BuildID != "" {
		t.Fatalf("with a stand-in: %+v, %v", st, err)
	}
	if err := os.Chmod(standIn, 0o644); err != nil {
		t.Fatal(err)
	}
	if st, _ := b.GameStatus(ctx); st.Installed {
		t.Fatalf("a stand-in that is not executable counts as installed: %+v", st)
	}
}

func TestAGameInstalledBeforeBuildsMovesIntoBuildsAndKeepsWorking(t *testing.T) {
	ctx := context.Background()
	b, cfg := gameHost(t)
	game := filepath.Join(cfg.StateRoot, "game")
	// What an older panel installed: the game right in game/.
	if err := os.MkdirAll(filepath.Join(game, "steamapps"), 0o755); err != nil {
		t.Fatal(err)
	}
	manifest := "\"AppState\"\n{\n\t\"appid\"\t\t\"222860\"\n\t\"StateFlags\"\t\t\"4\"\n\t\"buildid\"\t\t\"16400000\"\n}\n"
	if err := os.WriteFile(filepath.Join(game, "steamapps", "appmanifest_222860.acf"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(game, "srcds_run"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	st, err := b.GameStatus(ctx)
	if err != nil || !st.Installed || st.BuildID != "16400000" || len(st.Builds) != 1 || !st.Builds[0].Current {
		t.Fatalf("after the move: %+v, %v", st, err)
	}
	if target, err := os.Readlink(game); err != nil || target != "builds/16400000" {
		t.Fatalf("game link %q, %v", target, err)
	}
	// An update copies it and makes the new build current.
	if err := b.GameInstall(ctx, false, hostbackend.GameEvents{}); err != nil {
		t.Fatal(err)
	}
	if st, _ := b.GameStatus(ctx); st.BuildID != "16500001" || len(st.Builds) != 2 {
		t.Fatalf("after the update: %+v", st)
	}
}

func TestAWorkshopItemIsDownloadedWithSteamcmdAndItsDownloadRemovedAfter(t *testing.T) {
	ctx := context.Background()
	b, cfg := gameHost(t)
	t.Setenv("FAKESTEAMCMD_WORKSHOP_SIZE", "1000")
	body, size, err := b.WorkshopDownload(ctx, "987654", hostbackend.GameEvents{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(body)
	if err != nil || size != 1000 || len(data) != 1000 {
		t.Fatalf("read %d of %d bytes: %v", len(data), size, err)
	}
	dir := filepath.Join(cfg.StateRoot, "workshop", "steamapps", "workshop", "content", "550", "987654")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the download is not where steamcmd puts it: %v", err)
	}
	if err := body.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the download is still there after Close: %v", err)
	}
	t.Setenv("FAKESTEAMCMD_WORKSHOP_MISSING", "5")
	if _, _, err := b.WorkshopDownload(ctx, "5", hostbackend.GameEvents{}); err == nil || !strings.Contains(err.Error(), "File Not Found") {
		t.Fatalf("a missing item: %v", err)
	}
}
