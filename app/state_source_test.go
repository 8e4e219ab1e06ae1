package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/app"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

// source is the part of GET /healthz about how changes are heard of.
type source struct {
	Source       string `json:"source"`
	SourceReason string `json:"source_reason"`
}

// withWatchingRunner gives the panel a job runner whose poller ticks every
// ten minutes beside the fake backend's watch; the test starts it.
func withWatchingRunner(r **jobs.Runner) func(*app.Options) {
	return func(o *app.Options) {
		*r = jobs.NewRunner(jobs.RunnerOpts{Queue: o.Queue, Backend: o.Backend, Workers: 1,
			PollerInterval: 10 * time.Minute, WatchBackoff: 10 * time.Millisecond, WatchBackoffMax: 20 * time.Millisecond,
			Clock: o.Now, Logger: o.Logger})
		o.Health = (*r).Health
	}
}

// healthSource asks GET /healthz, which must answer 200, for its source.
func (e *env) healthSource() source {
	e.t.Helper()
	var s source
	code, _, body := e.healthz()
	if code != 200 {
		e.t.Fatalf("GET /healthz = %d: %s", code, body)
	}
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		e.t.Fatal(err)
	}
	return s
}

func TestInjectedDriftReachesTheStatusFragmentWithinOneEvent(t *testing.T) {
	var r *jobs.Runner
	e := newEnv(t, withWatchingRunner(&r))
	storetest.Server(t, e.db, "coop-1", 27015)
	runFor(t, r)
	admin := e.as(store.RoleAdmin)
	j, err := e.queue.Enqueue(context.Background(), jobs.EnqueueParams{ServerName: "coop-1", Operation: store.OpStart})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the start job", func() bool {
		got, err := e.db.GetJob(context.Background(), j.ID)
		return err == nil && got.State == store.JobSucceeded
	})
	waitFor(t, "the watch", func() bool { return e.healthSource().Source == jobs.SourceSignals })
	if _, doc := admin.get("/"); testid(doc, "state-source").Text() != "Server states: from systemd signals." {
		t.Fatalf("the admin's line says %q", testid(doc, "state-source").Text())
	}

	for _, st := range []struct {
		drift            func()
		state, reasonHas string
	}{
		{func() { e.backend.OOMKill("coop-1") }, "failed", "changed outside the panel (systemd Result=oom-kill)"},
		{func() { e.backend.ExternalDisable("coop-1") }, "stopped", "changed outside the panel"},
	} {
		st.drift()
		waitFor(t, "coop-1 "+st.state+" in the status fragment", func() bool {
			_, doc := admin.get("/servers/status")
			row := doc.Find(`[data-testid="server-row"][data-name="coop-1"] [data-testid="badge"]`)
			state, _ := row.Attr("data-state")
			return state == st.state
		})
		srv, err := e.db.GetServerByName(context.Background(), "coop-1")
		if err != nil {
			t.Fatal(err)
		}
		hs, err := e.db.ListServerHistory(context.Background(), srv.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if string(srv.ActualState) != st.state || len(hs) == 0 || !strings.Contains(hs[0].Reason, st.reasonHas) {
			t.Fatalf("coop-1 is %s, history %+v; want %s with %q", srv.ActualState, hs, st.state, st.reasonHas)
		}
	}
}

func TestABrokenWatchIsPollingOnlyInHealthWithoutAnAlarm(t *testing.T) {
	var r *jobs.Runner
	e := newEnv(t, withWatchingRunner(&r))
	runFor(t, r)
	admin, operator := e.as(store.RoleAdmin), e.as(store.RoleOperator)
	waitFor(t, "the watch", func() bool { return e.healthSource().Source == jobs.SourceSignals })

	e.backend.BreakWatch(errors.New("the bus went away"))
	waitFor(t, "polling only", func() bool { return e.healthSource().Source == jobs.SourcePolling })
	if s := e.healthSource(); s.SourceReason != "the watch failed and is tried again" {
		t.Fatalf("/healthz says %+v, want the reason without the error's text", s)
	}
	_, doc := admin.get("/")
	if got := testid(doc, "state-source").Text(); !strings.HasPrefix(got, "Server states: polling only (") || !strings.Contains(got, "the bus went away") {
		t.Fatalf("the admin's line says %q", got)
	}
	if doc.Find(`[data-testid^="problem-"]`).Length() != 0 {
		t.Fatal("polling only raised a problem banner")
	}
	if _, doc := operator.get("/"); testid(doc, "state-source").Length() != 0 {
		t.Fatal("an operator sees the admins' line")
	}

	e.backend.BreakWatch(nil)
	waitFor(t, "the watch to come back", func() bool { return e.healthSource() == source{Source: jobs.SourceSignals} })
}

// runFor starts r until the test ends.
func runFor(t *testing.T, r *jobs.Runner) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Start(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}
