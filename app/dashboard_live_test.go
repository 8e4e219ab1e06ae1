package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/app"
	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/live"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

// newEnvLive is newEnv with a live sweep asking the fake's simulated
// games (app.Options.Live); it never sweeps on its own: tests call Sweep
// or open a server page (Look).
func newEnvLive(t testing.TB) (*env, *live.Sweeper) {
	t.Helper()
	var sw *live.Sweeper
	e := newEnv(t, func(o *app.Options) {
		sw = live.New(live.Options{DB: o.DB, Host: o.Backend.(hostbackend.Live), Clock: o.Now, Logger: o.Logger})
		o.Live = sw
	})
	return e, sw
}

// runGame starts the server's unit on the fake with cfg as its server.cfg
// and records it running, as a start job would.
func (e *env) runGame(t testing.TB, name string, port int, cfg string) *store.Server {
	t.Helper()
	ctx := context.Background()
	s := storetest.Server(t, e.db, name, port)
	spec := hostbackend.InstanceSpec{Name: name, Port: port, ServerConfig: cfg, Args: []string{"+map", "c2m1_highway", "+maxplayers", "8"}}
	if err := e.backend.Provision(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if err := e.backend.Enable(ctx, name, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Writer().ExecContext(ctx, `UPDATE servers SET actual_state = 'running', desired_state = 'running' WHERE id = ?`, s.ID); err != nil {
		t.Fatal(err)
	}
	s.ActualState, s.DesiredState = hostbackend.StateRunning, store.DesiredRunning
	return s
}

func (e *env) sweep(t testing.TB, sw *live.Sweeper) {
	t.Helper()
	if err := sw.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestDashboardShowsWhatTheGamesSay(t *testing.T) {
	e, sw := newEnvLive(t)
	c := e.as(store.RoleOperator)
	e.runGame(t, "coop-1", 27015, "hostname \"Game night\"\n")
	storetest.Server(t, e.db, "idle", 27016)
	row := statusRow(t, c, "coop-1") // before any sweep: nothing said yet
	if got := strings.TrimSpace(row.Find(`[data-testid="players"]`).Text()); got != "–" {
		t.Fatalf("players before a sweep: %q", got)
	}

	e.sweep(t, sw)
	v, _ := sw.View("coop-1")
	// The clock stands still: the new answer must show without the
	// snapshot aging (the live generation retires it).
	row = statusRow(t, c, "coop-1")
	if got, want := row.Find(`[data-testid="players"]`).Text(), v.LiveInfo.Players; got != itoa(int64(want))+"/8" {
		t.Fatalf("players %q, want %d/8", got, want)
	}
	if got := row.Find(`[data-testid="map"]`).Text(); got != "c2m1_highway" {
		t.Fatalf("map %q", got)
	}
	if got := row.Find(`[data-testid="host-name"]`).Text(); got != "Game night" {
		t.Fatalf("host name %q", got)
	}
	if a, _ := row.Find(`[data-testid="answer"]`).Attr("data-answer"); a != "yes" || row.Find(`[data-testid="answer"]`).Text() != "answers" {
		t.Fatalf("answer mark %q %q", a, row.Find(`[data-testid="answer"]`).Text())
	}
	if st, _ := row.Find(`[data-testid="badge"]`).Attr("data-state"); st != "running" {
		t.Fatalf("badge %q", st)
	}
	for _, label := range []string{"players", "map"} {
		if row.Find(`td[data-label="`+label+`"]`).Length() != 1 {
			t.Errorf("no cell labelled %q for a phone's stacked row", label)
		}
	}
	idle := statusRow(t, c, "idle")
	if idle.Find(`[data-testid="answer"]`).Length() != 0 || strings.TrimSpace(idle.Find(`[data-testid="players"]`).Text()) != "–" {
		t.Fatalf("a stopped server shows live data: %q", idle.Text())
	}
}

func TestAHungGameShowsRunningNotAnswering(t *testing.T) {
	e, sw := newEnvLive(t)
	c := e.as(store.RoleOperator)
	s := e.runGame(t, "coop-1", 27015, "")
	e.sweep(t, sw)
	e.backend.SilenceGame("coop-1", true)

	e.clock.Advance(30 * time.Second)
	e.sweep(t, sw) // one miss: not yet a hung game
	row := statusRow(t, c, "coop-1")
	if st, _ := row.Find(`[data-testid="badge"]`).Attr("data-state"); st != "running" {
		t.Fatalf("badge after one miss: %q", st)
	}
	if a, _ := row.Find(`[data-testid="answer"]`).Attr("data-answer"); a != "no" {
		t.Fatalf("answer mark after one miss: %q", a)
	}

	e.clock.Advance(90 * time.Second)
	statusRow(t, c, "coop-1") // a fresh snapshot with one miss; the clock stands still from here
	// The server page's Look (no write to the database) misses a second
	// time: the next poll shows it at once, by the live generation.
	sw.Look(context.Background(), *s)
	row = statusRow(t, c, "coop-1")
	badge := row.Find(`[data-testid="badge"]`)
	if st, _ := badge.Attr("data-state"); st != "not-answering" || badge.Text() != "running · not answering" {
		t.Fatalf("badge after two misses: %q %q", st, badge.Text())
	}
	mark := row.Find(`[data-testid="answer"]`)
	if a, _ := mark.Attr("data-answer"); a != "not-answering" || mark.Text() != "no answer for 2 min" {
		t.Fatalf("answer mark: %q %q", a, mark.Text())
	}
	if got := strings.TrimSpace(row.Find(`[data-testid="players"]`).Text()); got != "–" {
		t.Fatalf("players of a silent game: %q", got)
	}

	e.backend.SilenceGame("coop-1", false)
	e.sweep(t, sw)
	if st, _ := statusRow(t, c, "coop-1").Find(`[data-testid="badge"]`).Attr("data-state"); st != "running" {
		t.Fatalf("badge after the game answered again: %q", st)
	}
}

func TestDashboardWithoutALiveSweepShowsNoLiveData(t *testing.T) {
	e := newEnv(t)
	c := e.as(store.RoleOperator)
	e.runGame(t, "coop-1", 27015, "")
	row := statusRow(t, c, "coop-1")
	if row.Find(`[data-testid="answer"]`).Length() != 0 || row.Find(`[data-testid="host-name"]`).Length() != 0 {
		t.Fatalf("live data without a sweep: %q", row.Text())
	}
	if st, _ := row.Find(`[data-testid="badge"]`).Attr("data-state"); st != "running" {
		t.Fatalf("badge %q", st)
	}
}
