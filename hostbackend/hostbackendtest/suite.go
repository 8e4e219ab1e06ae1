package hostbackendtest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
)

// HostileNames are instance names every backend and helper must refuse.
var HostileNames = []string{
	"", "../x", "a/b", "-h", "--now", "a b", "$(id)", ";reboot", "a\nb",
	strings.Repeat("a", 33), "Upper", "café", ".hidden", "-dash", "_under",
	"a.service", "a@b", "a\x00b",
}

// waitFor polls cond until it holds or the deadline passes. Backends may
// move through starting/stopping states on their own clock, so the suite
// waits for a settled state rather than asserting the first read.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func state(t *testing.T, h Harness, name string) hostbackend.State {
	t.Helper()
	st, err := h.Backend.Show(context.Background(), name)
	if err != nil {
		t.Fatalf("Show(%s): %v", name, err)
	}
	if len(st) != 1 || st[0].Name != name {
		t.Fatalf("Show(%s) = %+v, want one status named %s", name, st, name)
	}
	return st[0].State()
}

func enabled(t *testing.T, h Harness, name string) bool {
	t.Helper()
	st, err := h.Backend.Show(context.Background(), name)
	if err != nil || len(st) != 1 {
		t.Fatalf("Show(%s) = %+v, %v", name, st, err)
	}
	return st[0].Enabled
}

func waitState(t *testing.T, h Harness, name string, want hostbackend.State) {
	t.Helper()
	waitFor(t, name+" is "+string(want), func() bool { return state(t, h, name) == want })
}

func spec(name string, port int) hostbackend.InstanceSpec {
	return hostbackend.InstanceSpec{
		Name: name, Port: port,
		Args:         []string{"+map", "c1m1_hotel", "+maxplayers", "4"},
		ServerConfig: "hostname \"Game night\"\nsv_lan 0\n",
	}
}

