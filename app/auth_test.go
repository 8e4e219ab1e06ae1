package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/app"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

// access is what one role gets from one route.
type access struct {
	anon, operator, admin int
	form                  url.Values // sent with a POST
	json                  string     // the body of an API request
}

// Who may use what. Anonymous browsers are sent to the login (303) or,
// for polled fragments, get 401; operators get 403 on admin routes.
// API routes (/api/v1) are called with the role's bearer token, anonymous
// with none (401). Every route of the route table must have a row.
var matrix = map[string]access{
	"GET /healthz":                    {anon: 200, operator: 200, admin: 200},
	"GET /metrics":                    {anon: 401, operator: 401, admin: 401}, // loopback or an API token only (metrics_test.go); the matrix's clients are neither
	"GET /login":                      {anon: 200, operator: 303, admin: 303},
	"POST /login":                     {anon: 401, operator: 401, admin: 401, form: url.Values{"name": {"nobody"}, "password": {"wrong"}}},
	"POST /logout":                    {anon: 303, operator: 303, admin: 303},
	"GET /setup":                      {anon: 404, operator: 404, admin: 404},
	"POST /setup":                     {anon: 404, operator: 404, admin: 404},
	"GET /":                           {anon: 303, operator: 200, admin: 200},
	"GET /servers/status":             {anon: 401, operator: 200, admin: 200},
	"POST /servers/:name/start":       {anon: 303, operator: 303, admin: 303},
	"POST /servers/:name/stop":        {anon: 303, operator: 303, admin: 303},
	"POST /servers/:name/restart":     {anon: 303, operator: 303, admin: 303},
	"POST /servers/:name/delete":      {anon: 303, operator: 403, admin: 303},
	"POST /servers/:name/layer/reset": {anon: 303, operator: 403, admin: 409}, // a start is queued
	"GET /servers/new":                {anon: 303, operator: 403, admin: 200},
	"POST /servers":                   {anon: 303, operator: 403, admin: 303, form: url.Values{"name": {"new-1"}, "blueprint": {"1"}}},
	"GET /servers/:name":              {anon: 303, operator: 200, admin: 200},
	"GET /servers/:name/edit":         {anon: 303, operator: 403, admin: 200},
	"POST /servers/:name/edit":        {anon: 303, operator: 403, admin: 303, form: url.Values{"title": {"Tuesday"}, "port": {"27016"}, "blueprint": {"1"}}},
	"GET /servers/:name/state":        {anon: 401, operator: 200, admin: 200},
	"GET /servers/:name/log":          {anon: 401, operator: 200, admin: 200},
	"GET /servers/:name/live":         {anon: 401, operator: 200, admin: 200},
	"GET /servers/:name/log.txt":      {anon: 303, operator: 200, admin: 200},
	"GET /jobs":                       {anon: 303, operator: 200, admin: 200},
	"GET /jobs/:id":                   {anon: 303, operator: 200, admin: 200},
	"GET /jobs/:id/output":            {anon: 401, operator: 200, admin: 200},
	"POST /jobs/:id/cancel":           {anon: 303, operator: 303, admin: 303},
	"POST /jobs/:id/answer":           {anon: 303, operator: 403, admin: 409, form: url.Values{"answer": {"123456"}}}, // a start job asks nothing
	"GET /game":                       {anon: 303, operator: 403, admin: 200},
	"POST /game/install":              {anon: 303, operator: 403, admin: 303},
	"POST /game/update":               {anon: 303, operator: 403, admin: 303},
	"POST /game/validate":             {anon: 303, operator: 403, admin: 303},
	"POST /game/check":                {anon: 303, operator: 403, admin: 303},
	"GET /blueprints":                 {anon: 303, operator: 403, admin: 200},
	"GET /blueprints/new":             {anon: 303, operator: 403, admin: 200},
	"POST /blueprints":                {anon: 303, operator: 403, admin: 303, form: url.Values{"name": {"versus"}, "map": {"c5m1_waterfront"}, "game_mode": {"versus"}, "max_players": {"8"}}},
	"GET /blueprints/:id":             {anon: 303, operator: 403, admin: 200},
	"POST /blueprints/:id":            {anon: 303, operator: 403, admin: 303, form: url.Values{"name": {"default"}, "map": {"c2m1_highway"}, "game_mode": {"coop"}, "max_players": {"4"}}},
	"POST /blueprints/:id/delete":     {anon: 303, operator: 403, admin: 409}, // the default blueprint stays
	"GET /users":                      {anon: 303, operator: 403, admin: 200},
	"POST /users":                     {anon: 303, operator: 403, admin: 303, form: url.Values{"name": {"dora"}, "role": {"operator"}, "password": {"long enough"}, "password_confirm": {"long enough"}}},
	"POST /users/:id/role":            {anon: 303, operator: 403, admin: 303, form: url.Values{"role": {"admin"}}},
	"POST /users/:id/disable":         {anon: 303, operator: 403, admin: 303},
	"POST /users/:id/enable":          {anon: 303, operator: 403, admin: 303},
	"POST /users/:id/password":        {anon: 303, operator: 403, admin: 303, form: url.Values{"password": {"long enough"}, "password_confirm": {"long enough"}}},
	"POST /users/:id/delete":          {anon: 303, operator: 403, admin: 303},

	"GET /account":                    {anon: 303, operator: 200, admin: 200},
	"POST /account/password":          {anon: 303, operator: 422, admin: 422, form: url.Values{"current_password": {"wrong"}, "password": {"long enough"}, "password_confirm": {"long enough"}}}, // the matrix's users have no password that matches
	"POST /account/tokens":            {anon: 303, operator: 200, admin: 200, form: url.Values{"name": {"bot"}}},
	"POST /account/tokens/:id/revoke": {anon: 303, operator: 303, admin: 303}, // the user's own token

	"POST /blueprints/:id/restart": {anon: 303, operator: 403, admin: 303}, // restarts coop-1, wanted running by the start job each case queues

	"GET /servers/:name/live/chart": {anon: 401, operator: 200, admin: 200}, // the game section's players chart
	"GET /servers/:name/resources":  {anon: 401, operator: 200, admin: 200}, // the figures and the hour's charts

	// The game over RCON; coop-1 does not run, so what needs its game is 409.
	"GET /servers/:name/console":                      {anon: 303, operator: 200, admin: 200},
	"POST /servers/:name/console":                     {anon: 303, operator: 409, admin: 409, form: url.Values{"command": {"status"}}},
	"GET /servers/:name/players":                      {anon: 401, operator: 200, admin: 200},
	"POST /servers/:name/players/:userid/kick":        {anon: 303, operator: 409, admin: 409},
	"GET /servers/:name/bans/new":                     {anon: 303, operator: 200, admin: 200},
	"POST /servers/:name/bans":                        {anon: 303, operator: 303, admin: 303, form: url.Values{"steam_id": {"STEAM_1:0:42"}}},
	"POST /servers/:name/unban":                       {anon: 303, operator: 404, admin: 404, form: url.Values{"steam_id": {"STEAM_1:0:42"}}}, // nobody is banned
	"POST /api/v1/servers/:name/rcon":                 {anon: 401, operator: 409, admin: 409, json: `{"command": "status"}`},
	"GET /api/v1/servers/:name/players":               {anon: 401, operator: 409, admin: 409},
	"POST /api/v1/servers/:name/players/:userid/kick": {anon: 401, operator: 409, admin: 409},
	"GET /api/v1/servers/:name/bans":                  {anon: 401, operator: 200, admin: 200},
	"POST /api/v1/servers/:name/bans":                 {anon: 401, operator: 201, admin: 201, json: `{"steam_id": "STEAM_1:0:42"}`},
	"DELETE /api/v1/servers/:name/bans/:steam_id":     {anon: 401, operator: 404, admin: 404}, // nobody is banned

	"GET /api/v1/servers":                {anon: 401, operator: 200, admin: 200},
	"POST /api/v1/servers":               {anon: 401, operator: 403, admin: 201, json: `{"name": "new-1"}`},
	"GET /api/v1/servers/:name":          {anon: 401, operator: 200, admin: 200},
	"DELETE /api/v1/servers/:name":       {anon: 401, operator: 403, admin: 202},
	"PATCH /api/v1/servers/:name":        {anon: 401, operator: 403, admin: 200, json: `{"title": "Tuesday"}`},
	"POST /api/v1/servers/:name/start":   {anon: 401, operator: 202, admin: 202},
	"POST /api/v1/servers/:name/stop":    {anon: 401, operator: 202, admin: 202},
	"POST /api/v1/servers/:name/restart": {anon: 401, operator: 202, admin: 202},
	"GET /api/v1/servers/:name/history":  {anon: 401, operator: 200, admin: 200},
	"GET /api/v1/servers/:name/log":      {anon: 401, operator: 200, admin: 200},
	"GET /api/v1/servers/:name/live":     {anon: 401, operator: 503, admin: 503}, // the matrix's panel runs no live sweep
	"GET /api/v1/servers/:name/samples":  {anon: 401, operator: 200, admin: 200},
	"GET /api/v1/servers/:name/layers":   {anon: 401, operator: 200, admin: 200},
	// The matrix's server has a start queued: its layer stays as it is.
	"POST /api/v1/servers/:name/layers/reset": {anon: 401, operator: 403, admin: 409},
	"GET /api/v1/jobs":                        {anon: 401, operator: 200, admin: 200},
	"GET /api/v1/jobs/:id":                    {anon: 401, operator: 200, admin: 200},
	"POST /api/v1/jobs/:id/cancel":            {anon: 401, operator: 200, admin: 200},
	"POST /api/v1/jobs/:id/answer":            {anon: 401, operator: 403, admin: 409, json: `{"answer": "123456"}`},
	"GET /api/v1/game":                        {anon: 401, operator: 200, admin: 200},
	"POST /api/v1/game/install":               {anon: 401, operator: 403, admin: 202},
	"POST /api/v1/game/update":                {anon: 401, operator: 403, admin: 202, json: `{"restart_servers": true}`},
	"POST /api/v1/game/validate":              {anon: 401, operator: 403, admin: 202},
	"POST /api/v1/game/check":                 {anon: 401, operator: 403, admin: 202},

	// Add-on sets: the matrix's set "maps" holds cfg/a.cfg and no
	// blueprint lists it.
	"GET /addon-sets":                               {anon: 303, operator: 403, admin: 200},
	"POST /addon-sets":                              {anon: 303, operator: 403, admin: 303, form: url.Values{"name": {"new-set"}}},
	"GET /addon-sets/:set":                          {anon: 303, operator: 403, admin: 200},
	"POST /addon-sets/:set/delete":                  {anon: 303, operator: 403, admin: 303},
	"POST /addon-sets/:set/upload":                  {anon: 303, operator: 403, admin: 400}, // the matrix posts no multipart form
	"POST /addon-sets/:set/new-file":                {anon: 303, operator: 403, admin: 303, form: url.Values{"path": {"cfg/new.cfg"}}},
	"POST /addon-sets/:set/delete-file":             {anon: 303, operator: 403, admin: 303, form: url.Values{"path": {"cfg/a.cfg"}}},
	"GET /addon-sets/:set/files/*":                  {anon: 303, operator: 403, admin: 200},
	"POST /addon-sets/:set/files/*":                 {anon: 303, operator: 403, admin: 303, form: url.Values{"content": {"sv_cheats 0\n"}}},
	"GET /addon-sets/:set/download/*":               {anon: 303, operator: 403, admin: 200},
	"POST /addon-sets/:set/workshop":                {anon: 303, operator: 403, admin: 303, form: url.Values{"items": {"123456789"}}},
	"POST /addon-sets/:set/workshop/refresh":        {anon: 303, operator: 403, admin: 303},
	"GET /api/v1/addon-sets":                        {anon: 401, operator: 403, admin: 200},
	"POST /api/v1/addon-sets":                       {anon: 401, operator: 403, admin: 201, json: `{"name": "new-set"}`},
	"GET /api/v1/addon-sets/:set":                   {anon: 401, operator: 403, admin: 200},
	"DELETE /api/v1/addon-sets/:set":                {anon: 401, operator: 403, admin: 204},
	"GET /api/v1/addon-sets/:set/files":             {anon: 401, operator: 403, admin: 200},
	"GET /api/v1/addon-sets/:set/files/*":           {anon: 401, operator: 403, admin: 200},
	"PUT /api/v1/addon-sets/:set/files/*":           {anon: 401, operator: 403, admin: 200, json: `"sv_cheats 0"`},
	"DELETE /api/v1/addon-sets/:set/files/*":        {anon: 401, operator: 403, admin: 200},
	"POST /api/v1/addon-sets/:set/archive":          {anon: 401, operator: 403, admin: 422, json: `{"not": "an archive"}`},
	"GET /api/v1/addon-sets/:set/workshop":          {anon: 401, operator: 403, admin: 200},
	"POST /api/v1/addon-sets/:set/workshop":         {anon: 401, operator: 403, admin: 202, json: `{"items": ["123456789"]}`},
	"POST /api/v1/addon-sets/:set/workshop/refresh": {anon: 401, operator: 403, admin: 202},
	"GET /api/v1/blueprints":                        {anon: 401, operator: 403, admin: 200},
	"GET /api/v1/blueprints/:name":                  {anon: 401, operator: 403, admin: 200},
	"PATCH /api/v1/blueprints/:name":                {anon: 401, operator: 403, admin: 200, json: `{"addon_sets": ["maps"]}`},

	// Only on the fake host: the matrix's panel says it is simulated.
	"POST /servers/:name/simulate":        {anon: 303, operator: 403, admin: 303, form: url.Values{"event": {"crash"}}},
	"POST /api/v1/servers/:name/simulate": {anon: 401, operator: 403, admin: 204, json: `{"event": "crash"}`},
}

