package sudo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/hostbackendtest"
)

// failAfter is how long a test waits for something that should happen at
// once before it gives up; it is a failure deadline, not a timing claim.
const failAfter = 10 * time.Second

// await returns the value from ch, failing the test if none arrives in time.
func await[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(failAfter):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// lineChan returns a LineFunc that sends every line on the returned channel.
func lineChan() (hostbackend.LineFunc, <-chan hostbackend.Line) {
	ch := make(chan hostbackend.Line, 1024)
	return func(l hostbackend.Line) { ch <- l }, ch
}

// awaitLine receives lines until one has the text want.
func awaitLine(t *testing.T, lines <-chan hostbackend.Line, want string) {
	t.Helper()
	for {
		if l := await(t, lines, fmt.Sprintf("the line %q", want)); l.Text == want {
			return
		}
	}
}

func TestNew(t *testing.T) {
	t.Run("empty fields take the production defaults", func(t *testing.T) {
		b, err := New(hostbackend.Config{})
		if err != nil {
			t.Fatal(err)
		}
		got := []string{b.sudo, b.systemctl, b.journalctl, b.files.Root}
		want := []string{"sudo", "/usr/local/libexec/left4me/left4me-systemctl", "/usr/local/libexec/left4me/left4me-journalctl", "/var/lib/left4me"}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("defaults = %q, want %q", got, want)
		}
	})
	t.Run("a relative helper path is refused", func(t *testing.T) {
		for _, cfg := range []hostbackend.Config{
			{SystemctlHelper: "left4me-systemctl"},
			{JournalctlHelper: "bin/left4me-journalctl"},
		} {
			if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "not absolute") {
				t.Errorf("New(%+v) = %v, want a not-absolute error", cfg, err)
			}
		}
	})
	t.Run("the registry opens it as sudo", func(t *testing.T) {
		b, err := hostbackend.Open("sudo", hostbackend.Config{StateRoot: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := b.(*Backend); !ok {
			t.Fatalf("Open(sudo) = %T, want *sudo.Backend", b)
		}
	})
}

func TestArgv(t *testing.T) {
	ctx := context.Background()
	h := newStubHost(t)
	systemctl := filepath.Join(h.bin, "left4me-systemctl")
	journalctl := filepath.Join(h.bin, "left4me-journalctl")
	h.appendJournal(t, "j", []string{"a log line"})

	run := []struct {
		what string
		call func() error
		want []string
	}{
		{"Enable", func() error { return h.backend.Enable(ctx, "a", nil) },
			[]string{"-n", systemctl, "enable", "a"}},
		{"Disable", func() error { return h.backend.Disable(ctx, "a", nil) },
			[]string{"-n", systemctl, "disable", "a"}},
		{"Restart", func() error { return h.backend.Restart(ctx, "a", nil) },
			[]string{"-n", systemctl, "restart", "a"}},
		{"Show", func() error { _, err := h.backend.Show(ctx, "b", "a", "c_1"); return err },
			[]string{"-n", systemctl, "show", "b", "a", "c_1"}},
		{"Show with a repeated name asks once for it", func() error { _, err := h.backend.Show(ctx, "a", "b", "a"); return err },
			[]string{"-n", systemctl, "show", "a", "b"}},
		{"Journal", func() error { return h.backend.Journal(ctx, "j", 25, false, nil) },
			[]string{"-n", journalctl, "j", "--lines", "25", "--no-follow"}},
		{"Journal following", func() error {
			fctx, cancel := context.WithCancel(ctx)
			defer cancel()
			err := h.backend.Journal(fctx, "j", 10000, true, func(hostbackend.Line) { cancel() })
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		}, []string{"-n", journalctl, "j", "--lines", "10000", "--follow"}},
	}
	for _, r := range run {
		before := len(h.sudoArgvs(t))
		if err := r.call(); err != nil {
			t.Fatalf("%s: %v", r.what, err)
		}
		argvs := h.sudoArgvs(t)[before:]
		if len(argvs) != 1 || !reflect.DeepEqual(argvs[0], r.want) {
			t.Errorf("%s ran sudo with %q, want exactly %q", r.what, argvs, r.want)
		}
	}
}

func TestInvalidNamesRunNothing(t *testing.T) {
	ctx := context.Background()
	h := newStubHost(t)
	for _, name := range hostbackendtest.HostileNames {
		errs := map[string]error{
			"Enable":    h.backend.Enable(ctx, name, nil),
			"Disable":   h.backend.Disable(ctx, name, nil),
			"Restart":   h.backend.Restart(ctx, name, nil),
			"Journal":   h.backend.Journal(ctx, name, 10, true, nil),
			"Provision": h.backend.Provision(ctx, hostbackend.InstanceSpec{Name: name, Port: 27015}),
			"Purge":     h.backend.Purge(ctx, name),
		}
		_, errs["Show"] = h.backend.Show(ctx, "fine", "also-fine", name)
		for method, err := range errs {
			if !errors.Is(err, hostbackend.ErrInvalidName) {
				t.Errorf("%s(%q) = %v, want ErrInvalidName", method, name, err)
			}
		}
	}
	if argvs := h.sudoArgvs(t); len(argvs) != 0 {
		t.Fatalf("sudo ran for invalid names: %q", argvs)
	}
	if entries, _ := os.ReadDir(h.root); len(entries) != 0 {
		t.Fatalf("the state root was written to: %v", entries)
	}
}

func TestJournalRefusesLineCountsOutOfRange(t *testing.T) {
	h := newStubHost(t)
	for _, n := range []int{-1, 0, MaxJournalLines + 1} {
		if err := h.backend.Journal(context.Background(), "a", n, false, nil); err == nil {
			t.Errorf("Journal with %d lines succeeded, want an error", n)
		}
	}
	if argvs := h.sudoArgvs(t); len(argvs) != 0 {
		t.Fatalf("sudo ran for a refused line count: %q", argvs)
	}
}

func TestDoneContextRunsNothing(t *testing.T) {
	h := newStubHost(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	errs := map[string]error{
		"Enable":    h.backend.Enable(ctx, "a", nil),
		"Journal":   h.backend.Journal(ctx, "a", 1, false, nil),
		"Provision": h.backend.Provision(ctx, hostbackend.InstanceSpec{Name: "a", Port: 27015}),
		"Purge":     h.backend.Purge(ctx, "a"),
	}
	_, errs["Show"] = h.backend.Show(ctx, "a")
	_, errs["List"] = h.backend.List(ctx)
	for method, err := range errs {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context = %v, want context.Canceled", method, err)
		}
	}
	if argvs := h.sudoArgvs(t); len(argvs) != 0 {
		t.Fatalf("sudo ran with a cancelled context: %q", argvs)
	}
	if _, err := os.Stat(filepath.Join(h.root, "instances", "a")); !os.IsNotExist(err) {
		t.Fatalf("Provision with a cancelled context wrote files: %v", err)
	}
}

func TestShowSpawnsOneProcessPerBatch(t *testing.T) {
	for _, n := range []int{1, 200, 500, 501, 1234} {
		t.Run(fmt.Sprintf("%d names", n), func(t *testing.T) {
			h := newStubHost(t)
			names := make([]string, n)
			for i := range names {
				names[i] = "srv-" + strconv.Itoa(n-i) // not in sorted order
			}
			h.set(t, "unit-"+names[n-1], "active running yes 3 777 1732565804 success\n")
			st, err := h.backend.Show(context.Background(), names...)
			if err != nil {
				t.Fatal(err)
			}
			wantProcs := (n + MaxShowNames - 1) / MaxShowNames
			calls := h.calls(t)
			if len(calls) != wantProcs || len(h.sudoArgvs(t)) != wantProcs {
				t.Fatalf("Show of %d names ran %d helper and %d sudo processes, want %d", n, len(calls), len(h.sudoArgvs(t)), wantProcs)
			}
			var asked []string
			for _, c := range calls {
				if c.Verb != "show" || len(c.Names) > MaxShowNames {
					t.Fatalf("unexpected call %s with %d names", c.Verb, len(c.Names))
				}
				asked = append(asked, c.Names...)
			}
			if !reflect.DeepEqual(asked, names) {
				t.Fatalf("the batches asked for other names than requested")
			}
			if len(st) != n {
				t.Fatalf("Show returned %d statuses, want %d", len(st), n)
			}
			for i, s := range st {
				if s.Name != names[i] || !s.Known {
					t.Fatalf("status %d = %+v, want a known unit named %s", i, s, names[i])
				}
			}
			last := st[n-1]
			if last.State() != hostbackend.StateRunning || last.NRestarts != 3 || last.MainPID != 777 || last.Since.Unix() != 1732565804 {
				t.Fatalf("the running unit came back as %+v", last)
			}
			if n > 1 && st[0].State() != hostbackend.StateStopped {
				t.Fatalf("a never-started unit came back as %+v", st[0])
			}
		})
	}
}

func TestShowStates(t *testing.T) {
	h := newStubHost(t)
	h.set(t, "unit-up", "active running yes 0 101 1732565804 success\n")
	h.set(t, "unit-looping", "activating auto-restart yes 9 0 1732565900 exit-code\n")
	h.set(t, "unit-dead", "failed failed no 1 0 1732566000 oom-kill\n")
	h.set(t, "notfound-gone", "")
	names := []string{"gone", "dead", "never", "looping", "up"}
	st, err := h.backend.Show(context.Background(), names...)
	if err != nil {
		t.Fatal(err)
	}
	want := []hostbackend.UnitStatus{
		{Name: "gone"},
		{Name: "dead", Known: true, ActiveState: "failed", SubState: "failed", Result: "oom-kill", NRestarts: 1, Since: time.Unix(1732566000, 0).UTC()},
		{Name: "never", Known: true, ActiveState: "inactive", SubState: "dead", Result: "success"},
		{Name: "looping", Known: true, ActiveState: "activating", SubState: "auto-restart", Result: "exit-code", NRestarts: 9, Since: time.Unix(1732565900, 0).UTC(), Enabled: true},
		{Name: "up", Known: true, ActiveState: "active", SubState: "running", Result: "success", MainPID: 101, Since: time.Unix(1732565804, 0).UTC(), Enabled: true},
	}
	if !reflect.DeepEqual(st, want) {
		t.Fatalf("Show =\n%+v\nwant\n%+v", st, want)
	}
	wantStates := []hostbackend.State{hostbackend.StateStopped, hostbackend.StateFailed, hostbackend.StateStopped, hostbackend.StateCrashLooping, hostbackend.StateRunning}
	for i, s := range st {
		if s.State() != wantStates[i] {
			t.Errorf("%s is %s, want %s", s.Name, s.State(), wantStates[i])
		}
	}
}

func TestShowRefusesGarbage(t *testing.T) {
	h := newStubHost(t)
	h.set(t, "stdout-show-a", "this is not systemctl output\n")
	_, err := h.backend.Show(context.Background(), "a")
	if err == nil || !strings.Contains(err.Error(), "is not Key=Value") {
		t.Fatalf("Show over garbage = %v, want a parse error", err)
	}
}

func TestCommandErrors(t *testing.T) {
	ctx := context.Background()

	t.Run("a failing helper's stderr is carried", func(t *testing.T) {
		h := newStubHost(t)
		h.set(t, "fail-restart-web", "Job for left4me-server@web.service failed.\nSee \"journalctl -xeu left4me-server@web.service\" for details.\n")
		err := h.backend.Restart(ctx, "web", nil)
		var ce *hostbackend.CommandError
		if !errors.As(err, &ce) {
			t.Fatalf("Restart = %v, want a *CommandError", err)
		}
		want := hostbackend.CommandError{Verb: "restart", Name: "web", ExitCode: 1,
			Stderr: "Job for left4me-server@web.service failed.\nSee \"journalctl -xeu left4me-server@web.service\" for details."}
		if *ce != want {
			t.Fatalf("CommandError = %+v, want %+v", *ce, want)
		}
	})

	t.Run("a failing show says which unit when it asked for one", func(t *testing.T) {
		h := newStubHost(t)
		h.set(t, "fail-show-b", "Failed to get properties: Access denied\n")
		_, err := h.backend.Show(ctx, "b")
		var ce *hostbackend.CommandError
		if !errors.As(err, &ce) || ce.Verb != "show" || ce.Name != "b" || ce.Stderr != "Failed to get properties: Access denied" {
			t.Fatalf("Show(b) = %#v, want a show CommandError naming b", err)
		}
		_, err = h.backend.Show(ctx, "a", "b")
		if !errors.As(err, &ce) || ce.Verb != "show" || ce.Name != "" {
			t.Fatalf("Show(a, b) = %#v, want a show CommandError naming no unit", err)
		}
	})

	t.Run("a command ended by a signal from outside says so, not exit -1", func(t *testing.T) {
		h := newStubHost(t)
		h.set(t, "term-enable-b4", "")
		err := h.backend.Enable(ctx, "b4", nil)
		var ce *hostbackend.CommandError
		if !errors.As(err, &ce) || ce.Signal != "SIGTERM" {
			t.Fatalf("Enable = %#v, want a CommandError with Signal SIGTERM", err)
		}
		if !errors.Is(err, hostbackend.ErrInterrupted) {
			t.Fatalf("errors.Is(%v, ErrInterrupted) = false", err)
		}
		if got := err.Error(); got != "enable b4 interrupted by SIGTERM" {
			t.Fatalf("message = %q, want %q", got, "enable b4 interrupted by SIGTERM")
		}
	})

	t.Run("sudo's refusal is carried the same way", func(t *testing.T) {
		h := newStubHost(t)
		h.set(t, "sudo-deny", "")
		err := h.backend.Enable(ctx, "a", nil)
		var ce *hostbackend.CommandError
		if !errors.As(err, &ce) || ce.Stderr != "sudo: a password is required" || ce.ExitCode != 1 {
			t.Fatalf("Enable under a refusing sudo = %#v, want its message in a CommandError", err)
		}
		if !strings.Contains(err.Error(), "sudo: a password is required") {
			t.Fatalf("error text %q hides sudo's message", err)
		}
		if errors.Is(err, hostbackend.ErrInterrupted) {
			t.Fatalf("a refusal matches ErrInterrupted: %v", err)
		}
	})

	t.Run("a helper refusing its arguments exits with ExitUsage", func(t *testing.T) {
		h := newStubHost(t)
		cfg := h.config()
		cfg.JournalctlHelper = cfg.SystemctlHelper // journal arguments make no sense to it
		b, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		err = b.Journal(ctx, "a", 5, false, nil)
		var ce *hostbackend.CommandError
		if !errors.As(err, &ce) || ce.ExitCode != ExitUsage || !strings.HasPrefix(ce.Stderr, "usage:") {
			t.Fatalf("Journal through the wrong helper = %#v, want exit %d with a usage line", err, ExitUsage)
		}
	})

	t.Run("stderr is bounded to its last MaxStderr bytes", func(t *testing.T) {
		h := newStubHost(t)
		var msg strings.Builder
		for i := 0; msg.Len() < 3*MaxStderr; i++ {
			fmt.Fprintf(&msg, "complaint number %d about the unit\n", i)
		}
		h.set(t, "fail-enable-a", msg.String())
		err := h.backend.Enable(ctx, "a", nil)
		var ce *hostbackend.CommandError
		if !errors.As(err, &ce) {
			t.Fatalf("Enable = %v, want a *CommandError", err)
		}
		full := strings.TrimSpace(msg.String())
		if len(ce.Stderr) > MaxStderr || !strings.HasSuffix(full, ce.Stderr) || len(ce.Stderr) < MaxStderr/2 {
			t.Fatalf("Stderr is %d bytes and not the tail of what was written", len(ce.Stderr))
		}
	})

	t.Run("a missing sudo is a start error, not a CommandError", func(t *testing.T) {
		h := newStubHost(t)
		cfg := h.config()
		cfg.Sudo = filepath.Join(h.dir, "no-such-sudo")
		b, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		err = b.Enable(ctx, "a", nil)
		var ce *hostbackend.CommandError
		if err == nil || errors.As(err, &ce) || !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("Enable with no sudo = %#v, want a not-exist start error", err)
		}
	})
}

