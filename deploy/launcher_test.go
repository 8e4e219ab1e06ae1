package deploy_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The launcher takes its program from LEFT4ME_SRCDS by design (that is
// how an operator, or a stand-in game server, chooses it), so these tests
// run the file itself with LEFT4ME_SRCDS pointing at a stub.

func newStub(t *testing.T, name string) string {
	t.Helper()
	stub := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(stub, []byte(stubScript), 0o755); err != nil {
		t.Fatal(err)
	}
	return stub
}

func TestSrcdsLauncherRunsTheConfiguredProgram(t *testing.T) {
	t.Parallel()
	other := newStub(t, "stand-in")
	srcdsRun := newStub(t, "srcds_run")
	tests := []struct {
		name    string
		program string
		port    string
		args    []string
		want    []string
	}{
		{"a program gets the game, the port and the instance's arguments", other, "27015",
			[]string{"+map", "c1m1_hotel", "-tickrate", "100"},
			[]string{"-game", "left4dead2", "-port", "27015", "+hostport", "27015", "+map", "c1m1_hotel", "-tickrate", "100"}},
		{"a program without instance arguments gets the fixed ones", other, "1024", nil,
			[]string{"-game", "left4dead2", "-port", "1024", "+hostport", "1024"}},
		{"srcds_run also gets -norestart so that systemd sees crashes", srcdsRun, "65535", []string{"+map", "c2m1_highway"},
			[]string{"-game", "left4dead2", "-port", "65535", "+hostport", "65535", "-norestart", "+map", "c2m1_highway"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runRecorded(t, srcdsLauncher, []string{"LEFT4ME_SRCDS=" + tt.program, "LEFT4ME_PORT=" + tt.port}, tt.args...)
			wantRan(t, r, tt.want)
		})
	}
}

// cfgDirLine is the launcher's one line naming the directory where it
// puts the instance's server.cfg: the unit's tmpfs.
const cfgDirLine = "cfgdir=/run/left4me-instance"

// launcherWithCfgDir copies the launcher into a new temporary directory
// with its cfgDirLine naming dir instead, and fails the test unless
// exactly that one line changed.
func launcherWithCfgDir(t *testing.T, dir string) string {
	t.Helper()
	orig, err := os.ReadFile(srcdsLauncher)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(orig), "\n")
	changed := 0
	for i, l := range lines {
		if l == cfgDirLine {
			lines[i] = "cfgdir='" + dir + "'"
			changed++
		}
	}
	if changed != 1 || strings.ContainsAny(dir, "'\n") {
		t.Fatalf("%s has %d lines %q, want exactly 1 (dir %q)", srcdsLauncher, changed, cfgDirLine, dir)
	}
	copied := filepath.Join(t.TempDir(), "left4me-srcds")
	if err := os.WriteFile(copied, []byte(strings.Join(lines, "\n")), 0o755); err != nil {
		t.Fatal(err)
	}
	return copied
}

func TestSrcdsLauncherPointsSrcdsAtTheInstancesServerCfg(t *testing.T) {
	t.Parallel()
	other := newStub(t, "stand-in")
	srcdsRun := newStub(t, "srcds_run")
	const cfg = "hostname \"Game night\"\n"
	withCfg := t.TempDir()
	if err := os.WriteFile(filepath.Join(withCfg, "server.cfg"), []byte(cfg), 0o640); err != nil {
		t.Fatal(err)
	}
	withoutCfg := t.TempDir()
	if err := os.WriteFile(filepath.Join(withoutCfg, "instance.env"), []byte("LEFT4ME_PORT=27015\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	cfgIsADir := t.TempDir()
	if err := os.Mkdir(filepath.Join(cfgIsADir, "server.cfg"), 0o750); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		dir      string
		program  string
		want     []string
		wantCopy bool // server.cfg is copied into the unit's tmpfs
	}{
		{"with a server.cfg srcds executes left4me-server.cfg, before the instance's arguments", withCfg, other,
			[]string{"-game", "left4dead2", "-port", "27015", "+hostport", "27015",
				"+servercfgfile", "left4me-server.cfg", "+map", "c1m1_hotel"}, true},
		{"with a server.cfg, srcds_run still gets -norestart first", withCfg, srcdsRun,
			[]string{"-game", "left4dead2", "-port", "27015", "+hostport", "27015",
				"-norestart", "+servercfgfile", "left4me-server.cfg", "+map", "c1m1_hotel"}, true},
		{"without a server.cfg srcds keeps its own", withoutCfg, other,
			[]string{"-game", "left4dead2", "-port", "27015", "+hostport", "27015", "+map", "c1m1_hotel"}, false},
		{"a directory named server.cfg is no server.cfg", cfgIsADir, other,
			[]string{"-game", "left4dead2", "-port", "27015", "+hostport", "27015", "+map", "c1m1_hotel"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tmpfs := t.TempDir()
			r := runRecordedIn(t, tt.dir, launcherWithCfgDir(t, tmpfs), []string{"LEFT4ME_SRCDS=" + tt.program, "LEFT4ME_PORT=27015"},
				"+map", "c1m1_hotel")
			wantRan(t, r, tt.want)
			entries, err := os.ReadDir(tmpfs)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.wantCopy {
				equal(t, "entries in the unit's tmpfs", len(entries), 0)
				return
			}
			got, err := os.ReadFile(filepath.Join(tmpfs, "server.cfg"))
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "the copy in the unit's tmpfs", string(got), cfg)
			equal(t, "entries in the unit's tmpfs", len(entries), 1)
		})
	}
}

