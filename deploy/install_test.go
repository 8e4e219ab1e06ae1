package deploy_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
)

// These tests run install.sh with DESTDIR, which must not create users,
// change owners or call systemctl, so they are safe to run as root.

func needVisudo(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("visudo"); err != nil {
		if _, err := os.Stat("/usr/sbin/visudo"); err != nil {
			t.Skip("visudo not installed (apt-get install sudo); install.sh needs it")
		}
	}
}

// runInstall runs deploy/install.sh with env added to a small fixed
// environment and returns its exit status and combined output.
func runInstall(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "./install.sh", args...)
	cmd.Env = append([]string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String()
	case errors.As(err, &exitErr):
		return exitErr.ExitCode(), out.String()
	}
	t.Fatalf("run install.sh: %v", err)
	return 0, ""
}

// snapshot describes every entry under root: type, mode, size, modification
// time and a digest of the content of regular files.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	tree := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		info, err := d.Info()
		if err != nil {
			return err
		}
		desc := fmt.Sprintf("%v %d", info.Mode(), info.Size())
		if info.Mode().IsRegular() {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			desc += fmt.Sprintf(" %x %d", sha256.Sum256(data), info.ModTime().UnixNano())
		}
		tree[rel] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// fakeBinary returns a stand-in for the panel binary, with a stand-in
// left4me-layers beside it, as make build leaves them in bin/.
func fakeBinary(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "left4me")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho left4me\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "left4me-layers"), []byte("#!/bin/sh\necho left4me-layers\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

func wantMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	info, err := os.Lstat(path)
	if err != nil {
		t.Error(err)
		return
	}
	equal(t, "mode of "+path, info.Mode(), want)
}

func wantSameContent(t *testing.T, got, want string) {
	t.Helper()
	g, err := os.ReadFile(got)
	if err != nil {
		t.Error(err)
		return
	}
	w, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g, w) {
		t.Errorf("%s differs from %s", got, want)
	}
}

