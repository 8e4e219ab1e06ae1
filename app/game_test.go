package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/fake"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

// newEnvWithoutGame is a panel whose fake host has no game installed.
func newEnvWithoutGame(t *testing.T) *env {
	t.Helper()
	return newEnvFake(t, store.Options{}, fake.Options{})
}

// installGame installs the game on the env's fake host, as a job would.
func (e *env) installGame() {
	e.t.Helper()
	if err := e.backend.GameInstall(context.Background(), true, hostbackend.GameEvents{}); err != nil {
		e.t.Fatal(err)
	}
}

func TestAServerDoesNotStartWhileTheGameIsMissing(t *testing.T) {
	e := newEnvWithoutGame(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	web := e.as(store.RoleOperator)
	api, _ := e.apiAs("bot", store.RoleOperator)
	before := e.counts()

	for _, op := range []string{"start", "restart"} {
		code, doc := web.postDoc("/servers/coop-1/"+op, nil)
		msg := testid(doc, "error-message").Text()
		if code != 409 || !strings.HasPrefix(msg, "The game is not installed yet") || !strings.Contains(msg, "Game page") {
			t.Errorf("web %s without the game = %d %q, want 409 saying the game is not installed and where to install it", op, code, msg)
		}
		var eb apiErrorBody
		api.callJSON("POST", "/api/v1/servers/coop-1/"+op, nil, 409, &eb)
		if !strings.HasPrefix(eb.Error, "The game is not installed yet") {
			t.Errorf("API %s without the game: %+v", op, eb)
		}
	}
	if after := e.counts(); after != before {
		t.Fatalf("a refused start changed something: %s, then %s", before, after)
	}
	var eb apiErrorBody
	api.callJSON("POST", "/api/v1/servers/nobody/start", nil, 404, &eb)
	// Stopping needs no game.
	api.callJSON("POST", "/api/v1/servers/coop-1/stop", nil, 202, nil)

	e.installGame()
	if resp := web.post("/servers/coop-1/start", nil); resp.StatusCode != 303 {
		t.Fatalf("start with the game installed = %d, want 303", resp.StatusCode)
	}
}

func TestAStartRefusedDuringTheInstallSaysHowFarItIs(t *testing.T) {
	e := newEnvWithoutGame(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	e.backend.HangGameInstall(true)
	e.startRunner(t)
	admin, u := e.apiAs("ann", store.RoleAdmin)
	job, err := e.queue.EnqueueGame(context.Background(), jobs.GameParams{Operation: store.OpGameInstall, RequestedBy: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the install's first progress", func() bool {
		j, err := e.db.GetJob(context.Background(), job.ID)
		return err == nil && j.Progress.Phase != ""
	})
	var eb apiErrorBody
	admin.callJSON("POST", "/api/v1/servers/coop-1/start", nil, 409, &eb)
	if want := "its installation is running (job " + itoa(job.ID) + ", reconfiguring 50%)"; !strings.Contains(eb.Error, want) {
		t.Fatalf("start during the install: %q, want it to contain %q", eb.Error, want)
	}
	if _, err := e.queue.Cancel(context.Background(), job.ID); err != nil {
		t.Fatal(err)
	}
}
