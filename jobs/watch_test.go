package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/fake"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

// tenMinutes is the poller's interval in the watch tests: a change that
// shows within the test's time came through the watch.
const tenMinutes = 10 * time.Minute

// watching starts a runner on e whose poller ticks every ten minutes and
// whose watch is live, with alpha running through a start job.
func watching(t testing.TB, e *env, opts jobs.RunnerOpts) *jobs.Runner {
	t.Helper()
	storetest.Server(t, e.db, "alpha", 27015)
	opts.PollerInterval = tenMinutes
	if opts.WatchBackoff == 0 {
		opts.WatchBackoff = 10 * time.Millisecond
	}
	r := e.runner(opts)
	startRunner(t, r)
	j := enqueue(t, e.q, "alpha", store.OpStart)
	waitJob(t, e.db, j.ID, store.JobSucceeded)
	waitFor(t, "the watch to be live", func() bool { return r.Health().Source == jobs.SourceSignals })
	return r
}

// waitState waits until name is in state and its newest history row has
// the reason; it returns that row.
func waitState(t testing.TB, db *store.DB, name string, state hostbackend.State, reason string) store.HistoryEntry {
	t.Helper()
	var newest store.HistoryEntry
	waitFor(t, fmt.Sprintf("%s to be %s (%q)", name, state, reason), func() bool {
		hs := history(t, db, name)
		if server(t, db, name).ActualState != state || len(hs) == 0 {
			return false
		}
		newest = hs[0]
		return strings.Contains(newest.Reason, reason)
	})
	return newest
}

func TestInjectedDriftReachesTheDatabaseThroughTheWatchNotAPollerInterval(t *testing.T) {
	e := newEnv(t, fake.Options{RestartDelay: 20 * time.Millisecond})
	r := watching(t, e, jobs.RunnerOpts{})

	steps := []struct {
		name       string
		drift      func()
		wantState  hostbackend.State
		wantReason string
	}{
		{"the OOM killer", func() { e.fake.OOMKill("alpha") }, hostbackend.StateFailed, "changed outside the panel (systemd Result=oom-kill)"},
		{"a manual enable", func() { e.fake.ExternalEnable("alpha") }, hostbackend.StateRunning, "changed outside the panel"},
		{"a crash systemd restarted", func() { e.fake.Crash("alpha") }, hostbackend.StateRunning, "crashed and was restarted by systemd (signal KILL), 1st restart"},
		{"a disable outside the panel", func() { e.fake.ExternalDisable("alpha") }, hostbackend.StateStopped, "changed outside the panel"},
	}
	for _, st := range steps {
		before := len(history(t, e.db, "alpha"))
		st.drift()
		waitState(t, e.db, "alpha", st.wantState, st.wantReason)
		if after := len(history(t, e.db, "alpha")); after <= before {
			t.Errorf("%s: no history row", st.name)
		}
	}
	if got := server(t, e.db, "alpha").StateReason; !strings.HasPrefix(got, "changed outside the panel") {
		t.Errorf("state_reason %q, want the poller's reason", got)
	}
	// /metrics counts what the watch reported (left4me_watch_signals_total).
	if got := r.Poller().Stats().Signals; got < uint64(len(steps)) {
		t.Errorf("%d signals counted after %d drifts", got, len(steps))
	}
}

// gatedOnce answers the first Show after arm from the fake at once,
// then holds that (by then stale) answer until release.
type gatedOnce struct {
	*fake.Backend
	armed   atomic.Bool
	asked   chan struct{}
	release chan struct{}
	held    hostbackend.State // the answer it held, set before asked closes
}

func (b *gatedOnce) Show(ctx context.Context, names ...string) ([]hostbackend.UnitStatus, error) {
	us, err := b.Backend.Show(ctx, names...)
	if b.armed.CompareAndSwap(true, false) {
		if err == nil {
			b.held = us[0].State()
		}
		close(b.asked)
		<-b.release
	}
	return us, err
}

// The watch's look reads alpha (running) and asks systemd (failed,
// after an OOM kill); before it writes, a start job runs and writes
// running. The look's stale answer must not overwrite the job's state.
func TestAnEventsStaleAnswerNeverOverwritesAStateAJobWroteMeanwhile(t *testing.T) {
	e := newEnv(t, fake.Options{})
	gate := &gatedOnce{Backend: e.fake, asked: make(chan struct{}), release: make(chan struct{})}
	watching(t, e, jobs.RunnerOpts{Backend: gate})

	gate.armed.Store(true)
	e.fake.OOMKill("alpha")
	<-gate.asked
	if gate.held != hostbackend.StateFailed {
		t.Fatalf("the look holds %s, want the OOM kill's failed", gate.held)
	}
	j := enqueue(t, e.q, "alpha", store.OpStart)
	waitJob(t, e.db, j.ID, store.JobSucceeded)
	if srv := server(t, e.db, "alpha"); srv.ActualState != hostbackend.StateRunning || srv.StateReason != fmt.Sprintf("after job %d (start)", j.ID) {
		t.Fatalf("after the job alpha is %s (%q), want running after the job", srv.ActualState, srv.StateReason)
	}
	close(gate.release)

	// Looks run one after another: once this later change shows, the
	// stale one has been written or dropped.
	e.fake.ExternalDisable("alpha")
	row := waitState(t, e.db, "alpha", hostbackend.StateStopped, "changed outside the panel")
	if row.OldState != hostbackend.StateRunning {
		t.Errorf("the disable's row says it was %s before, want running (the job's state)", row.OldState)
	}
	for _, h := range history(t, e.db, "alpha") {
		if h.NewState == hostbackend.StateFailed {
			t.Fatalf("the stale answer was written: %+v", h)
		}
	}
}