func TestAuthorizationMatrixCoversEveryRoute(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range newEnv(t, simulated).app.GetRoutes(true) {
		if r.Method == http.MethodHead || strings.HasPrefix(r.Path, "/static/") {
			continue // HEAD mirrors GET; static files are public by design
		}
		key := r.Method + " " + r.Path
		seen[key] = true
		want, ok := matrix[key]
		if !ok {
			t.Errorf("route %s has no row in the authorization matrix", key)
			continue
		}
		for _, role := range []store.Role{"", store.RoleOperator, store.RoleAdmin} {
			wantCode := map[store.Role]int{"": want.anon, store.RoleOperator: want.operator, store.RoleAdmin: want.admin}[role]
			name := key + " as " + string(role)
			if role == "" {
				name = key + " as anonymous"
			}
			t.Run(name, func(t *testing.T) {
				e := newEnv(t, simulated)
				storetest.Server(t, e.db, "coop-1", 27015)
				job, err := e.queue.Enqueue(context.Background(), jobs.EnqueueParams{ServerName: "coop-1", Operation: store.OpStart})
				if err != nil {
					t.Fatal(err)
				}
				e.addonSet("maps", map[string]string{"cfg/a.cfg": "sv_cheats 1\n"})
				other := e.user("other", store.RoleOperator)
				c := e.as(role)
				var u *store.User
				if role != "" {
					u, err = e.db.GetUserByName(context.Background(), "u-"+string(role))
					if err != nil {
						t.Fatal(err)
					}
				}
				path := r.Path
				if strings.HasPrefix(path, "/api/v1/blueprints/") {
					path = strings.Replace(path, ":name", store.DefaultBlueprintName, 1)
				}
				path = strings.NewReplacer(":name", "coop-1", ":userid", "2", ":steam_id", "STEAM_1:0:42",
					":set", "maps", "*", "cfg/a.cfg").Replace(path)
				switch {
				case strings.Contains(path, "/jobs/"):
					path = strings.Replace(path, ":id", strconv.FormatInt(job.ID, 10), 1)
				case strings.HasPrefix(path, "/users/"):
					path = strings.Replace(path, ":id", strconv.FormatInt(other.ID, 10), 1)
				case strings.HasPrefix(path, "/account/tokens/"):
					tokenOwner := other
					if u != nil {
						tokenOwner = u
					}
					path = strings.Replace(path, ":id", strconv.FormatInt(e.tokenID(e.tokenFor(tokenOwner)), 10), 1)
				default:
					path = strings.Replace(path, ":id", "1", 1) // the default blueprint
				}
				var code int
				if strings.HasPrefix(path, "/api/") {
					api := e.api("")
					if u != nil {
						api = e.api(e.tokenFor(u))
					}
					var body any
					if want.json != "" {
						body = want.json
					}
					code, _ = api.call(r.Method, path, body)
				} else if r.Method == http.MethodGet {
					code, _ = c.get(path)
				} else {
					if role == "" {
						c.get("/login") // a pre-session CSRF token, as a browser has
					}
					form := url.Values{}
					for k, v := range want.form {
						form[k] = v
					}
					resp := c.post(path, form)
					code = resp.StatusCode
					// An action redirects when it is done too: an anonymous
					// 303 only counts when it goes to the login page.
					if role == "" && code == http.StatusSeeOther && !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
						t.Fatalf("anonymous %s %s was let through (303 to %q)", r.Method, path, resp.Header.Get("Location"))
					}
				}
				if code != wantCode {
					t.Fatalf("%s %s = %d, want %d", r.Method, path, code, wantCode)
				}
			})
		}
	}
	for key := range matrix {
		if !seen[key] {
			t.Errorf("the matrix lists %s, which is not a route", key)
		}
	}
}

