package app_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/left4me/left4me/app"
	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

func TestCreateServerValidatesEveryFieldAndKeepsWhatWasTyped(t *testing.T) {
	tests := []struct {
		name       string
		form       url.Values
		wantErrors []string
	}{
		{"an upper-case name", url.Values{"name": {"Coop"}, "title": {"My coop"}, "blueprint": {"1"}, "port": {""}}, []string{"name"}},
		{"an empty name", url.Values{"name": {""}, "title": {"x"}, "blueprint": {"1"}}, []string{"name"}},
		{"a name with a slash", url.Values{"name": {"../x"}, "blueprint": {"1"}}, []string{"name"}},
		{"a reserved name", url.Values{"name": {"new"}, "blueprint": {"1"}}, []string{"name"}},
		{"a taken name", url.Values{"name": {"taken"}, "blueprint": {"1"}}, []string{"name"}},
		{"a taken port", url.Values{"name": {"fresh"}, "blueprint": {"1"}, "port": {"27015"}}, []string{"port"}},
		{"a word for a port", url.Values{"name": {"fresh"}, "blueprint": {"1"}, "port": {"lots"}}, []string{"port"}},
		{"a privileged port", url.Values{"name": {"fresh"}, "blueprint": {"1"}, "port": {"80"}}, []string{"port"}},
		{"a missing blueprint", url.Values{"name": {"fresh"}, "blueprint": {"99"}}, []string{"blueprint"}},
		{"a long title", url.Values{"name": {"fresh"}, "title": {strings.Repeat("t", 101)}, "blueprint": {"1"}}, []string{"title"}},
		{"everything wrong", url.Values{"name": {"-x"}, "title": {strings.Repeat("t", 101)}, "blueprint": {"0"}, "port": {"x"}}, []string{"name", "title", "blueprint", "port"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			storetest.Server(t, e.db, "taken", 27015)
			c := e.as(store.RoleAdmin)
			code, doc := c.postDoc("/servers", tt.form)
			if code != 422 {
				t.Fatalf("status %d, want 422", code)
			}
			for _, f := range tt.wantErrors {
				if testid(doc, "error-"+f).Length() != 1 {
					t.Errorf("no error beside %s", f)
				}
			}
			if n := doc.Find(".field-error").Length(); n != len(tt.wantErrors) {
				t.Errorf("%d errors shown, want %d", n, len(tt.wantErrors))
			}
			for _, f := range []string{"name", "title", "port"} {
				if got, _ := doc.Find(`input[name="` + f + `"]`).Attr("value"); got != tt.form.Get(f) {
					t.Errorf("field %s shows %q, want %q as typed", f, got, tt.form.Get(f))
				}
			}
			if ss, _ := e.db.ListServers(context.Background()); len(ss) != 1 {
				t.Errorf("%d servers after a refused form, want 1", len(ss))
			}
		})
	}
}

