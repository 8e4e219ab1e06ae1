package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/fake"
	"github.com/left4me/left4me/hostbackend/hostbackendtest"
)

type result struct {
	code           int
	stdout, stderr string
}

// invoke runs l4d2ctl against b, with a state root of the test's own
// unless args name one, and reports what it printed.
func invoke(t *testing.T, ctx context.Context, b *fake.Backend, args ...string) result {
	t.Helper()
	root := t.TempDir()
	var out, errOut bytes.Buffer
	open := func(name string, cfg hostbackend.Config) (hostbackend.Backend, error) {
		if name != "fake" {
			t.Fatalf("opened backend %q, want fake", name)
		}
		return b, nil
	}
	env := func(k string) string {
		switch k {
		case "LEFT4ME_BACKEND":
			return "fake"
		case "LEFT4ME_STATE_ROOT":
			return root
		}
		return ""
	}
	code := run(ctx, args, &out, &errOut, env, open)
	return result{code, out.String(), errOut.String()}
}

func TestLifecycleCommands(t *testing.T) {
	ctx := context.Background()
	b := fake.New(fake.Options{GameInstalled: true})

	r := invoke(t, ctx, b, "start", "coop-1")
	if r.code != 0 || !strings.Contains(r.stdout, "started coop-1") {
		t.Fatalf("start: %+v", r)
	}
	if !strings.Contains(r.stderr, "Created symlink") {
		t.Errorf("start did not pass on systemctl's output: %q", r.stderr)
	}
	if !b.Enabled("coop-1") {
		t.Fatal("start did not enable the unit")
	}
	r = invoke(t, ctx, b, "status", "coop-1")
	if r.code != 0 || !strings.Contains(r.stdout, "NAME") || !regexpLine(r.stdout, "coop-1", "running", "active", "running") {
		t.Fatalf("status after start: %+v", r)
	}
	if r = invoke(t, ctx, b, "restart", "coop-1"); r.code != 0 || !strings.Contains(r.stdout, "restarted coop-1") {
		t.Fatalf("restart: %+v", r)
	}
	if r = invoke(t, ctx, b, "stop", "coop-1"); r.code != 0 || !strings.Contains(r.stdout, "stopped coop-1") {
		t.Fatalf("stop: %+v", r)
	}
	if b.Enabled("coop-1") {
		t.Fatal("stop left the unit enabled")
	}
	r = invoke(t, ctx, b, "status", "coop-1")
	if !regexpLine(r.stdout, "coop-1", "stopped", "inactive", "dead") {
		t.Fatalf("status after stop: %+v", r)
	}
}

// regexpLine reports whether some line of out has the fields in order.
func regexpLine(out string, fields ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= len(fields) {
			match := true
			for i, want := range fields {
				match = match && f[i] == want
			}
			if match {
				return true
			}
		}
	}
	return false
}

func TestFailedOperationExitsOneWithSystemdsWords(t *testing.T) {
	b := fake.New(fake.Options{GameInstalled: true})
	b.Fail("enable", "broken", "Job for left4me-server@broken.service failed because the control process exited with error code.")
	r := invoke(t, context.Background(), b, "start", "broken")
	if r.code != 1 {
		t.Fatalf("exit = %d, want 1 (%+v)", r.code, r)
	}
	if !strings.Contains(r.stderr, "start broken failed: Job for left4me-server@broken.service failed") {
		t.Fatalf("stderr does not say what systemd said: %q", r.stderr)
	}
}

func TestBadUsageExitsTwoAndRunsNothing(t *testing.T) {
	cases := [][]string{
		{},
		{"frobnicate", "x"},
		{"start"},
		{"start", "a", "b"},
		{"stop", "../etc"},
		{"restart", "Upper"},
		{"status", "ok", "a b"},
		{"list", "extra"},
		{"logs"},
		{"logs", "x", "-n", "0"},
		{"logs", "x", "-n", "10001"},
		{"logs", "x", "-n", "many"},
		{"logs", "x", "y"},
		{"logs", "-f", "$(id)"},
		{"--bogus", "status"},
		{"game"},
		{"game", "install"},
		{"game", "status", "now"},
	}
	for _, name := range hostbackendtest.HostileNames {
		cases = append(cases, []string{"start", name})
	}
	for _, args := range cases {
		b := fake.New(fake.Options{GameInstalled: true})
		r := invoke(t, context.Background(), b, args...)
		if r.code != 2 {
			t.Errorf("l4d2ctl %q exited %d, want 2 (%+v)", args, r.code, r)
		}
		if r.stderr == "" {
			t.Errorf("l4d2ctl %q printed no error", args)
		}
		if calls := b.Calls(); len(calls) != 0 {
			t.Errorf("l4d2ctl %q ran %+v", args, calls)
		}
	}
}

