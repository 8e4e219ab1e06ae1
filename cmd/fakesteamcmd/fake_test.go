package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/left4me/left4me/game"
)

var binary string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "fakesteamcmd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "fakesteamcmd")
	if out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// box is a steamcmd root and an install directory.
type box struct {
	t         *testing.T
	root, dir string
	env       []string
}

func newBox(t *testing.T, env ...string) *box {
	base := t.TempDir()
	b := &box{t: t, root: filepath.Join(base, "root"), dir: filepath.Join(base, "game")}
	b.env = append([]string{"FAKESTEAMCMD_ROOT=" + b.root, "FAKESTEAMCMD_STEPS=4", "FAKESTEAMCMD_STEP_DELAY=1ms"}, env...)
	return b
}

func (b *box) command(args ...string) *exec.Cmd {
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), b.env...)
	return cmd
}

// pass is the command line of one install pass.
func (b *box) pass(platform, login string, validate bool) []string {
	args := []string{"+@sSteamCmdForcePlatformType", platform, "+force_install_dir", b.dir, "+login", login, "+app_update", "222860"}
	if validate {
		args = append(args, "validate")
	}
	return append(args, "+quit")
}

// run runs the fake with its output into a pipe and returns the output
// and the exit status.
func (b *box) run(args ...string) (string, int) {
	b.t.Helper()
	cmd := b.command(args...)
	out, err := cmd.Output()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		b.t.Fatal(err)
	}
	return string(out), cmd.ProcessState.ExitCode()
}

func wantIn(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("output does not have %q:\n%s", w, out)
		}
	}
}