func TestSrcdsLauncherRefusesToRunWithoutTheInstancesServerCfg(t *testing.T) {
	t.Parallel()
	stub := newStub(t, "stand-in")
	withCfg := t.TempDir()
	if err := os.WriteFile(filepath.Join(withCfg, "server.cfg"), []byte("sv_password \"secret\"\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	// No tmpfs where the unit should have put one: srcds must not run
	// without the instance's server.cfg, which may hold its password.
	missing := filepath.Join(t.TempDir(), "no-tmpfs")
	r := runRecordedIn(t, withCfg, launcherWithCfgDir(t, missing), []string{"LEFT4ME_SRCDS=" + stub, "LEFT4ME_PORT=27015"})
	equal(t, "exit status", r.code, 2)
	if r.ran {
		t.Errorf("the program ran with %q", r.argv)
	}
	if !strings.Contains(r.stderr, "left4me-srcds: cannot copy server.cfg into "+missing) {
		t.Errorf("stderr = %q", r.stderr)
	}
}

func TestSrcdsLauncherRefusesBadConfiguration(t *testing.T) {
	t.Parallel()
	stub := newStub(t, "stand-in")
	notExecutable := filepath.Join(t.TempDir(), "srcds_run")
	if err := os.WriteFile(notExecutable, []byte(stubScript), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  []string
	}{
		{"a missing port is refused", []string{"LEFT4ME_SRCDS=" + stub}},
		{"an empty port is refused", []string{"LEFT4ME_SRCDS=" + stub, "LEFT4ME_PORT="}},
		{"a port with letters is refused", []string{"LEFT4ME_SRCDS=" + stub, "LEFT4ME_PORT=270a5"}},
		{"a port with a space is refused", []string{"LEFT4ME_SRCDS=" + stub, "LEFT4ME_PORT=27015 "}},
		{"a negative port is refused", []string{"LEFT4ME_SRCDS=" + stub, "LEFT4ME_PORT=-1"}},
		{"port zero is refused", []string{"LEFT4ME_SRCDS=" + stub, "LEFT4ME_PORT=0"}},
		{"a port with a leading zero is refused", []string{"LEFT4ME_SRCDS=" + stub, "LEFT4ME_PORT=027015"}},
		{"a port above 65535 is refused", []string{"LEFT4ME_SRCDS=" + stub, "LEFT4ME_PORT=65536"}},
		{"a huge port is refused", []string{"LEFT4ME_SRCDS=" + stub, "LEFT4ME_PORT=99999999999999999999999"}},
		{"a relative program is refused", []string{"LEFT4ME_SRCDS=srcds_run", "LEFT4ME_PORT=27015"}},
		{"a missing program is refused", []string{"LEFT4ME_SRCDS=/nonexistent/srcds_run", "LEFT4ME_PORT=27015"}},
		{"a program that is not executable is refused", []string{"LEFT4ME_SRCDS=" + notExecutable, "LEFT4ME_PORT=27015"}},
		{"a directory as the program is refused", []string{"LEFT4ME_SRCDS=" + t.TempDir(), "LEFT4ME_PORT=27015"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runRecorded(t, srcdsLauncher, tt.env, "+map", "c1m1_hotel")
			equal(t, "exit status", r.code, 2)
			if r.ran {
				t.Errorf("the program ran with %q", r.argv)
			}
			if r.stderr == "" {
				t.Errorf("no error message on stderr")
			}
		})
	}
}

func TestSrcdsLauncherDefaultsToTheGameInstallation(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/var/lib/left4me/game/srcds_run"); err == nil {
		t.Skip("a game is installed here; not starting it")
	}
	r := runRecorded(t, srcdsLauncher, []string{"LEFT4ME_PORT=27015"})
	equal(t, "exit status", r.code, 2)
	equal(t, "stderr", r.stderr, "left4me-srcds: /var/lib/left4me/game/srcds_run is not an executable file; install the game there or set LEFT4ME_SRCDS in /etc/left4me/server.env\n")
}
