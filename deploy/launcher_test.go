package deploy_test

import (
	"os"
	"path/filepath"
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

func TestSrcdsLauncherPointsSrcdsAtTheInstancesServerCfg(t *testing.T) {
	t.Parallel()
	other := newStub(t, "stand-in")
	srcdsRun := newStub(t, "srcds_run")
	withCfg := t.TempDir()
	if err := os.WriteFile(filepath.Join(withCfg, "server.cfg"), []byte("hostname \"Game night\"\n"), 0o640); err != nil {
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
		name    string
		dir     string
		program string
		want    []string
	}{
		{"with a server.cfg srcds executes left4me-server.cfg, before the instance's arguments", withCfg, other,
			[]string{"-game", "left4dead2", "-port", "27015", "+hostport", "27015",
				"+servercfgfile", "left4me-server.cfg", "+map", "c1m1_hotel"}},
		{"with a server.cfg, srcds_run still gets -norestart first", withCfg, srcdsRun,
			[]string{"-game", "left4dead2", "-port", "27015", "+hostport", "27015",
				"-norestart", "+servercfgfile", "left4me-server.cfg", "+map", "c1m1_hotel"}},
		{"without a server.cfg srcds keeps its own", withoutCfg, other,
			[]string{"-game", "left4dead2", "-port", "27015", "+hostport", "27015", "+map", "c1m1_hotel"}},
		{"a directory named server.cfg is no server.cfg", cfgIsADir, other,
			[]string{"-game", "left4dead2", "-port", "27015", "+hostport", "27015", "+map", "c1m1_hotel"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runRecordedIn(t, tt.dir, srcdsLauncher, []string{"LEFT4ME_SRCDS=" + tt.program, "LEFT4ME_PORT=27015"},
				"+map", "c1m1_hotel")
			wantRan(t, r, tt.want)
		})
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
