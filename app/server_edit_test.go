package app_test

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

func TestEditingAServerChangesTitlePortAndBlueprintButNotItsName(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.as(store.RoleAdmin)
	storetest.Server(t, e.db, "coop-1", 27015)
	storetest.Server(t, e.db, "coop-2", 27016)
	c.post("/blueprints", blueprintForm())
	vs, _ := e.db.GetBlueprintByName(ctx, "versus")

	_, doc := c.get("/servers/coop-1/edit")
	form := testid(doc, "server-edit-form")
	if v, _ := testid(doc, "edit-name").Attr("value"); v != "coop-1" || testid(doc, "edit-name").AttrOr("readonly", "no") == "no" {
		t.Fatalf("the name field shows %q, readonly %v", v, testid(doc, "edit-name").AttrOr("readonly", "no"))
	}
	if v, _ := form.Find(`input[name="port"]`).Attr("value"); v != "27015" {
		t.Fatalf("port field %q", v)
	}
	if v, _ := form.Find(`select[name="blueprint"] option[selected]`).Attr("value"); v != "1" {
		t.Fatalf("selected blueprint %q", v)
	}

	edit := func(kv ...string) url.Values {
		f := url.Values{"title": {"Friday"}, "port": {"27020"}, "blueprint": {itoa(vs.ID)}, "name": {"renamed"}}
		for i := 0; i < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return f
	}
	tests := []struct {
		name      string
		form      url.Values
		wantField string
		wantMsg   string
	}{
		{"a port another server uses", edit("port", "27016"), "port", "Port 27016 is already used by server coop-2."},
		{"a word for a port", edit("port", "many"), "port", "Enter a port number from 1024 to 65535."},
		{"an empty port", edit("port", ""), "port", "Enter a port number from 1024 to 65535."},
		{"a port out of range", edit("port", "80"), "port", "Port 80 is outside 1024-65535."},
		{"a title with a control character", edit("title", "Fri\x01day"), "title", ""},
		{"a blueprint that does not exist", edit("blueprint", "99"), "blueprint", "That blueprint does not exist (any more)."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, doc := c.postDoc("/servers/coop-1/edit", tt.form)
			msg := testid(doc, "error-"+tt.wantField)
			if code != 422 || msg.Length() != 1 || (tt.wantMsg != "" && msg.Text() != tt.wantMsg) {
				t.Fatalf("status %d, error beside %s: %q", code, tt.wantField, msg.Text())
			}
			if v, _ := doc.Find(`input[name="port"]`).Attr("value"); v != tt.form.Get("port") {
				t.Errorf("port shows %q, want %q as typed", v, tt.form.Get("port"))
			}
			if v, _ := doc.Find(`input[name="title"]`).Attr("value"); v != tt.form.Get("title") {
				t.Errorf("title shows %q, want %q as typed", v, tt.form.Get("title"))
			}
			if s, _ := e.db.GetServerByName(ctx, "coop-1"); s.Port != 27015 || s.Title != "coop-1" || s.BlueprintID != 1 {
				t.Fatalf("a refused edit changed the server: %+v", s)
			}
		})
	}

	resp := c.post("/servers/coop-1/edit", edit())
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/servers/coop-1" {
		t.Fatalf("edit: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	s, err := e.db.GetServerByName(ctx, "coop-1")
	if err != nil {
		t.Fatalf("the server is gone after the edit (renamed?): %v", err)
	}
	if s.Title != "Friday" || s.Port != 27020 || s.BlueprintID != vs.ID {
		t.Fatalf("after the edit: %+v", s)
	}
	if _, doc := c.get("/servers/coop-1"); testid(doc, "flash").Text() != "Saved coop-1." {
		t.Fatalf("confirmation %q after the edit of a stopped server", testid(doc, "flash").Text())
	}
	// Its own port again is no conflict.
	if resp := c.post("/servers/coop-1/edit", edit("title", "Saturday")); resp.StatusCode != 303 {
		t.Fatalf("an edit keeping the port: %d", resp.StatusCode)
	}
	if _, doc := c.get("/servers/coop-1"); testid(doc, "action-edit").AttrOr("href", "") != "/servers/coop-1/edit" {
		t.Fatal("the server page has no Edit link")
	}
	if _, doc := e.as(store.RoleOperator).get("/servers/coop-1"); testid(doc, "action-edit").Length() != 0 {
		t.Fatal("an operator is offered Edit")
	}
}

// restartPending reads the server's restart_pending through the API.
func restartPending(t *testing.T, api *apiClient, name string) bool {
	t.Helper()
	var out map[string]any
	api.callJSON("GET", "/api/v1/servers/"+name, nil, 200, &out)
	pending, ok := out["restart_pending"].(bool)
	if !ok {
		t.Fatalf("no restart_pending in %v", out)
	}
	return pending
}

