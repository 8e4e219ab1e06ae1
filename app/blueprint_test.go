package app_test

import (
	"context"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

func blueprintForm(kv ...string) url.Values {
	f := url.Values{"name": {"versus"}, "map": {"c5m1_waterfront"}, "game_mode": {"versus"}, "max_players": {"8"}, "args": {"-tickrate\n100"}, "server_cfg": {"hostname \"Friday versus\"\n"}}
	for i := 0; i < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

func TestBlueprintFormValidatesEachArgument(t *testing.T) {
	tests := []struct {
		name      string
		form      url.Values
		wantField string
	}{
		{"an argument with a space", blueprintForm("args", "-tickrate\n+hostname my server"), "args"},
		{"an argument with a quote", blueprintForm("args", `+hostname"x"`), "args"},
		{"an argument with a dollar", blueprintForm("args", "$HOME"), "args"},
		{"an argument with a backslash", blueprintForm("args", `a\b`), "args"},
		{"an argument with a semicolon and a backtick", blueprintForm("args", "x;`reboot`"), "args"},
		{"a non-ASCII argument", blueprintForm("args", "-café"), "args"},
		{"a map with a space", blueprintForm("map", "c1m1 hotel"), "map"},
		{"no game mode", blueprintForm("game_mode", ""), "game_mode"},
		{"too many players", blueprintForm("max_players", "33"), "max_players"},
		{"a word for players", blueprintForm("max_players", "many"), "max_players"},
		{"no name", blueprintForm("name", " "), "name"},
		{"a taken name", blueprintForm("name", "default"), "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.as(store.RoleAdmin)
			code, doc := c.postDoc("/blueprints", tt.form)
			if code != 422 || testid(doc, "error-"+tt.wantField).Length() != 1 {
				t.Fatalf("status %d, error beside %s: %d", code, tt.wantField, testid(doc, "error-"+tt.wantField).Length())
			}
			if got := doc.Find(`textarea[name="args"]`).Text(); got != tt.form.Get("args") {
				t.Errorf("args shows %q, want %q as typed", got, tt.form.Get("args"))
			}
			if bps, _ := e.db.ListBlueprints(context.Background()); len(bps) != 1 {
				t.Errorf("%d blueprints after a refused form", len(bps))
			}
		})
	}
}

func TestABlueprintsArgumentsReachSrcdsWhenAServerStarts(t *testing.T) {
	e := newEnv(t)
	c := e.as(store.RoleAdmin)
	if resp := c.post("/blueprints", blueprintForm()); resp.StatusCode != 303 {
		t.Fatalf("create blueprint: %d", resp.StatusCode)
	}
	_, doc := c.get("/blueprints")
	row := doc.Find(`[data-testid="blueprint-row"][data-name="versus"]`)
	if row.Length() != 1 {
		t.Fatal("the new blueprint is not listed")
	}
	bp, err := e.db.GetBlueprintByName(context.Background(), "versus")
	if err != nil {
		t.Fatal(err)
	}
	// Edit it: the form shows what is stored.
	_, doc = c.get("/blueprints/" + itoa(bp.ID))
	if doc.Find(`textarea[name="args"]`).Text() != "-tickrate\n100" {
		t.Fatalf("edit form args %q", doc.Find(`textarea[name="args"]`).Text())
	}
	if resp := c.post("/blueprints/"+itoa(bp.ID), blueprintForm("args", "-tickrate\r\n100\r\n\r\n+sv_lan\r\n0")); resp.StatusCode != 303 {
		t.Fatalf("update: %d", resp.StatusCode)
	}
	if resp := c.post("/servers", url.Values{"name": {"vs-1"}, "blueprint": {itoa(bp.ID)}}); resp.StatusCode != 303 {
		t.Fatalf("create server: %d", resp.StatusCode)
	}
	c.post("/servers/vs-1/start", nil)

	r := jobs.NewRunner(jobs.RunnerOpts{Queue: e.queue, Backend: e.backend, Workers: 1, PollerInterval: -1, Logger: e.opts.Logger})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Start(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, "the start to provision", func() bool { _, ok := e.backend.Spec("vs-1"); return ok })
	spec, _ := e.backend.Spec("vs-1")
	want := []string{"-tickrate", "100", "+sv_lan", "0", "+map", "c5m1_waterfront", "+mp_gamemode", "versus", "+maxplayers", "8"}
	if !reflect.DeepEqual(spec.Args, want) {
		t.Fatalf("srcds args %q, want %q", spec.Args, want)
	}
	if !strings.Contains(spec.ServerConfig, `hostname "Friday versus"`) {
		t.Fatalf("server.cfg %q", spec.ServerConfig)
	}

	// A blueprint in use cannot be deleted.
	if resp := c.post("/blueprints/"+itoa(bp.ID)+"/delete", nil); resp.StatusCode != 409 {
		t.Fatalf("delete of a used blueprint: %d", resp.StatusCode)
	}
}

func TestAnUnusedBlueprintCanBeDeleted(t *testing.T) {
	e := newEnv(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	c := e.as(store.RoleAdmin)
	c.post("/blueprints", blueprintForm())
	bp, _ := e.db.GetBlueprintByName(context.Background(), "versus")
	if resp := c.post("/blueprints/"+itoa(bp.ID)+"/delete", nil); resp.StatusCode != 303 {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	if bps, _ := e.db.ListBlueprints(context.Background()); len(bps) != 1 {
		t.Fatalf("%d blueprints left", len(bps))
	}
}