// countedWatch counts the Watch calls of the fake.
type countedWatch struct {
	*fake.Backend
	calls atomic.Int32
}

func (b *countedWatch) Watch(ctx context.Context, changed func(string)) error {
	b.calls.Add(1)
	return b.Backend.Watch(ctx, changed)
}

// syncBuffer is a log destination for goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) count(sub string) int { return strings.Count(s.String(), sub) }

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func TestABrokenWatchFallsBackToPollingLogsOnceAndComesBack(t *testing.T) {
	e := newEnv(t, fake.Options{})
	w := &countedWatch{Backend: e.fake}
	var logs syncBuffer
	r := watching(t, e, jobs.RunnerOpts{Backend: w, WatchBackoffMax: 20 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})

	e.fake.BreakWatch(errors.New("the bus went away"))
	waitFor(t, "polling only", func() bool { return r.Health().Source == jobs.SourcePolling })
	if h := r.Health(); h.SourceReason == "" || h.SourceErr != "watch the simulated units: the bus went away" || h.SourceSince.IsZero() {
		t.Fatalf("health %+v: want a reason and the watch's error", h)
	}
	tried := w.calls.Load()
	waitFor(t, "several more tries", func() bool { return w.calls.Load() >= tried+3 })
	if n := logs.count("state watch failed"); n != 1 {
		t.Fatalf("the failure was logged %d times, want once:\n%s", n, logs.String())
	}
	if h := r.Health(); !h.Host.OK() || !h.Store.OK() {
		t.Fatalf("polling only is no failure: %+v", h)
	}

	e.fake.BreakWatch(nil)
	waitFor(t, "the watch to come back", func() bool { return r.Health().Source == jobs.SourceSignals })
	if h := r.Health(); h.SourceReason != "" || h.SourceErr != "" {
		t.Fatalf("health %+v: a live watch has no reason", h)
	}
	if n := logs.count("hearing systemd's signals again"); n != 1 {
		t.Fatalf("the recovery was logged %d times, want once:\n%s", n, logs.String())
	}
	e.fake.OOMKill("alpha")
	waitState(t, e.db, "alpha", hostbackend.StateFailed, "changed outside the panel (systemd Result=oom-kill)")
}

func TestABackendThatCannotWatchIsPollingOnly(t *testing.T) {
	e := newEnv(t, fake.Options{})
	r := e.runner(jobs.RunnerOpts{Backend: struct{ hostbackend.Backend }{e.fake}, PollerInterval: tenMinutes})
	h := r.Health()
	if h.Source != jobs.SourcePolling || !strings.Contains(h.SourceReason, "does not report changes") {
		t.Fatalf("health %+v, want polling only because the backend cannot watch", h)
	}
}

// BenchmarkEventToStateWritten measures how long an injected change of a
// unit (an OOM kill, then an enable outside the panel) takes to reach the
// server's row through the watch, with the poller at ten minutes.
func BenchmarkEventToStateWritten(b *testing.B) {
	e := newEnv(b, fake.Options{})
	watching(b, e, jobs.RunnerOpts{})
	ctx := context.Background()
	state := func() hostbackend.State {
		var st hostbackend.State
		if err := e.db.Reader().QueryRowContext(ctx, `SELECT actual_state FROM servers WHERE name = 'alpha'`).Scan(&st); err != nil {
			b.Fatal(err)
		}
		return st
	}
	took := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		want := hostbackend.StateFailed
		began := time.Now()
		if i%2 == 0 {
			e.fake.OOMKill("alpha")
		} else {
			want = hostbackend.StateRunning
			e.fake.ExternalEnable("alpha")
		}
		for seen := e.db.Changes(); ; {
			if n := e.db.Changes(); n != seen {
				seen = n
				if state() == want {
					break
				}
			}
			if time.Since(began) > 10*time.Second {
				b.Fatalf("alpha never became %s", want)
			}
			time.Sleep(20 * time.Microsecond)
		}
		took = append(took, time.Since(began))
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
}
