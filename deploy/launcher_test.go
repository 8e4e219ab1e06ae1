package deploy_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/left4me/left4me/hostbackend"
)

// The launcher takes its program from LEFT4ME_SRCDS by design (that is
// how an operator, or a stand-in game server, chooses it), so these tests
// run the file itself with LEFT4ME_SRCDS pointing at a stub, in a
// temporary directory standing in for the instance's, with an
// instance.env there.

func newStub(t *testing.T, name string) string {
	t.Helper()
	stub := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(stub, []byte(stubScript), 0o755); err != nil {
		t.Fatal(err)
	}
	return stub
}

// instanceDir returns a new directory holding instance.env with text.
func instanceDir(t *testing.T, text string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "instance.env"), []byte(text), 0o640); err != nil {
		t.Fatal(err)
	}
	return dir
}

// panelsInstanceEnv is instance.env as the panel writes it.
func panelsInstanceEnv(t *testing.T, port int, args ...string) string {
	t.Helper()
	spec := hostbackend.InstanceSpec{Name: "coop-1", Port: port, Args: args}
	if err := hostbackend.ValidateSpec(spec); err != nil {
		t.Fatal(err)
	}
	return string(hostbackend.InstanceEnv(spec))
}

func TestSrcdsLauncherRunsTheConfiguredProgram(t *testing.T) {
	t.Parallel()
	other := newStub(t, "stand-in")
	srcdsRun := newStub(t, "srcds_run")
	tests := []struct {
		name    string
		program string
		port    int
		args    []string
		want    []string
	}{
		{"a program gets the game, the port and the instance's arguments", other, 27015,
			[]string{"+map", "c1m1_hotel", "-tickrate", "100"},
			[]string{"-game", "left4dead2", "-port", "27015", "+hostport", "27015", "+map", "c1m1_hotel", "-tickrate", "100"}},
		{"a program without instance arguments gets the fixed ones", other, 1024, nil,
			[]string{"-game", "left4dead2", "-port", "1024", "+hostport", "1024"}},
		{"srcds_run also gets -norestart so that systemd sees crashes", srcdsRun, 65535, []string{"+map", "c2m1_highway"},
			[]string{"-game", "left4dead2", "-port", "65535", "+hostport", "65535", "-norestart", "+map", "c2m1_highway"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := instanceDir(t, panelsInstanceEnv(t, tt.port, tt.args...))
			r := runRecordedIn(t, dir, srcdsLauncher, []string{"LEFT4ME_SRCDS=" + tt.program})
			wantRan(t, r, tt.want)
		})
	}
}

// TestSrcdsLauncherSplitsArgumentsAsSystemdDid: the unit used to pass
// $SRCDS_ARGS, which systemd split at white space into words, none empty,
// with no globbing. Every argument list the panel can write must reach
// the program intact, in order, glob characters and all, even where a
// file in the instance's directory would match them.
func TestSrcdsLauncherSplitsArgumentsAsSystemdDid(t *testing.T) {
	t.Parallel()
	stub := newStub(t, "stand-in")
	many := make([]string, hostbackend.MaxArgs)
	for i := range many {
		many[i] = strings.Repeat(string(rune('a'+i%26)), hostbackend.MaxArgLen)
	}
	tests := []struct {
		name string
		args []string
	}{
		{"no arguments", nil},
		{"one argument", []string{"-insecure"}},
		{"glob characters stay as written", []string{"+sv_tags", "*", "maps/*.vpk", "?", "[c]fg", "{a,b}", "~"}},
		{"every other printable character", []string{"!#%&()*+,-./:;<=>?@[]^_{|}~", "+sv_gametypes", "coop,versus", "key=value"}},
		{"the most and the longest arguments", many},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := instanceDir(t, panelsInstanceEnv(t, 27015, tt.args...))
			for _, f := range []string{"c", "cfg", "maps", "a", "x"} {
				if err := os.WriteFile(filepath.Join(dir, f), nil, 0o640); err != nil {
					t.Fatal(err)
				}
			}
			r := runRecordedIn(t, dir, srcdsLauncher, []string{"LEFT4ME_SRCDS=" + stub})
			wantRan(t, r, append([]string{"-game", "left4dead2", "-port", "27015", "+hostport", "27015"}, tt.args...))
		})
	}
}

