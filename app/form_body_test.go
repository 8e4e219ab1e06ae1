package app_test

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

// rows is what a refused form must leave as it was: the users with their
// password hashes and tokens, the blueprints, the servers and the jobs.
func (e *env) rows(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	users, err := e.db.ListUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := fmt.Sprintf("users %+v\n", users)
	for _, u := range users {
		toks, err := e.db.ListAPITokens(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		s += fmt.Sprintf("tokens of %s %+v\n", u.Name, toks)
	}
	bps, err := e.db.ListBlueprints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srvs, err := e.db.ListServers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	js, err := e.db.ListJobs(ctx, store.JobFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return s + fmt.Sprintf("blueprints %+v\nservers %+v\njobs %+v\n", bps, srvs, js)
}

// A form's fields in the query string (POST /login?name=…&password=…) would
// put passwords and tokens in access logs and browser history: the panel
// reads them from the body only, so such a form is refused as if its
// fields were missing, and the same fields in the body do what they say.
func TestFormFieldsComeFromTheBodyNeverTheQuery(t *testing.T) {
	tests := []struct {
		name     string
		path     string
		fields   url.Values
		wantDone int // the answer with the fields in the body
	}{
		{"a login", "/login", url.Values{"name": {"bob"}, "password": {"pw-bob"}}, http.StatusSeeOther},
		{"a new user", "/users", url.Values{"name": {"carol"}, "role": {"operator"},
			"password": {"pw-carol-long"}, "password_confirm": {"pw-carol-long"}}, http.StatusSeeOther},
		{"a password reset", "/users/:bob/password", url.Values{"password": {"pw-bob-new-1"}, "password_confirm": {"pw-bob-new-1"}}, http.StatusSeeOther},
		{"a role", "/users/:bob/role", url.Values{"role": {"admin"}}, http.StatusSeeOther},
		{"a new server", "/servers", url.Values{"name": {"coop-2"}, "title": {"Coop two"}, "blueprint": {"1"}, "port": {"27016"}}, http.StatusSeeOther},
		{"a new API token", "/account/tokens", url.Values{"name": {"ci"}}, http.StatusOK},
		{"a blueprint", "/blueprints/1", blueprintForm("name", "default"), http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			storetest.Server(t, e.db, "coop-1", 27015)
			bob := e.user("bob", store.RoleOperator)
			c := e.as(store.RoleAdmin)
			if tt.path == "/login" {
				c = e.anon()
				c.get("/login")
			}
			path := strings.ReplaceAll(tt.path, ":bob", itoa(bob.ID))
			before := e.rows(t)

			missing := c.post(path, nil).StatusCode
			if missing < 400 || missing >= 500 {
				t.Fatalf("without the fields: %d, want a refusal", missing)
			}
			if got := c.post(path+"?"+tt.fields.Encode(), nil).StatusCode; got != missing {
				t.Errorf("the fields in the query string: %d, want %d as without them", got, missing)
			}
			if tt.path == "/login" && c.cookies["left4me_session"] != "" {
				t.Error("the fields in the query string logged in")
			}
			if after := e.rows(t); after != before {
				t.Errorf("the fields in the query string changed the rows:\nbefore %s\nafter  %s", before, after)
			}

			if got := c.post(path, tt.fields).StatusCode; got != tt.wantDone {
				t.Fatalf("the same fields in the body: %d, want %d", got, tt.wantDone)
			}
			if tt.path != "/login" && e.rows(t) == before {
				t.Error("the same fields in the body changed nothing")
			}
			if tt.path == "/login" && c.cookies["left4me_session"] == "" {
				t.Error("the same fields in the body did not log in")
			}
		})
	}
}

// The way back after an action comes from the form body too.
func TestAnActionsWayBackComesFromTheBody(t *testing.T) {
	e := newEnv(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	c := e.as(store.RoleOperator)
	if loc := c.post("/servers/coop-1/restart?back=%2Fservers%2Fcoop-1", nil).Header.Get("Location"); loc == "/servers/coop-1" {
		t.Errorf("a back in the query string was followed")
	}
	if loc := c.post("/servers/coop-1/restart", url.Values{"back": {"/servers/coop-1"}}).Header.Get("Location"); loc != "/servers/coop-1" {
		t.Errorf("a back in the body: Location %q, want /servers/coop-1", loc)
	}
}

// c.FormValue also reads the query string, so a handler added later that
// calls it would take a password from a URL again: every handler reads
// its fields with bodyFormValue.
func TestNoHandlerCallsFormValue(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "FormValue" {
				t.Errorf("%s: FormValue reads the query string too; use bodyFormValue", fset.Position(sel.Pos()))
			}
			return true
		})
	}
}