func TestCancel(t *testing.T) {
	tests := []struct {
		name   string
		marker string
		setup  func(b *Backend)
	}{
		{
			name:   "a hanging helper is killed",
			marker: "hang",
		},
		{
			// If only sudo were signalled, the forked sleep would keep the
			// output pipe open and, with no WaitDelay to rescue it, the call
			// would never return.
			name:   "the whole process group is killed, not just its leader",
			marker: "hangfork",
			setup:  func(b *Backend) { b.waitDelay = time.Hour },
		},
		{
			name:   "a group ignoring SIGTERM gets SIGKILL after the grace period",
			marker: "hangstubborn",
			setup: func(b *Backend) {
				b.killGrace = 50 * time.Millisecond
				b.waitDelay = time.Hour
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newStubHost(t)
			if tt.setup != nil {
				tt.setup(h.backend)
			}
			h.set(t, tt.marker+"-restart-stuck", "")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			out, lines := lineChan()
			done := make(chan error, 1)
			go func() { done <- h.backend.Restart(ctx, "stuck", out) }()
			awaitLine(t, lines, "hanging")
			cancel()
			err := await(t, done, "Restart to return after cancel")
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Restart = %v, want context.Canceled", err)
			}
		})
	}
}

func TestLinesStreamBeforeExit(t *testing.T) {
	h := newStubHost(t)
	h.set(t, "gate-enable-slow", "")
	out, lines := lineChan()
	done := make(chan error, 1)
	go func() { done <- h.backend.Enable(context.Background(), "slow", out) }()

	awaitLine(t, lines, "waiting for the gate")
	select {
	case err := <-done:
		t.Fatalf("Enable returned (%v) before the gate was opened", err)
	default:
	}
	h.set(t, "open-enable-slow", "")
	if err := await(t, done, "Enable to finish after the gate opened"); err != nil {
		t.Fatal(err)
	}
}

