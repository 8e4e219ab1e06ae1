package app_test

import (
	"context"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/left4me/left4me/hostbackend/fake"
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
		{"a quoted argument with a space", blueprintForm("args", "-tickrate 100\n+hostname \"my server\""), "args"},
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
	if doc.Find(`textarea[name="args"]`).Text() != "-tickrate 100" {
		t.Fatalf("edit form args %q", doc.Find(`textarea[name="args"]`).Text())
	}
	if resp := c.post("/blueprints/"+itoa(bp.ID), blueprintForm("args", "-tickrate\r\n100\r\n\r\n+sv_lan  0 ")); resp.StatusCode != 303 {
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

func TestBlueprintArgumentsSplitAtSpacesAndErrorsQuotePlainly(t *testing.T) {
	e := newEnv(t)
	c := e.as(store.RoleAdmin)
	code, doc := c.postDoc("/blueprints", blueprintForm("args", "+sv_lan 0\n+hostname \"Game night\""))
	want := `Argument “"Game” contains the character ", which is not allowed in srcds arguments (no quotes, \, $ or ` + "`" + `).`
	if got := testid(doc, "error-args").Text(); code != 422 || got != want {
		t.Fatalf("status %d, args error %q, want %q", code, got, want)
	}
	code, doc = c.postDoc("/blueprints", blueprintForm("args", "+sv_lan\x070"))
	want = "Argument “+sv_lan\uFFFD0” contains the control character U+0007."
	if got := testid(doc, "error-args").Text(); code != 422 || got != want {
		t.Fatalf("status %d, args error %q, want %q", code, got, want)
	}
	if resp := c.post("/blueprints", blueprintForm("args", " +sv_lan 0\t-nohltv \n")); resp.StatusCode != 303 {
		t.Fatalf("two arguments on a line: %d", resp.StatusCode)
	}
	bp, err := e.db.GetBlueprintByName(context.Background(), "versus")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"+sv_lan", "0", "-nohltv"}; !reflect.DeepEqual(bp.Args, want) {
		t.Fatalf("stored args %q, want %q", bp.Args, want)
	}
	_, doc = c.get("/blueprints/" + itoa(bp.ID))
	if got := doc.Find(`textarea[name="args"]`).Text(); got != "+sv_lan 0\n-nohltv" {
		t.Fatalf("the form shows the arguments as %q", got)
	}
	if doc.Find(`textarea[name="server_cfg"].mono`).Length() != 1 || doc.Find(`textarea[name="args"].mono`).Length() != 1 {
		t.Fatal("the editors are not monospace (class mono)")
	}
}

func TestBlueprintsListTheirServersAndOfferDeleteOnlyWhenItCanWork(t *testing.T) {
	e := newEnv(t)
	c := e.as(store.RoleAdmin)
	storetest.Server(t, e.db, "coop-2", 27016)
	storetest.Server(t, e.db, "coop-1", 27015)
	c.post("/blueprints", blueprintForm())
	c.post("/blueprints", blueprintForm("name", "spare"))
	vs, _ := e.db.GetBlueprintByName(context.Background(), "versus")
	if resp := c.post("/servers", url.Values{"name": {"vs-1"}, "blueprint": {itoa(vs.ID)}}); resp.StatusCode != 303 {
		t.Fatalf("create server: %d", resp.StatusCode)
	}
	_, doc := c.get("/blueprints")
	for name, want := range map[string]struct {
		servers string
		delete  bool
	}{"default": {"coop-1,coop-2", false}, "versus": {"vs-1", false}, "spare": {"", true}} {
		row := doc.Find(`[data-testid="blueprint-row"][data-name="` + name + `"]`)
		var links []string
		row.Find(`[data-testid="blueprint-used-by"] a`).Each(func(_ int, a *goquery.Selection) {
			if href, _ := a.Attr("href"); href != "/servers/"+a.Text() {
				t.Errorf("%s: link %q goes to %q", name, a.Text(), href)
			}
			links = append(links, a.Text())
		})
		if strings.Join(links, ",") != want.servers {
			t.Errorf("%s is used by %q, want %q", name, links, want.servers)
		}
		if got := row.Find(`[data-testid="blueprint-delete"]`).Length() == 1; got != want.delete {
			t.Errorf("%s offers Delete: %v, want %v", name, got, want.delete)
		}
	}
}

func TestABlueprintRestartsItsServersWantedRunning(t *testing.T) {
	e := newEnv(t)
	c := e.as(store.RoleAdmin)
	ctx := context.Background()
	c.post("/blueprints", blueprintForm())
	vs, _ := e.db.GetBlueprintByName(ctx, "versus")
	for _, name := range []string{"vs-1", "vs-2", "vs-3"} {
		if resp := c.post("/servers", url.Values{"name": {name}, "blueprint": {itoa(vs.ID)}}); resp.StatusCode != 303 {
			t.Fatalf("create %s: %d", name, resp.StatusCode)
		}
	}
	storetest.Server(t, e.db, "coop-1", 27100) // the default blueprint's
	for _, name := range []string{"vs-1", "vs-3", "coop-1"} {
		c.post("/servers/"+name+"/start", nil)
	}
	c.get("/") // takes the start's confirmation
	_, doc := c.get("/blueprints/" + itoa(vs.ID))
	if got := testid(doc, "blueprint-restart").Text(); got != "Restart the 2 servers using this blueprint" {
		t.Fatalf("restart button %q", got)
	}
	if got := testid(doc, "blueprint-servers").Find(`[data-testid="server-link"]`).Length(); got != 3 {
		t.Fatalf("%d servers listed, want 3", got)
	}

	resp := c.post("/blueprints/"+itoa(vs.ID)+"/restart", nil)
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/blueprints/"+itoa(vs.ID) {
		t.Fatalf("restart: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	restarts, err := e.db.ListJobs(ctx, store.JobFilter{Active: true, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var ids []int64
	for _, j := range restarts {
		if j.Operation == store.OpRestart {
			got = append(got, j.ServerName)
			ids = append(ids, j.ID)
		}
	}
	slices.Sort(got)
	slices.Sort(ids)
	if strings.Join(got, ",") != "vs-1,vs-3" {
		t.Fatalf("restarted %q, want vs-1 and vs-3", got)
	}
	_, doc = c.get("/blueprints/" + itoa(vs.ID))
	want := "Restarting 2 servers — jobs " + itoa(ids[0]) + "–" + itoa(ids[1])
	if got := testid(doc, "flash").Text(); got != want {
		t.Fatalf("confirmation %q, want %q", got, want)
	}
}

func TestABlueprintRestartIsRefusedWhileTheGameIsMissing(t *testing.T) {
	e := newEnvFake(t, store.Options{}, fake.Options{})
	c := e.as(store.RoleAdmin)
	storetest.Server(t, e.db, "coop-1", 27015)
	if _, err := e.db.Writer().NewRaw(`UPDATE servers SET desired_state = 'running'`).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := e.counts()
	if resp := c.post("/blueprints/1/restart", nil); resp.StatusCode != 409 {
		t.Fatalf("restart without the game: %d, want 409", resp.StatusCode)
	}
	if e.counts() != before {
		t.Fatalf("a refused restart changed %s to %s", before, e.counts())
	}
}
