package app_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/left4me/left4me/app"
	"github.com/left4me/left4me/store"
)

// FuzzCreateAndUpdate sends one arbitrary string, in each text field in
// turn (the others valid, so that it reaches the database), to every
// endpoint that creates or updates something — the web forms and the JSON
// API — and to the lookups by name and query parameter. No answer may be
// a 5xx: whatever a client sends is stored or refused with a sentence.
// Its seeds run in make test; make fuzz fuzzes it.
func FuzzCreateAndUpdate(f *testing.F) {
	for _, s := range []string{
		"", "coop-1", "Admin", "\x00", "a\x00b", "\x1b[2J", "\u0085", "\u2028", "\u202enimda", "ad\u200bmin", "\xff\xfe",
		"hostname \"x\"\n\tsv_lan 0\r\n", strings.Repeat("é", 101), "'; DROP TABLE users; --", "%00",
		"27015", "1e30", `{"name": "x"}`, "+map\nc1m1_hotel",
	} {
		f.Add(s)
	}
	e := newEnv(f, func(o *app.Options) { o.PortRangeEnd = 65535 })
	root := e.user("root", store.RoleAdmin)
	ctx := context.Background()
	n := 0
	f.Fuzz(func(t *testing.T, s string) {
		e.t = t
		n++
		web := e.sessionFor(root)
		// A new user per run, so the API's per-user rate limit never
		// answers in the database's place.
		api, _ := e.apiAs(fmt.Sprintf("fuzz-%d", n), store.RoleAdmin)
		target := &store.Blueprint{Name: "target", Map: "c1m1_hotel", GameMode: "coop", MaxPlayers: 4}
		if err := e.db.CreateBlueprint(ctx, target); err != nil {
			t.Fatal(err)
		}
		defer func() {
			for _, q := range []string{
				`DELETE FROM servers`,
				`DELETE FROM blueprints WHERE name <> 'default'`,
				`DELETE FROM users WHERE id <> ` + itoa(root.ID),
				`DELETE FROM sessions`,
				`DELETE FROM api_tokens`,
				`DELETE FROM addon_sets`,
			} {
				if _, err := e.db.Writer().ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
		}()

		check := func(what string, code int) {
			t.Helper()
			if code >= 500 {
				t.Fatalf("%s with %q: %d", what, s, code)
			}
		}
		form := func(path string, f url.Values) {
			t.Helper()
			resp := web.post(path, f)
			resp.Body.Close()
			check("POST "+path+" "+f.Encode(), resp.StatusCode)
		}
		each := func(base url.Values, fields ...string) url.Values {
			f := url.Values{}
			for k, v := range base {
				f[k] = v
			}
			for _, k := range fields {
				f.Set(k, s)
			}
			return f
		}

		server := url.Values{"name": {"fz-1"}, "title": {"t"}, "blueprint": {"1"}, "port": {""}}
		for _, k := range []string{"name", "title", "blueprint", "port"} {
			form("/servers", each(server, k))
		}
		bp := url.Values{"name": {"fz-bp"}, "map": {"c1m1_hotel"}, "game_mode": {"coop"}, "max_players": {"4"}, "args": {"-tickrate\n100"}, "server_cfg": {"hostname x\n"}}
		for _, k := range []string{"name", "map", "game_mode", "max_players", "args", "server_cfg"} {
			form("/blueprints", each(bp, k))
			form("/blueprints/"+itoa(target.ID), each(bp, k))
		}
		form("/users", url.Values{"name": {s}, "role": {"operator"}, "password": {"long enough"}, "password_confirm": {"long enough"}})
		form("/users/"+itoa(root.ID)+"/role", url.Values{"role": {s}})
		form("/account/tokens", url.Values{"name": {s}})

		for _, body := range []any{
			map[string]string{"name": s},
			map[string]string{"name": "fz-2", "title": s},
			map[string]string{"name": "fz-3", "blueprint": s},
			s, // the raw body
		} {
			code, b := api.call("POST", "/api/v1/servers", body)
			check(fmt.Sprintf("POST /api/v1/servers %v: %s", body, b), code)
		}

		for _, path := range []string{
			"/servers/" + url.PathEscape(s), "/blueprints/" + url.PathEscape(s), "/jobs/" + url.PathEscape(s),
		} {
			resp := web.do(httptest.NewRequest("GET", path, nil))
			resp.Body.Close()
			check("GET "+path, resp.StatusCode)
		}
		// Add-on sets: names, paths, text, a blueprint's list.
		e.addonSet("fz-set", map[string]string{"cfg/a.cfg": "a"})
		form("/addon-sets", url.Values{"name": {s}})
		form("/addon-sets/fz-set/new-file", url.Values{"path": {s}})
		form("/addon-sets/fz-set/files/cfg/a.cfg", url.Values{"content": {s}})
		form("/addon-sets/fz-set/files/"+url.PathEscape(s), url.Values{"content": {"x"}})
		form("/addon-sets/fz-set/delete-file", url.Values{"path": {s}})
		form("/blueprints/"+itoa(target.ID), each(url.Values{"name": {"target"}, "map": {"c1m1_hotel"}, "game_mode": {"coop"}, "max_players": {"4"}, "addon_list": {"1"}}, "addon_sets"))
		form("/blueprints/"+itoa(target.ID), url.Values{"addon_list": {"1"}, "addon_sets": {"fz-set"}, "addon_op": {s}, "addon_add": {s}})
		for _, fields := range [][][2]string{{{"into", s}}, {{"into", "cfg"}, {s, s}}} {
			resp := web.upload("fz-set", fields, "a.cfg", []byte("x"))
			resp.Body.Close()
			check(fmt.Sprintf("upload %v", fields), resp.StatusCode)
			resp = web.upload("fz-set", fields, s, []byte(s))
			resp.Body.Close()
			check(fmt.Sprintf("upload %v named %q", fields, s), resp.StatusCode)
		}
		for _, req := range []struct {
			method, path string
			body         any
		}{
			{"POST", "/api/v1/addon-sets", map[string]string{"name": s}},
			{"POST", "/api/v1/addon-sets", s},
			{"PUT", "/api/v1/addon-sets/fz-set/files/" + url.PathEscape(s), []byte(s)},
			{"GET", "/api/v1/addon-sets/fz-set/files/" + url.PathEscape(s), nil},
			{"DELETE", "/api/v1/addon-sets/fz-set/files/" + url.PathEscape(s), nil},
			{"POST", "/api/v1/addon-sets/fz-set/archive?into=" + url.QueryEscape(s), zipOf(t, map[string]string{"cfg/z.cfg": "z"})},
			{"POST", "/api/v1/addon-sets/fz-set/archive", zipOf(t, map[string]string{s: s})},
			{"POST", "/api/v1/addon-sets/fz-set/archive", []byte(s)},
			{"PATCH", "/api/v1/blueprints/target", map[string][]string{"addon_sets": {s}}},
			{"PATCH", "/api/v1/blueprints/target", s},
			{"GET", "/api/v1/blueprints/" + url.PathEscape(s), nil},
			{"GET", "/api/v1/addon-sets/" + url.PathEscape(s), nil},
			{"GET", "/api/v1/addon-sets/" + url.PathEscape(s) + "/files", nil},
			{"DELETE", "/api/v1/addon-sets/" + url.PathEscape(s), nil},
		} {
			code, b := api.call(req.method, req.path, req.body)
			check(fmt.Sprintf("%s %s: %s", req.method, req.path, b), code)
		}
		for _, path := range []string{"/addon-sets/" + url.PathEscape(s), "/addon-sets/fz-set/files/" + url.PathEscape(s), "/addon-sets/fz-set/download/" + url.PathEscape(s)} {
			resp := web.do(httptest.NewRequest("GET", path, nil))
			resp.Body.Close()
			check("GET "+path, resp.StatusCode)
		}

		storeServer(t, e, "fz-0")
		edit := url.Values{"title": {"t"}, "blueprint": {"1"}, "port": {"1024"}}
		for _, k := range []string{"title", "blueprint", "port"} {
			form("/servers/fz-0/edit", each(edit, k))
		}
		for _, body := range []any{map[string]string{"title": s}, map[string]string{"blueprint": s}, s} {
			code, b := api.call("PATCH", "/api/v1/servers/fz-0", body)
			check(fmt.Sprintf("PATCH /api/v1/servers/fz-0 %v: %s", body, b), code)
		}
		ban := url.Values{"steam_id": {"STEAM_1:0:1"}, "name": {"n"}, "reason": {"r"}, "duration": {""}}
		for _, k := range []string{"steam_id", "name", "reason", "duration"} {
			form("/servers/fz-0/bans", each(ban, k))
			form("/servers/fz-0/unban", url.Values{"steam_id": {"STEAM_1:0:1"}})
		}
		form("/servers/fz-0/unban", url.Values{"steam_id": {s}})
		form("/servers/fz-0/console", url.Values{"command": {s}})
		for _, body := range []any{
			map[string]string{"steam_id": s}, map[string]string{"steam_id": "STEAM_1:0:2", "name": s},
			map[string]string{"steam_id": "STEAM_1:0:3", "reason": s}, map[string]string{"steam_id": "STEAM_1:0:4", "expires_at": s}, s,
		} {
			code, b := api.call("POST", "/api/v1/servers/fz-0/bans", body)
			check(fmt.Sprintf("POST /api/v1/servers/fz-0/bans %v: %s", body, b), code)
		}
		for _, req := range [][2]string{{"DELETE", "/api/v1/servers/fz-0/bans/" + url.PathEscape(s)}, {"POST", "/api/v1/servers/fz-0/players/" + url.PathEscape(s) + "/kick"}} {
			code, b := api.call(req[0], req[1], nil)
			check(fmt.Sprintf("%s %s: %s", req[0], req[1], b), code)
		}
		code, b := api.call("POST", "/api/v1/servers/fz-0/rcon", map[string]string{"command": s})
		check(fmt.Sprintf("POST /api/v1/servers/fz-0/rcon: %s", b), code)
		for _, path := range []string{
			"/servers/fz-0/bans/new?steam_id=" + url.QueryEscape(s) + "&name=" + url.QueryEscape(s),
		} {
			resp := web.do(httptest.NewRequest("GET", path, nil))
			resp.Body.Close()
			check("GET "+path, resp.StatusCode)
		}
		for _, path := range []string{
			"/api/v1/servers/" + url.PathEscape(s), "/api/v1/jobs/" + url.PathEscape(s),
			"/api/v1/servers/fz-0/history?after=" + url.QueryEscape(s), "/api/v1/servers/fz-0/log?lines=" + url.QueryEscape(s),
		} {
			code, b := api.call("GET", path, nil)
			check(fmt.Sprintf("GET %s: %s", path, b), code)
		}
	})
}

// storeServer creates a server straight through the store.
func storeServer(t *testing.T, e *env, name string) {
	t.Helper()
	if _, err := e.db.CreateServer(context.Background(), store.NewServer{Name: name, Port: 1024, BlueprintID: 1}); err != nil {
		t.Fatal(err)
	}
}