func TestANewServersStateIsReadWhenItIsCreated(t *testing.T) {
	var poller *jobs.Poller
	e := newEnv(t, func(o *app.Options) {
		o.LookState = func(ctx context.Context, id int64) error { return poller.Look(ctx, id) }
	})
	poller = jobs.NewPoller(jobs.PollerOpts{DB: e.db, Backend: e.backend, Clock: e.clock.Now})
	c := e.as(store.RoleAdmin)
	if resp := c.post("/servers", url.Values{"name": {"b"}, "blueprint": {"1"}}); resp.StatusCode != 303 {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	_, doc := c.get("/")
	if st := testid(doc, "badge").AttrOr("data-state", ""); st != "stopped" {
		t.Errorf("a new server's badge is %q before any tick, want stopped (read when it was created)", st)
	}
	_, doc = c.get("/servers/b")
	if st := testid(doc, "badge").AttrOr("data-state", ""); st != "stopped" {
		t.Errorf("the new server's page says %q, want stopped", st)
	}
}

func TestCreateServerTakesTheLowestFreePort(t *testing.T) {
	e := newEnv(t)
	storetest.Server(t, e.db, "a", 27015)
	storetest.Server(t, e.db, "c", 27017)
	c := e.as(store.RoleAdmin)
	code, doc := c.get("/servers/new")
	if code != 200 || !strings.Contains(testid(doc, "name-hint").Text(), hostbackend.NameRule) {
		t.Fatalf("form: %d, hint %q", code, testid(doc, "name-hint").Text())
	}
	resp := c.post("/servers", url.Values{"name": {"b"}, "title": {"Bee"}, "blueprint": {"1"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/servers/b" {
		t.Fatalf("create: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	s, err := e.db.GetServerByName(context.Background(), "b")
	if err != nil || s.Port != 27016 || s.Title != "Bee" || s.DesiredState != store.DesiredStopped {
		t.Fatalf("server b = %+v, %v; want port 27016", s, err)
	}
	resp = c.post("/servers", url.Values{"name": {"d"}, "blueprint": {"1"}, "port": {"27020"}})
	if resp.StatusCode != 303 {
		t.Fatalf("chosen port: %d", resp.StatusCode)
	}
	if s, _ := e.db.GetServerByName(context.Background(), "d"); s.Port != 27020 {
		t.Fatalf("port %d, want the chosen 27020", s.Port)
	}
}

func TestDriftTimeIsWhenTheStateChangedNotTheLastRestart(t *testing.T) {
	e := newEnv(t)
	s := storetest.Server(t, e.db, "coop-1", 27015)
	now := e.clock.Now()
	// The unit failed 5 min ago; systemd restarted it 1 min ago and it
	// failed again (a history row for the restart, old state = new state).
	if _, err := e.db.Writer().ExecContext(context.Background(),
		`UPDATE servers SET desired_state = 'running', actual_state = 'failed' WHERE id = ?`, s.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Writer().ExecContext(context.Background(),
		`INSERT INTO server_history (server_id, at, old_state, new_state, reason) VALUES
			(?0, ?1, 'running', 'failed', 'x'), (?0, ?2, 'failed', 'failed', 'restarted by systemd')`,
		s.ID, now.Add(-5*time.Minute).UnixMilli(), now.Add(-time.Minute).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	c := e.as(store.RoleOperator)
	for _, path := range []string{"/", "/servers/coop-1", "/servers/coop-1/state"} {
		_, doc := c.get(path)
		if got := testid(doc, "drift").Text(); got != "should be running — failed 5 min ago" {
			t.Errorf("%s: drift = %q, want the time it became failed", path, got)
		}
	}
}

func TestStartAndStopAreOfferedOnlyWhenThereIsSomethingToDo(t *testing.T) {
	e := newEnv(t)
	for i, st := range []struct{ name, desired, actual string }{
		{"up", "running", "running"}, {"down", "stopped", "stopped"},
		{"crashed", "running", "failed"}, {"stray", "stopped", "running"},
	} {
		s := storetest.Server(t, e.db, st.name, 27015+i)
		if _, err := e.db.Writer().ExecContext(context.Background(),
			`UPDATE servers SET desired_state = ?, actual_state = ? WHERE id = ?`, st.desired, st.actual, s.ID); err != nil {
			t.Fatal(err)
		}
	}
	c := e.as(store.RoleOperator)
	tests := []struct{ name, wantButtons string }{
		{"up", "stop restart"}, {"down", "start restart"}, {"crashed", "start stop restart"}, {"stray", "start stop restart"},
	}
	_, dash := c.get("/")
	for _, tt := range tests {
		_, page := c.get("/servers/" + tt.name)
		for where, sel := range map[string]*goquery.Selection{
			"dashboard": dash.Find(`[data-testid="server-row"][data-name="` + tt.name + `"]`),
			"its page":  page.Selection,
		} {
			var got []string
			sel.Find(`[data-testid^="action-"]`).Each(func(_ int, b *goquery.Selection) {
				got = append(got, strings.TrimPrefix(b.AttrOr("data-testid", ""), "action-"))
			})
			if strings.Join(got, " ") != tt.wantButtons {
				t.Errorf("%s on %s: buttons %q, want %q", tt.name, where, strings.Join(got, " "), tt.wantButtons)
			}
		}
	}
}

func TestDashboardActionsQueueJobsAndSpellOutDrift(t *testing.T) {
	e := newEnv(t)
	s := storetest.Server(t, e.db, "coop-1", 27015)
	c := e.as(store.RoleOperator)
	resp := c.post("/servers/coop-1/start", url.Values{"back": {"/"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/" {
		t.Fatalf("start: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The dashboard's poll leaves the confirmation to the page the
	// browser goes back to, which shows it once.
	c.header.Set("HX-Request", "true")
	if _, doc := c.get("/servers/status"); testid(doc, "flash").Length() != 0 {
		t.Fatal("the status poll shows the confirmation")
	}
	c.header.Set("HX-Boosted", "true")
	if _, doc := c.get("/"); testid(doc, "flash").Text() != "Starting coop-1 — job 1" {
		t.Fatalf("confirmation %q after the start, want \"Starting coop-1 — job 1\"", testid(doc, "flash").Text())
	}
	c.header.Del("HX-Request")
	c.header.Del("HX-Boosted")
	if _, doc := c.get("/"); testid(doc, "flash").Length() != 0 {
		t.Fatal("the confirmation is shown again on the next page")
	}
	_, doc := c.get("/servers/status")
	row := doc.Find(`[data-testid="server-row"][data-name="coop-1"]`)
	if d, _ := row.Find(`[data-testid="desired"]`).Attr("data-desired"); d != "running" {
		t.Fatalf("desired %q after start, want running", d)
	}
	if got := row.Find(`[data-testid="active-job"]`).Text(); got != "starting… job 1 queued" {
		t.Fatalf("the row shows the queued job as %q, want \"starting… job 1 queued\"", got)
	}
	if got := row.Find(`[data-testid="badge"]`).AttrOr("data-state", ""); got != "starting" {
		t.Fatalf("badge %q while the start is queued, want starting", got)
	}
	// The unit is still stopped while the start waits: that is no drift.
	if _, err := e.db.Writer().ExecContext(context.Background(),
		`UPDATE servers SET actual_state = 'stopped' WHERE id = ?`, s.ID); err != nil {
		t.Fatal(err)
	}
	_, doc = c.get("/servers/status")
	if d := testid(doc, "drift"); d.Length() != 0 {
		t.Fatalf("a queued start shows a drift sentence: %q", d.Text())
	}
	// The start then succeeds (as a worker would record it).
	if _, err := e.db.Writer().ExecContext(context.Background(),
		`UPDATE jobs SET state = 'succeeded', finished_at = ? WHERE id = 1`, e.clock.Now().UnixMilli()); err != nil {
		t.Fatal(err)
	}

	// The unit then dies of an OOM kill, as the poller would record it.
	_, err := e.db.Writer().ExecContext(context.Background(),
		`UPDATE servers SET actual_state = 'failed', systemd_result = 'oom-kill' WHERE id = ?`, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.db.Writer().ExecContext(context.Background(),
		`INSERT INTO server_history (server_id, at, old_state, new_state, reason) VALUES (?, ?, 'running', 'failed', 'x')`,
		s.ID, e.clock.Now().Add(-2*time.Minute).UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	_, doc = c.get("/")
	if got := testid(doc, "drift").Text(); got != "should be running — failed 2 min ago, out of memory" {
		t.Fatalf("drift = %q", got)
	}
	if testid(doc, "status-region").AttrOr("hx-trigger", "") != "every 2s" || testid(doc, "status-region").AttrOr("hx-get", "") != "/servers/status" {
		t.Fatal("the dashboard does not poll its one status fragment")
	}
	if testid(doc, "new-server").Length() != 0 {
		t.Error("an operator is offered to create servers")
	}

	// Unknown servers are 404, with a sentence.
	if resp := c.post("/servers/nope/stop", nil); resp.StatusCode != 404 {
		t.Fatalf("stop of a missing server: %d", resp.StatusCode)
	}
}

func TestServerPageShowsStateHistoryJobsAndLog(t *testing.T) {
	e := newEnv(t)
	s := storetest.Server(t, e.db, "coop-1", 27015)
	e.backend.SeedJournal("coop-1", []string{"srcds starting", "map c1m1_hotel loaded"})
	op := e.user("olga", store.RoleOperator)
	c := e.sessionFor(op)
	c.post("/servers/coop-1/start", nil)
	_, err := e.db.Writer().ExecContext(context.Background(),
		`INSERT INTO server_history (server_id, at, old_state, new_state, reason) VALUES (?, ?, 'unknown', 'running', 'after job 1 (start)')`,
		s.ID, e.clock.Now().UnixMilli())
	if err != nil {
		t.Fatal(err)
	}

	code, doc := c.get("/servers/coop-1")
	if code != 200 {
		t.Fatalf("server page: %d", code)
	}
	if testid(doc, "history-row").Length() != 1 || !strings.Contains(testid(doc, "history").Text(), "after job 1 (start)") {
		t.Errorf("history: %q", testid(doc, "history").Text())
	}
	if r := testid(doc, "job-row"); r.Length() != 1 || !strings.Contains(r.Text(), "olga") {
		t.Errorf("jobs: %q", testid(doc, "jobs").Text())
	}
	if l := testid(doc, "log-line"); l.Length() != 2 || !strings.Contains(l.Last().Text(), "c1m1_hotel") {
		t.Errorf("log lines: %d", l.Length())
	}
	if !strings.Contains(testid(doc, "systemd-detail").Text(), "systemd:") {
		t.Error("no systemd detail")
	}
	if testid(doc, "action-delete").Length() != 0 {
		t.Error("an operator is offered delete")
	}
	if testid(doc, "server-log").AttrOr("hx-get", "") != "/servers/coop-1/log" || testid(doc, "server-state").AttrOr("hx-get", "") != "/servers/coop-1/state" {
		t.Error("the log or the state does not poll")
	}

	// The log fragment is the same component, alone, with new lines.
	e.backend.AppendJournal("coop-1", []string{"player joined"})
	code, frag := c.get("/servers/coop-1/log")
	if code != 200 || frag.Find("header").Length() != 0 || testid(frag, "log-line").Length() != 3 {
		t.Fatalf("log fragment: %d, %d lines", code, testid(frag, "log-line").Length())
	}
	code, frag = c.get("/servers/coop-1/state")
	if code != 200 || testid(frag, "badge").Length() != 1 {
		t.Fatalf("state fragment: %d", code)
	}

	admin := e.as(store.RoleAdmin)
	_, doc = admin.get("/servers/coop-1")
	if del := doc.Find(`form[action="/servers/coop-1/delete"]`); del.AttrOr("data-confirm", "") == "" {
		t.Error("delete does not ask for confirmation")
	}
	if code, _ := admin.get("/servers/nope"); code != 404 {
		t.Errorf("a missing server: %d", code)
	}
}

func TestJobPageStreamsOutputAndStopsPollingWhenDone(t *testing.T) {
	e := newEnv(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	c := e.as(store.RoleOperator)
	resp := c.post("/servers/coop-1/start", nil)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != 303 || !strings.HasPrefix(loc, "/jobs/") {
		t.Fatalf("start without back: %d %s, want the job page", resp.StatusCode, loc)
	}
	code, doc := c.get(loc)
	if code != 200 || testid(doc, "job-state").Text() != "queued" || testid(doc, "job-cancel").Length() != 1 {
		t.Fatalf("queued job page: %d %q", code, testid(doc, "job-state").Text())
	}
	if !strings.Contains(testid(doc, "job-by").Text(), "u-operator") {
		t.Errorf("who: %q", testid(doc, "job-by").Text())
	}
	st := testid(doc, "job-status")
	if st.AttrOr("hx-get", "") != loc+"/output?after=0" || st.AttrOr("hx-trigger", "") == "" {
		t.Fatalf("a queued job does not poll: %q", st.AttrOr("hx-get", ""))
	}

	// Run it.
	r := jobs.NewRunner(jobs.RunnerOpts{Queue: e.queue, Backend: e.backend, Workers: 1, PollerInterval: -1, Logger: e.opts.Logger})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Start(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	id, _ := strconv.ParseInt(strings.TrimPrefix(loc, "/jobs/"), 10, 64)
	waitFor(t, "the job to finish", func() bool {
		j, err := e.db.GetJob(context.Background(), id)
		return err == nil && j.State.Finished()
	})

	_, frag := c.get(loc + "/output?after=0")
	st = testid(frag, "job-status")
	if st.AttrOr("data-state", "") != "succeeded" {
		t.Fatalf("job state %q", st.AttrOr("data-state", ""))
	}
	if _, polls := st.Attr("hx-trigger"); polls {
		t.Fatal("a finished job's status still polls")
	}
	lines := testid(frag, "job-line")
	if lines.Length() == 0 || testid(frag, "job-lines-oob").AttrOr("hx-swap-oob", "") != "beforeend:#job-lines" {
		t.Fatalf("%d lines, not appended out of band", lines.Length())
	}
	last := lines.Last().AttrOr("data-seq", "")
	_, frag = c.get(loc + "/output?after=" + last)
	if testid(frag, "job-line").Length() != 0 {
		t.Fatal("lines sent twice")
	}
	if testid(frag, "job-cancel").Length() != 0 {
		t.Error("a finished job offers cancel")
	}
	if resp := c.post(loc+"/cancel", nil); resp.StatusCode != 409 {
		t.Fatalf("cancel of a finished job: %d", resp.StatusCode)
	}
}

func TestCancelOfAQueuedJob(t *testing.T) {
	e := newEnv(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	c := e.as(store.RoleOperator)
	loc := c.post("/servers/coop-1/restart", nil).Header.Get("Location")
	if resp := c.post(loc+"/cancel", nil); resp.StatusCode != 303 || resp.Header.Get("Location") != loc {
		t.Fatalf("cancel: %d", resp.StatusCode)
	}
	_, doc := c.get(loc)
	if testid(doc, "job-state").Text() != "cancelled" {
		t.Fatalf("state %q", testid(doc, "job-state").Text())
	}
}
