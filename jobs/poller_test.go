package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/fake"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

func newPoller(e *env, b hostbackend.Backend, clk func() time.Time) *jobs.Poller {
	if b == nil {
		b = e.fake
	}
	return jobs.NewPoller(jobs.PollerOpts{DB: e.db, Backend: b, Clock: clk, Logger: quiet()})
}

// shows returns the name lists of the fake's show calls.
func shows(b *fake.Backend) [][]string {
	var out [][]string
	for _, c := range b.Calls() {
		if c.Verb == "show" {
			out = append(out, c.Names)
		}
	}
	return out
}

func history(t testing.TB, db *store.DB, name string) []store.HistoryEntry {
	t.Helper()
	hs, err := db.ListServerHistory(context.Background(), server(t, db, name).ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	return hs
}

// Reference: test_state_poller_refreshes_each_server.
func TestStatePollerRefreshesEachServer(t *testing.T) {
	e := newEnv(t, fake.Options{})
	storetest.Server(t, e.db, "alpha", 27015)
	storetest.Server(t, e.db, "beta", 27016)
	e.fake.ExternalEnable("alpha")

	if err := newPoller(e, nil, nil).Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]hostbackend.State{"alpha": hostbackend.StateRunning, "beta": hostbackend.StateStopped} {
		srv := server(t, e.db, name)
		if srv.ActualState != want || srv.ActualStateUpdatedAt.IsZero() {
			t.Errorf("%s: actual_state %s (updated %v), want %s", name, srv.ActualState, srv.ActualStateUpdatedAt, want)
		}
	}
}

// Reference: test_state_poller_skips_servers_with_inflight_jobs.
func TestStatePollerSkipsServersWithInflightJobs(t *testing.T) {
	e := newEnv(t, fake.Options{})
	for i, n := range []string{"gamma", "delta", "idle"} {
		storetest.Server(t, e.db, n, 27015+i)
	}
	enqueue(t, e.q, "gamma", store.OpStop)
	if _, err := e.q.Claim(context.Background(), time.Minute); err != nil { // gamma's job is running
		t.Fatal(err)
	}
	enqueue(t, e.q, "delta", store.OpStart) // delta's is queued

	if err := newPoller(e, nil, nil).Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := shows(e.fake); !reflect.DeepEqual(got, [][]string{{"idle"}}) {
		t.Fatalf("show calls %v, want one for idle only", got)
	}
	for _, n := range []string{"gamma", "delta"} {
		if srv := server(t, e.db, n); srv.ActualState != hostbackend.StateUnknown || !srv.ActualStateUpdatedAt.IsZero() {
			t.Errorf("%s was written while it had a job: %+v", n, srv)
		}
	}
}

// dropOne answers Show without the named unit.
type dropOne struct {
	*fake.Backend
	drop string
}

func (b dropOne) Show(ctx context.Context, names ...string) ([]hostbackend.UnitStatus, error) {
	us, err := b.Backend.Show(ctx, names...)
	var kept []hostbackend.UnitStatus
	for _, u := range us {
		if u.Name != b.drop {
			kept = append(kept, u)
		}
	}
	return kept, err
}