// TestSrcdsLauncherReadsWhatSystemdRead: instance.env as a person could
// write it, in the part both parsers read alike: comments, blank lines,
// a value without quotes, runs of spaces, no newline at the end. And
// srcds's environment keeps the three settings, as when systemd set them
// (not the unit's own).
func TestSrcdsLauncherReadsWhatSystemdRead(t *testing.T) {
	t.Parallel()
	envRecord := filepath.Join(t.TempDir(), "env")
	stub := filepath.Join(t.TempDir(), "stand-in")
	script := "#!/bin/sh\nprintf '%s|' \"${LEFT4ME_INSTANCE-unset}\" \"${LEFT4ME_PORT-unset}\" \"${SRCDS_ARGS-unset}\" >\"$ENV_RECORD\"\n" +
		strings.TrimPrefix(stubScript, "#!/bin/sh\n")
	if err := os.WriteFile(stub, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := instanceDir(t, "# by hand\n; another comment\n\nLEFT4ME_INSTANCE=bare-1\nLEFT4ME_PORT=\"27017\"\n"+
		"SRCDS_ARGS=\"  +map   c1m1_hotel +sv_tags=a,b  \"")
	r := runRecordedIn(t, dir, srcdsLauncher, []string{"LEFT4ME_SRCDS=" + stub, "ENV_RECORD=" + envRecord,
		"LEFT4ME_PORT=1234", "SRCDS_ARGS=+from the unit"})
	wantRan(t, r, []string{"-game", "left4dead2", "-port", "27017", "+hostport", "27017", "+map", "c1m1_hotel", "+sv_tags=a,b"})
	got, err := os.ReadFile(envRecord)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "the program's LEFT4ME_INSTANCE|LEFT4ME_PORT|SRCDS_ARGS", string(got), "bare-1|27017|  +map   c1m1_hotel +sv_tags=a,b  |")
}

