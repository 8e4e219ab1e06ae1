package app_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/left4me/left4me/store"
)

// TestEveryTextFieldRefusesWhatItCannotStore sends each free-text field,
// through the forms and the API, what the database cannot hold or a
// reader would be fooled by: the answer is 422 with a sentence beside the
// field, and nothing is stored.
func TestEveryTextFieldRefusesWhatItCannotStore(t *testing.T) {
	bad := map[string]string{
		"a NUL byte":               "a\x00b",
		"an escape":                "a\x1b[2Jb",
		"a C1 control":             "a\u009bb",
		"a right-to-left override": "\u202ea",
		"bytes that are not UTF-8": "a\xffb",
	}
	type endpoint struct {
		name  string
		field string
		form  func(v string) (path string, f url.Values) // a web form
		api   func(v string) (path string, body any)     // or an API call
	}
	endpoints := []endpoint{
		{name: "the server form's title", field: "title", form: func(v string) (string, url.Values) {
			return "/servers", url.Values{"name": {"coop-9"}, "title": {v}, "blueprint": {"1"}}
		}},
		{name: "the API's server title", field: "title", api: func(v string) (string, any) {
			return "/api/v1/servers", map[string]string{"name": "coop-9", "title": v}
		}},
		{name: "the API's blueprint name", field: "blueprint", api: func(v string) (string, any) {
			return "/api/v1/servers", map[string]string{"name": "coop-9", "blueprint": v}
		}},
		{name: "a new blueprint's name", field: "name", form: func(v string) (string, url.Values) {
			return "/blueprints", blueprintForm("name", v)
		}},
		{name: "a new blueprint's server.cfg", field: "server_cfg", form: func(v string) (string, url.Values) {
			return "/blueprints", blueprintForm("server_cfg", "hostname x\n"+v)
		}},
		{name: "a blueprint's new name", field: "name", form: func(v string) (string, url.Values) {
			return "/blueprints/1", blueprintForm("name", v)
		}},
		{name: "a blueprint's new server.cfg", field: "server_cfg", form: func(v string) (string, url.Values) {
			return "/blueprints/1", blueprintForm("name", "default", "server_cfg", v)
		}},
		{name: "a user's name", field: "name", form: func(v string) (string, url.Values) {
			return "/users", url.Values{"name": {v}, "role": {"operator"}, "password": {"long enough"}, "password_confirm": {"long enough"}}
		}},
		{name: "a token's name", field: "name", form: func(v string) (string, url.Values) {
			return "/account/tokens", url.Values{"name": {v}}
		}},
	}
	for _, ep := range endpoints {
		for what, v := range bad {
			if ep.api != nil && !utf8.ValidString(v) {
				continue // JSON strings decode to UTF-8: invalid bytes become U+FFFD
			}
			t.Run(ep.name+" with "+what, func(t *testing.T) {
				e := newEnv(t)
				c := e.as(store.RoleAdmin)
				before := e.snapshot()
				var msg string
				if ep.form != nil {
					path, f := ep.form(v)
					code, doc := c.postDoc(path, f)
					msg = testid(doc, "error-"+ep.field).Text()
					if code != 422 || msg == "" {
						t.Fatalf("POST %s = %d, error beside %s %q; want 422 with a sentence", path, code, ep.field, msg)
					}
				} else {
					api, _ := e.apiAs("ann", store.RoleAdmin)
					path, body := ep.api(v)
					code, b := api.call("POST", path, body)
					var eb apiErrorBody
					json.Unmarshal(b, &eb)
					msg = eb.Fields[ep.field]
					if code != 422 || msg == "" {
						t.Fatalf("POST %s = %d %s; want 422 with fields.%s", path, code, b, ep.field)
					}
					before = e.snapshot() // the API client's user and token
				}
				if !strings.HasSuffix(strings.TrimSpace(msg), ".") {
					t.Errorf("%q is not a sentence", msg)
				}
				if after := e.snapshot(); after != before {
					t.Fatalf("a refusal stored something: %s, then %s", before, after)
				}
			})
		}
	}
}

// snapshot is what the endpoints above write: servers, blueprints, users
// and tokens.
func (e *env) snapshot() string {
	e.t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT group_concat(name || '|' || title, ',') FROM servers`,
		`SELECT group_concat(name || '|' || server_cfg, ',') FROM blueprints`,
		`SELECT group_concat(name, ',') FROM users`,
		`SELECT group_concat(name, ',') FROM api_tokens`,
	} {
		var s *string
		if err := e.db.Writer().DB.QueryRowContext(context.Background(), q).Scan(&s); err != nil {
			e.t.Fatal(err)
		}
		if s != nil {
			b.WriteString(*s)
		}
		b.WriteString(";")
	}
	return b.String()
}

func TestServerCfgKeepsTabsAndLineBreaks(t *testing.T) {
	e := newEnv(t)
	c := e.as(store.RoleAdmin)
	cfg := "hostname \"Friday\"\n\tsv_lan 0\nsv_tags \"a\u200bb\"\n"
	if resp := c.post("/blueprints", blueprintForm("server_cfg", strings.ReplaceAll(cfg, "\n", "\r\n"))); resp.StatusCode != 303 {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	bp, err := e.db.GetBlueprintByName(context.Background(), "versus")
	if err != nil || bp.ServerCfg != cfg {
		t.Fatalf("stored %q, %v; want %q", bp.ServerCfg, err, cfg)
	}
}

// TestLookupsByTextThatCannotExistFindNothing: a name in a lookup that no
// row can have is a 404 or a refusal, never the database's error.
func TestLookupsByTextThatCannotExistFindNothing(t *testing.T) {
	e := newEnv(t)
	e.user("ann", store.RoleAdmin)
	c := e.anon()
	c.get("/login")
	code, doc := c.postDoc("/login", url.Values{"name": {"an\x00n"}, "password": {"pw-ann"}})
	if code >= 500 || testid(doc, "form-message").Length() != 1 {
		t.Fatalf("a login name with NUL: %d", code)
	}
	api, _ := e.apiAs("bob", store.RoleAdmin)
	if code, b := api.call("POST", "/api/v1/servers", map[string]string{"name": "x-1", "blueprint": "de\x00fault"}); code != 422 {
		t.Fatalf("a blueprint name with NUL: %d %s", code, b)
	}
}
