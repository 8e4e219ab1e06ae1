package app_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/left4me/left4me/app"
	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

// simulated makes the panel say it runs on the fake host, as left4me
// serve does with LEFT4ME_BACKEND=fake.
func simulated(o *app.Options) { o.Simulated = true }

// running starts coop-1 on the fake host and records its state.
func (e *env) running(name string) {
	e.t.Helper()
	storetest.Server(e.t, e.db, name, 27015)
	if err := e.backend.Enable(context.Background(), name, nil); err != nil {
		e.t.Fatal(err)
	}
}

func TestTheAPISimulatesHostEventsOnTheFakeHost(t *testing.T) {
	e := newEnv(t, simulated)
	e.running("coop-1")
	admin, _ := e.apiAs("ada", store.RoleAdmin)

	steps := []struct {
		event       string
		wantState   hostbackend.State
		wantEnabled bool
	}{
		{"oom-kill", hostbackend.StateFailed, true},
		{"reboot", hostbackend.StateRunning, true},
		{"crash", hostbackend.StateRunning, true}, // restarted at once: the fake's RestartDelay is 0
		{"outside-stop", hostbackend.StateStopped, true},
		{"outside-disable", hostbackend.StateStopped, false},
	}
	for _, st := range steps {
		admin.callJSON("POST", "/api/v1/servers/coop-1/simulate", `{"event": "`+st.event+`"}`, 204, nil)
		u := e.backend.Unit("coop-1")
		if u.State() != st.wantState || u.Enabled != st.wantEnabled {
			t.Fatalf("after %s the unit is %s (enabled %v), want %s (enabled %v)", st.event, u.State(), u.Enabled, st.wantState, st.wantEnabled)
		}
		if st.event == "crash" && u.NRestarts != 1 {
			t.Fatalf("after a crash systemd restarted the unit %d times, want once", u.NRestarts)
		}
	}

	var eb apiErrorBody
	admin.callJSON("POST", "/api/v1/servers/coop-1/simulate", `{"event": "meteor"}`, 422, &eb)
	if !strings.Contains(eb.Error, `"meteor"`) || !strings.Contains(eb.Error, `"outside-disable"`) {
		t.Fatalf("unknown event: %q, want a sentence naming it and the known ones", eb.Error)
	}
	admin.callJSON("POST", "/api/v1/servers/nobody/simulate", `{"event": "crash"}`, 404, &eb)
	op, _ := e.apiAs("olga", store.RoleOperator)
	op.callJSON("POST", "/api/v1/servers/coop-1/simulate", `{"event": "crash"}`, 403, &eb)
}

func TestSimulateExistsOnlyOnTheFakeHost(t *testing.T) {
	e := newEnv(t) // a panel that does not say it is simulated
	e.running("coop-1")
	admin, _ := e.apiAs("ada", store.RoleAdmin)
	var eb apiErrorBody
	admin.callJSON("POST", "/api/v1/servers/coop-1/simulate", `{"event": "oom-kill"}`, 404, &eb)
	browser := e.as(store.RoleAdmin)
	if resp := browser.post("/servers/coop-1/simulate", url.Values{"event": {"oom-kill"}}); resp.StatusCode != 404 {
		t.Fatalf("POST /servers/coop-1/simulate = %d, want 404", resp.StatusCode)
	}
	if _, doc := browser.get("/servers/coop-1"); testid(doc, "simulate").Length() != 0 {
		t.Fatal("the server page offers to simulate on a real host")
	}
	if got := e.backend.Unit("coop-1").State(); got != hostbackend.StateRunning {
		t.Fatalf("coop-1 is %s, want running", got)
	}
}

func TestAnAdminSimulatesAnOOMKillFromTheServerPageAndSeesIt(t *testing.T) {
	var r *jobs.Runner
	e := newEnv(t, simulated, withWatchingRunner(&r))
	e.running("coop-1")
	runFor(t, r)
	admin := e.as(store.RoleAdmin)
	waitFor(t, "coop-1 running", func() bool {
		s, err := e.db.GetServerByName(context.Background(), "coop-1")
		return err == nil && s.ActualState == hostbackend.StateRunning
	})

	_, doc := admin.get("/servers/coop-1")
	form := testid(doc, "simulate-oom-kill").Closest("form")
	if action, _ := form.Attr("action"); action != "/servers/coop-1/simulate" {
		t.Fatalf("the OOM kill button posts to %q", action)
	}
	if confirm, _ := form.Attr("data-confirm"); !strings.Contains(confirm, "coop-1") {
		t.Fatalf("the OOM kill asks no confirmation naming the server: %q", confirm)
	}
	for _, ev := range []string{"crash", "oom-kill", "outside-stop", "outside-disable", "reboot"} {
		if testid(doc, "simulate-"+ev).Length() != 1 {
			t.Errorf("no %s button", ev)
		}
	}
	if _, doc := e.as(store.RoleOperator).get("/servers/coop-1"); testid(doc, "simulate").Length() != 0 {
		t.Error("an operator is offered to simulate")
	}

	values := url.Values{"event": {"oom-kill"}}
	resp := admin.post("/servers/coop-1/simulate", values)
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/servers/coop-1" {
		t.Fatalf("POST = %d to %q, want 303 back to the server", resp.StatusCode, resp.Header.Get("Location"))
	}
	waitFor(t, "the OOM kill on the server page", func() bool {
		_, doc := admin.get("/servers/coop-1/state")
		state, _ := testid(doc, "badge").Attr("data-state")
		return state == "failed"
	})
	if code, doc := admin.postDoc("/servers/coop-1/simulate", url.Values{"event": {"flood"}}); code != 422 || !strings.Contains(doc.Text(), `"flood"`) {
		t.Fatalf("an unknown event: %d %q, want 422 naming it", code, doc.Text())
	}
}
