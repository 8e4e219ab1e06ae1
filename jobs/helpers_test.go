package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend/fake"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

// clock is a settable clock for lease and rescue tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// quiet is a logger for tests that expect warnings.
func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// waitFor polls cond until it holds, failing the test after 10 s. It is
// for conditions on the database, which has no change signal.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// job reads a job, failing the test on error.
func job(t testing.TB, db *store.DB, id int64) *store.Job {
	t.Helper()
	j, err := db.GetJob(context.Background(), id)
	if err != nil {
		t.Fatalf("get job %d: %v", id, err)
	}
	return j
}

// server reads a server by name, failing the test on error.
func server(t testing.TB, db *store.DB, name string) *store.Server {
	t.Helper()
	s, err := db.GetServerByName(context.Background(), name)
	if err != nil {
		t.Fatalf("get server %s: %v", name, err)
	}
	return s
}

// waitJob waits until the job is in state.
func waitJob(t testing.TB, db *store.DB, id int64, state store.JobState) *store.Job {
	t.Helper()
	var j *store.Job
	waitFor(t, "job to be "+string(state), func() bool {
		j = job(t, db, id)
		return j.State == state
	})
	return j
}

// enqueue enqueues op on the named server, failing the test on error.
func enqueue(t testing.TB, q *jobs.Queue, name string, op store.Operation) *store.Job {
	t.Helper()
	j, err := q.Enqueue(context.Background(), jobs.EnqueueParams{ServerName: name, Operation: op})
	if err != nil {
		t.Fatalf("enqueue %s %s: %v", op, name, err)
	}
	return j
}

// startRunner runs r until the test ends and returns a function that
// stops it and waits for Start to return.
func startRunner(t testing.TB, r *jobs.Runner) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Start(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("runner: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// env is a database, a queue and a fake backend.
type env struct {
	db   *store.DB
	q    *jobs.Queue
	fake *fake.Backend
}

// newEnv is an env whose fake host has the game installed, so servers
// can start; newBareEnv's has none.
func newEnv(t testing.TB, fo fake.Options) *env {
	t.Helper()
	fo.GameInstalled = true
	return newBareEnv(t, fo)
}

func newBareEnv(t testing.TB, fo fake.Options) *env {
	t.Helper()
	db := storetest.Open(t)
	return &env{db: db, q: jobs.NewQueue(jobs.QueueOpts{DB: db}), fake: fake.New(fo)}
}

// runner returns a runner on e with fast test settings; opts fields that
// are set win.
func (e *env) runner(opts jobs.RunnerOpts) *jobs.Runner {
	opts.Queue = e.q
	if opts.Backend == nil {
		opts.Backend = e.fake
	}
	if opts.Workers == 0 {
		opts.Workers = 2
	}
	if opts.PollerInterval == 0 {
		opts.PollerInterval = -1 // poller tests call Tick themselves
	}
	if opts.Logger == nil {
		opts.Logger = quiet()
	}
	if opts.RetryDelay == 0 {
		opts.RetryDelay = 10 * time.Millisecond
	}
	return jobs.NewRunner(opts)
}

// callsOf returns the verbs the fake saw for name, in order, leaving out
// show.
func callsOf(b *fake.Backend, name string) []string {
	var verbs []string
	for _, c := range b.Calls() {
		if c.Verb != "show" && len(c.Names) == 1 && c.Names[0] == name {
			verbs = append(verbs, c.Verb)
		}
	}
	return verbs
}

// equal fails the test when got is not want.
func equal[T any](tb testing.TB, what string, got, want T) {
	tb.Helper()
	if !reflect.DeepEqual(got, want) {
		tb.Errorf("%s = %#v, want %#v", what, got, want)
	}
}