func TestLineFuncIsNeverCalledConcurrently(t *testing.T) {
	h := newStubHost(t)
	h.set(t, "chatter-enable-a", "")
	var inside atomic.Int32
	var out, errs []string // appended without a lock: -race checks the claim
	err := h.backend.Enable(context.Background(), "a", func(l hostbackend.Line) {
		if inside.Add(1) != 1 {
			t.Error("LineFunc entered concurrently")
		}
		if l.Stream == hostbackend.Stdout {
			out = append(out, l.Text)
		} else {
			errs = append(errs, l.Text)
		}
		inside.Add(-1)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 500 || len(errs) < 500 {
		t.Fatalf("got %d stdout and %d stderr lines, want 500 and at least 500", len(out), len(errs))
	}
	for i := range 500 {
		if out[i] != "out"+strconv.Itoa(i) || errs[i] != "err"+strconv.Itoa(i) {
			t.Fatalf("line %d out of order: %q, %q", i, out[i], errs[i])
		}
	}
}

func TestLongLinesAreCapped(t *testing.T) {
	h := newStubHost(t)
	long := strings.Repeat("é", MaxLineLen) // two bytes each: twice the cap
	h.set(t, "stdout-restart-a", "short\r\n"+long+"\nafter\nno newline at the end")
	var got []string
	err := h.backend.Restart(context.Background(), "a", func(l hostbackend.Line) {
		if l.Stream == hostbackend.Stdout {
			got = append(got, l.Text)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("got %d lines, want 4", len(got))
	}
	capped := long[:MaxLineLen] + truncatedMark
	if got[0] != "short" || got[1] != capped || got[2] != "after" || got[3] != "no newline at the end" {
		t.Fatalf("lines = %.40q, %d bytes, %q, %q", got[0], len(got[1]), got[2], got[3])
	}
}

func TestStubsPassShellcheck(t *testing.T) {
	shellcheck, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Skip("shellcheck is not installed")
	}
	for name := range stubScripts {
		cmd := exec.Command(shellcheck, "--shell=sh", filepath.Join(stubDir, name))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("shellcheck %s: %v\n%s", name, err, out)
		}
	}
}

func BenchmarkShow200(b *testing.B) {
	h := newStubHost(b)
	names := make([]string, 200)
	for i := range names {
		names[i] = "srv-" + strconv.Itoa(i)
		if i%2 == 0 {
			h.set(b, "unit-"+names[i], "active running yes 0 1000 1732565804 success\n")
		}
	}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		st, err := h.backend.Show(ctx, names...)
		if err != nil || len(st) != len(names) {
			b.Fatalf("Show = %d statuses, %v", len(st), err)
		}
	}
}
