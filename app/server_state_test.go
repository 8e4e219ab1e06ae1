package app_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

// While a job is on its way, the server page's state card says what it
// does and links to it, and raises no drift about the state it is about
// to change; once the job has ended the card shows the state again.
func TestTheStateCardShowsTheJobOnItsWayInsteadOfDrift(t *testing.T) {
	e := newEnv(t)
	s := storetest.Server(t, e.db, "coop-1", 27015)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := e.db.Writer().ExecContext(context.Background(), q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`UPDATE servers SET actual_state = 'running', desired_state = 'running' WHERE id = ?`, s.ID)
	c := e.as(store.RoleOperator)
	c.get("/servers/coop-1")
	if resp := c.post("/servers/coop-1/stop", url.Values{"back": {"/servers/coop-1"}}); resp.StatusCode != 303 {
		t.Fatalf("stop: %d", resp.StatusCode)
	}
	for _, path := range []string{"/servers/coop-1", "/servers/coop-1/state"} {
		_, doc := c.get(path)
		card := testid(doc, "server-state")
		if got := card.Find(`[data-testid="badge"]`).Text(); got != "stopping…" {
			t.Errorf("%s: badge %q while the stop is queued, want stopping…", path, got)
		}
		if got := card.Find(`[data-testid="badge"]`).AttrOr("title", ""); got != "was running" {
			t.Errorf("%s: badge title %q, want \"was running\"", path, got)
		}
		link := card.Find(`[data-testid="active-job"]`)
		if link.Text() != "job 1 queued" || link.AttrOr("href", "") != "/jobs/1" {
			t.Errorf("%s: job link %q → %q, want \"job 1 queued\" → /jobs/1", path, link.Text(), link.AttrOr("href", ""))
		}
		if d := card.Find(`[data-testid="drift"]`); d.Length() != 0 {
			t.Errorf("%s: a queued stop shows drift %q", path, d.Text())
		}
	}

	exec(`UPDATE jobs SET state = 'succeeded', finished_at = ? WHERE id = 1`, e.clock.Now().UnixMilli())
	exec(`UPDATE servers SET actual_state = 'stopped' WHERE id = ?`, s.ID)
	_, doc := c.get("/servers/coop-1/state")
	if got := testid(doc, "badge").AttrOr("data-state", ""); got != "stopped" {
		t.Errorf("badge %q after the stop, want stopped", got)
	}
	if testid(doc, "active-job").Length() != 0 {
		t.Error("the card still links to the ended job")
	}
}

// A game systemd runs but that missed two sweeps shows the same badge on
// the server page's state card as on the dashboard's row.
func TestTheStateCardSaysAHungGameIsNotAnswering(t *testing.T) {
	e, sw := newEnvLive(t)
	e.runGame(t, "coop-1", 27015, "")
	c := e.as(store.RoleOperator)
	e.sweep(t, sw)
	if _, doc := c.get("/servers/coop-1/state"); testid(doc, "badge").AttrOr("data-state", "") != "running" {
		t.Fatalf("an answering game: badge %q", testid(doc, "badge").AttrOr("data-state", ""))
	}
	e.backend.SilenceGame("coop-1", true)
	e.sweep(t, sw)
	e.sweep(t, sw)
	for _, path := range []string{"/servers/coop-1/state", "/servers/coop-1"} {
		_, doc := c.get(path)
		if got := testid(doc, "server-state").Find(`[data-testid="badge"]`).AttrOr("data-state", ""); got != "not-answering" {
			t.Errorf("%s: badge %q after two silent sweeps, want not-answering", path, got)
		}
	}
}
