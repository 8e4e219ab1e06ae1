package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/store"
)

func TestOpeningTheServerPageAsksTheGame(t *testing.T) {
	e, sw := newEnvLive(t)
	c := e.as(store.RoleOperator)
	e.runGame(t, "coop-1", 27015, "hostname \"Game night\"\n")
	// No sweep ran: what the page shows comes from its own look.
	code, doc := c.get("/servers/coop-1")
	if code != 200 {
		t.Fatalf("server page: %d", code)
	}
	sec := testid(doc, "server-live")
	if st := sec.Find(`[data-testid="live-state"]`); st.AttrOr("data-answer", "") != "yes" {
		t.Fatalf("live state %q: %q", st.AttrOr("data-answer", ""), sec.Text())
	}
	v, ok := sw.View("coop-1")
	if !ok || !v.Answered {
		t.Fatalf("the page's look was not kept: %+v", v)
	}
	for id, want := range map[string]string{"live-host-name": "Game night", "live-map": "c2m1_highway", "live-game": "L4D2 - Co-op",
		"live-secure": "secured", "live-version": v.Version} {
		if got := strings.TrimSpace(sec.Find(`[data-testid="` + id + `"]`).Text()); got != want {
			t.Errorf("%s %q, want %q", id, got, want)
		}
	}
	if got := strings.Fields(sec.Find(`[data-testid="live-players"]`).Text()); len(got) == 0 || got[0] != itoa(int64(v.Players))+"/8" {
		t.Errorf("players %q, want %d/8", got, v.Players)
	}
	if !strings.HasSuffix(strings.TrimSpace(sec.Find(`[data-testid="live-rtt"]`).Text()), " ms") {
		t.Errorf("round trip %q", sec.Find(`[data-testid="live-rtt"]`).Text())
	}
	if sec.Find(`[data-testid="live-last-answer"] time`).Length() != 1 {
		t.Error("no time of the last answer")
	}
	if doc.Find("[style]").Length() != 0 {
		t.Error("the server page has an inline style attribute, which the CSP refuses")
	}
}

func TestTheGameSectionPollsAndChartsThePlayers(t *testing.T) {
	e, sw := newEnvLive(t)
	s := e.runGame(t, "coop-1", 27015, "")
	// An hour of sweeps a minute apart, then a hung game.
	for range 60 {
		e.sweep(t, sw)
		e.clock.Advance(time.Minute)
	}
	e.backend.SilenceGame("coop-1", true)
	e.sweep(t, sw)
	e.clock.Advance(10 * time.Second)
	e.sweep(t, sw)

	c := e.as(store.RoleOperator) // a session of an hour, from now
	code, doc := c.get("/servers/coop-1/live")
	if code != 200 {
		t.Fatalf("GET /servers/coop-1/live: %d", code)
	}
	if st := testid(doc, "live-state"); st.AttrOr("data-answer", "") != "not-answering" || !strings.Contains(st.Text(), "Not answering") {
		t.Fatalf("a hung game: %q %q", st.AttrOr("data-answer", ""), st.Text())
	}
	if got := testid(doc, "live-status").AttrOr("hx-get", ""); got != "/servers/coop-1/live" {
		t.Fatalf("the status polls %q", got)
	}
	if testid(doc, "players-chart").Length() != 0 {
		t.Fatal("the 5-second poll draws the chart too")
	}

	code, doc = c.get("/servers/coop-1/live/chart")
	if code != 200 {
		t.Fatalf("GET /servers/coop-1/live/chart: %d", code)
	}
	svg := testid(doc, "players-chart")
	if svg.AttrOr("data-range", "") != "24h" {
		t.Fatalf("default range %q", svg.AttrOr("data-range", ""))
	}
	// 60 answered minutes fill 12 or 13 five-minute bars; the silent
	// sweeps' bucket is marked (or shares the last bar's bucket).
	bars := svg.Find(`[data-testid="chart-bar"]`).Length()
	if bars < 12 || bars > 13 {
		t.Fatalf("%d bars for an hour of five-minute buckets", bars)
	}
	hist, err := e.db.LiveHistory(context.Background(), s.ID, e.clock.Now().Add(-24*time.Hour), 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	peak := 0
	for _, b := range hist {
		if b.Answered > 0 {
			peak = max(peak, b.Players)
		}
	}
	if label := svg.AttrOr("aria-label", ""); !strings.Contains(label, "peak "+itoa(int64(peak))+" of 8 players") {
		t.Fatalf("label %q, want the peak %d of 8", label, peak)
	}

	code, doc = c.get("/servers/coop-1/live/chart?chart=7d")
	if code != 200 || testid(doc, "players-chart").AttrOr("data-range", "") != "7d" {
		t.Fatalf("the week's chart: %d %q", code, testid(doc, "players-chart").AttrOr("data-range", ""))
	}
	if n := testid(doc, "chart-bar").Length(); n < 1 || n > 2 {
		t.Fatalf("%d hourly bars for an hour", n)
	}
	if got := testid(doc, "players-chart-figure").AttrOr("hx-get", ""); got != "/servers/coop-1/live/chart?chart=7d" {
		t.Fatalf("the poll asks %q", got)
	}
	_, doc = c.get("/servers/coop-1?chart=7d")
	if testid(doc, "players-chart").AttrOr("data-range", "") != "7d" {
		t.Fatal("the page's range link does not choose the week")
	}
}

func TestTheGameSectionOfAStoppedServerAndWithoutASweep(t *testing.T) {
	e, _ := newEnvLive(t)
	c := e.as(store.RoleOperator)
	e.runGame(t, "coop-1", 27015, "")
	if _, err := e.db.Writer().ExecContext(context.Background(), `UPDATE servers SET actual_state = 'stopped' WHERE name = 'coop-1'`); err != nil {
		t.Fatal(err)
	}
	_, doc := c.get("/servers/coop-1")
	if testid(doc, "live-idle").Length() != 1 || testid(doc, "live-facts").Length() != 0 {
		t.Fatalf("a stopped server: %q", testid(doc, "server-live").Text())
	}

	plain := newEnv(t)
	pc := plain.as(store.RoleOperator)
	plain.runGame(t, "coop-2", 27016, "")
	_, doc = pc.get("/servers/coop-2")
	if testid(doc, "live-unavailable").Length() != 1 || testid(doc, "players-chart").Length() != 1 {
		t.Fatalf("without a sweep: %q", testid(doc, "server-live").Text())
	}
	for _, path := range []string{"/servers/nope/live", "/servers/nope/live/chart"} {
		if code, _ := pc.get(path); code != 404 {
			t.Fatalf("GET %s: %d", path, code)
		}
	}
}