// TestSrcdsLauncherReadsInstanceEnvAsData: instance.env is left4me's
// file, read by left4me; the launcher never runs it as shell code and
// refuses what the panel never writes instead of guessing how systemd
// would have read it. The program never runs then.
func TestSrcdsLauncherReadsInstanceEnvAsData(t *testing.T) {
	t.Parallel()
	stub := newStub(t, "stand-in")
	const port = "LEFT4ME_PORT=\"27015\"\n"
	const secret = "hunter2-secret"
	tests := []struct {
		name       string
		text       string // instance.env; "" for none at all
		wantStderr string
	}{
		{"no instance.env", "", "left4me-srcds: cannot read instance.env in "},
		{"a line without =", port + "SRCDS_ARGS\n", "left4me-srcds: instance.env line 2 is not KEY=VALUE\n"},
		{"a key the launcher does not know", port + "API_TOKEN=\"" + secret + "\"\n",
			"left4me-srcds: instance.env line 2 sets API_TOKEN; only LEFT4ME_INSTANCE, LEFT4ME_PORT and SRCDS_ARGS may be set there\n"},
		{"LEFT4ME_SRCDS belongs to root's server.env", port + "LEFT4ME_SRCDS=/bin/sh\n",
			"left4me-srcds: instance.env line 2 sets LEFT4ME_SRCDS; only LEFT4ME_INSTANCE, LEFT4ME_PORT and SRCDS_ARGS may be set there\n"},
		{"export is shell, not instance.env", "export " + port,
			"left4me-srcds: instance.env line 1 sets export LEFT4ME_PORT; only LEFT4ME_INSTANCE, LEFT4ME_PORT and SRCDS_ARGS may be set there\n"},
		{"a command substitution is not run", port + "SRCDS_ARGS=\"$(touch pwned)\"\n",
			"left4me-srcds: instance.env line 2: the value of SRCDS_ARGS holds a quote, a backslash, $ or `, which left4me never writes\n"},
		{"a command substitution in a key is not run", port + "$(touch pwned)=1\n",
			"left4me-srcds: instance.env line 2 sets $(touch pwned); only LEFT4ME_INSTANCE, LEFT4ME_PORT and SRCDS_ARGS may be set there\n"},
		{"backquotes", port + "SRCDS_ARGS=`touch pwned`\n",
			"left4me-srcds: instance.env line 2: the value of SRCDS_ARGS holds a quote, a backslash, $ or `, which left4me never writes\n"},
		{"a variable", port + "SRCDS_ARGS=$HOME\n",
			"left4me-srcds: instance.env line 2: the value of SRCDS_ARGS holds a quote, a backslash, $ or `, which left4me never writes\n"},
		{"single quotes, which systemd would have removed", port + "SRCDS_ARGS='+map c1m1_hotel'\n",
			"left4me-srcds: instance.env line 2: the value of SRCDS_ARGS holds a quote, a backslash, $ or `, which left4me never writes\n"},
		{"quotes inside a value, which systemd would have joined words by", port + "SRCDS_ARGS=\"+hostname \"a b\"\"\n",
			"left4me-srcds: instance.env line 2: the value of SRCDS_ARGS holds a quote, a backslash, $ or `, which left4me never writes\n"},
		{"a backslash", port + "SRCDS_ARGS=\"a\\ b\"\n",
			"left4me-srcds: instance.env line 2: the value of SRCDS_ARGS holds a quote, a backslash, $ or `, which left4me never writes\n"},
		{"a tab", port + "SRCDS_ARGS=\"+map\tc1m1_hotel\"\n",
			"left4me-srcds: instance.env holds a byte that is not printable ASCII (a tab, a carriage return, a control or non-ASCII character); start the server from the panel, which rewrites it\n"},
		{"a carriage return", "LEFT4ME_PORT=\"27015\"\r\n",
			"left4me-srcds: instance.env holds a byte that is not printable ASCII (a tab, a carriage return, a control or non-ASCII character); start the server from the panel, which rewrites it\n"},
		{"a NUL byte", port + "SRCDS_ARGS=\"+map\x00c1m1_hotel\"\n",
			"left4me-srcds: instance.env holds a byte that is not printable ASCII (a tab, a carriage return, a control or non-ASCII character); start the server from the panel, which rewrites it\n"},
		{"a non-ASCII character", port + "SRCDS_ARGS=\"+map c1m1_hötel\"\n",
			"left4me-srcds: instance.env holds a byte that is not printable ASCII (a tab, a carriage return, a control or non-ASCII character); start the server from the panel, which rewrites it\n"},
		{"no port", "SRCDS_ARGS=\"+map c1m1_hotel\"\n", "left4me-srcds: LEFT4ME_PORT must be a port number, got ''; check instance.env\n"},
		{"an empty port", "LEFT4ME_PORT=\"\"\n", "left4me-srcds: LEFT4ME_PORT must be a port number, got ''; check instance.env\n"},
		{"a port with letters", "LEFT4ME_PORT=\"270a5\"\n", "left4me-srcds: LEFT4ME_PORT must be a port number, got '270a5'; check instance.env\n"},
		{"a port with a space", "LEFT4ME_PORT=\"27015 \"\n", "left4me-srcds: LEFT4ME_PORT must be a port number, got '27015 '; check instance.env\n"},
		{"a negative port", "LEFT4ME_PORT=-1\n", "left4me-srcds: LEFT4ME_PORT must be a port number, got '-1'; check instance.env\n"},
		{"port zero", "LEFT4ME_PORT=0\n", "left4me-srcds: LEFT4ME_PORT must be a port number, got '0'; check instance.env\n"},
		{"a port with a leading zero", "LEFT4ME_PORT=027015\n", "left4me-srcds: LEFT4ME_PORT must be a port number, got '027015'; check instance.env\n"},
		{"a port above 65535", "LEFT4ME_PORT=65536\n", "left4me-srcds: LEFT4ME_PORT 65536 is above 65535; check instance.env\n"},
		{"a huge port", "LEFT4ME_PORT=99999999999999999999999\n", "left4me-srcds: LEFT4ME_PORT 99999999999999999999999 is above 65535; check instance.env\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if tt.text != "" {
				dir = instanceDir(t, tt.text)
			}
			r := runRecordedIn(t, dir, srcdsLauncher, []string{"LEFT4ME_SRCDS=" + stub})
			wantRefusedToStart(t, r, tt.wantStderr)
			if _, err := os.Lstat(filepath.Join(dir, "pwned")); err == nil {
				t.Errorf("instance.env was run as shell code: %s/pwned exists", dir)
			}
		})
	}
}

// wantRefusedToStart checks that the launcher exited 2 with one line on
// stderr starting with wantStderr, and the program never ran.
func wantRefusedToStart(t *testing.T, r result, wantStderr string) {
	t.Helper()
	equal(t, "exit status", r.code, 2)
	if r.ran {
		t.Errorf("the program ran with %q", r.argv)
	}
	if !strings.HasPrefix(r.stderr, wantStderr) || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("stderr = %q, want one line starting %q", r.stderr, wantStderr)
	}
}

