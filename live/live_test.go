package live_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/fake"
	"github.com/left4me/left4me/live"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a store with running servers whose games the fake simulates.
type env struct {
	db    *store.DB
	host  *fake.Backend
	clock *clock
	sw    *live.Sweeper
}

func newEnv(t *testing.T) *env {
	c := &clock{t: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)}
	db := storetest.OpenWith(t, store.Options{Now: c.Now})
	host := fake.New(fake.Options{Now: c.Now, StartDelay: time.Second})
	return &env{db: db, host: host, clock: c,
		sw: live.New(live.Options{DB: db, Host: host, Clock: c.Now, Retention: 24 * time.Hour})}
}

// run starts a server on the fake and records it running.
func (e *env) run(t *testing.T, name string, port int, cfg string) *store.Server {
	t.Helper()
	ctx := context.Background()
	s := storetest.Server(t, e.db, name, port)
	spec := hostbackend.InstanceSpec{Name: name, Port: port, ServerConfig: cfg, Args: []string{"+map", "c1m1_hotel", "+maxplayers", "8"}}
	if err := e.host.Provision(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if err := e.host.Enable(ctx, name, nil); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(2 * time.Second)
	e.setState(t, s.ID, "running")
	return s
}

func (e *env) setState(t *testing.T, id int64, state string) {
	t.Helper()
	if _, err := e.db.Writer().ExecContext(context.Background(), `UPDATE servers SET actual_state = ? WHERE id = ?`, state, id); err != nil {
		t.Fatal(err)
	}
}

func TestASweepAsksEveryRunningServerAndKeepsASampleOfEach(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.run(t, "a", 27015, "hostname \"Game night\"\n")
	b := e.run(t, "b", 27016, "")
	idle := storetest.Server(t, e.db, "idle", 27017) // never started: not asked

	if err := e.sw.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	va, ok := e.sw.View("a")
	if !ok || !va.Answered || va.HostName != "Game night" || va.Map != "c1m1_hotel" || va.MaxPlayers != 8 || !va.LastAnswer.Equal(e.clock.Now()) {
		t.Fatalf("a's view: %+v (known %v)", va, ok)
	}
	if _, ok := e.sw.View("idle"); ok {
		t.Error("a server that does not run was asked")
	}
	for _, s := range []*store.Server{a, b, idle} {
		got, err := e.db.LiveSamples(ctx, s.ID, time.Time{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := 1
		if s == idle {
			want = 0
		}
		if len(got) != want {
			t.Errorf("%s has %d samples after a sweep, want %d", s.Name, len(got), want)
		}
	}

	// A hung game: one missed sweep is a blip, two in a row stand out.
	e.host.SilenceGame("b", true)
	e.clock.Add(10 * time.Second)
	if err := e.sw.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if vb, _ := e.sw.View("b"); vb.Answered || vb.NotAnswering() {
		t.Fatalf("after one missed sweep: %+v, want not answered but not yet 'not answering'", vb)
	}
	e.clock.Add(10 * time.Second)
	if err := e.sw.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	vb, _ := e.sw.View("b")
	if !vb.NotAnswering() || vb.Err == "" || !vb.LastAnswer.Equal(e.clock.Now().Add(-20*time.Second)) {
		t.Fatalf("after two missed sweeps: %+v", vb)
	}
	e.host.SilenceGame("b", false)
	e.clock.Add(10 * time.Second)
	fresh, err := e.db.GetServer(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v := e.sw.Look(ctx, *fresh); !v.Answered || v.NotAnswering() {
		t.Fatalf("a look once it answers again: %+v", v)
	}

	// A server that stopped is forgotten at the next sweep.
	e.setState(t, a.ID, "stopped")
	if err := e.sw.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.sw.View("a"); ok {
		t.Error("a stopped server keeps its view")
	}
	if n := len(e.sw.Views()); n != 1 {
		t.Errorf("%d views, want b's alone", n)
	}
}

func TestOldSamplesArePruned(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s := e.run(t, "a", 27015, "")
	if err := e.sw.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(25 * time.Hour) // past the retention of a day, and the prune's hour
	e.setState(t, s.ID, "running")
	if err := e.sw.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := e.db.LiveSamples(ctx, s.ID, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !got[0].At.Equal(e.clock.Now()) {
		t.Fatalf("samples after a day: %+v, want the newest alone", got)
	}
}

func TestTheGenerationMovesWhenWhatPagesShowChanges(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s := e.run(t, "a", 27015, "")
	s.ActualState = hostbackend.StateRunning // as Look's caller read it
	g0 := e.sw.Generation()
	if err := e.sw.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	g1 := e.sw.Generation()
	if g1 <= g0 {
		t.Fatalf("a first answer left the generation at %d", g1)
	}
	if err := e.sw.Sweep(ctx); err != nil { // the same answer again
		t.Fatal(err)
	}
	if g := e.sw.Generation(); g != g1 {
		t.Fatalf("an unchanged answer moved the generation from %d to %d", g1, g)
	}

	e.host.SilenceGame("a", true)
	e.clock.Add(3 * time.Second)
	if err := e.sw.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	g2 := e.sw.Generation()
	if g2 <= g1 {
		t.Fatal("the game falling silent did not move the generation")
	}
	e.clock.Add(3 * time.Second)
	if v := e.sw.Look(ctx, *s); !v.NotAnswering() {
		t.Fatalf("two misses: %+v", v)
	}
	g3 := e.sw.Generation()
	if g3 <= g2 {
		t.Fatal("a Look that made the server not answering did not move the generation")
	}
	e.clock.Add(3 * time.Second)
	e.sw.Look(ctx, *s) // a third miss: the page shows the same
	if g := e.sw.Generation(); g != g3 {
		t.Fatalf("a third miss moved the generation from %d to %d", g3, g)
	}

	e.setState(t, s.ID, "stopped") // no longer asked: the view goes
	if err := e.sw.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if g := e.sw.Generation(); g <= g3 {
		t.Fatal("a server no longer asked did not move the generation")
	}
}