// Exercise runs the conformance suite against fresh harnesses made by
// newHarness (one per subtest).
func Exercise(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Helper()
	ctx := context.Background()

	t.Run("every method refuses hostile names and runs nothing", func(t *testing.T) {
		h := newHarness(t)
		for _, name := range HostileNames {
			checks := map[string]error{
				"Enable":    h.Backend.Enable(ctx, name, nil),
				"Disable":   h.Backend.Disable(ctx, name, nil),
				"Restart":   h.Backend.Restart(ctx, name, nil),
				"Journal":   h.Backend.Journal(ctx, name, 10, false, nil),
				"Provision": h.Backend.Provision(ctx, spec(name, 27015)),
				"Purge":     h.Backend.Purge(ctx, name),
			}
			_, checks["Show"] = h.Backend.Show(ctx, "good", name)
			for method, err := range checks {
				if !errors.Is(err, hostbackend.ErrInvalidName) {
					t.Errorf("%s(%q) = %v, want ErrInvalidName", method, name, err)
				}
			}
		}
		if calls := h.Calls(); len(calls) != 0 {
			t.Fatalf("host commands ran for hostile names: %+v", calls)
		}
	})

	t.Run("enable starts the unit and disable stops it", func(t *testing.T) {
		h := newHarness(t)
		if got := state(t, h, "alpha"); got != hostbackend.StateStopped {
			t.Fatalf("a never-started unit is %s, want stopped", got)
		}
		if err := h.Backend.Enable(ctx, "alpha", nil); err != nil {
			t.Fatalf("Enable: %v", err)
		}
		waitState(t, h, "alpha", hostbackend.StateRunning)
		if !enabled(t, h, "alpha") {
			t.Fatal("Show says an enabled unit is not enabled")
		}
		if err := h.Backend.Restart(ctx, "alpha", nil); err != nil {
			t.Fatalf("Restart: %v", err)
		}
		waitState(t, h, "alpha", hostbackend.StateRunning)
		if err := h.Backend.Disable(ctx, "alpha", nil); err != nil {
			t.Fatalf("Disable: %v", err)
		}
		waitState(t, h, "alpha", hostbackend.StateStopped)
		if enabled(t, h, "alpha") {
			t.Fatal("Show says a disabled unit is enabled")
		}
		wantVerbs := []string{"enable", "restart", "disable"}
		var gotVerbs []string
		for _, c := range h.Calls() {
			if c.Verb != "show" {
				gotVerbs = append(gotVerbs, c.Verb)
				if !reflect.DeepEqual(c.Names, []string{"alpha"}) {
					t.Errorf("%s named %v, want [alpha]", c.Verb, c.Names)
				}
			}
		}
		if !reflect.DeepEqual(gotVerbs, wantVerbs) {
			t.Fatalf("verbs = %v, want %v", gotVerbs, wantVerbs)
		}
	})

	t.Run("enable and disable are idempotent", func(t *testing.T) {
		h := newHarness(t)
		for i := 0; i < 2; i++ {
			if err := h.Backend.Enable(ctx, "twice", nil); err != nil {
				t.Fatalf("Enable #%d: %v", i+1, err)
			}
		}
		waitState(t, h, "twice", hostbackend.StateRunning)
		for i := 0; i < 2; i++ {
			if err := h.Backend.Disable(ctx, "twice", nil); err != nil {
				t.Fatalf("Disable #%d: %v", i+1, err)
			}
		}
		waitState(t, h, "twice", hostbackend.StateStopped)
	})

	t.Run("show answers for many units in one call and in order", func(t *testing.T) {
		h := newHarness(t)
		if err := h.Backend.Enable(ctx, "b-on", nil); err != nil {
			t.Fatal(err)
		}
		waitState(t, h, "b-on", hostbackend.StateRunning)
		before := len(h.Calls())
		names := []string{"c-off", "b-on", "a-never"}
		st, err := h.Backend.Show(ctx, names...)
		if err != nil {
			t.Fatalf("Show: %v", err)
		}
		if calls := h.Calls()[before:]; len(calls) != 1 || calls[0].Verb != "show" || !reflect.DeepEqual(calls[0].Names, names) {
			t.Fatalf("Show issued %+v, want one show call for %v", calls, names)
		}
		if len(st) != 3 {
			t.Fatalf("Show returned %d statuses, want 3", len(st))
		}
		want := []hostbackend.State{hostbackend.StateStopped, hostbackend.StateRunning, hostbackend.StateStopped}
		for i, s := range st {
			if s.Name != names[i] || s.State() != want[i] {
				t.Errorf("status %d = %s %s, want %s %s", i, s.Name, s.State(), names[i], want[i])
			}
		}
		if st[1].ActiveState != "active" || st[1].SubState != "running" || st[1].MainPID == 0 {
			t.Errorf("running unit detail = %+v, want active/running with a main PID", st[1])
		}
	})

	t.Run("show of no names asks nothing", func(t *testing.T) {
		h := newHarness(t)
		st, err := h.Backend.Show(ctx)
		if err != nil || len(st) != 0 {
			t.Fatalf("Show() = %v, %v; want nothing", st, err)
		}
		if calls := h.Calls(); len(calls) != 0 {
			t.Fatalf("Show() ran %+v", calls)
		}
	})

	t.Run("a failing command returns systemd's words", func(t *testing.T) {
		h := newHarness(t)
		msg := "Job for left4me-server@broken.service failed because the control process exited with error code."
		h.Fail("enable", "broken", msg)
		var lines []hostbackend.Line
		err := h.Backend.Enable(ctx, "broken", func(l hostbackend.Line) { lines = append(lines, l) })
		var ce *hostbackend.CommandError
		if !errors.As(err, &ce) {
			t.Fatalf("Enable = %v, want a *CommandError", err)
		}
		if !strings.Contains(ce.Stderr, msg) || !strings.Contains(err.Error(), msg) {
			t.Fatalf("error %q does not carry stderr %q", err, msg)
		}
		streamed := false
		for _, l := range lines {
			streamed = streamed || (l.Stream == hostbackend.Stderr && strings.Contains(l.Text, msg))
		}
		if !streamed {
			t.Fatalf("stderr line was not streamed; got %+v", lines)
		}
		// Other names are unaffected.
		if err := h.Backend.Enable(ctx, "fine", nil); err != nil {
			t.Fatalf("Enable(fine): %v", err)
		}
		h.Fail("enable", "broken", "")
		if err := h.Backend.Enable(ctx, "broken", nil); err != nil {
			t.Fatalf("Enable after clearing the failure: %v", err)
		}
	})

	t.Run("a command killed by a signal from outside is interrupted, not failed", func(t *testing.T) {
		h := newHarness(t)
		h.Interrupt("enable", "cut")
		err := h.Backend.Enable(ctx, "cut", nil)
		var ce *hostbackend.CommandError
		if !errors.As(err, &ce) || !errors.Is(err, hostbackend.ErrInterrupted) {
			t.Fatalf("Enable = %#v, want a CommandError matching ErrInterrupted", err)
		}
		if !strings.Contains(err.Error(), "interrupted by SIGTERM") || strings.Contains(err.Error(), "exit -1") {
			t.Fatalf("message %q should say interrupted by SIGTERM and not exit -1", err)
		}
		h.Fail("enable", "broken", "Job failed.")
		if err := h.Backend.Enable(ctx, "broken", nil); errors.Is(err, hostbackend.ErrInterrupted) {
			t.Fatalf("a plain failure matches ErrInterrupted: %v", err)
		}
	})

	t.Run("a cancelled context ends a hanging command", func(t *testing.T) {
		h := newHarness(t)
		h.Hang("disable", "stuck")
		cctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- h.Backend.Disable(cctx, "stuck", nil) }()
		waitFor(t, "the disable command has started", func() bool {
			for _, c := range h.Calls() {
				if c.Verb == "disable" {
					return true
				}
			}
			return false
		})
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Disable = %v, want context.Canceled", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Disable did not return after its context was cancelled")
		}
	})

	t.Run("journal returns the last lines", func(t *testing.T) {
		h := newHarness(t)
		h.SeedJournal("logged", []string{"one", "two", "three", "four"})
		var got []string
		err := h.Backend.Journal(ctx, "logged", 2, false, func(l hostbackend.Line) {
			got = append(got, l.Text)
			if l.Time.IsZero() {
				t.Errorf("Journal line %q carries no time, want when the journal recorded it", l.Text)
			}
		})
		if err != nil {
			t.Fatalf("Journal: %v", err)
		}
		if !reflect.DeepEqual(got, []string{"three", "four"}) {
			t.Fatalf("Journal lines = %q, want [three four]", got)
		}
		for _, bad := range []int{0, -1, 10001} {
			if err := h.Backend.Journal(ctx, "logged", bad, false, nil); err == nil {
				t.Errorf("Journal with %d lines succeeded, want an error", bad)
			}
		}
	})

	t.Run("journal follows new lines until cancelled", func(t *testing.T) {
		h := newHarness(t)
		h.SeedJournal("live", []string{"old"})
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		lines := make(chan hostbackend.Line, 16)
		done := make(chan error, 1)
		go func() {
			done <- h.Backend.Journal(cctx, "live", 5, true, func(l hostbackend.Line) { lines <- l })
		}()
		expect := func(want string) {
			t.Helper()
			select {
			case got := <-lines:
				if got.Text != want {
					t.Fatalf("followed line = %q, want %q", got.Text, want)
				}
				if got.Time.IsZero() {
					t.Fatalf("followed line %q carries no time", got.Text)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("no line %q arrived", want)
			}
		}
		expect("old")
		h.AppendJournal("live", []string{"new"})
		expect("new")
		cancel()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Fatalf("Journal = %v, want nil or context.Canceled", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Journal did not return after cancel")
		}
	})

	t.Run("provision writes the instance files and purge removes them", func(t *testing.T) {
		h := newHarness(t)
		if err := h.Backend.Provision(ctx, spec("coop-1", 27015)); err != nil {
			t.Fatalf("Provision: %v", err)
		}
		envPath := filepath.Join(h.StateRoot, "instances", "coop-1", "instance.env")
		fi, err := os.Stat(envPath)
		if err != nil {
			t.Fatalf("instance.env: %v", err)
		}
		if fi.Mode().Perm() != 0o640 {
			t.Errorf("instance.env mode = %v, want 0640", fi.Mode().Perm())
		}
		env, _ := os.ReadFile(envPath)
		for _, want := range []string{`LEFT4ME_PORT="27015"`, `SRCDS_ARGS="+map c1m1_hotel +maxplayers 4"`} {
			if !strings.Contains(string(env), want) {
				t.Errorf("instance.env lacks %s:\n%s", want, env)
			}
		}
		if fi, err := os.Stat(filepath.Join(h.StateRoot, "instances", "coop-1", "server.cfg")); err != nil {
			t.Errorf("server.cfg: %v", err)
		} else if fi.Mode().Perm() != 0o600 {
			t.Errorf("server.cfg mode = %v, want 0600 (it holds the RCON password)", fi.Mode().Perm())
		}
		cfg, _ := os.ReadFile(filepath.Join(h.StateRoot, "instances", "coop-1", "server.cfg"))
		if string(cfg) != spec("coop-1", 0).ServerConfig {
			t.Errorf("server.cfg = %q", cfg)
		}
		// Provisioning again replaces the files.
		s := spec("coop-1", 27016)
		s.Args = nil
		if err := h.Backend.Provision(ctx, s); err != nil {
			t.Fatalf("Provision again: %v", err)
		}
		env, _ = os.ReadFile(envPath)
		if !strings.Contains(string(env), `LEFT4ME_PORT="27016"`) || !strings.Contains(string(env), `SRCDS_ARGS=""`) {
			t.Errorf("re-provisioned instance.env = %s", env)
		}
		if names, err := h.Backend.List(ctx); err != nil || !reflect.DeepEqual(names, []string{"coop-1"}) {
			t.Fatalf("List = %v, %v; want [coop-1]", names, err)
		}
		if err := h.Backend.Purge(ctx, "coop-1"); err != nil {
			t.Fatalf("Purge: %v", err)
		}
		if _, err := os.Stat(filepath.Join(h.StateRoot, "instances", "coop-1")); !os.IsNotExist(err) {
			t.Fatalf("instance directory still there after Purge: %v", err)
		}
		if err := h.Backend.Purge(ctx, "coop-1"); err != nil {
			t.Fatalf("Purge of a purged instance: %v", err)
		}
		if names, err := h.Backend.List(ctx); err != nil || len(names) != 0 {
			t.Fatalf("List after purge = %v, %v; want none", names, err)
		}
	})

	t.Run("an instance on layers has a writable layer that reset empties while stopped", func(t *testing.T) {
		h := newHarness(t)
		l, ok := h.Backend.(hostbackend.Layers)
		if !ok {
			t.Skip("the backend has no Layers capability")
		}
		for _, name := range HostileNames {
			if _, err := l.WritableLayer(ctx, name); !errors.Is(err, hostbackend.ErrInvalidName) {
				t.Errorf("WritableLayer(%q) = %v, want ErrInvalidName", name, err)
			}
			if err := l.ResetWritableLayer(ctx, name); !errors.Is(err, hostbackend.ErrInvalidName) {
				t.Errorf("ResetWritableLayer(%q) = %v, want ErrInvalidName", name, err)
			}
		}
		s := spec("coop-1", 27015)
		s.Build = "16548521"
		s.Sets = []hostbackend.LayerSet{{Name: "maps", Rev: 2}, {Name: "comp", Rev: 1}}
		if err := h.Backend.Provision(ctx, s); err != nil {
			t.Fatalf("Provision: %v", err)
		}
		dir := filepath.Join(h.StateRoot, "instances", "coop-1")
		data, err := os.ReadFile(filepath.Join(dir, hostbackend.LayersFile))
		if err != nil || string(data) != string(hostbackend.RenderLayers(s)) {
			t.Fatalf("layers file = %q, %v; want %q", data, err, hostbackend.RenderLayers(s))
		}
		for _, d := range []string{hostbackend.UpperDir, hostbackend.WorkDir} {
			if fi, err := os.Lstat(filepath.Join(dir, d)); err != nil || !fi.IsDir() {
				t.Fatalf("%s: %v, want a directory", d, err)
			}
		}
		// What srcds writes lands in the upper directory.
		logs := filepath.Join(dir, hostbackend.UpperDir, "left4dead2", "logs")
		if err := os.MkdirAll(logs, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(logs, "L0101000.log"), []byte("12345"), 0o644); err != nil {
			t.Fatal(err)
		}
		w, err := l.WritableLayer(ctx, "coop-1")
		if err != nil {
			t.Fatalf("WritableLayer: %v", err)
		}
		found := false
		for _, f := range w.List {
			found = found || (f.Path == "left4dead2/logs/L0101000.log" && f.Bytes == 5)
		}
		if !found || w.Files < 1 || w.Bytes < 5 {
			t.Errorf("WritableLayer = %+v, want left4dead2/logs/L0101000.log of 5 bytes in it", w)
		}

		if err := h.Backend.Enable(ctx, "coop-1", nil); err != nil {
			t.Fatalf("Enable: %v", err)
		}
		waitState(t, h, "coop-1", hostbackend.StateRunning)
		if err := l.ResetWritableLayer(ctx, "coop-1"); !errors.Is(err, hostbackend.ErrInstanceRunning) {
			t.Errorf("ResetWritableLayer while running = %v, want ErrInstanceRunning", err)
		}
		if _, err := os.Stat(filepath.Join(logs, "L0101000.log")); err != nil {
			t.Errorf("a refused reset touched the layer: %v", err)
		}
		if err := h.Backend.Disable(ctx, "coop-1", nil); err != nil {
			t.Fatalf("Disable: %v", err)
		}
		waitState(t, h, "coop-1", hostbackend.StateStopped)
		if err := l.ResetWritableLayer(ctx, "coop-1"); err != nil {
			t.Fatalf("ResetWritableLayer while stopped: %v", err)
		}
		if w, err := l.WritableLayer(ctx, "coop-1"); err != nil || w.Files != 0 || w.Bytes != 0 || len(w.List) != 0 {
			t.Errorf("WritableLayer after the reset = %+v, %v; want it empty", w, err)
		}
		for _, d := range []string{hostbackend.UpperDir, hostbackend.WorkDir} {
			if fi, err := os.Lstat(filepath.Join(dir, d)); err != nil || !fi.IsDir() {
				t.Errorf("%s after the reset: %v, want an empty directory", d, err)
			}
		}
		// Provisioned without a build, the instance runs the game as it
		// is: no layers file.
		if err := h.Backend.Provision(ctx, spec("coop-1", 27015)); err != nil {
			t.Fatalf("Provision without a build: %v", err)
		}
		if _, err := os.Lstat(filepath.Join(dir, hostbackend.LayersFile)); !os.IsNotExist(err) {
			t.Errorf("layers file after a provision without a build: %v", err)
		}
		if err := h.Backend.Purge(ctx, "coop-1"); err != nil {
			t.Fatalf("Purge: %v", err)
		}
	})

	t.Run("provision refuses bad specs and writes nothing", func(t *testing.T) {
		h := newHarness(t)
		bad := []hostbackend.InstanceSpec{
			{Name: "p", Port: 80},
			{Name: "p", Port: 70000},
			{Name: "p", Port: 27015, Args: []string{"+hostname", "two words"}},
			{Name: "p", Port: 27015, Args: []string{"$(reboot)"}},
			{Name: "p", Port: 27015, Args: []string{""}},
			{Name: "p", Port: 27015, Args: []string{"a\nLEFT4ME_PORT=1"}},
		}
		for _, s := range bad {
			if err := h.Backend.Provision(ctx, s); !errors.Is(err, hostbackend.ErrInvalidSpec) {
				t.Errorf("Provision(%+v) = %v, want ErrInvalidSpec", s, err)
			}
		}
		if _, err := os.Stat(filepath.Join(h.StateRoot, "instances", "p")); !os.IsNotExist(err) {
			t.Fatalf("a refused spec left files behind: %v", err)
		}
	})

	t.Run("purge refuses an instance directory that is a symlink out of the root", func(t *testing.T) {
		h := newHarness(t)
		outside := t.TempDir()
		victim := filepath.Join(outside, "keep.txt")
		if err := os.WriteFile(victim, []byte("precious"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(h.StateRoot, "instances"), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(outside, filepath.Join(h.StateRoot, "instances", "evil")); err != nil {
			t.Fatal(err)
		}
		if err := h.Backend.Purge(ctx, "evil"); !errors.Is(err, hostbackend.ErrOutsideRoot) {
			t.Fatalf("Purge(evil) = %v, want ErrOutsideRoot", err)
		}
		if _, err := os.Stat(victim); err != nil {
			t.Fatalf("file outside the root was touched: %v", err)
		}
		if err := h.Backend.Provision(ctx, spec("evil", 27015)); !errors.Is(err, hostbackend.ErrOutsideRoot) {
			t.Fatalf("Provision(evil) = %v, want ErrOutsideRoot", err)
		}
		if _, err := os.Stat(filepath.Join(outside, "instance.env")); !os.IsNotExist(err) {
			t.Fatalf("Provision wrote through the symlink: %v", err)
		}
	})

	t.Run("concurrent calls on different units are safe", func(t *testing.T) {
		h := newHarness(t)
		names := []string{"c0", "c1", "c2", "c3", "c4", "c5"}
		var wg sync.WaitGroup
		errs := make(chan error, len(names)*3)
		for _, n := range names {
			wg.Add(1)
			go func(n string) {
				defer wg.Done()
				errs <- h.Backend.Enable(ctx, n, nil)
				_, err := h.Backend.Show(ctx, names...)
				errs <- err
				errs <- h.Backend.Provision(ctx, spec(n, 27015))
			}(n)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, n := range names {
			waitState(t, h, n, hostbackend.StateRunning)
		}
	})
}