// Reference: test_state_poller_swallows_per_server_exceptions.
func TestStatePollerSwallowsPerServerFailures(t *testing.T) {
	t.Run("a write that fails for one server", func(t *testing.T) {
		e := newEnv(t, fake.Options{})
		storetest.Server(t, e.db, "bad", 27015)
		storetest.Server(t, e.db, "good", 27016)
		if _, err := e.db.Writer().ExecContext(context.Background(), `
			CREATE TEMP TRIGGER fail_bad BEFORE UPDATE OF actual_state ON servers
			WHEN NEW.name = 'bad' BEGIN SELECT RAISE(ABORT, 'simulated host failure'); END`); err != nil {
			t.Fatal(err)
		}
		err := newPoller(e, nil, nil).Tick(context.Background())
		if err == nil || !strings.Contains(err.Error(), "server bad") || !strings.Contains(err.Error(), "simulated host failure") {
			t.Fatalf("Tick() = %v, want bad's failure reported", err)
		}
		if got := server(t, e.db, "good").ActualState; got != hostbackend.StateStopped {
			t.Fatalf("good is %s, want stopped: one server's failure stopped the rest", got)
		}
		if got := server(t, e.db, "bad").ActualState; got != hostbackend.StateUnknown {
			t.Fatalf("bad is %s, want unchanged", got)
		}
	})
	t.Run("an answer missing for one server", func(t *testing.T) {
		e := newEnv(t, fake.Options{})
		storetest.Server(t, e.db, "bad", 27015)
		storetest.Server(t, e.db, "good", 27016)
		err := newPoller(e, dropOne{e.fake, "bad"}, nil).Tick(context.Background())
		if err == nil || !strings.Contains(err.Error(), "server bad") {
			t.Fatalf("Tick() = %v, want bad's failure reported", err)
		}
		if got := server(t, e.db, "good").ActualState; got != hostbackend.StateStopped {
			t.Fatalf("good is %s, want stopped", got)
		}
	})
}

// Reference: test_state_poller_disabled_when_job_workers_disabled.
func TestStatePollerDisabledWhenJobWorkersDisabled(t *testing.T) {
	e := newEnv(t, fake.Options{})
	storetest.Server(t, e.db, "alpha", 27015)
	r := jobs.NewRunner(jobs.RunnerOpts{Queue: e.q, Backend: e.fake, Workers: 0,
		PollerInterval: time.Millisecond, Logger: quiet()})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Start returns at once although ctx is never cancelled: nothing runs.
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if calls := e.fake.Calls(); len(calls) != 0 {
		t.Fatalf("backend calls with workers disabled: %+v", calls)
	}

	// With workers, the same runner configuration polls.
	startRunner(t, jobs.NewRunner(jobs.RunnerOpts{Queue: e.q, Backend: e.fake, Workers: 1,
		PollerInterval: time.Hour, Logger: quiet()}))
	waitFor(t, "the first poll", func() bool { return len(shows(e.fake)) > 0 })
}

