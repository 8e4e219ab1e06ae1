package jobs_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/fake"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

// errSudo is what the sudo backend's Show says without the sudoers rule.
var errSudo = errors.New("sudo: a password is required")

// wantContact fails the test unless c is the contact described: working
// when errPart is empty, otherwise failing with an Err containing errPart
// since since; at is the latest attempt.
func wantContact(t testing.TB, what string, c jobs.Contact, at time.Time, errPart string, since time.Time) {
	t.Helper()
	ok := c.At.Equal(at) && c.FailingSince.Equal(since) && c.OK() == (errPart == "") && strings.Contains(c.Err, errPart)
	if !ok {
		t.Fatalf("%s: %+v; want At %v, FailingSince %v, Err containing %q", what, c, at, since, errPart)
	}
}

// newLockableEnv is newEnv on a database whose writes give up after
// 20 ms when another connection holds the write lock.
func newLockableEnv(t testing.TB) *env {
	t.Helper()
	db := storetest.OpenWith(t, store.Options{BusyTimeout: 20 * time.Millisecond})
	return &env{db: db, q: jobs.NewQueue(jobs.QueueOpts{DB: db}), fake: fake.New(fake.Options{GameInstalled: true})}
}

func TestContactNoteTellsWhenARunOfFailuresBeginsAndEnds(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var c jobs.Contact
	if !c.OK() {
		t.Fatal("a contact without attempts is not OK")
	}
	steps := []struct {
		err        error
		wantTurned bool
		wantSince  time.Time
	}{
		{nil, false, time.Time{}},
		{errSudo, true, t0.Add(time.Second)},
		{errors.New("still refused"), false, t0.Add(time.Second)},
		{nil, true, time.Time{}},
		{nil, false, time.Time{}},
		{errors.New(""), true, t0.Add(5 * time.Second)},
	}
	for i, s := range steps {
		at := t0.Add(time.Duration(i) * time.Second)
		if turned := c.Note(at, s.err); turned != s.wantTurned {
			t.Fatalf("step %d (%v): turned = %v, want %v", i, s.err, turned, s.wantTurned)
		}
		if c.OK() != (s.err == nil) || !c.At.Equal(at) || !c.FailingSince.Equal(s.wantSince) {
			t.Fatalf("step %d (%v): %+v; want OK %v, At %v, FailingSince %v", i, s.err, c, s.err == nil, at, s.wantSince)
		}
	}
}

func TestPollerHealthSaysWhenSystemdCannotBeAskedAndWhenItCanAgain(t *testing.T) {
	e := newEnv(t, fake.Options{})
	storetest.Server(t, e.db, "alpha", 27015)
	clk := newClock()
	p := newPoller(e, nil, clk.Now)
	if h := p.Health(); h != (jobs.Health{}) {
		t.Fatalf("before any tick: %+v, want nothing recorded", h)
	}
	ctx := context.Background()

	e.fake.FailShow(errSudo)
	first := clk.Now()
	if err := p.Tick(ctx); !errors.Is(err, errSudo) {
		t.Fatalf("tick = %v, want the backend's error", err)
	}
	wantContact(t, "host after one refused Show", p.Health().Host, first, errSudo.Error(), first)
	clk.Advance(30 * time.Second)
	if err := p.Tick(ctx); !errors.Is(err, errSudo) {
		t.Fatalf("second tick = %v, want the backend's error", err)
	}
	h := p.Health()
	wantContact(t, "host after two refused Shows", h.Host, clk.Now(), errSudo.Error(), first)
	// The second failure in a row marks the server unknown: that write
	// reached the database.
	wantContact(t, "store after marking unknown", h.Store, clk.Now(), "", time.Time{})

	e.fake.FailShow(nil)
	clk.Advance(30 * time.Second)
	if err := p.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	h = p.Health()
	wantContact(t, "host once Show works again", h.Host, clk.Now(), "", time.Time{})
	wantContact(t, "store", h.Store, clk.Now(), "", time.Time{})
}

func TestPollerHealthSaysWhenItsStatesCannotBeWritten(t *testing.T) {
	e := newLockableEnv(t)
	storetest.Server(t, e.db, "alpha", 27015)
	clk := newClock()
	p := newPoller(e, nil, clk.Now)
	ctx := context.Background()

	release := storetest.HoldWriteLock(t, e.db)
	if err := p.Tick(ctx); err == nil {
		t.Fatal("a tick whose write was refused returned no error")
	}
	h := p.Health()
	wantContact(t, "host", h.Host, clk.Now(), "", time.Time{})
	wantContact(t, "store while the lock is held", h.Store, clk.Now(), "database is locked", clk.Now())
	since := clk.Now()
	clk.Advance(time.Minute)
	if err := p.Tick(ctx); err == nil {
		t.Fatal("a tick whose write was refused returned no error")
	}
	wantContact(t, "store still locked", p.Health().Store, clk.Now(), "database is locked", since)

	release()
	clk.Advance(time.Minute)
	if err := p.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	wantContact(t, "store after the lock is gone", p.Health().Store, clk.Now(), "", time.Time{})
	if got := server(t, e.db, "alpha").ActualState; got != hostbackend.StateStopped {
		t.Fatalf("actual_state %s after the write worked, want stopped", got)
	}
}

