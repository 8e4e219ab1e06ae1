package app_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/left4me/left4me/hostbackend/fake"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

type apiLayersBody struct {
	Applied *struct {
		Build string `json:"build"`
		Sets  []struct {
			Name     string `json:"name"`
			Revision int    `json:"revision"`
		} `json:"addon_sets"`
	} `json:"applied"`
	Next *struct {
		Build string `json:"build"`
		Sets  []struct {
			Name     string `json:"name"`
			Revision int    `json:"revision"`
		} `json:"addon_sets"`
	} `json:"next"`
	RestartPending bool `json:"restart_pending"`
	Writable       *struct {
		Bytes int64 `json:"bytes"`
		Files int   `json:"files"`
		List  []struct {
			Path string `json:"path"`
		} `json:"list"`
	} `json:"writable"`
}

func TestAServerShowsItsLayersAsksForARestartAfterASetChangesAndResetsItsWritableLayerOnlyStopped(t *testing.T) {
	e := newEnvFake(t, store.Options{}, fake.Options{GameInstalled: true, GameBuild: "100"})
	storetest.Server(t, e.db, "coop-1", 27015)
	e.addonSet("maps", map[string]string{"cfg/maps.cfg": "sv_cheats 0\n"})
	if err := e.opts.Addons.SetBlueprintSets(context.Background(), 1, []string{"maps"}); err != nil {
		t.Fatal(err)
	}
	e.startRunner(t)
	admin, _ := e.apiAs("root", store.RoleAdmin)
	op, _ := e.apiAs("bob", store.RoleOperator)

	set, err := e.opts.Addons.Set(context.Background(), "maps")
	if err != nil {
		t.Fatal(err)
	}
	rev := set.Rev
	revText := func(r int) string { return "maps (revision " + strconv.Itoa(r) + ")" }

	// Stopped: the next start's layers, and nothing applied.
	var l apiLayersBody
	op.callJSON("GET", "/api/v1/servers/coop-1/layers", nil, 200, &l)
	if l.Applied != nil || l.Next == nil || l.Next.Build != "100" || len(l.Next.Sets) != 1 || l.Next.Sets[0].Name != "maps" || l.Next.Sets[0].Revision != rev {
		t.Fatalf("stopped: %+v", l)
	}

	var job apiJob
	admin.callJSON("POST", "/api/v1/servers/coop-1/start", nil, 202, &job)
	if j := admin.follow(t, job.ID); j.State != string(store.JobSucceeded) {
		t.Fatalf("start: %+v", j)
	}
	op.callJSON("GET", "/api/v1/servers/coop-1/layers", nil, 200, &l)
	if l.Applied == nil || l.Applied.Build != "100" || len(l.Applied.Sets) != 1 || l.Applied.Sets[0].Revision != rev || l.RestartPending {
		t.Fatalf("running: %+v", l)
	}
	if l.Writable == nil || l.Writable.Files == 0 {
		t.Fatalf("the simulated srcds wrote nothing into the writable layer: %+v", l.Writable)
	}
	c := e.as(store.RoleAdmin)
	_, doc := c.get("/servers/coop-1")
	if got := testid(doc, "layers-applied").Text(); got != "game build 100 · add-on sets "+revText(rev) {
		t.Fatalf("the page says it runs on %q", got)
	}
	if testid(doc, "restart-hint").Length() != 0 || testid(doc, "layers-reset").Length() != 0 {
		t.Fatal("a running server on its current layers shows a restart hint or a reset button")
	}

	// A change of the set: the running server keeps its revision and asks
	// for a restart, on its page, the dashboard and the API.
	if _, err := e.opts.Addons.PutFile(context.Background(), "maps", "cfg/maps.cfg", strings.NewReader("sv_cheats 1\n")); err != nil {
		t.Fatal(err)
	}
	op.callJSON("GET", "/api/v1/servers/coop-1/layers", nil, 200, &l)
	if !l.RestartPending || l.Applied.Sets[0].Revision != rev || l.Next.Sets[0].Revision != rev+1 {
		t.Fatalf("after the change: %+v", l)
	}
	_, doc = c.get("/servers/coop-1")
	if testid(doc, "restart-hint").Length() != 1 || !strings.Contains(testid(doc, "layers-next").Text(), revText(rev+1)) {
		t.Fatal("the page shows no restart hint or next layers after a change of the server's add-on set")
	}
	var srv apiServer
	op.callJSON("GET", "/api/v1/servers/coop-1", nil, 200, &srv)
	if !srv.RestartPending {
		t.Fatal("the API's server says no restart is pending")
	}

	// The writable layer cannot be reset while the server runs.
	before := e.counts()
	if code, b := admin.call("POST", "/api/v1/servers/coop-1/layers/reset", nil); code != 409 || !strings.Contains(string(b), "not stopped") {
		t.Fatalf("reset while running = %d %s, want 409", code, b)
	}
	if code, _ := op.call("POST", "/api/v1/servers/coop-1/layers/reset", nil); code != 403 {
		t.Fatalf("an operator's reset = %d, want 403", code)
	}
	if after := e.counts(); after != before {
		t.Fatalf("a refused reset changed something: %s, then %s", before, after)
	}
	op.callJSON("GET", "/api/v1/servers/coop-1/layers", nil, 200, &l)
	if l.Writable.Files == 0 {
		t.Fatal("a refused reset emptied the layer")
	}

	admin.callJSON("POST", "/api/v1/servers/coop-1/stop", nil, 202, &job)
	admin.follow(t, job.ID)
	_, doc = c.get("/servers/coop-1")
	if testid(doc, "layers-reset").Length() != 1 {
		t.Fatal("a stopped server's page has no reset button")
	}
	resp := c.post("/servers/coop-1/layer/reset", nil)
	if resp.StatusCode != 303 {
		t.Fatalf("reset form = %d", resp.StatusCode)
	}
	_, doc = c.get("/servers/coop-1")
	if got := testid(doc, "flash").Text(); !strings.Contains(got, "The writable layer of coop-1 is empty") {
		t.Fatalf("flash %q", got)
	}
	op.callJSON("GET", "/api/v1/servers/coop-1/layers", nil, 200, &l)
	if l.Writable.Files != 0 || l.Applied != nil {
		t.Fatalf("after the reset: %+v", l)
	}
}