func TestARunningServerSaysRestartToApplyAfterAnEditUntilItRestarts(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.as(store.RoleAdmin)
	api, _ := e.apiAs("bot", store.RoleOperator)
	c.post("/blueprints", blueprintForm())
	vs, _ := e.db.GetBlueprintByName(ctx, "versus")
	for _, name := range []string{"vs-1", "vs-2"} {
		if resp := c.post("/servers", url.Values{"name": {name}, "blueprint": {itoa(vs.ID)}}); resp.StatusCode != 303 {
			t.Fatalf("create %s: %d", name, resp.StatusCode)
		}
	}
	e.startRunner(t)
	done := func(name string) func() bool {
		return func() bool {
			js, _ := e.db.ListJobs(ctx, store.JobFilter{Active: true, Limit: 10})
			s, _ := e.db.GetServerByName(ctx, name)
			return len(js) == 0 && s.ActualState == "running"
		}
	}
	c.post("/servers/vs-1/start", nil)
	waitFor(t, "vs-1 to run", done("vs-1"))
	hints := func(path string) map[string]bool {
		_, doc := c.get(path)
		out := map[string]bool{}
		doc.Find(`[data-testid="server-row"]`).Each(func(_ int, row *goquery.Selection) {
			out[row.AttrOr("data-name", "")] = row.Find(`[data-testid="restart-hint"]`).Length() == 1
		})
		return out
	}
	check := func(when string, want bool) {
		t.Helper()
		for _, path := range []string{"/", "/servers/status"} {
			if got := hints(path); got["vs-1"] != want || got["vs-2"] {
				t.Fatalf("%s: %s shows the restart hints %v, want vs-1 %v and never stopped vs-2", when, path, got, want)
			}
		}
		_, doc := c.get("/servers/vs-1")
		if got := testid(doc, "restart-hint").Length() == 1; got != want {
			t.Fatalf("%s: the server page's hint %v, want %v", when, got, want)
		}
		if want && testid(doc, "server-actions").Find(`[data-testid="action-restart"]`).Length() != 1 {
			t.Fatalf("%s: no Restart button beside the hint", when)
		}
		if got := restartPending(t, api, "vs-1"); got != want {
			t.Fatalf("%s: restart_pending %v, want %v", when, got, want)
		}
	}
	check("started", false)

	// An edit of the running server and of the stopped one.
	for _, name := range []string{"vs-1", "vs-2"} {
		port := map[string]string{"vs-1": "27030", "vs-2": "27031"}[name]
		if resp := c.post("/servers/"+name+"/edit", url.Values{"title": {"new"}, "port": {port}, "blueprint": {itoa(vs.ID)}}); resp.StatusCode != 303 {
			t.Fatalf("edit %s: %d", name, resp.StatusCode)
		}
		want := map[string]string{
			"vs-1": "Saved vs-1: it runs with what it started with; restart it to apply the change.",
			"vs-2": "Saved vs-2.",
		}[name]
		if _, doc := c.get("/servers/" + name); testid(doc, "flash").Text() != want {
			t.Fatalf("confirmation %q after the edit of %s, want %q", testid(doc, "flash").Text(), name, want)
		}
	}
	check("after an edit", true)
	c.post("/servers/vs-1/restart", nil)
	waitFor(t, "the restart", done("vs-1"))
	check("after the restart", false)
	if spec, _ := e.backend.Spec("vs-1"); spec.Port != 27030 {
		t.Fatalf("the restart provisioned port %d", spec.Port)
	}

	// A change of the blueprint reaches the running server the same way.
	if resp := c.post("/blueprints/"+itoa(vs.ID), blueprintForm("server_cfg", "sv_lan 1\n")); resp.StatusCode != 303 {
		t.Fatalf("blueprint update: %d", resp.StatusCode)
	}
	check("after a blueprint change", true)
	c.post("/blueprints/"+itoa(vs.ID)+"/restart", nil)
	waitFor(t, "the blueprint's restart", done("vs-1"))
	check("after the blueprint's restart", false)
}

func TestAPIUpdatesAServerOrRefusesWithFields(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	storetest.Server(t, e.db, "coop-1", 27015)
	storetest.Server(t, e.db, "coop-2", 27016)
	admin, _ := e.apiAs("root", store.RoleAdmin)
	op, _ := e.apiAs("bot", store.RoleOperator)

	if code, _ := op.call("PATCH", "/api/v1/servers/coop-1", `{"title": "x"}`); code != 403 {
		t.Fatalf("an operator's PATCH: %d", code)
	}
	refusals := []struct {
		name, body, wantField string
	}{
		{"a taken port", `{"port": 27016}`, "port"},
		{"port 0", `{"port": 0}`, "port"},
		{"an unknown blueprint", `{"blueprint": "nope"}`, "blueprint"},
		{"an empty blueprint", `{"blueprint": ""}`, "blueprint"},
		{"a title with a NUL", `{"title": "a\u0000b", "port": 27020}`, "title"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			var eb apiErrorBody
			admin.callJSON("PATCH", "/api/v1/servers/coop-1", tt.body, 422, &eb)
			if eb.Fields[tt.wantField] == "" {
				t.Fatalf("fields %v lack %s", eb.Fields, tt.wantField)
			}
			if s, _ := e.db.GetServerByName(ctx, "coop-1"); s.Port != 27015 || s.Title != "coop-1" {
				t.Fatalf("a refused PATCH changed the server: %+v", s)
			}
		})
	}
	var eb apiErrorBody
	admin.callJSON("PATCH", "/api/v1/servers/coop-1", `{"name": "other"}`, 400, &eb)
	admin.callJSON("PATCH", "/api/v1/servers/nope", `{"title": "x"}`, 404, &eb)

	var out map[string]any
	admin.callJSON("PATCH", "/api/v1/servers/coop-1", `{"title": "Game night", "port": 27021}`, 200, &out)
	if out["name"] != "coop-1" || out["title"] != "Game night" || out["port"] != json.Number("27021") && out["port"] != float64(27021) ||
		out["blueprint"] != "default" || out["restart_pending"] != false {
		t.Fatalf("answer %v", out)
	}
	// A field left out keeps its value.
	admin.callJSON("PATCH", "/api/v1/servers/coop-1", `{"blueprint": "default"}`, 200, &out)
	if s, _ := e.db.GetServerByName(ctx, "coop-1"); s.Title != "Game night" || s.Port != 27021 {
		t.Fatalf("after a PATCH of the blueprint alone: %+v", s)
	}
}
