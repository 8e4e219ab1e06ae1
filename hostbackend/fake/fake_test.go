package fake_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/fake"
	"github.com/left4me/left4me/hostbackend/hostbackendtest"
)

func TestConformance(t *testing.T) {
	hostbackendtest.Exercise(t, func(t *testing.T) hostbackendtest.Harness {
		root := t.TempDir()
		b := fake.New(fake.Options{StateRoot: root, StartDelay: 20 * time.Millisecond, StopDelay: 10 * time.Millisecond})
		return hostbackendtest.Harness{
			Backend:   b,
			StateRoot: root,
			Calls: func() []hostbackendtest.Call {
				var out []hostbackendtest.Call
				for _, c := range b.Calls() {
					switch c.Verb {
					case "provision", "purge", "list", "writable-layer", "reset-layer":
						continue // file operations, not host commands
					}
					out = append(out, hostbackendtest.Call{Verb: c.Verb, Names: c.Names})
				}
				return out
			},
			Fail:          b.Fail,
			Hang:          b.Hang,
			Interrupt:     b.Interrupt,
			SeedJournal:   b.SeedJournal,
			AppendJournal: b.AppendJournal,
		}
	})
}

// clock is a manual clock for the fake's timed transitions.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newClocked(t *testing.T) (*fake.Backend, *clock) {
	t.Helper()
	c := &clock{now: time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)}
	return fake.New(fake.Options{StartDelay: 2 * time.Second, RestartDelay: 5 * time.Second, Now: c.Now}), c
}

func mustState(t *testing.T, b *fake.Backend, name string, want hostbackend.State) hostbackend.UnitStatus {
	t.Helper()
	st, err := b.Show(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if got := st[0].State(); got != want {
		t.Fatalf("%s is %s (%s/%s), want %s", name, got, st[0].ActiveState, st[0].SubState, want)
	}
	return st[0]
}

func TestTransitions(t *testing.T) {
	ctx := context.Background()

	t.Run("a started unit is starting until the start delay passes", func(t *testing.T) {
		b, c := newClocked(t)
		if err := b.Enable(ctx, "s", nil); err != nil {
			t.Fatal(err)
		}
		mustState(t, b, "s", hostbackend.StateStarting)
		c.Add(2 * time.Second)
		st := mustState(t, b, "s", hostbackend.StateRunning)
		if !st.Since.Equal(c.Now()) {
			t.Errorf("Since = %v, want %v", st.Since, c.Now())
		}
	})

	t.Run("a crash restarts the unit and counts it", func(t *testing.T) {
		b, c := newClocked(t)
		b.ExternalEnable("s")
		c.Add(2 * time.Second)
		b.Crash("s")
		st := mustState(t, b, "s", hostbackend.StateCrashLooping)
		if st.Result != "signal" {
			t.Errorf("Result = %q, want signal", st.Result)
		}
		c.Add(5 * time.Second)
		st = mustState(t, b, "s", hostbackend.StateRunning)
		if st.NRestarts != 1 {
			t.Errorf("NRestarts = %d, want 1", st.NRestarts)
		}
	})

	t.Run("a crash loop ends failed at the start limit", func(t *testing.T) {
		b, c := newClocked(t)
		b.ExternalEnable("s")
		c.Add(2 * time.Second)
		b.CrashLoop("s")
		mustState(t, b, "s", hostbackend.StateCrashLooping)
		c.Add(time.Duration(fake.StartLimitBurst) * 5 * time.Second)
		mustState(t, b, "s", hostbackend.StateCrashLooping)
		c.Add(5 * time.Second)
		st := mustState(t, b, "s", hostbackend.StateFailed)
		if st.Result != "start-limit-hit" {
			t.Errorf("Result = %q, want start-limit-hit", st.Result)
		}
		if err := b.Enable(ctx, "s", nil); err != nil {
			t.Fatal(err)
		}
		c.Add(2 * time.Second)
		mustState(t, b, "s", hostbackend.StateRunning)
	})

	t.Run("an OOM kill fails the unit with its reason", func(t *testing.T) {
		b, c := newClocked(t)
		b.ExternalEnable("s")
		c.Add(2 * time.Second)
		b.OOMKill("s")
		st := mustState(t, b, "s", hostbackend.StateFailed)
		if st.Result != "oom-kill" || st.MainPID != 0 {
			t.Errorf("after OOM kill: %+v", st)
		}
	})

	t.Run("a reboot brings back enabled units only", func(t *testing.T) {
		b, c := newClocked(t)
		b.ExternalEnable("on")
		b.ExternalEnable("off")
		c.Add(2 * time.Second)
		b.ExternalDisable("off")
		if b.Enabled("off") || !b.Enabled("on") {
			t.Fatal("enabled flags wrong after ExternalDisable")
		}
		b.Reboot()
		mustState(t, b, "on", hostbackend.StateStarting)
		mustState(t, b, "off", hostbackend.StateStopped)
		c.Add(2 * time.Second)
		mustState(t, b, "on", hostbackend.StateRunning)
		mustState(t, b, "off", hostbackend.StateStopped)
	})

	t.Run("disable waits for the stop delay and passes through stopping", func(t *testing.T) {
		b := fake.New(fake.Options{StopDelay: 200 * time.Millisecond})
		if err := b.Enable(ctx, "s", nil); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- b.Disable(ctx, "s", nil) }()
		deadline := time.Now().Add(5 * time.Second)
		for b.Unit("s").State() != hostbackend.StateStopping {
			if time.Now().After(deadline) {
				t.Fatal("never saw stopping")
			}
			time.Sleep(time.Millisecond)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		mustState(t, b, "s", hostbackend.StateStopped)
	})

	t.Run("failing show is reported until cleared", func(t *testing.T) {
		b, _ := newClocked(t)
		b.FailShow(context.DeadlineExceeded)
		if _, err := b.Show(ctx, "s"); err == nil {
			t.Fatal("Show succeeded while failing")
		}
		b.FailShow(nil)
		if _, err := b.Show(ctx, "s"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("instance specs are kept in memory without a state root", func(t *testing.T) {
		b, _ := newClocked(t)
		s := hostbackend.InstanceSpec{Name: "m", Port: 27015, Args: []string{"+map", "c2m1_highway"}}
		if err := b.Provision(ctx, s); err != nil {
			t.Fatal(err)
		}
		got, ok := b.Spec("m")
		if !ok || got.Port != 27015 || got.Args[1] != "c2m1_highway" {
			t.Fatalf("Spec = %+v, %v", got, ok)
		}
		if names, _ := b.List(ctx); len(names) != 1 || names[0] != "m" {
			t.Fatalf("List = %v", names)
		}
		if err := b.Purge(ctx, "m"); err != nil {
			t.Fatal(err)
		}
		if _, ok := b.Spec("m"); ok {
			t.Fatal("spec still there after Purge")
		}
	})
}
