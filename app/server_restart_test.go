package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

func TestServerPageShowsACrashSystemdRestarted(t *testing.T) {
	e := newEnv(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	p := jobs.NewPoller(jobs.PollerOpts{DB: e.db, Backend: e.backend, Clock: e.clock.Now, Logger: e.opts.Logger})
	ctx := context.Background()
	e.backend.ExternalEnable("coop-1")
	if err := p.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	e.backend.Crash("coop-1") // restarted at once: the fake's RestartDelay is 0 here
	if err := p.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	_, doc := e.as(store.RoleOperator).get("/servers/coop-1")
	var rows []string
	doc.Find(`[data-testid="history-row"]`).Each(func(_ int, s *goquery.Selection) {
		var cells []string
		s.Find("td").Each(func(_ int, td *goquery.Selection) { cells = append(cells, strings.TrimSpace(td.Text())) })
		rows = append(rows, strings.Join(cells[1:], " | "))
	})
	want := "running | running | crashed and was restarted by systemd (signal KILL), 1st restart"
	if len(rows) == 0 || rows[0] != want {
		t.Fatalf("history rows %q, want the newest to say %q", rows, want)
	}
}