// TestSrcdsLauncherFollowsNoLinkLeft4meCannotRead: what the unit's old
// EnvironmentFile= read as root, the launcher reads as left4me. A link in
// instance.env's place to a file the launcher's user cannot read, or to
// no file, stops the start, and names no line of that file.
func TestSrcdsLauncherFollowsNoLinkLeft4meCannotRead(t *testing.T) {
	t.Parallel()
	stub := newStub(t, "stand-in")
	const secret = "hunter2-secret"
	secrets := filepath.Join(t.TempDir(), "secret.env")
	if err := os.WriteFile(secrets, []byte("LEFT4ME_PORT=\"27015\"\nAPI_TOKEN=\""+secret+"\"\n"), 0o000); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		target string
		root   bool // meaningful as root too
	}{
		{"a link to a file its user cannot read", secrets, false},
		{"a link to no file", filepath.Join(t.TempDir(), "missing"), true},
		{"a link to a directory", t.TempDir(), true},
		{"a link to a device", "/dev/zero", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if !tt.root && os.Geteuid() == 0 {
				t.Skip("root reads any file")
			}
			dir := t.TempDir()
			if err := os.Symlink(tt.target, filepath.Join(dir, "instance.env")); err != nil {
				t.Fatal(err)
			}
			r := runRecordedIn(t, dir, srcdsLauncher, []string{"LEFT4ME_SRCDS=" + stub})
			wantRefusedToStart(t, r, "left4me-srcds: cannot read instance.env in "+dir+" (it must be a regular file left4me may read)")
			if strings.Contains(r.stderr, secret) {
				t.Errorf("stderr shows the secret: %q", r.stderr)
			}
		})
	}
}

