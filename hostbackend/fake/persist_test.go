package fake_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/fake"
)

func TestUnitsOnAStateRootAreOneHostForEveryProcess(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	clk := &clock{now: time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)} // one clock, as processes share one
	opts := fake.Options{StateRoot: root, StartDelay: 2 * time.Second, Now: clk.Now}
	// Each fake.New stands for a process: a panel restarted, an l4d2ctl run.
	panel := fake.New(opts)
	if err := panel.Enable(ctx, "coop-1", nil); err != nil {
		t.Fatal(err)
	}

	ctl := fake.New(opts)
	if u := ctl.Unit("coop-1"); u.ActiveState != "activating" || u.SubState != "start" || !u.Enabled || !u.Known {
		t.Fatalf("another process sees %+v, want the unit starting and enabled", u)
	}
	clk.Add(2 * time.Second)
	got, err := ctl.Show(ctx, "coop-1", "never")
	if err != nil {
		t.Fatal(err)
	}
	if got[0].State() != hostbackend.StateRunning || got[0].MainPID == 0 || got[1].Known {
		t.Fatalf("after the start delay: %+v, want coop-1 running and never unknown", got)
	}
	pid := got[0].MainPID

	// A crash's pending restart is kept too, and counted when it is due.
	ctl.Crash("coop-1")
	again := fake.New(opts)
	if u := again.Unit("coop-1"); u.SubState != "auto-restart" {
		t.Fatalf("after a crash in another process: %+v", u)
	}
	clk.Add(2 * time.Second)
	if u := again.Unit("coop-1"); u.State() != hostbackend.StateRunning || u.NRestarts != 1 || u.MainPID == pid {
		t.Fatalf("after the restart delay: %+v, want running again with one restart and a new PID", u)
	}

	// The first fake was not left behind: it reads what the others saved.
	if err := panel.Disable(ctx, "coop-1", nil); err != nil {
		t.Fatal(err)
	}
	if u := fake.New(opts).Unit("coop-1"); u.State() != hostbackend.StateStopped || u.Enabled {
		t.Fatalf("after a stop: %+v", u)
	}
	var lines []string
	if err := fake.New(opts).Journal(ctx, "coop-1", 50, false, func(l hostbackend.Line) { lines = append(lines, l.Text) }); err != nil {
		t.Fatal(err)
	}
	log := strings.Join(lines, "\n")
	for _, want := range []string{"Started left4me-server@coop-1", "Scheduled restart job, restart counter is at 1.", "Stopped left4me-server@coop-1"} {
		if !strings.Contains(log, want) {
			t.Errorf("the journal lacks %q:\n%s", want, log)
		}
	}
}

func TestFollowingALogSeesAnotherProcesssLines(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := fake.Options{StateRoot: t.TempDir()}
	fake.New(opts).SeedJournal("coop-1", []string{"first"})
	got := make(chan string, 10)
	done := make(chan error, 1)
	go func() {
		done <- fake.New(opts).Journal(ctx, "coop-1", 10, true, func(l hostbackend.Line) { got <- l.Text })
	}()
	if l := <-got; l != "first" {
		t.Fatalf("first line %q", l)
	}
	fake.New(opts).AppendJournal("coop-1", []string{"second"})
	select {
	case l := <-got:
		if l != "second" {
			t.Fatalf("next line %q, want second", l)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the follower never saw the other process's line")
	}
	cancel()
	<-done
}

func TestAFakeWithoutStateRootKeepsItsUnitsToItself(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	t.Chdir(dir)
	a := fake.New(fake.Options{})
	if err := a.Enable(ctx, "coop-1", nil); err != nil {
		t.Fatal(err)
	}
	if !a.Enabled("coop-1") || fake.New(fake.Options{}).Enabled("coop-1") {
		t.Fatal("two fakes in memory share a unit")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a fake in memory wrote %v", entries)
	}
}

func TestABrokenUnitsFileIsAnError(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "fake-units.json"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := fake.New(fake.Options{StateRoot: root}).Show(context.Background(), "coop-1")
	if err == nil || !strings.Contains(err.Error(), "simulated host: fake-units.json") {
		t.Fatalf("Show = %v, want an error naming the file", err)
	}
}
