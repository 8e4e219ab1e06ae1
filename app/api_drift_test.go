package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

func TestAPISaysAServerStoppedOutsideThePanelStillStartsAtBoot(t *testing.T) {
	e := newEnv(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	op, _ := e.apiAs("bob", store.RoleOperator)
	e.startRunner(t)

	var j apiJob
	op.callJSON("POST", "/api/v1/servers/coop-1/start", nil, 202, &j)
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := e.db.GetJob(context.Background(), j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State == store.JobSucceeded {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the start job is %s", got.State)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The OOM killer ends it; the unit stays enabled.
	e.backend.OOMKill("coop-1")
	p := jobs.NewPoller(jobs.PollerOpts{DB: e.db, Backend: e.backend, Clock: e.clock.Now, Logger: e.opts.Logger})
	if err := p.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}

	var s struct {
		ActualState string `json:"actual_state"`
		Drift       string `json:"drift"`
		Systemd     struct {
			Enabled bool `json:"enabled"`
		} `json:"systemd"`
	}
	op.callJSON("GET", "/api/v1/servers/coop-1", nil, 200, &s)
	if !s.Systemd.Enabled || s.ActualState != "failed" {
		t.Fatalf("server %+v, want failed and enabled", s)
	}
	if !strings.Contains(s.Drift, "still enabled, will start at boot") || !strings.HasPrefix(s.Drift, "should be running — failed") {
		t.Fatalf("drift %q should say it is failed and will start at boot", s.Drift)
	}

	// The dashboard says the same.
	_, doc := e.as(store.RoleAdmin).get("/")
	if d := doc.Find(`[data-testid="drift"]`).Text(); !strings.Contains(d, "still enabled, will start at boot") {
		t.Fatalf("dashboard drift %q", d)
	}
}