func TestParseCommandLine(t *testing.T) {
	got := parseCommandLine(strings.Fields("stray +@sSteamCmdForcePlatformType windows +force_install_dir /g +login anonymous +app_update 222860 validate +quit"))
	want := []command{
		{"@sSteamCmdForcePlatformType", []string{"windows"}},
		{"force_install_dir", []string{"/g"}},
		{"login", []string{"anonymous"}},
		{"app_update", []string{"222860", "validate"}},
		{"quit", nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseCommandLine = %q, want %q", got, want)
	}
}

func TestAnonymousLinuxOnlyIsRefused(t *testing.T) {
	b := newBox(t)
	out, code := b.run(b.pass("linux", "anonymous", true)...)
	if code != 8 {
		t.Errorf("exit status %d, want 8", code)
	}
	wantIn(t, out, "Loading Steam API...OK", `"@sSteamCmdForcePlatformType" = "linux"`,
		"Connecting anonymously to Steam Public...OK", "ERROR! Failed to install app '222860' (Invalid platform)")
	if _, err := os.Stat(filepath.Join(b.dir, "srcds_run")); err == nil {
		t.Error("a refused pass installed srcds_run")
	}
}

func TestTwoPassInstall(t *testing.T) {
	srcds := filepath.Join(t.TempDir(), "fakesrcds")
	if err := os.WriteFile(srcds, []byte("#!/bin/sh\nexit 0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b := newBox(t, "FAKESTEAMCMD_SRCDS="+srcds, "FAKESTEAMCMD_BUILDID=31337")
	out, code := b.run(b.pass("windows", "anonymous", true)...)
	if code != 0 {
		t.Fatalf("windows pass: exit status %d\n%s", code, out)
	}
	wantIn(t, out, " Update state (0x3) reconfiguring, progress: 0.00 (0 / 0)",
		" Update state (0x61) downloading, progress: 25.00 (2469135802 / 9876543210)",
		" Update state (0x81) committing, progress: 100.00 (9876543210 / 9876543210)",
		"Success! App '222860' fully installed.", "Unloading Steam API...OK")
	out, code = b.run(b.pass("linux", "anonymous", true)...)
	if code != 0 {
		t.Fatalf("linux pass: exit status %d\n%s", code, out)
	}
	wantIn(t, out, " Update state (0x5) validating, progress:", "Success! App '222860' fully installed.")

	fi, err := os.Stat(filepath.Join(b.dir, "srcds_run"))
	if err != nil || fi.Mode()&0o111 == 0 {
		t.Fatalf("srcds_run: %v %v", fi, err)
	}
	for _, p := range []string{filepath.Join(b.dir, "srcds.exe"), filepath.Join(b.dir, "left4dead2", "cfg"),
		filepath.Join(b.root, "linux32", "steamclient.so"), filepath.Join(b.root, "logs", "stderr.txt")} {
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
	}
	// The manifest reads as Steam's: the panel's own parser takes it.
	m, err := game.ReadManifest(b.dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.BuildID != "31337" || m.Partial() || m.SizeOnDisk != 9876543210 || m.StateFlags != 4 {
		t.Errorf("manifest %+v", m)
	}
	raw, _ := os.ReadFile(filepath.Join(b.dir, "steamapps", "appmanifest_222860.acf"))
	wantIn(t, string(raw), "\"AppState\"\n{\n\t\"appid\"\t\t\"222860\"\n", "\t\"InstalledDepots\"\n\t{\n")

	out, code = b.run(b.pass("linux", "anonymous", false)...)
	if code != 0 {
		t.Fatalf("update: exit status %d", code)
	}
	wantIn(t, out, "Success! App '222860' already up to date.")
}

func TestWithoutSrcdsTheStandInSaysSo(t *testing.T) {
	b := newBox(t)
	b.run(b.pass("windows", "anonymous", false)...)
	if out, code := b.run(b.pass("linux", "anonymous", false)...); code != 0 {
		t.Fatalf("exit status %d\n%s", code, out)
	}
	out, err := exec.Command(filepath.Join(b.dir, "srcds_run")).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "without FAKESTEAMCMD_SRCDS") {
		t.Errorf("srcds_run: %v %q", err, out)
	}
}

func TestPipeOutputIsBuffered(t *testing.T) {
	// Into a pipe all of a short run comes in one block at the end: the
	// first read already holds the last line.
	b := newBox(t, "FAKESTEAMCMD_STEP_DELAY=20ms")
	cmd := b.command(b.pass("windows", "anonymous", false)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	n, err := stdout.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(stdout)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	first := string(buf[:n])
	if !strings.Contains(first, "Unloading Steam API...OK") {
		t.Errorf("first read (%d bytes, %d after) ends %q: the output was not buffered", n, len(rest), first[max(0, len(first)-80):])
	}
}

// tty runs the fake on a pseudo-terminal.
type tty struct {
	t    *testing.T
	cmd  *exec.Cmd
	pty  *os.File
	seen bytes.Buffer
}

func (b *box) tty(args ...string) *tty {
	b.t.Helper()
	cmd := b.command(args...)
	f, err := pty.Start(cmd)
	if err != nil {
		b.t.Fatal(err)
	}
	tt := &tty{t: b.t, cmd: cmd, pty: f}
	b.t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = f.Close()
		_ = cmd.Wait()
	})
	return tt
}

// until reads until what it has read ends with suffix, or fails after 10 s.
func (tt *tty) until(suffix string) {
	tt.t.Helper()
	_ = tt.pty.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	for !strings.HasSuffix(tt.seen.String(), suffix) {
		n, err := tt.pty.Read(buf)
		tt.seen.Write(buf[:n])
		if err != nil {
			tt.t.Fatalf("waiting for %q: %v; read:\n%q", suffix, err, tt.seen.String())
		}
	}
}

// finish reads to the end and returns the exit status.
func (tt *tty) finish() int {
	tt.t.Helper()
	_ = tt.pty.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, _ := io.ReadAll(tt.pty) // ends with EIO when the fake is gone
	tt.seen.Write(b)
	err := tt.cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		tt.t.Fatal(err)
	}
	return tt.cmd.ProcessState.ExitCode()
}

func TestTerminalOutputComesAtOnce(t *testing.T) {
	gate := filepath.Join(t.TempDir(), "gate")
	b := newBox(t, "FAKESTEAMCMD_GATE="+gate)
	tt := b.tty(b.pass("windows", "anonymous", false)...)
	// The download waits at the gate after its first line: that line
	// must have come through the terminal by then.
	tt.until("downloading, progress: 25.00 (2469135802 / 9876543210)\r\n")
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code := tt.finish(); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	wantIn(t, tt.seen.String(), "[  0%] Checking for available updates...\r[----] Verifying installation...\r\n",
		"Success! App '222860' fully installed.\r\n")
}

func TestTerminalQuestions(t *testing.T) {
	for _, tc := range []struct {
		name, env, prompt, answer, wantOut string
		wantCode                           int
		echoed                             bool
	}{
		{"a right Steam Guard code", "FAKESTEAMCMD_GUARD_CODE=K7Q2X", "Steam Guard code:", "K7Q2X",
			"Logging in user 'ops' [U:1:100000003] to Steam Public...OK", 0, true},
		{"a wrong Steam Guard code", "FAKESTEAMCMD_GUARD_CODE=K7Q2X", "Steam Guard code:", "AAAAA",
			"FAILED (Invalid Login Auth Code)", 5, true},
		{"a wrong two-factor code", "FAKESTEAMCMD_TWO_FACTOR=9RT4M", "Two-factor code:", "11111",
			"FAILED (Two-factor code mismatch)", 5, true},
		{"a password, not echoed", "FAKESTEAMCMD_PASSWORD=s3cret-pw", "password: ", "s3cret-pw",
			"Logging in using username/password.", 0, false},
		{"a wrong password", "FAKESTEAMCMD_PASSWORD=s3cret-pw", "password: ", "guess",
			"FAILED (Invalid Password)", 5, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBox(t, tc.env)
			tt := b.tty(b.pass("linux", "ops", false)...)
			tt.until(tc.prompt) // no newline after a question
			if _, err := tt.pty.Write([]byte(tc.answer + "\r")); err != nil {
				t.Fatal(err)
			}
			code := tt.finish()
			if code != tc.wantCode {
				t.Errorf("exit status %d, want %d\n%s", code, tc.wantCode, tt.seen.String())
			}
			wantIn(t, tt.seen.String(), tc.wantOut)
			if got := strings.Contains(tt.seen.String(), tc.answer); got != tc.echoed {
				t.Errorf("answer echoed: %v, want %v\n%q", got, tc.echoed, tt.seen.String())
			}
		})
	}
}

