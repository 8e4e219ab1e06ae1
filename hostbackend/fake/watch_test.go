package fake_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/fake"
)

// watching runs b.Watch until the test ends; names receives what it
// reports and ended its error. It returns once the watch reports: it
// changes the unit "probe" until it hears of it (next skips that name).
func watching(t *testing.T, b *fake.Backend) (names chan string, ended chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	names, ended = make(chan string, 1000), make(chan error, 1)
	returned := make(chan struct{})
	go func() {
		ended <- b.Watch(ctx, func(n string) { names <- n })
		close(returned)
	}()
	t.Cleanup(func() {
		cancel()
		<-returned
	})
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for up := true; len(names) == 0; up = !up {
		if up {
			b.ExternalEnable("probe")
		} else {
			b.ExternalDisable("probe")
		}
		select {
		case err := <-ended:
			t.Fatalf("Watch ended: %v", err)
		case <-tick.C:
		}
	}
	return names, ended
}

// next waits for the next reported name other than "probe".
func next(t *testing.T, names chan string) string {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case n := <-names:
			if n != "probe" {
				return n
			}
		case <-timeout:
			t.Fatal("no change reported")
			return ""
		}
	}
}

// reports fails the test unless the next reported name is name.
func reports(t *testing.T, names chan string, name string) {
	t.Helper()
	if got := next(t, names); got != name {
		t.Fatalf("reported %q, want %q", got, name)
	}
}

func TestWatchReportsOperationsDriftAndTimedTransitions(t *testing.T) {
	b, clk := newClocked(t)
	ctx := context.Background()
	names, _ := watching(t, b)

	steps := []struct {
		name   string
		do     func()
		want   hostbackend.State
		unitOf string
	}{
		{"an enable", func() {
			if err := b.Enable(ctx, "alpha", nil); err != nil {
				t.Fatal(err)
			}
		}, hostbackend.StateStarting, "alpha"},
		{"the start's end, when its time came", func() { clk.Add(2 * time.Second) }, hostbackend.StateRunning, "alpha"},
		{"a crash", func() { b.Crash("alpha") }, hostbackend.StateCrashLooping, "alpha"},
		{"systemd's restart, when its time came", func() { clk.Add(5 * time.Second) }, hostbackend.StateRunning, "alpha"},
		{"an OOM kill", func() { b.OOMKill("alpha") }, hostbackend.StateFailed, "alpha"},
		{"an enable outside the panel", func() { b.ExternalEnable("alpha") }, hostbackend.StateStarting, "alpha"},
		{"the start's end", func() { clk.Add(2 * time.Second) }, hostbackend.StateRunning, "alpha"},
		{"a stop outside the panel", func() { b.ExternalStop("alpha") }, hostbackend.StateStopped, "alpha"},
		{"an enable by the panel of an enabled unit", func() {
			if err := b.Enable(ctx, "alpha", nil); err != nil {
				t.Fatal(err)
			}
		}, hostbackend.StateStarting, "alpha"},
		{"a disable outside the panel", func() { b.ExternalDisable("alpha") }, hostbackend.StateStopped, "alpha"},
	}
	for _, st := range steps {
		st.do()
		reports(t, names, st.unitOf)
		if got := b.Unit(st.unitOf).State(); got != st.want {
			t.Fatalf("after %s %s is %s, want %s", st.name, st.unitOf, got, st.want)
		}
	}
}

func TestWatchReportsARebootForEveryUnit(t *testing.T) {
	b, _ := newClocked(t)
	b.ExternalEnable("alpha")
	b.ExternalDisable("beta")
	names, _ := watching(t, b)

	b.Reboot()
	got := map[string]bool{}
	for len(got) < 2 {
		got[next(t, names)] = true
	}
	for _, n := range []string{"alpha", "beta"} {
		if !got[n] {
			t.Errorf("the reboot did not report %s: %v", n, got)
		}
	}
}

func TestABrokenWatchReturnsItsReasonUntilMended(t *testing.T) {
	b, _ := newClocked(t)
	_, ended := watching(t, b)

	bus := errors.New("the bus went away")
	b.BreakWatch(bus)
	select {
	case err := <-ended:
		if !errors.Is(err, bus) {
			t.Fatalf("Watch returned %v, want the break's reason", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a broken watch kept watching")
	}
	if err := b.Watch(context.Background(), func(string) {}); !errors.Is(err, bus) {
		t.Fatalf("a new Watch while broken returned %v, want the break's reason", err)
	}

	b.BreakWatch(nil)
	names, _ := watching(t, b)
	b.ExternalEnable("alpha")
	reports(t, names, "alpha")
}

func TestWatchSeesAnotherProcessOnTheSameStateRoot(t *testing.T) {
	root := t.TempDir()
	panel := fake.New(fake.Options{StateRoot: root, WatchInterval: 10 * time.Millisecond})
	cli := fake.New(fake.Options{StateRoot: root})
	names, _ := watching(t, panel)

	cli.ExternalEnable("alpha")
	reports(t, names, "alpha")
	if got := panel.Unit("alpha").State(); got != hostbackend.StateRunning {
		t.Fatalf("alpha is %s in the panel, want running", got)
	}
}