func TestStatePollerAsksTheBackendOnceForAllServers(t *testing.T) {
	e := newEnv(t, fake.Options{})
	var want []string
	for i := 0; i < 12; i++ {
		n := fmt.Sprintf("srv-%02d", i)
		storetest.Server(t, e.db, n, 27015+i)
		want = append(want, n)
	}
	p := newPoller(e, nil, nil)
	for tick := 1; tick <= 3; tick++ {
		if err := p.Tick(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := shows(e.fake)
		if len(got) != tick || !reflect.DeepEqual(got[tick-1], want) {
			t.Fatalf("after %d ticks: show calls %v, want one per tick naming every server", tick, got)
		}
	}
}

// gatedShow answers Show from the fake at once, then waits for release
// before returning the (by then stale) answer.
type gatedShow struct {
	*fake.Backend
	asked   chan struct{}
	release chan struct{}
}

func (b gatedShow) Show(ctx context.Context, names ...string) ([]hostbackend.UnitStatus, error) {
	us, err := b.Backend.Show(ctx, names...)
	close(b.asked)
	<-b.release
	return us, err
}

// The poller reads alpha (stopped), asks systemd (inactive) and, before
// it writes, a start job runs and writes running. The poller's stale
// answer must not overwrite the job's state.
func TestStatePollerNeverOverwritesAStateAJobWroteMeanwhile(t *testing.T) {
	e := newEnv(t, fake.Options{})
	storetest.Server(t, e.db, "alpha", 27015)
	ctx := context.Background()
	if err := newPoller(e, nil, nil).Tick(ctx); err != nil { // alpha: unknown → stopped
		t.Fatal(err)
	}

	gate := gatedShow{e.fake, make(chan struct{}), make(chan struct{})}
	tickDone := make(chan error, 1)
	go func() { tickDone <- newPoller(e, gate, nil).Tick(ctx) }()
	<-gate.asked // the poller holds a stale "stopped"

	startRunner(t, e.runner(jobs.RunnerOpts{}))
	j := enqueue(t, e.q, "alpha", store.OpStart)
	waitJob(t, e.db, j.ID, store.JobSucceeded)
	if got := server(t, e.db, "alpha").ActualState; got != hostbackend.StateRunning {
		t.Fatalf("after the job alpha is %s, want running", got)
	}

	close(gate.release)
	if err := <-tickDone; err != nil {
		t.Fatal(err)
	}
	if got := server(t, e.db, "alpha").ActualState; got != hostbackend.StateRunning {
		t.Fatalf("the poller overwrote the job's state: alpha is %s, want running", got)
	}
	hs := history(t, e.db, "alpha")
	if len(hs) != 2 || hs[0].Reason != fmt.Sprintf("after job %d (start)", j.ID) {
		t.Fatalf("history = %+v; want the poller's first look and the job's change only", hs)
	}
}

func TestStatePollerMarksUnknownOnlyAfterARepeatedFailure(t *testing.T) {
	e := newEnv(t, fake.Options{})
	storetest.Server(t, e.db, "alpha", 27015)
	e.fake.ExternalEnable("alpha")
	p := newPoller(e, nil, nil)
	ctx := context.Background()
	if err := p.Tick(ctx); err != nil {
		t.Fatal(err)
	}

	e.fake.FailShow(errors.New("sudo: a password is required"))
	if err := p.Tick(ctx); err == nil {
		t.Fatal("first failing tick returned nil")
	}
	if got := server(t, e.db, "alpha").ActualState; got != hostbackend.StateRunning {
		t.Fatalf("one blip changed the state to %s", got)
	}
	if err := p.Tick(ctx); err == nil {
		t.Fatal("second failing tick returned nil")
	}
	srv := server(t, e.db, "alpha")
	if srv.ActualState != hostbackend.StateUnknown || srv.StateReason != "could not ask systemd: sudo: a password is required" {
		t.Fatalf("after two failures: %s (%q), want unknown with the error", srv.ActualState, srv.StateReason)
	}
	if srv.SystemdActive != "active" {
		t.Fatalf("systemd detail cleared: %+v", srv)
	}

	e.fake.FailShow(nil)
	if err := p.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if got := server(t, e.db, "alpha").ActualState; got != hostbackend.StateRunning {
		t.Fatalf("after recovery: %s, want running", got)
	}
	// One blip after the recovery is again only a blip.
	e.fake.FailShow(errors.New("timeout"))
	p.Tick(ctx)
	if got := server(t, e.db, "alpha").ActualState; got != hostbackend.StateRunning {
		t.Fatalf("a blip after recovery changed the state to %s", got)
	}
}

func TestStatePollerRecordsDriftWithItsReasonOnlyOnChange(t *testing.T) {
	clk := newClock()
	e := newEnv(t, fake.Options{Now: clk.Now})
	storetest.Server(t, e.db, "alpha", 27015)
	ctx := context.Background()
	startRunner(t, e.runner(jobs.RunnerOpts{Clock: clk.Now}))
	j := enqueue(t, e.q, "alpha", store.OpStart)
	waitJob(t, e.db, j.ID, store.JobSucceeded)
	p := newPoller(e, nil, clk.Now)

	steps := []struct {
		name       string
		drift      func()
		wantState  hostbackend.State
		wantReason string // "" when nothing changed
	}{
		{"nothing happened", func() {}, hostbackend.StateRunning, ""},
		{"the OOM killer", func() { e.fake.OOMKill("alpha") }, hostbackend.StateFailed, "changed outside the panel (systemd Result=oom-kill)"},
		{"a manual enable", func() { e.fake.ExternalEnable("alpha") }, hostbackend.StateRunning, "changed outside the panel"},
		{"a manual disable", func() { e.fake.ExternalDisable("alpha") }, hostbackend.StateStopped, "changed outside the panel"},
		{"a reboot of a disabled unit", func() { e.fake.Reboot() }, hostbackend.StateStopped, ""},
	}
	for _, st := range steps {
		before := history(t, e.db, "alpha")
		clk.Advance(time.Second)
		st.drift()
		if err := p.Tick(ctx); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		srv := server(t, e.db, "alpha")
		if srv.ActualState != st.wantState {
			t.Errorf("%s: state %s, want %s", st.name, srv.ActualState, st.wantState)
		}
		if !srv.ActualStateUpdatedAt.Equal(clk.Now()) {
			t.Errorf("%s: actual_state_updated_at %v, want %v", st.name, srv.ActualStateUpdatedAt, clk.Now())
		}
		after := history(t, e.db, "alpha")
		switch {
		case st.wantReason == "" && len(after) != len(before):
			t.Errorf("%s: a history row without a change: %+v", st.name, after[0])
		case st.wantReason != "" && (len(after) != len(before)+1 || after[0].Reason != st.wantReason):
			t.Errorf("%s: history %+v, want a row with reason %q", st.name, after, st.wantReason)
		}
	}
}

func TestStatePollerReportsItsLastTick(t *testing.T) {
	e := newEnv(t, fake.Options{})
	at := time.Date(2026, 11, 25, 21, 0, 0, 0, time.UTC)
	p := newPoller(e, nil, func() time.Time { return at })
	if !p.LastTick().IsZero() {
		t.Fatal("a poller that never ticked reports a last tick")
	}
	if err := p.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !p.LastTick().Equal(at) {
		t.Fatalf("LastTick = %v, want %v", p.LastTick(), at)
	}
}

func TestAServerLeftStartingIsSettledWithinSecondsNotAPollerInterval(t *testing.T) {
	e := newEnv(t, fake.Options{StartDelay: 300 * time.Millisecond})
	storetest.Server(t, e.db, "slow", 27015)
	// An hour-long interval: only the settle follow-up can see "running".
	// A host that cannot ask the game: its start job ends while the unit
	// is still starting (with the game, the job waits for its answer).
	stop := startRunner(t, e.runner(jobs.RunnerOpts{Backend: hostOnly{e.fake}, PollerInterval: time.Hour, PollerSettleInterval: 50 * time.Millisecond}))
	defer stop()

	j := enqueue(t, e.q, "slow", store.OpStart)
	waitJob(t, e.db, j.ID, store.JobSucceeded)
	waitFor(t, "slow is running", func() bool { return server(t, e.db, "slow").ActualState == hostbackend.StateRunning })

	var reasons []string
	hist, err := e.db.ListServerHistory(context.Background(), server(t, e.db, "slow").ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hist {
		reasons = append(reasons, string(h.OldState)+"→"+string(h.NewState)+": "+h.Reason)
	}
	if len(hist) < 2 || hist[0].NewState != hostbackend.StateRunning {
		t.Fatalf("history = %q, want the job's starting and then the poller's running", reasons)
	}
}

func TestStatePollerRecordsEveryCrashSystemdRestarted(t *testing.T) {
	clk := newClock()
	e := newEnv(t, fake.Options{Now: clk.Now, RestartDelay: 5 * time.Second})
	storetest.Server(t, e.db, "alpha", 27015)
	ctx := context.Background()
	p := newPoller(e, nil, clk.Now)
	e.fake.ExternalEnable("alpha")
	if err := p.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if srv := server(t, e.db, "alpha"); !srv.SystemdEnabled || srv.ActualState != hostbackend.StateRunning {
		t.Fatalf("after the first tick: %s, enabled %v; want running and enabled", srv.ActualState, srv.SystemdEnabled)
	}

	crash := func() {
		e.fake.Crash("alpha")
		clk.Advance(6 * time.Second) // past RestartSec: running again
	}
	steps := []struct {
		name    string
		crashes int
		want    string
	}{
		{"one crash between two looks", 1, "crashed and was restarted by systemd (signal KILL), 1st restart"},
		{"nothing happened", 0, ""},
		{"two crashes between two looks", 2, "crashed and was restarted by systemd 2 times since the last look (the last time: signal KILL), 3rd restart"},
	}
	for _, st := range steps {
		before := history(t, e.db, "alpha")
		for range st.crashes {
			crash()
		}
		if err := p.Tick(ctx); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		after := history(t, e.db, "alpha")
		srv := server(t, e.db, "alpha")
		if srv.ActualState != hostbackend.StateRunning {
			t.Fatalf("%s: state %s, want running", st.name, srv.ActualState)
		}
		if st.want == "" {
			if len(after) != len(before) {
				t.Fatalf("%s: a history row %+v without a restart", st.name, after[0])
			}
			continue
		}
		if len(after) != len(before)+1 || after[0].Reason != st.want ||
			after[0].OldState != hostbackend.StateRunning || after[0].NewState != hostbackend.StateRunning {
			t.Fatalf("%s: history %+v, want one running → running row %q", st.name, after, st.want)
		}
		if srv.StateReason != st.want {
			t.Fatalf("%s: state_reason %q, want %q", st.name, srv.StateReason, st.want)
		}
	}
}

func TestStatePollerNotesARestartBesideAChange(t *testing.T) {
	clk := newClock()
	e := newEnv(t, fake.Options{Now: clk.Now, RestartDelay: 5 * time.Second})
	storetest.Server(t, e.db, "alpha", 27015)
	ctx := context.Background()
	p := newPoller(e, nil, clk.Now)
	e.fake.ExternalEnable("alpha")
	if err := p.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	e.fake.Crash("alpha")
	clk.Advance(6 * time.Second)
	e.fake.OOMKill("alpha")
	if err := p.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	hs := history(t, e.db, "alpha")
	want := "changed outside the panel (systemd Result=oom-kill); crashed and was restarted by systemd (signal KILL), 1st restart"
	if hs[0].Reason != want || hs[0].NewState != hostbackend.StateFailed {
		t.Fatalf("history %+v, want a failed row %q", hs[0], want)
	}
}

func TestExitCauseNamesHowTheMainProcessEnded(t *testing.T) {
	for line, want := range map[string]string{
		"left4me-server@a.service: Main process exited, code=killed, status=9/KILL":    "signal KILL",
		"Main process exited, code=dumped, status=11/SEGV":                             "signal SEGV, core dumped",
		"left4me-server@a.service: Main process exited, code=exited, status=1/FAILURE": "exit status 1",
		"Started left4me-server@a.service.":                                            "",
		"Main process exited, code=weird":                                              "",
	} {
		if got := jobs.ExitCause(line); got != want {
			t.Errorf("ExitCause(%q) = %q, want %q", line, got, want)
		}
	}
}

func TestLookReadsOneServerAndCountsNoFailure(t *testing.T) {
	e := newEnv(t, fake.Options{})
	one := storetest.Server(t, e.db, "one", 27015)
	storetest.Server(t, e.db, "other", 27016)
	e.fake.ExternalEnable("one")
	p := newPoller(e, nil, nil)

	if err := p.Look(context.Background(), one.ID); err != nil {
		t.Fatal(err)
	}
	if got := shows(e.fake); !reflect.DeepEqual(got, [][]string{{"one"}}) {
		t.Fatalf("show calls %v, want one for the looked-at server only", got)
	}
	if got := server(t, e.db, "one").ActualState; got != hostbackend.StateRunning {
		t.Fatalf("one is %s after Look, want running", got)
	}
	if got := server(t, e.db, "other").ActualState; got != hostbackend.StateUnknown {
		t.Fatalf("other is %s, want untouched", got)
	}

	// Failed looks are not failed ticks: one failed tick after any number
	// of them keeps the states (the second in a row would mark unknown).
	e.fake.FailShow(errors.New("sudo: a password is required"))
	for range 3 {
		if err := p.Look(context.Background(), one.ID); err == nil {
			t.Fatal("Look with systemd unreachable returned no error")
		}
	}
	if err := p.Tick(context.Background()); err == nil {
		t.Fatal("Tick with systemd unreachable returned no error")
	}
	if got := server(t, e.db, "one").ActualState; got != hostbackend.StateRunning {
		t.Fatalf("one is %s after failed looks and one failed tick, want running kept", got)
	}
}