func TestAnonymousPagesRedirectToTheLoginAndBack(t *testing.T) {
	e := newEnv(t)
	resp := e.anon().do(httptest.NewRequest("GET", "/servers/status", nil))
	if resp.StatusCode != 401 {
		t.Fatalf("fragment: %d", resp.StatusCode)
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("HX-Request", "true")
	if resp := e.anon().do(req); resp.StatusCode != 401 || resp.Header.Get("HX-Redirect") != "/login" {
		t.Fatalf("htmx request: %d %q", resp.StatusCode, resp.Header.Get("HX-Redirect"))
	}
	resp = e.anon().do(httptest.NewRequest("GET", "/?x=1", nil))
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/login?next="+url.QueryEscape("/?x=1") {
		t.Fatalf("page: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestFirstRunSetupCreatesTheAdminOnce(t *testing.T) {
	e := newEnv(t, func(o *app.Options) { o.SetupToken = "secret-token" })

	code, doc := e.anon().get("/login")
	if code != 200 || testid(doc, "no-users").Length() != 1 {
		t.Fatalf("login without users: %d, no hint how to start", code)
	}
	if code, _ := e.anon().get("/setup?token=wrong"); code != 404 {
		t.Fatalf("a wrong token: %d, want 404", code)
	}

	c := e.anon()
	if code, doc := c.get("/setup?token=secret-token"); code != 200 || testid(doc, "setup-form").Length() != 1 {
		t.Fatalf("setup page: %d", code)
	}
	code, doc = c.postDoc("/setup", url.Values{"token": {"secret-token"}, "name": {"ann"}, "password": {"short"}, "password_confirm": {"short"}})
	if code != 422 || testid(doc, "error-password").Length() != 1 {
		t.Fatalf("a short password: %d", code)
	}
	if v, _ := doc.Find(`input[name="name"]`).Attr("value"); v != "ann" {
		t.Errorf("the form forgot the name: %q", v)
	}
	resp := c.post("/setup", url.Values{"token": {"secret-token"}, "name": {"ann"}, "password": {"pw-ann-long"}, "password_confirm": {"pw-ann-long"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/" {
		t.Fatalf("setup: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	code, doc = c.get("/")
	if code != 200 || !strings.Contains(testid(doc, "nav-account").Text(), "ann (admin)") {
		t.Fatalf("after setup: %d %q", code, testid(doc, "nav-account").Text())
	}
	if code, _ := e.anon().get("/setup?token=secret-token"); code != 404 {
		t.Fatalf("the setup link still works after the first admin: %d", code)
	}
}

func TestLoginLogoutAndSessions(t *testing.T) {
	e := newEnv(t)
	u := e.user("bob", store.RoleOperator)
	c := e.anon()
	c.get("/login")
	preLogin := c.cookies["left4me_session"]
	resp := c.post("/login", url.Values{"name": {"bob"}, "password": {"pw-bob"}, "next": {"/servers/status"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/servers/status" {
		t.Fatalf("login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	var sc *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "left4me_session" {
			sc = ck
		}
	}
	if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Secure || sc.Value == preLogin {
		t.Fatalf("session cookie %+v", sc)
	}

	// The session lives in SQLite: a new app on the same database knows it.
	e2 := *e
	e2.app = app.New(e.opts)
	c2 := &client{e: &e2, cookies: map[string]string{"left4me_session": sc.Value}}
	if code, _ := c2.get("/"); code != 200 {
		t.Fatalf("session lost across a restart: %d", code)
	}

	// An open redirect is refused.
	c3 := e.anon()
	c3.get("/login")
	if resp := c3.post("/login", url.Values{"name": {"bob"}, "password": {"pw-bob"}, "next": {"//evil.example/"}}); resp.Header.Get("Location") != "/" {
		t.Fatalf("next=//evil.example/ redirected to %q", resp.Header.Get("Location"))
	}

	// Logging out ends the session on the server too.
	c.get("/")
	if resp := c.post("/logout", nil); resp.StatusCode != 303 {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	c2.cookies = map[string]string{"left4me_session": sc.Value}
	if code, _ := c2.get("/"); code != 303 {
		t.Fatalf("the session still works after logout: %d", code)
	}

	// A wrong password says so, keeps the name, and gives no session.
	c4 := e.anon()
	c4.get("/login")
	code, doc := c4.postDoc("/login", url.Values{"name": {"bob"}, "password": {"nope"}})
	if code != 401 || testid(doc, "form-message").Length() != 1 || c4.cookies["left4me_session"] != "" {
		t.Fatalf("wrong password: %d", code)
	}
	if v, _ := doc.Find(`input[name="name"]`).Attr("value"); v != "bob" {
		t.Errorf("the form forgot the name: %q", v)
	}
	_ = u
}

func TestADisabledUsersSessionStopsAtOnce(t *testing.T) {
	e := newEnv(t)
	e.user("root", store.RoleAdmin)
	u := e.user("bob", store.RoleOperator)
	c := e.login("bob")
	if code, _ := c.get("/"); code != 200 {
		t.Fatalf("before: %d", code)
	}
	if err := e.db.SetUserDisabled(context.Background(), u.ID, true); err != nil {
		t.Fatal(err)
	}
	if code, _ := c.get("/"); code != 303 {
		t.Fatalf("a disabled user still sees the dashboard: %d", code)
	}
	c = e.anon()
	c.get("/login")
	if resp := c.post("/login", url.Values{"name": {"bob"}, "password": {"pw-bob"}}); resp.StatusCode != 401 {
		t.Fatalf("a disabled user logged in: %d", resp.StatusCode)
	}
}

func TestPostsWithoutTheCSRFTokenAreRefusedAndChangeNothing(t *testing.T) {
	e := newEnv(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	c := e.as(store.RoleAdmin)
	for _, tc := range []struct {
		name  string
		token string
		hdr   string
	}{
		{"no token", "", ""},
		{"a wrong token", "nope", ""},
		{"a wrong header", "", "nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := url.Values{"_csrf": {tc.token}}
			req := httptest.NewRequest("POST", "/servers/coop-1/start", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tc.hdr != "" {
				req.Header.Set("X-CSRF-Token", tc.hdr)
			}
			if resp := c.do(req); resp.StatusCode != 403 {
				t.Fatalf("status %d, want 403", resp.StatusCode)
			}
			if js, _ := e.db.ListJobs(context.Background(), store.JobFilter{}); len(js) != 0 {
				t.Fatalf("a refused POST queued %d jobs", len(js))
			}
		})
	}
	// The header alone, as htmx sends it, is enough.
	req := httptest.NewRequest("POST", "/servers/coop-1/start", nil)
	req.Header.Set("X-CSRF-Token", c.csrf)
	if resp := c.do(req); resp.StatusCode != 303 {
		t.Fatalf("with the header: %d", resp.StatusCode)
	}
	// The login form needs the pre-session token too.
	a := e.anon()
	if resp := a.post("/login", url.Values{"name": {"x"}, "password": {"y"}}); resp.StatusCode != 403 {
		t.Fatalf("login without a token: %d", resp.StatusCode)
	}
}

func TestLoginIsRateLimitedPerClientAndPerUser(t *testing.T) {
	e := newEnv(t)
	e.user("bob", store.RoleOperator)
	c := e.anon()
	c.get("/login")
	for i := 0; i < 10; i++ {
		if resp := c.post("/login", url.Values{"name": {"bob"}, "password": {"wrong"}}); resp.StatusCode != 401 {
			t.Fatalf("attempt %d: %d", i+1, resp.StatusCode)
		}
	}
	code, doc := c.postDoc("/login", url.Values{"name": {"bob"}, "password": {"pw-bob"}})
	if code != 429 || !strings.Contains(testid(doc, "form-message").Text(), "Wait a minute") {
		t.Fatalf("11th attempt: %d %q", code, testid(doc, "form-message").Text())
	}
	// The client is limited whatever name it tries.
	if resp := c.post("/login", url.Values{"name": {"carol"}, "password": {"x"}}); resp.StatusCode != 429 {
		t.Fatalf("same client, another name: %d", resp.StatusCode)
	}
	e.clock.Advance(61 * time.Second)
	if resp := c.post("/login", url.Values{"name": {"bob"}, "password": {"pw-bob"}}); resp.StatusCode != 303 {
		t.Fatalf("after a minute: %d", resp.StatusCode)
	}
}

func TestCookiesAreSecureWhenConfigured(t *testing.T) {
	e := newEnv(t, func(o *app.Options) { o.SecureCookies = true })
	e.user("bob", store.RoleOperator)
	c := e.anon()
	c.get("/login")
	resp := c.post("/login", url.Values{"name": {"bob"}, "password": {"pw-bob"}})
	n := 0
	for _, ck := range resp.Cookies() {
		if ck.Name == "left4me_session" {
			n++
			if !ck.Secure || !ck.HttpOnly {
				t.Fatalf("session cookie %+v", ck)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d session cookies", n)
	}
}

func TestBehindAProxyTheLimitIsPerForwardedClient(t *testing.T) {
	e := newEnv(t, func(o *app.Options) { o.ProxyHeader = "X-Real-IP"; o.TrustedProxies = []string{"0.0.0.0"} })
	try := func(client, name string) int {
		c := e.anon()
		c.get("/login")
		form := url.Values{"name": {name}, "password": {"wrong"}, "_csrf": {c.csrf}}
		req := httptest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Real-IP", client)
		return c.do(req).StatusCode
	}
	for i := 0; i < 10; i++ {
		if code := try("192.0.2.1", "user"+strconv.Itoa(i)); code != 401 {
			t.Fatalf("attempt %d: %d", i+1, code)
		}
	}
	if code := try("192.0.2.1", "someone"); code != 429 {
		t.Fatalf("11th attempt of one client: %d", code)
	}
	if code := try("192.0.2.2", "someone"); code != 401 {
		t.Fatalf("another client behind the same proxy: %d, want its own limit", code)
	}
}