func TestARunnerAndItsPollerShareOneHealth(t *testing.T) {
	e := newEnv(t, fake.Options{})
	storetest.Server(t, e.db, "alpha", 27015)
	r := e.runner(jobs.RunnerOpts{PollerInterval: time.Hour}) // never started: the test ticks
	e.fake.FailShow(errSudo)
	if err := r.Poller().Tick(context.Background()); !errors.Is(err, errSudo) {
		t.Fatalf("tick = %v, want the backend's error", err)
	}
	if h := r.Health(); h.Host.OK() || h != r.Poller().Health() {
		t.Fatalf("runner's health %+v, poller's %+v; want the same failing host contact", h, r.Poller().Health())
	}
}

func TestAJobWhoseStateCannotBeReadBackMarksTheHostFailing(t *testing.T) {
	e := newEnv(t, fake.Options{})
	storetest.Server(t, e.db, "alpha", 27015)
	r := e.runner(jobs.RunnerOpts{})
	startRunner(t, r)
	e.fake.FailShow(errSudo)
	j := enqueue(t, e.q, "alpha", store.OpStart)
	waitJob(t, e.db, j.ID, store.JobSucceeded) // enable worked; only the read back failed
	// The end is noted once its transaction has returned.
	waitFor(t, "the job's end to be noted", func() bool { return !r.Health().Store.At.IsZero() })
	h := r.Health()
	if h.Host.OK() || !strings.Contains(h.Host.Err, errSudo.Error()) || h.Host.FailingSince.IsZero() {
		t.Fatalf("host %+v, want failing with the backend's error", h.Host)
	}
	if !h.Store.OK() {
		t.Fatalf("store %+v, want the job's end written", h.Store)
	}

	e.fake.FailShow(nil)
	j = enqueue(t, e.q, "alpha", store.OpStop)
	waitFor(t, "a read back that works", func() bool { return r.Health().Host.OK() })
	if h := r.Health(); !h.Host.FailingSince.IsZero() || !h.Host.At.After(h.Host.FailingSince) {
		t.Fatalf("host %+v after a job read its state back, want working", h.Host)
	}
	waitJob(t, e.db, j.ID, store.JobSucceeded)
}

// pauseOnShow is the fake backend, except that its first Show waits
// for the test to do something first (take the database's write lock):
// the job that asks has done its work, and the transaction that would
// record its end comes next.
type pauseOnShow struct {
	*fake.Backend
	once   sync.Once
	asked  chan struct{} // closed by the first Show
	resume chan struct{} // closed by the test
}

func (b *pauseOnShow) Show(ctx context.Context, names ...string) ([]hostbackend.UnitStatus, error) {
	b.once.Do(func() {
		close(b.asked)
		<-b.resume
	})
	return b.Backend.Show(ctx, names...)
}

func TestAJobWhoseEndCannotBeWrittenMarksTheStoreFailing(t *testing.T) {
	e := newLockableEnv(t)
	storetest.Server(t, e.db, "alpha", 27015)
	storetest.Server(t, e.db, "beta", 27016)
	spy := &pauseOnShow{Backend: e.fake, asked: make(chan struct{}), resume: make(chan struct{})}
	r := e.runner(jobs.RunnerOpts{Backend: spy})
	startRunner(t, r)

	j := enqueue(t, e.q, "alpha", store.OpStart)
	<-spy.asked
	release := storetest.HoldWriteLock(t, e.db)
	close(spy.resume)
	waitFor(t, "the job's end to be refused", func() bool { return !r.Health().Store.OK() })
	h := r.Health()
	if !strings.Contains(h.Store.Err, "database is locked") || h.Store.FailingSince.IsZero() {
		t.Fatalf("store %+v, want failing with the driver's error", h.Store)
	}
	if !h.Host.OK() {
		t.Fatalf("host %+v, want working: the read back was answered", h.Host)
	}
	if got := job(t, e.db, j.ID); got.State != store.JobRunning {
		t.Fatalf("job %s, want still running (its end was not recorded)", got.State)
	}

	release()
	k := enqueue(t, e.q, "beta", store.OpStart)
	waitFor(t, "a job's end that is written", func() bool { return r.Health().Store.OK() })
	if got := job(t, e.db, k.ID); got.State != store.JobSucceeded {
		t.Fatalf("the job whose end cleared the failure is %s, want succeeded", got.State)
	}
}
