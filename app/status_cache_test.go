package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

// statusRow returns the status fragment's row of server name.
func statusRow(t *testing.T, c *client, name string) *goquery.Selection {
	t.Helper()
	code, doc := c.get("/servers/status")
	if code != 200 {
		t.Fatalf("GET /servers/status: %d", code)
	}
	return doc.Find(`[data-testid="server-row"][data-name="` + name + `"]`)
}

func TestStatusFragmentShowsThisProcesssWritesAtOnce(t *testing.T) {
	e := newEnv(t)
	c := e.as(store.RoleOperator)
	ctx := context.Background()
	s := storetest.Server(t, e.db, "coop-1", 27015)
	if statusRow(t, c, "coop-1").Length() != 1 {
		t.Fatal("a server created before the first poll is missing")
	}
	// The clock stands still from here: nothing below may wait for the
	// snapshot to age.

	storetest.Server(t, e.db, "coop-2", 27016)
	if statusRow(t, c, "coop-2").Length() != 1 {
		t.Fatal("a server created through the store is missing from the next fragment")
	}

	if err := e.db.SetServerTitle(ctx, s.ID, "Tuesday night"); err != nil {
		t.Fatal(err)
	}
	if got := statusRow(t, c, "coop-1").Text(); !strings.Contains(got, "Tuesday night") {
		t.Fatalf("a new title is missing from the next fragment: %q", got)
	}

	if _, err := e.queue.Enqueue(ctx, jobs.EnqueueParams{ServerID: s.ID, ServerName: "coop-1", Operation: store.OpStart}); err != nil {
		t.Fatal(err)
	}
	row := statusRow(t, c, "coop-1")
	if !strings.Contains(row.Find(`[data-testid="active-job"]`).Text(), "starting…") {
		t.Fatalf("a job enqueued through the queue is missing from the next fragment: %q", row.Text())
	}
	if d, _ := row.Find(`[data-testid="desired"]`).Attr("data-desired"); d != "running" {
		t.Fatalf("desired %q after the enqueue, want running", d)
	}

	p := jobs.NewPoller(jobs.PollerOpts{DB: e.db, Backend: e.backend, Clock: e.clock.Now})
	if err := p.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	srv2, err := e.db.GetServerByName(ctx, "coop-2")
	if err != nil {
		t.Fatal(err)
	}
	if srv2.ActualState == "unknown" {
		t.Fatal("the poller's tick changed nothing; the test needs a state change")
	}
	if st, _ := statusRow(t, c, "coop-2").Find(`[data-testid="badge"]`).Attr("data-state"); st != string(srv2.ActualState) {
		t.Fatalf("badge %q after the poller wrote %q", st, srv2.ActualState)
	}

	if err := e.db.DeleteServer(ctx, srv2.ID); err != nil {
		t.Fatal(err)
	}
	if statusRow(t, c, "coop-2").Length() != 0 {
		t.Fatal("a deleted server is still in the next fragment")
	}
}

func TestStatusFragmentShowsOtherProcessesWritesWithinASecond(t *testing.T) {
	e := newEnv(t)
	c := e.as(store.RoleOperator)
	storetest.Server(t, e.db, "coop-1", 27015)
	if statusRow(t, c, "coop-1").Length() != 1 {
		t.Fatal("coop-1 is missing")
	}

	// Another process: its own handle on the same file, whose writes do
	// not move this process's change counter.
	other, err := store.Open(context.Background(), e.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	storetest.Server(t, other, "coop-2", 27016)

	e.clock.Advance(999 * time.Millisecond)
	if statusRow(t, c, "coop-2").Length() != 0 {
		// Not wrong for the panel, but then the fragment is not served
		// from the shared snapshot and this test proves nothing.
		t.Fatal("another process's write showed before the snapshot aged: is the status table cached?")
	}
	e.clock.Advance(time.Millisecond)
	if statusRow(t, c, "coop-2").Length() != 1 {
		t.Fatal("another process's write is missing once the snapshot is a second old")
	}
}