func TestSrcdsLauncherTakesNoArguments(t *testing.T) {
	t.Parallel()
	stub := newStub(t, "stand-in")
	dir := instanceDir(t, panelsInstanceEnv(t, 27015, "+map", "c1m1_hotel"))
	// What an older unit, ExecStart=left4me-srcds $SRCDS_ARGS, would pass.
	r := runRecordedIn(t, dir, srcdsLauncher, []string{"LEFT4ME_SRCDS=" + stub}, "+map", "c1m1_hotel")
	wantRefusedToStart(t, r, "left4me-srcds: takes no arguments, it reads them from instance.env")
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
	env := panelsInstanceEnv(t, 27015, "+map", "c1m1_hotel")
	withCfg := instanceDir(t, env)
	if err := os.WriteFile(filepath.Join(withCfg, "server.cfg"), []byte(cfg), 0o640); err != nil {
		t.Fatal(err)
	}
	withoutCfg := instanceDir(t, env)
	cfgIsADir := instanceDir(t, env)
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
			r := runRecordedIn(t, tt.dir, launcherWithCfgDir(t, tmpfs), []string{"LEFT4ME_SRCDS=" + tt.program})
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
	withCfg := instanceDir(t, panelsInstanceEnv(t, 27015))
	if err := os.WriteFile(filepath.Join(withCfg, "server.cfg"), []byte("sv_password \"secret\"\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	// No tmpfs where the unit should have put one: srcds must not run
	// without the instance's server.cfg, which may hold its password.
	missing := filepath.Join(t.TempDir(), "no-tmpfs")
	r := runRecordedIn(t, withCfg, launcherWithCfgDir(t, missing), []string{"LEFT4ME_SRCDS=" + stub})
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
	notExecutable := filepath.Join(t.TempDir(), "srcds_run")
	if err := os.WriteFile(notExecutable, []byte(stubScript), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := instanceDir(t, panelsInstanceEnv(t, 27015, "+map", "c1m1_hotel"))
	tests := []struct {
		name string
		env  []string
	}{
		{"a relative program is refused", []string{"LEFT4ME_SRCDS=srcds_run"}},
		{"a missing program is refused", []string{"LEFT4ME_SRCDS=/nonexistent/srcds_run"}},
		{"a program that is not executable is refused", []string{"LEFT4ME_SRCDS=" + notExecutable}},
		{"a directory as the program is refused", []string{"LEFT4ME_SRCDS=" + t.TempDir()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runRecordedIn(t, dir, srcdsLauncher, tt.env)
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
	r := runRecordedIn(t, instanceDir(t, panelsInstanceEnv(t, 27015)), srcdsLauncher, nil)
	equal(t, "exit status", r.code, 2)
	equal(t, "stderr", r.stderr, "left4me-srcds: /var/lib/left4me/game/srcds_run is not an executable file; install the game there or set LEFT4ME_SRCDS in /etc/left4me/server.env\n")
}

// TestSrcdsLauncherRunsTheGameFromItsLayers: with a layers file, the
// unit's layers helper mounts the instance's overlay at
// /run/left4me-instance/game; the launcher waits for that mount (a
// directory on another device than the tmpfs), runs the game's program
// from it and srcds in it. Here the tmpfs is a directory in /dev/shm and
// the "mount" a link to a directory on another file system.
func TestSrcdsLauncherRunsTheGameFromItsLayers(t *testing.T) {
	t.Parallel()
	shm, err := os.MkdirTemp("/dev/shm", "left4me-launcher-test-")
	if err != nil {
		t.Skip("no /dev/shm to stand for the unit's tmpfs: ", err)
	}
	t.Cleanup(func() { os.RemoveAll(shm) })
	game := t.TempDir()
	var a, b syscall.Stat_t
	if syscall.Stat(shm, &a) != nil || syscall.Stat(game, &b) != nil || a.Dev == b.Dev {
		t.Skip("/dev/shm and the test's temporary directory are one file system here")
	}
	// A program that records its arguments and where it runs.
	recorder := "#!/bin/sh\nprintf '%s' \"$PWD\" >\"$PWD_RECORD\"\n" + strings.TrimPrefix(stubScript, "#!/bin/sh\n")
	if err := os.WriteFile(filepath.Join(game, "srcds_run"), []byte(recorder), 0o755); err != nil {
		t.Fatal(err)
	}
	standIn := filepath.Join(t.TempDir(), "stand-in")
	if err := os.WriteFile(standIn, []byte(recorder), 0o755); err != nil {
		t.Fatal(err)
	}
	env := panelsInstanceEnv(t, 27015, "+map", "c1m1_hotel")
	layered := func(t *testing.T) string {
		dir := instanceDir(t, env)
		if err := os.WriteFile(filepath.Join(dir, "layers"), []byte("build 1\n"), 0o640); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	tests := []struct {
		name    string
		dir     func(t *testing.T) string
		merged  bool // the overlay is "mounted"
		program string
		want    []string
		wantPWD string // "" for the instance's directory
	}{
		{"the game's own srcds_run runs from the merged view, in it", layered, true, "/var/lib/left4me/game/srcds_run",
			[]string{"-game", "left4dead2", "-port", "27015", "+hostport", "27015", "-norestart", "+map", "c1m1_hotel"}, "merged"},
		{"a stand-in server runs as configured, in the merged view", layered, true, standIn,
			[]string{"-game", "left4dead2", "-port", "27015", "+hostport", "27015", "+map", "c1m1_hotel"}, "merged"},
		{"without a layers file nothing is waited for and srcds runs in the instance's directory",
			func(t *testing.T) string { return instanceDir(t, env) }, false, standIn,
			[]string{"-game", "left4dead2", "-port", "27015", "+hostport", "27015", "+map", "c1m1_hotel"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tmpfs, err := os.MkdirTemp(shm, "run-")
			if err != nil {
				t.Fatal(err)
			}
			if tt.merged {
				if err := os.Symlink(game, filepath.Join(tmpfs, "game")); err != nil {
					t.Fatal(err)
				}
			}
			dir := tt.dir(t)
			pwdRecord := filepath.Join(t.TempDir(), "pwd")
			r := runRecordedIn(t, dir, launcherWithCfgDir(t, tmpfs),
				[]string{"LEFT4ME_SRCDS=" + tt.program, "PWD_RECORD=" + pwdRecord})
			wantRan(t, r, tt.want)
			pwd, err := os.ReadFile(pwdRecord)
			if err != nil {
				t.Fatal(err)
			}
			want := dir
			if tt.wantPWD == "merged" {
				want = filepath.Join(tmpfs, "game")
			}
			equal(t, "where the program ran", string(pwd), want)
		})
	}
}

// TestSrcdsLauncherNeverRunsTheUnmergedGame: with a layers file but no
// overlay mounted within 10 seconds (the helper failed, or the unit has
// no ExecStartPost=), the launcher stops rather than run the bare game
// without the instance's add-ons and writable layer.
func TestSrcdsLauncherNeverRunsTheUnmergedGame(t *testing.T) {
	t.Parallel()
	stub := newStub(t, "stand-in")
	tmpfs := t.TempDir()
	if err := os.Mkdir(filepath.Join(tmpfs, "game"), 0o755); err != nil { // a directory, not a mount
		t.Fatal(err)
	}
	dir := instanceDir(t, panelsInstanceEnv(t, 27015))
	if err := os.WriteFile(filepath.Join(dir, "layers"), []byte("build 1\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	r := runRecordedIn(t, dir, launcherWithCfgDir(t, tmpfs), []string{"LEFT4ME_SRCDS=" + stub})
	wantRefusedToStart(t, r, "left4me-srcds: the instance's layers were not mounted at "+tmpfs+"/game within 10 seconds")
}