func TestUnknownBackendIsUsageError(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"--backend", "nope", "status", "x"}, &out, &errOut,
		func(string) string { return "" }, hostbackend.Open)
	if code != 2 || !strings.Contains(errOut.String(), `unknown host backend "nope"`) {
		t.Fatalf("code %d, stderr %q", code, errOut.String())
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		r := invoke(t, context.Background(), fake.New(fake.Options{GameInstalled: true}), args...)
		if r.code != 0 || !strings.Contains(r.stdout, "Usage: l4d2ctl") || !strings.Contains(r.stdout, hostbackend.NameRule) {
			t.Errorf("%v: %+v", args, r)
		}
	}
}

func TestListAndStatusOfAll(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	b := fake.New(fake.Options{StateRoot: root, GameInstalled: true})
	if r := invoke(t, ctx, b, "list"); r.code != 0 || !strings.Contains(r.stdout, "no instances") {
		t.Fatalf("empty list: %+v", r)
	}
	for _, n := range []string{"beta", "alpha"} {
		if err := b.Provision(ctx, hostbackend.InstanceSpec{Name: n, Port: 27015}); err != nil {
			t.Fatal(err)
		}
	}
	b.ExternalEnable("beta")
	b.OOMKill("beta")
	for _, cmd := range []string{"list", "status"} {
		r := invoke(t, ctx, b, cmd)
		if r.code != 0 {
			t.Fatalf("%s: %+v", cmd, r)
		}
		if !regexpLine(r.stdout, "alpha", "stopped") || !regexpLine(r.stdout, "beta", "failed", "(oom-kill)", "failed", "failed") {
			t.Fatalf("%s output:\n%s", cmd, r.stdout)
		}
		if strings.Index(r.stdout, "alpha") > strings.Index(r.stdout, "beta") {
			t.Errorf("%s is not sorted:\n%s", cmd, r.stdout)
		}
	}
}