func TestInteractivePrompt(t *testing.T) {
	b := newBox(t)
	tt := b.tty("+login", "anonymous")
	tt.until("\r\nSteam>")
	if _, err := tt.pty.Write([]byte("quit\r")); err != nil {
		t.Fatal(err)
	}
	if code := tt.finish(); code != 0 {
		t.Errorf("exit status %d", code)
	}
	wantIn(t, tt.seen.String(), "Unloading Steam API...OK")
}

func TestSwitches(t *testing.T) {
	t.Run("fail once", func(t *testing.T) {
		b := newBox(t, "FAKESTEAMCMD_FAIL_ONCE=windows")
		out, code := b.run(b.pass("windows", "anonymous", true)...)
		if code != 8 {
			t.Errorf("first: exit status %d", code)
		}
		wantIn(t, out, "Error! App '222860' state is 0x602 after update job.")
		if out, code := b.run(b.pass("windows", "anonymous", true)...); code != 0 {
			t.Errorf("second: exit status %d\n%s", code, out)
		}
	})
	t.Run("disk full", func(t *testing.T) {
		b := newBox(t, "FAKESTEAMCMD_DISK_FULL=1")
		out, code := b.run(b.pass("windows", "anonymous", true)...)
		if code != 8 {
			t.Errorf("exit status %d", code)
		}
		wantIn(t, out, "Error! App '222860' state is 0x202 after update job.")
		m, err := game.ReadManifest(b.dir)
		if err != nil || !m.Partial() {
			t.Errorf("manifest %+v, %v: want a half-finished one", m, err)
		}
	})
	t.Run("rate limit", func(t *testing.T) {
		b := newBox(t, "FAKESTEAMCMD_RATE_LIMIT=1")
		out, code := b.run(b.pass("windows", "ops", true)...)
		if code != 5 {
			t.Errorf("exit status %d", code)
		}
		wantIn(t, out, "Logging in user 'ops' [U:1:100000003] to Steam Public...FAILED (Rate Limit Exceeded)")
	})
	t.Run("no licence", func(t *testing.T) {
		b := newBox(t, "FAKESTEAMCMD_NO_LICENSE=1")
		out, code := b.run(b.pass("linux", "ops", true)...)
		if code != 8 {
			t.Errorf("exit status %d", code)
		}
		wantIn(t, out, "ERROR! Failed to install app '222860' (No subscription)")
	})
	t.Run("password and code on the command line ask nothing", func(t *testing.T) {
		b := newBox(t, "FAKESTEAMCMD_PASSWORD=pw", "FAKESTEAMCMD_GUARD_CODE=K7Q2X")
		out, code := b.run("+force_install_dir", b.dir, "+login", "ops", "pw", "K7Q2X", "+app_update", "222860", "+quit")
		if code != 0 {
			t.Errorf("exit status %d\n%s", code, out)
		}
		if strings.Contains(out, "code:") || strings.Contains(out, "password:") {
			t.Errorf("asked a question:\n%s", out)
		}
	})
	t.Run("another app", func(t *testing.T) {
		b := newBox(t)
		out, _ := b.run("+login", "anonymous", "+app_update", "740", "+quit")
		wantIn(t, out, "ERROR! Failed to install app '740' (No subscription)")
	})
	t.Run("force_install_dir after login", func(t *testing.T) {
		b := newBox(t)
		out, _ := b.run("+login", "anonymous", "+force_install_dir", b.dir, "+quit")
		wantIn(t, out, "Please use force_install_dir before logon!")
	})
	t.Run("the child writes its PID", func(t *testing.T) {
		pidfile := filepath.Join(t.TempDir(), "pid")
		b := newBox(t, "FAKESTEAMCMD_PIDFILE="+pidfile)
		cmd := b.command("+quit")
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(pidfile)
		if err != nil {
			t.Fatal(err)
		}
		if pid, _ := strconv.Atoi(strings.TrimSpace(string(raw))); pid == 0 || pid == cmd.Process.Pid {
			t.Errorf("child PID %q, wrapper %d: the work must be done by a child", raw, cmd.Process.Pid)
		}
	})
}

func TestAppInfoPrint(t *testing.T) {
	info := []string{"+login", "anonymous", "+app_info_update", "1", "+app_info_print", "222860", "+quit"}
	b := newBox(t, "FAKESTEAMCMD_BUILDID=900", "FAKESTEAMCMD_APPINFO_EMPTY=1")
	out, _ := b.run(info...)
	wantIn(t, out, "No app info for AppID 222860 found, requesting...")
	out, _ = b.run(info...)
	wantIn(t, out, "AppID : 222860, change number : ", "\"222860\"\n{\n", "\t\t\t\"public\"\n\t\t\t{\n\t\t\t\t\"buildid\"\t\t\"900\"")

	// The answer is cached: a newer build shows only once the cache is gone.
	b.env = append(b.env, "FAKESTEAMCMD_BUILDID=901")
	out, _ = b.run(info...)
	wantIn(t, out, "\"buildid\"\t\t\"900\"")
	if err := os.Remove(filepath.Join(b.root, "appcache", "appinfo.vdf")); err != nil {
		t.Fatal(err)
	}
	out, _ = b.run(info...)
	wantIn(t, out, "\"buildid\"\t\t\"901\"")
}
