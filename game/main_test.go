package game

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSteamcmd is cmd/fakesteamcmd, built once for the package's tests.
var fakeSteamcmd string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "game-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	fakeSteamcmd = filepath.Join(dir, "fakesteamcmd")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", fakeSteamcmd, "../cmd/fakesteamcmd")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build fakesteamcmd: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// rig is an installation directory, steamcmd's root and a home, each in
// the test's temp dir, and the fake's settings.
type rig struct {
	t                      *testing.T
	dir, root, home, srcds string
	env                    []string
}

// newRig returns a rig whose fake is quick (4 progress lines 2 ms apart)
// and has env on top.
func newRig(t *testing.T, env ...string) *rig {
	t.Helper()
	base := t.TempDir()
	r := &rig{t: t, dir: filepath.Join(base, "game"), root: filepath.Join(base, "steamcmd"),
		home: filepath.Join(base, "home"), srcds: filepath.Join(base, "fakesrcds")}
	if err := os.WriteFile(r.srcds, []byte("#!/bin/sh\necho a stand-in server\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.env = append([]string{"FAKESTEAMCMD_ROOT=" + r.root, "FAKESTEAMCMD_STEPS=4", "FAKESTEAMCMD_STEP_DELAY=2ms",
		"FAKESTEAMCMD_SRCDS=" + r.srcds}, env...)
	return r
}

// steam returns a Steam on the rig with quick retries; edit changes its
// options first.
func (r *rig) steam(edit func(*Options)) *Steam {
	o := Options{Dir: r.dir, SteamCMD: fakeSteamcmd, Home: r.home, SteamRoot: r.root, Env: r.env,
		NeedBytes: 1, UpdateHeadroom: 1, RetryDelay: time.Millisecond, KillGrace: 200 * time.Millisecond,
		StallTimeout: 20 * time.Second}
	if edit != nil {
		edit(&o)
	}
	return New(o)
}

// record keeps what an operation reported.
type record struct {
	mu       sync.Mutex
	lines    []string
	progress []Progress
	prompts  []Prompt
	steps    []string
}

// hooks reports into rec; answer, if set, answers questions.
func (rec *record) hooks(answer func(context.Context, Prompt) (string, error)) Hooks {
	return Hooks{
		Line:     func(l string) { rec.mu.Lock(); rec.lines = append(rec.lines, l); rec.mu.Unlock() },
		Progress: func(p Progress) { rec.mu.Lock(); rec.progress = append(rec.progress, p); rec.mu.Unlock() },
		Prompt:   func(p Prompt) { rec.mu.Lock(); rec.prompts = append(rec.prompts, p); rec.mu.Unlock() },
		Step:     func(s string) { rec.mu.Lock(); rec.steps = append(rec.steps, s); rec.mu.Unlock() },
		Answer:   answer,
	}
}

// count returns how many lines contain s.
func count(lines []string, s string) int {
	n := 0
	for _, l := range lines {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}

// failure asserts err is a *Failure with reason and returns it.
func failure(t *testing.T, err error, reason Reason) *Failure {
	t.Helper()
	var f *Failure
	if !errors.As(err, &f) {
		t.Fatalf("err = %v, want a *Failure (%s)", err, reason)
	}
	if f.Reason != reason {
		t.Fatalf("Reason = %s (%v), want %s", f.Reason, f, reason)
	}
	return f
}

func fileBytes(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