func TestLogs(t *testing.T) {
	at := time.Date(2026, 11, 30, 10, 21, 8, 500_000_000, time.FixedZone("CET", 3600))
	b := fake.New(fake.Options{GameInstalled: true, Now: func() time.Time { return at }})
	if err := b.Provision(context.Background(), hostbackend.InstanceSpec{Name: "coop-1", Port: 27015}); err != nil {
		t.Fatal(err)
	}
	b.SeedJournal("coop-1", []string{"l1", "l2", "l3"})
	r := invoke(t, context.Background(), b, "logs", "coop-1", "-n", "2")
	if r.code != 0 || r.stdout != "2026-11-30T09:21:08Z l2\n2026-11-30T09:21:08Z l3\n" {
		t.Fatalf("logs: %+v", r)
	}

	// -f follows until interrupted, and an interrupt is success.
	b.ResetCalls()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan result, 1)
	go func() { done <- invoke(t, ctx, b, "logs", "-f", "coop-1") }()
	deadline := time.Now().Add(10 * time.Second)
	for !called(b, "journal") {
		if time.Now().After(deadline) {
			t.Fatal("logs -f never called the journal")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case r := <-done:
		if r.code != 0 || !strings.Contains(r.stdout, "Z l1\n2026-11-30T09:21:08Z l2\n2026-11-30T09:21:08Z l3\n") {
			t.Fatalf("logs -f: %+v", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("logs -f did not end on interrupt")
	}
}

func TestGameStatusSaysWhatIsInstalled(t *testing.T) {
	ctx := context.Background()
	b := fake.New(fake.Options{StateRoot: t.TempDir()})
	r := invoke(t, ctx, b, "game", "status")
	if r.code != 0 || !regexpLine(r.stdout, "installed", "no") || !regexpLine(r.stdout, "build", "-") ||
		!strings.Contains(r.stdout, "The game is not installed: servers cannot start") {
		t.Fatalf("without the game: %+v", r)
	}

	if err := b.GameInstall(ctx, true, hostbackend.GameEvents{}); err != nil {
		t.Fatal(err)
	}
	st, err := b.GameStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r = invoke(t, ctx, b, "game", "status")
	for _, fields := range [][]string{
		{"installed", "yes"},
		{"build", fake.DefaultGameBuild},
		{"size", "10.2", "GiB", "(10912614400", "bytes)"},
		{"path", st.Path},
		{"program", st.Program},
		{"half-finished", "update", "no"},
	} {
		if !regexpLine(r.stdout, fields...) {
			t.Errorf("no line %q in:\n%s", fields, r.stdout)
		}
	}
	if r.code != 0 || strings.Contains(r.stdout, "not installed") || !strings.Contains(r.stdout, "GET /api/v1/game") {
		t.Fatalf("with the game: %+v", r)
	}
}

func TestGameStatusNeedsABackendThatKnowsTheGame(t *testing.T) {
	var out, errOut bytes.Buffer
	open := func(string, hostbackend.Config) (hostbackend.Backend, error) {
		return struct{ hostbackend.Backend }{fake.New(fake.Options{GameInstalled: true})}, nil // hides the Game methods
	}
	code := run(context.Background(), []string{"--backend", "fake", "--state-root", t.TempDir(), "game", "status"}, &out, &errOut, func(string) string { return "" }, open)
	if code != 1 || !strings.Contains(errOut.String(), "cannot report the game") {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}

func TestStartIsRefusedWhileTheGameIsMissing(t *testing.T) {
	b := fake.New(fake.Options{})
	for _, cmd := range []string{"start", "restart"} {
		r := invoke(t, context.Background(), b, cmd, "coop-1")
		if r.code != 1 || !strings.Contains(r.stderr, "the game is not installed yet") {
			t.Fatalf("%s without the game: %+v", cmd, r)
		}
	}
	if b.Enabled("coop-1") {
		t.Fatal("a refused start enabled the unit")
	}
	if r := invoke(t, context.Background(), b, "stop", "coop-1"); r.code != 0 {
		t.Fatalf("stop without the game: %+v", r)
	}
}

// called reports whether b recorded a call of verb.
func called(b *fake.Backend, verb string) bool {
	for _, c := range b.Calls() {
		if c.Verb == verb {
			return true
		}
	}
	return false
}

func TestLogsOfAnUnknownInstanceExitsOne(t *testing.T) {
	b := fake.New(fake.Options{GameInstalled: true})
	b.SeedJournal("gone", []string{"a line systemd still has"})
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"nosuch", []string{"logs", "nosuch"}},
		{"gone", []string{"logs", "gone", "-n", "5"}},
		{"gone", []string{"logs", "-f", "gone"}},
	} {
		args := tt.args
		r := invoke(t, context.Background(), b, args...)
		if r.code != 1 || !strings.Contains(r.stderr, "there is no instance "+tt.name+" under the state root") {
			t.Errorf("l4d2ctl %q: %+v, want exit 1 saying there is no such instance", args, r)
		}
		if r.stdout != "" {
			t.Errorf("l4d2ctl %q printed %q", args, r.stdout)
		}
	}
	if called(b, "journal") {
		t.Errorf("the journal of an unknown instance was read: %+v", b.Calls())
	}
}

func TestAMissingStateRootExitsOne(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nowhere")
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		root, want string
	}{
		{missing, "the state root " + missing + " does not exist"},
		{file, "the state root " + file + " is not a directory"},
	} {
		for _, cmd := range [][]string{{"status"}, {"list"}, {"status", "coop-1"}, {"logs", "coop-1"}, {"start", "coop-1"}, {"game", "status"}} {
			b := fake.New(fake.Options{GameInstalled: true})
			r := invoke(t, context.Background(), b, append([]string{"--state-root", tt.root}, cmd...)...)
			if r.code != 1 || !strings.Contains(r.stderr, tt.want) || strings.Contains(r.stdout, "no instances") {
				t.Errorf("l4d2ctl %q with the state root %s: %+v, want exit 1 and %q", cmd, tt.root, r, tt.want)
			}
			if calls := b.Calls(); len(calls) != 0 {
				t.Errorf("l4d2ctl %q ran %+v", cmd, calls)
			}
		}
	}
}

func TestVersion(t *testing.T) {
	r := invoke(t, context.Background(), fake.New(fake.Options{}), "--version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "l4d2ctl ") || !strings.Contains(r.stdout, "go1.") || r.stderr != "" {
		t.Fatalf("--version: %+v", r)
	}
}

// TestTheFakeHostOutlivesEachRun: l4d2ctl --backend fake keeps its
// simulated host under the state root, so one run's start is the next
// run's status.
func TestTheFakeHostOutlivesEachRun(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "game"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "game", ".fake-installed"), []byte(fake.DefaultGameBuild+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l4d2ctl := func(args ...string) result {
		var out, errOut bytes.Buffer
		code := run(context.Background(), append([]string{"--backend", "fake", "--state-root", root}, args...), &out, &errOut,
			func(string) string { return "" }, hostbackend.Open)
		return result{code, out.String(), errOut.String()}
	}
	if r := l4d2ctl("start", "coop-1"); r.code != 0 {
		t.Fatalf("start: %+v", r)
	}
	r := l4d2ctl("status", "coop-1")
	if r.code != 0 || !regexpLine(r.stdout, "coop-1", "starting", "activating", "start") && !regexpLine(r.stdout, "coop-1", "running", "active", "running") {
		t.Fatalf("status in the next run: %+v, want coop-1 starting or running", r)
	}
	if r := l4d2ctl("stop", "coop-1"); r.code != 0 {
		t.Fatalf("stop: %+v", r)
	}
	if r := l4d2ctl("status", "coop-1"); r.code != 0 || !regexpLine(r.stdout, "coop-1", "stopped", "inactive", "dead") {
		t.Fatalf("status after the stop: %+v", r)
	}
}