func TestInstallIntoDestdir(t *testing.T) {
	t.Parallel()
	needVisudo(t)
	dest := t.TempDir()
	bin := fakeBinary(t)
	code, out := runInstall(t, []string{"DESTDIR=" + dest}, "--binary", bin)
	if code != 0 {
		t.Fatalf("install.sh exited %d:\n%s", code, out)
	}

	t.Run("files land with their modes and contents", func(t *testing.T) {
		files := []struct {
			path, src string
			mode      fs.FileMode
		}{
			{"usr/local/libexec/left4me/left4me-systemctl", systemctlHelper, 0o755},
			{"usr/local/libexec/left4me/left4me-journalctl", journalctlHelper, 0o755},
			{"usr/local/libexec/left4me/left4me-srcds", srcdsLauncher, 0o755},
			{"etc/sudoers.d/left4me", "sudoers/left4me", 0o440},
			{"etc/systemd/system/left4me-server@.service", "systemd/left4me-server@.service", 0o644},
			{"etc/systemd/system/left4me-web.service", "systemd/left4me-web.service", 0o644},
			{"usr/local/bin/left4me", bin, 0o755},
			{"usr/local/libexec/left4me/left4me-layers", filepath.Join(filepath.Dir(bin), "left4me-layers"), 0o755},
		}
		for _, f := range files {
			wantMode(t, filepath.Join(dest, f.path), f.mode)
			wantSameContent(t, filepath.Join(dest, f.path), f.src)
		}
		wantMode(t, filepath.Join(dest, "etc/left4me/server.env"), 0o644)
		wantMode(t, filepath.Join(dest, "etc/left4me/web.env"), 0o600)
		for path, mode := range map[string]fs.FileMode{
			"var/lib/left4me":           0o750,
			"var/lib/left4me/instances": 0o750,
			"etc/left4me":               0o755,
			"usr/local/libexec/left4me": 0o755,
			// Where srcds finds an instance's server.cfg.
			"var/lib/left4me/game":                0o755,
			"var/lib/left4me/game/left4dead2":     0o755,
			"var/lib/left4me/game/left4dead2/cfg": 0o755,
		} {
			wantMode(t, filepath.Join(dest, path), fs.ModeDir|mode)
		}
		wantCfgLink(t, dest)
		env, err := os.ReadFile(filepath.Join(dest, "etc/left4me/server.env"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(env), "\nLEFT4ME_SRCDS=/var/lib/left4me/game/srcds_run\n") {
			t.Errorf("server.env does not set the default LEFT4ME_SRCDS:\n%s", env)
		}
	})

	t.Run("nothing touches the running system", func(t *testing.T) {
		for _, l := range strings.Split(out, "\n") {
			for _, cmd := range []string{"useradd", "groupadd", "chown", "systemctl", "dpkg", "apt-get", "env", "debconf"} {
				if strings.HasPrefix(l, "run: "+cmd) {
					t.Errorf("with DESTDIR, install.sh ran %q", l)
				}
			}
		}
		for _, want := range []string{
			"would run (skipped with DESTDIR): systemctl daemon-reload",
			"would run (skipped with DESTDIR): chown left4me:left4me " + dest + "/var/lib/left4me",
			"would create the system user and group left4me if missing",
			"would run (skipped with DESTDIR): dpkg --add-architecture i386",
			"would run (skipped with DESTDIR): apt-get install -y --no-install-recommends lib32gcc-s1 lib32stdc++6 libc6-i386",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "enable --now") && !strings.Contains(out, "'systemctl enable --now left4me-web.service'") {
			t.Errorf("install.sh enabled the panel without --enable-web:\n%s", out)
		}
		if strings.Contains(out, "steamcmd") {
			t.Errorf("install.sh mentions steamcmd without --with-steamcmd or --steamcmd:\n%s", out)
		}
	})

	t.Run("no temporary files are left behind", func(t *testing.T) {
		for path := range snapshot(t, dest) {
			if path != "." && strings.HasPrefix(filepath.Base(path), ".") {
				t.Errorf("left behind: %s", path)
			}
		}
	})

	t.Run("a second run changes nothing", func(t *testing.T) {
		before := snapshot(t, dest)
		code, out := runInstall(t, []string{"DESTDIR=" + dest}, "--binary", bin)
		if code != 0 {
			t.Fatalf("second run exited %d:\n%s", code, out)
		}
		equal(t, "tree after the second run", snapshot(t, dest), before)
		if strings.Contains(out, "installed:") || strings.Contains(out, "wrote:") {
			t.Errorf("the second run wrote files:\n%s", out)
		}
	})

	t.Run("a dry run over an installed tree changes nothing", func(t *testing.T) {
		before := snapshot(t, dest)
		code, out := runInstall(t, []string{"DESTDIR=" + dest}, "--dry-run", "--binary", bin, "--srcds", "/opt/other")
		if code != 0 {
			t.Fatalf("dry run exited %d:\n%s", code, out)
		}
		equal(t, "tree after the dry run", snapshot(t, dest), before)
	})
}

func TestInstallDryRunChangesNothing(t *testing.T) {
	t.Parallel()
	needVisudo(t)
	dest := t.TempDir()
	code, out := runInstall(t, []string{"DESTDIR=" + dest}, "--dry-run", "--binary", fakeBinary(t), "--enable-web")
	if code != 0 {
		t.Fatalf("install.sh --dry-run exited %d:\n%s", code, out)
	}
	equal(t, "tree after a dry run", snapshot(t, dest), map[string]string{".": snapshot(t, dest)["."]})
	for _, want := range []string{
		"would install: ", "would write: ", "would run: mkdir -p " + dest + "/var/lib/left4me",
		"systemctl daemon-reload", "systemctl enable --now left4me-web.service",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
}

func TestInstallNeverOverwritesOperatorConfig(t *testing.T) {
	t.Parallel()
	needVisudo(t)
	dest := t.TempDir()
	conf := filepath.Join(dest, "etc/left4me")
	if err := os.MkdirAll(conf, 0o755); err != nil {
		t.Fatal(err)
	}
	own := map[string]string{
		"server.env": "LEFT4ME_SRCDS=/opt/mine/srcds_run\n",
		"web.env":    "LEFT4ME_LISTEN=:9000\n",
	}
	for name, content := range own {
		if err := os.WriteFile(filepath.Join(conf, name), []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	code, out := runInstall(t, []string{"DESTDIR=" + dest, "LEFT4ME_SRCDS=/opt/other/srcds_run"})
	if code != 0 {
		t.Fatalf("install.sh exited %d:\n%s", code, out)
	}
	for name, content := range own {
		got, err := os.ReadFile(filepath.Join(conf, name))
		if err != nil {
			t.Fatal(err)
		}
		equal(t, name, string(got), content)
		wantMode(t, filepath.Join(conf, name), 0o640)
	}
}

// wantCfgLink checks that the game under dest has left4me-server.cfg as
// the link to where each instance unit puts its server.cfg.
func wantCfgLink(t *testing.T, dest string) {
	t.Helper()
	link := filepath.Join(dest, "var/lib/left4me/game/left4dead2/cfg", hostbackend.ServerCfgLinkName)
	target, err := os.Readlink(link)
	if err != nil {
		t.Errorf("%s is not a link: %v", link, err)
		return
	}
	equal(t, link, target, hostbackend.ServerCfgLinkTarget)
}

func TestInstallLeavesAnInstalledGameAlone(t *testing.T) {
	t.Parallel()
	needVisudo(t)
	const cfgLink = "left4dead2/cfg/left4me-server.cfg"
	for _, tt := range []struct {
		name  string
		files map[string]string // path under the game: content; "/" ends a directory
	}{
		{"a game with an older install.sh's empty placeholder", map[string]string{
			"srcds_run": "#!/bin/sh\n", "left4dead2/": "", "left4dead2/cfg/": "",
			"left4dead2/cfg/server.cfg": "hostname \"shared\"\n",
			cfgLink:                     "",
		}},
		{"a game with a file of its own in the link's place", map[string]string{
			"srcds_run": "#!/bin/sh\n", "left4dead2/": "", "left4dead2/cfg/": "",
			cfgLink: "// the operator's\n",
		}},
		{"a game without cfg/", map[string]string{"srcds_run": "#!/bin/sh\n"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dest := t.TempDir()
			game := filepath.Join(dest, "var/lib/left4me/game")
			if err := os.MkdirAll(game, 0o700); err != nil {
				t.Fatal(err)
			}
			paths := make([]string, 0, len(tt.files))
			for path := range tt.files {
				paths = append(paths, path)
			}
			sort.Strings(paths) // a directory before what is in it
			for _, path := range paths {
				content := tt.files[path]
				p := filepath.Join(game, path)
				if strings.HasSuffix(path, "/") {
					if err := os.Mkdir(p, 0o711); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			before := snapshot(t, game)
			code, out := runInstall(t, []string{"DESTDIR=" + dest})
			if code != 0 {
				t.Fatalf("install.sh exited %d:\n%s", code, out)
			}
			after := snapshot(t, game)
			for path, desc := range before {
				if path != cfgLink {
					equal(t, "game/"+path, after[path], desc)
				}
			}
			wantCfgLink(t, dest)
			// Only what was missing below an existing directory is new.
			for path := range after {
				if _, ok := before[path]; !ok && !strings.HasPrefix(path, "left4dead2") {
					t.Errorf("install.sh added game/%s", path)
				}
			}
			code, out = runInstall(t, []string{"DESTDIR=" + dest})
			if code != 0 {
				t.Fatalf("second run exited %d:\n%s", code, out)
			}
			equal(t, "game after a second run", snapshot(t, game), after)
		})
	}
}

func TestInstallLeavesADirectoryInTheLinksPlace(t *testing.T) {
	t.Parallel()
	needVisudo(t)
	dest := t.TempDir()
	dir := filepath.Join(dest, "var/lib/left4me/game/left4dead2/cfg", hostbackend.ServerCfgLinkName)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	code, out := runInstall(t, []string{"DESTDIR=" + dest})
	equal(t, "exit status", code, 0)
	if !strings.Contains(out, "install.sh: warning: "+dir+" is a directory; remove it") {
		t.Errorf("no warning about the directory:\n%s", out)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 0 {
		t.Errorf("the directory changed: %v, %v", entries, err)
	}
}

func TestInstallWritesTheChosenSrcds(t *testing.T) {
	t.Parallel()
	needVisudo(t)
	tests := []struct {
		name string
		env  []string
		args []string
	}{
		{"the --srcds option sets LEFT4ME_SRCDS", nil, []string{"--srcds", "/opt/stand-in/server"}},
		{"the --srcds=PATH form sets LEFT4ME_SRCDS", nil, []string{"--srcds=/opt/stand-in/server"}},
		{"the LEFT4ME_SRCDS variable sets LEFT4ME_SRCDS", []string{"LEFT4ME_SRCDS=/opt/stand-in/server"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dest := t.TempDir()
			code, out := runInstall(t, append([]string{"DESTDIR=" + dest}, tt.env...), tt.args...)
			if code != 0 {
				t.Fatalf("install.sh exited %d:\n%s", code, out)
			}
			env, err := os.ReadFile(filepath.Join(dest, "etc/left4me/server.env"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(env), "\nLEFT4ME_SRCDS=/opt/stand-in/server\n") {
				t.Errorf("server.env:\n%s", env)
			}
		})
	}
}

// copySources copies the files install.sh installs into a new directory,
// to be used as LEFT4ME_SRC.
func copySources(t *testing.T) string {
	t.Helper()
	src := t.TempDir()
	for _, f := range []string{systemctlHelper, journalctlHelper, srcdsLauncher,
		"sudoers/left4me", "systemd/left4me-server@.service", "systemd/left4me-web.service"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(src, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return src
}

func TestInstallRefusesABrokenSudoersFile(t *testing.T) {
	t.Parallel()
	needVisudo(t)
	src := copySources(t)
	broken := filepath.Join(src, "sudoers/left4me")
	f, err := os.OpenFile(broken, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("left4me ALL = this is not sudoers syntax\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	t.Run("the old sudoers file stays and nothing else is installed", func(t *testing.T) {
		t.Parallel()
		dest := t.TempDir()
		old := filepath.Join(dest, "etc/sudoers.d/left4me")
		if err := os.MkdirAll(filepath.Dir(old), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(old, []byte("# the old rules\n"), 0o440); err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, dest)
		code, out := runInstall(t, []string{"DESTDIR=" + dest, "LEFT4ME_SRC=" + src})
		if code == 0 {
			t.Fatalf("install.sh succeeded with a broken sudoers file:\n%s", out)
		}
		if !strings.Contains(out, "visudo rejects") {
			t.Errorf("output does not say why:\n%s", out)
		}
		equal(t, "tree after the failed run", snapshot(t, dest), before)
	})

	t.Run("no sudoers file appears where there was none", func(t *testing.T) {
		t.Parallel()
		dest := t.TempDir()
		code, out := runInstall(t, []string{"DESTDIR=" + dest, "LEFT4ME_SRC=" + src})
		if code == 0 {
			t.Fatalf("install.sh succeeded with a broken sudoers file:\n%s", out)
		}
		if _, err := os.Lstat(filepath.Join(dest, "etc/sudoers.d/left4me")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a sudoers file was installed (or Lstat failed: %v)", err)
		}
	})
}

func TestInstallRefusesBadInvocations(t *testing.T) {
	t.Parallel()
	needVisudo(t)
	tests := []struct {
		name     string
		env      []string
		args     []string
		wantCode int
	}{
		{"an unknown option is a usage error", nil, []string{"--frobnicate"}, 2},
		{"a stray argument is a usage error", nil, []string{"extra"}, 2},
		{"--binary without a path is a usage error", nil, []string{"--binary"}, 2},
		{"a missing binary is refused", nil, []string{"--binary", "/nonexistent/left4me"}, 1},
		{"a binary that is not executable is refused", nil, []string{"--binary", "install_test.go"}, 1},
		{"a relative --srcds is refused", nil, []string{"--srcds", "game/srcds_run"}, 1},
		{"a --srcds with a space is refused", nil, []string{"--srcds", "/opt/my game/srcds_run"}, 1},
		{"a --srcds with a quote is refused", nil, []string{"--srcds", `/opt/"x"/srcds_run`}, 1},
		{"--enable-web without a binary is refused", nil, []string{"--enable-web"}, 1},
		{"--steamcmd without a path is a usage error", nil, []string{"--steamcmd"}, 2},
		{"a relative --steamcmd is refused", nil, []string{"--steamcmd", "steamcmd/steamcmd.sh"}, 1},
		{"a relative LEFT4ME_STEAMCMD is refused", []string{"LEFT4ME_STEAMCMD=steamcmd.sh"}, nil, 1},
		{"a --steamcmd with a space is refused", nil, []string{"--steamcmd", "/opt/steam cmd/steamcmd.sh"}, 1},
		{"a --steamcmd the panel's unit cannot see is refused", nil, []string{"--steamcmd", "/home/steam/steamcmd/steamcmd.sh"}, 1},
		{"--steamcmd and --with-steamcmd are refused together", nil, []string{"--steamcmd", steamcmdPath, "--with-steamcmd"}, 1},
		{"--accept-steam-license without --with-steamcmd is refused", nil, []string{"--accept-steam-license"}, 1},
		{"a missing source directory is refused", []string{"LEFT4ME_SRC=/nonexistent"}, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dest := t.TempDir()
			code, out := runInstall(t, append([]string{"DESTDIR=" + dest}, tt.env...), tt.args...)
			equal(t, "exit status", code, tt.wantCode)
			equal(t, "tree after the refused run", snapshot(t, dest), map[string]string{".": snapshot(t, dest)["."]})
			if out == "" {
				t.Errorf("no message")
			}
		})
	}
	t.Run("a relative DESTDIR is refused", func(t *testing.T) {
		t.Parallel()
		code, _ := runInstall(t, []string{"DESTDIR=relative/dir"})
		equal(t, "exit status", code, 1)
		if _, err := os.Lstat("relative"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("install.sh created ./relative")
		}
	})
}

// steamcmdPath is where deploy/README.md says to unpack Valve's steamcmd.
const steamcmdPath = "/var/lib/left4me/steamcmd/steamcmd.sh"

func TestInstallWritesTheChosenSteamcmdIntoWebEnv(t *testing.T) {
	t.Parallel()
	needVisudo(t)
	dest := t.TempDir()
	code, out := runInstall(t, []string{"DESTDIR=" + dest})
	if code != 0 {
		t.Fatalf("install.sh exited %d:\n%s", code, out)
	}
	plain, err := os.ReadFile(filepath.Join(dest, "etc/left4me/web.env"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(plain), "\nLEFT4ME_STEAMCMD") {
		t.Errorf("web.env sets LEFT4ME_STEAMCMD without --steamcmd:\n%s", plain)
	}
	for _, tt := range []struct {
		name string
		env  []string
		args []string
	}{
		{"the --steamcmd option", nil, []string{"--steamcmd", steamcmdPath}},
		{"the --steamcmd=PATH form", nil, []string{"--steamcmd=" + steamcmdPath}},
		{"the LEFT4ME_STEAMCMD variable", []string{"LEFT4ME_STEAMCMD=" + steamcmdPath}, nil},
	} {
		t.Run(tt.name+" sets LEFT4ME_STEAMCMD in a new web.env", func(t *testing.T) {
			t.Parallel()
			dest := t.TempDir()
			code, out := runInstall(t, append([]string{"DESTDIR=" + dest}, tt.env...), tt.args...)
			if code != 0 {
				t.Fatalf("install.sh exited %d:\n%s", code, out)
			}
			webEnv := filepath.Join(dest, "etc/left4me/web.env")
			got, err := os.ReadFile(webEnv)
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "web.env", string(got), string(plain)+"LEFT4ME_STEAMCMD="+steamcmdPath+"\n")
			wantMode(t, webEnv, 0o600)
			if strings.Contains(out, "warning") {
				t.Errorf("a warning for a steamcmd below the state root:\n%s", out)
			}
			before := snapshot(t, dest)
			code, out = runInstall(t, append([]string{"DESTDIR=" + dest}, tt.env...), tt.args...)
			if code != 0 {
				t.Fatalf("second run exited %d:\n%s", code, out)
			}
			equal(t, "tree after the second run", snapshot(t, dest), before)
			if !strings.Contains(out, "unchanged: LEFT4ME_STEAMCMD in "+webEnv) {
				t.Errorf("the second run does not say LEFT4ME_STEAMCMD is unchanged:\n%s", out)
			}
		})
	}
}

func TestInstallAddsSteamcmdToAnExistingWebEnvOnly(t *testing.T) {
	t.Parallel()
	needVisudo(t)
	for _, tt := range []struct {
		name, webEnv string
		dryRun       bool
		want         string // web.env afterwards
		say          string // in the output
	}{
		{"a web.env without LEFT4ME_STEAMCMD gets it at its end",
			"# mine\nLEFT4ME_LISTEN=:9000\n", false,
			"# mine\nLEFT4ME_LISTEN=:9000\nLEFT4ME_STEAMCMD=" + steamcmdPath + "\n", "added: LEFT4ME_STEAMCMD=" + steamcmdPath},
		{"a last line without a newline keeps its value",
			"LEFT4ME_LISTEN=:9000", false,
			"LEFT4ME_LISTEN=:9000\nLEFT4ME_STEAMCMD=" + steamcmdPath + "\n", "added: "},
		{"a dry run only says what it would add",
			"LEFT4ME_LISTEN=:9000\n", true,
			"LEFT4ME_LISTEN=:9000\n", "would add: LEFT4ME_STEAMCMD=" + steamcmdPath},
		{"the same value, quoted, is left as it is",
			"LEFT4ME_STEAMCMD=\"" + steamcmdPath + "\"\n", false,
			"LEFT4ME_STEAMCMD=\"" + steamcmdPath + "\"\n", "unchanged: LEFT4ME_STEAMCMD"},
		{"another value is kept, with a warning",
			"LEFT4ME_STEAMCMD=/opt/steamcmd/steamcmd.sh\nLEFT4ME_LISTEN=:9000\n", false,
			"LEFT4ME_STEAMCMD=/opt/steamcmd/steamcmd.sh\nLEFT4ME_LISTEN=:9000\n",
			"install.sh: warning: DEST/etc/left4me/web.env sets LEFT4ME_STEAMCMD=/opt/steamcmd/steamcmd.sh; kept"},
		{"a commented-out setting is no setting",
			"#LEFT4ME_STEAMCMD=/opt/steamcmd/steamcmd.sh\n", false,
			"#LEFT4ME_STEAMCMD=/opt/steamcmd/steamcmd.sh\nLEFT4ME_STEAMCMD=" + steamcmdPath + "\n", "added: "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dest := t.TempDir()
			webEnv := filepath.Join(dest, "etc/left4me/web.env")
			if err := os.MkdirAll(filepath.Dir(webEnv), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(webEnv, []byte(tt.webEnv), 0o640); err != nil {
				t.Fatal(err)
			}
			args := []string{"--steamcmd", steamcmdPath}
			if tt.dryRun {
				args = append(args, "--dry-run")
			}
			code, out := runInstall(t, []string{"DESTDIR=" + dest}, args...)
			if code != 0 {
				t.Fatalf("install.sh exited %d:\n%s", code, out)
			}
			got, err := os.ReadFile(webEnv)
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "web.env", string(got), tt.want)
			wantMode(t, webEnv, 0o640)
			if say := strings.ReplaceAll(tt.say, "DEST", dest); !strings.Contains(out, say) {
				t.Errorf("output lacks %q:\n%s", say, out)
			}
		})
	}
	t.Run("a symlink is not followed", func(t *testing.T) {
		t.Parallel()
		dest := t.TempDir()
		mine := filepath.Join(t.TempDir(), "mine.env")
		if err := os.WriteFile(mine, []byte("LEFT4ME_LISTEN=:9000\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		webEnv := filepath.Join(dest, "etc/left4me/web.env")
		if err := os.MkdirAll(filepath.Dir(webEnv), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(mine, webEnv); err != nil {
			t.Fatal(err)
		}
		code, out := runInstall(t, []string{"DESTDIR=" + dest}, "--steamcmd", steamcmdPath)
		equal(t, "exit status", code, 0)
		got, err := os.ReadFile(mine)
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "the file the link points to", string(got), "LEFT4ME_LISTEN=:9000\n")
		if !strings.Contains(out, "install.sh: warning: "+webEnv+" is not a regular file; add LEFT4ME_STEAMCMD="+steamcmdPath) {
			t.Errorf("no warning about the link:\n%s", out)
		}
	})
}

func TestInstallSaysWhereSteamcmdCannotWork(t *testing.T) {
	t.Parallel()
	needVisudo(t)
	for _, tt := range []struct {
		path, warning string
	}{
		{steamcmdPath, ""},
		{"/var/lib/left4me/Steam/steamcmd.sh", ""},
		// Debian's wrapper keeps its files in the home.
		{"/usr/games/steamcmd", ""},
		{"/opt/steamcmd/steamcmd.sh", "install.sh: warning: /opt/steamcmd/steamcmd.sh is outside /var/lib/left4me, the only place left4me-web.service may write (ProtectSystem=strict)"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			code, out := runInstall(t, []string{"DESTDIR=" + t.TempDir()}, "--steamcmd", tt.path)
			equal(t, "exit status", code, 0)
			if tt.warning == "" && strings.Contains(out, "warning") {
				t.Errorf("a warning:\n%s", out)
			}
			if tt.warning != "" && !strings.Contains(out, tt.warning) {
				t.Errorf("output lacks %q:\n%s", tt.warning, out)
			}
		})
	}
}

func TestInstallWithDebiansSteamcmd(t *testing.T) {
	t.Parallel()
	needVisudo(t)
	const (
		install = "would run (skipped with DESTDIR): apt-get install -y steamcmd:i386"
		accept  = "would run (skipped with DESTDIR): debconf-set-selections: steamcmd steam/question select I AGREE"
	)
	for _, tt := range []struct {
		name      string
		args      []string
		wantLines []string
		noLines   []string
	}{
		{"the licence is the operator's to accept", []string{"--with-steamcmd"}, []string{install}, []string{accept, "I AGREE"}},
		{"--accept-steam-license answers debconf's question first", []string{"--with-steamcmd", "--accept-steam-license"}, []string{accept + ", steamcmd steam/license seen\n" + install}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dest := t.TempDir()
			code, out := runInstall(t, []string{"DESTDIR=" + dest}, tt.args...)
			if code != 0 {
				t.Fatalf("install.sh exited %d:\n%s", code, out)
			}
			for _, want := range tt.wantLines {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			for _, no := range tt.noLines {
				if strings.Contains(out, no) {
					t.Errorf("output has %q:\n%s", no, out)
				}
			}
			env, err := os.ReadFile(filepath.Join(dest, "etc/left4me/web.env"))
			if err != nil {
				t.Fatal(err)
			}
			// The panel finds Debian's /usr/games/steamcmd by itself.
			if strings.Contains(string(env), "\nLEFT4ME_STEAMCMD") {
				t.Errorf("web.env sets LEFT4ME_STEAMCMD:\n%s", env)
			}
		})
	}
}

// runInstallUnprivileged runs install.sh as nobody, without DESTDIR:
// it may look at this host but cannot change it, whatever it tries.
func runInstallUnprivileged(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		return runInstall(t, env, args...)
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("running as root without setpriv to become nobody")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	argv := append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", "./install.sh"}, args...)
	cmd := exec.CommandContext(ctx, setpriv, argv...)
	cmd.Env = append([]string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String()
	case errors.As(err, &exitErr):
		return exitErr.ExitCode(), out.String()
	}
	t.Fatalf("run install.sh as nobody: %v", err)
	return 0, ""
}

// needDebianAmd64 skips unless this host is one install.sh installs the
// game's packages on, and returns dpkg's view of it.
func needDebianAmd64(t *testing.T) (foreign string) {
	t.Helper()
	arch, err := exec.Command("dpkg", "--print-architecture").Output()
	if err != nil || strings.TrimSpace(string(arch)) != "amd64" {
		t.Skip("not a Debian amd64 host")
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		t.Skip("no apt-get")
	}
	out, err := exec.Command("dpkg", "--print-foreign-architectures").Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func dpkgInstalled(t *testing.T, pkg string) bool {
	t.Helper()
	out, _ := exec.Command("dpkg-query", "-W", "-f=${Status}", pkg).Output()
	return string(out) == "install ok installed"
}

func TestInstallDryRunNamesTheMissingGamePackages(t *testing.T) {
	t.Parallel()
	needVisudo(t)
	foreign := needDebianAmd64(t)
	code, out := runInstallUnprivileged(t, nil, "--dry-run")
	if code != 0 {
		t.Fatalf("install.sh --dry-run exited %d:\n%s", code, out)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "run: ") {
			t.Errorf("a dry run ran %q", l)
		}
	}
	addArch := "would run: dpkg --add-architecture i386\n"
	equal(t, "adds the i386 architecture", strings.Contains(out, addArch),
		!slicesContain(strings.Fields(foreign), "i386"))
	var missing []string
	for _, p := range []string{"lib32gcc-s1", "lib32stdc++6", "libc6-i386"} {
		if !dpkgInstalled(t, p) {
			missing = append(missing, p)
		}
	}
	install := "would run: env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends " + strings.Join(missing, " ") + "\n"
	if len(missing) == 0 {
		equal(t, "installs nothing", strings.Contains(out, "apt-get"), false)
	} else {
		if !strings.Contains(out, "would run: apt-get update\n"+install) {
			t.Errorf("output lacks %q after apt-get update:\n%s", install, out)
		}
	}
}

func slicesContain(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestInstallLeavesTheSteamLicenceToTheOperator(t *testing.T) {
	t.Parallel()
	needVisudo(t)
	needDebianAmd64(t)
	if dpkgInstalled(t, "steamcmd:i386") {
		t.Skip("steamcmd is installed here: nothing would ask")
	}
	const refusal = "install.sh: Debian's steamcmd asks you to accept Valve's Steam License Agreement, and there is no terminal to ask on: run install.sh --with-steamcmd on a terminal"
	for _, tt := range []struct {
		name string
		env  []string
	}{
		{"no terminal", nil},
		{"DEBIAN_FRONTEND=noninteractive", []string{"DEBIAN_FRONTEND=noninteractive"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// As nobody (whom a real run refuses after this check), and
			// with stdin not a terminal: debconf could not ask.
			code, out := runInstallUnprivileged(t, tt.env, "--with-steamcmd")
			equal(t, "exit status", code, 1)
			if !strings.Contains(out, refusal) {
				t.Errorf("output lacks %q:\n%s", refusal, out)
			}
			if strings.Contains(out, "would run") || strings.Contains(out, "run: ") {
				t.Errorf("install.sh went on:\n%s", out)
			}
		})
	}
}

// TestInstallTakesTheLayersHelper: the root helper that mounts add-on
// layers is a Go program, not a file of deploy/: it comes from beside
// --binary or from --layers-helper, and without it install.sh says what
// will not work.
func TestInstallTakesTheLayersHelper(t *testing.T) {
	t.Parallel()
	needVisudo(t)
	other := filepath.Join(t.TempDir(), "my-layers")
	if err := os.WriteFile(other, []byte("#!/bin/sh\necho mine\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	const installed = "usr/local/libexec/left4me/left4me-layers"
	t.Run("--layers-helper names it", func(t *testing.T) {
		t.Parallel()
		dest := t.TempDir()
		code, out := runInstall(t, []string{"DESTDIR=" + dest}, "--layers-helper", other)
		if code != 0 {
			t.Fatalf("install.sh exited %d:\n%s", code, out)
		}
		wantMode(t, filepath.Join(dest, installed), 0o755)
		wantSameContent(t, filepath.Join(dest, installed), other)
		if strings.Contains(out, "warning") {
			t.Errorf("a warning:\n%s", out)
		}
	})
	t.Run("without it install.sh says so and installs the rest", func(t *testing.T) {
		t.Parallel()
		dest := t.TempDir()
		code, out := runInstall(t, []string{"DESTDIR=" + dest})
		if code != 0 {
			t.Fatalf("install.sh exited %d:\n%s", code, out)
		}
		if _, err := os.Lstat(filepath.Join(dest, installed)); err == nil {
			t.Errorf("%s installed from nowhere", installed)
		}
		if !strings.Contains(out, "note: no left4me-layers installed") {
			t.Errorf("no warning about the missing helper:\n%s", out)
		}
	})
	t.Run("a helper that is not executable is refused before anything is installed", func(t *testing.T) {
		t.Parallel()
		dest := t.TempDir()
		plain := filepath.Join(t.TempDir(), "left4me-layers")
		if err := os.WriteFile(plain, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		code, out := runInstall(t, []string{"DESTDIR=" + dest}, "--layers-helper", plain)
		equal(t, "exit status", code, 1)
		if !strings.Contains(out, "--layers-helper "+plain+" is not an executable file") {
			t.Errorf("output:\n%s", out)
		}
		equal(t, "tree", snapshot(t, dest), map[string]string{".": snapshot(t, dest)["."]})
	})
}
