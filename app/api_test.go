package app_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

// tokenSeq makes every test token different.
var tokenSeq atomic.Int64

// tokenFor stores a new API token of u, straight through the store, and
// returns it.
func (e *env) tokenFor(u *store.User) string {
	e.t.Helper()
	n := tokenSeq.Add(1)
	tok := fmt.Sprintf("l4m_%043d", n)
	if _, err := e.db.CreateAPIToken(context.Background(), u.ID, fmt.Sprint("test ", n), store.HashAPIToken(tok), tok[:8]); err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// tokenID is the id of a stored token.
func (e *env) tokenID(token string) int64 {
	e.t.Helper()
	t, err := e.db.GetAPITokenByHash(context.Background(), store.HashAPIToken(token))
	if err != nil {
		e.t.Fatal(err)
	}
	return t.ID
}

// apiClient is a script calling the API with a bearer token ("" sends
// none) and, optionally, cookies (which must not count).
type apiClient struct {
	e       *env
	token   string
	cookies map[string]string
}

func (e *env) api(token string) *apiClient { return &apiClient{e: e, token: token} }

// apiAs is a client with a token of a new user of role.
func (e *env) apiAs(name string, role store.Role) (*apiClient, *store.User) {
	e.t.Helper()
	u, err := e.db.CreateUser(context.Background(), name, "not-a-hash", role)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.api(e.tokenFor(u)), u
}

// call sends a request: body nil for none, a string as raw JSON, anything
// else marshalled. It returns the status and the body.
func (a *apiClient) call(method, path string, body any) (int, []byte) {
	a.e.t.Helper()
	resp := a.send(method, path, body, "application/json")
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		a.e.t.Fatal(err)
	}
	return resp.StatusCode, b
}

func (a *apiClient) send(method, path string, body any, contentType string) *http.Response {
	a.e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	case io.Reader:
		r = b
	default:
		js, err := json.Marshal(b)
		if err != nil {
			a.e.t.Fatal(err)
		}
		r = bytes.NewReader(js)
	}
	req := httptest.NewRequest(method, path, r)
	if req.ContentLength < 0 { // a reader of unknown length
		req.TransferEncoding = []string{"chunked"}
	}
	if body != nil && contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	for k, v := range a.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := a.e.app.Test(req, -1)
	if err != nil {
		a.e.t.Fatal(err)
	}
	return resp
}

// callJSON is call, decoding the answer into out; it fails the test
// unless the status is want.
func (a *apiClient) callJSON(method, path string, body any, want int, out any) {
	a.e.t.Helper()
	code, b := a.call(method, path, body)
	if code != want {
		a.e.t.Fatalf("%s %s = %d, want %d: %s", method, path, code, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			a.e.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

// apiErrorBody is the JSON of an error answer.
type apiErrorBody struct {
	Error  string            `json:"error"`
	Fields map[string]string `json:"fields"`
}

type apiServer struct {
	Name         string `json:"name"`
	Title        string `json:"title"`
	Port         int    `json:"port"`
	Blueprint    string `json:"blueprint"`
	DesiredState string `json:"desired_state"`
	ActualState  string `json:"actual_state"`
	// RestartPending: see app/api_json.go.
	RestartPending bool `json:"restart_pending"`
	Systemd        struct {
		Active string `json:"active"`
		Sub    string `json:"sub"`
		Result string `json:"result"`
	} `json:"systemd"`
	ActualStateUpdatedAt *time.Time `json:"actual_state_updated_at"`
}

type apiJob struct {
	ID        int64      `json:"id"`
	Server    string     `json:"server"`
	Operation string     `json:"operation"`
	State     string     `json:"state"`
	CreatedAt *time.Time `json:"created_at"`
	Lines     []struct {
		Seq  int64  `json:"seq"`
		Text string `json:"text"`
	} `json:"lines"`
	After int64 `json:"after"`
}

// counts is how many servers and jobs exist: a refused request changes
// neither.
func (e *env) counts() string {
	e.t.Helper()
	ss, err := e.db.ListServers(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	js, err := e.db.ListJobs(context.Background(), store.JobFilter{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	names := make([]string, len(ss))
	for i, s := range ss {
		names[i] = s.Name + ":" + string(s.DesiredState)
	}
	return fmt.Sprintf("servers %v, %d jobs", names, len(js))
}

func TestAPIRefusesRequestsWithoutAWorkingToken(t *testing.T) {
	e := newEnv(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	admin, adminUser := e.apiAs("ann", store.RoleAdmin)
	_, bob := e.apiAs("bob", store.RoleOperator)
	revoked := e.tokenFor(adminUser)
	if err := e.db.RevokeAPIToken(context.Background(), adminUser.ID, e.tokenID(revoked)); err != nil {
		t.Fatal(err)
	}
	disabled := e.tokenFor(bob)
	if err := e.db.SetUserDisabled(context.Background(), bob.ID, true); err != nil {
		t.Fatal(err)
	}
	browser := e.sessionFor(adminUser) // a logged-in admin's cookies

	tests := []struct {
		name   string
		client *apiClient
		header string
	}{
		{"no token", e.api(""), ""},
		{"another scheme", e.api(""), "Basic YW5uOnB3"},
		{"an empty bearer", e.api(""), "Bearer "},
		{"a guessed token", e.api("l4m_" + strings.Repeat("A", 43)), ""},
		{"a malformed token", e.api("not-a-token"), ""},
		{"a revoked token", e.api(revoked), ""},
		{"a disabled user's token", e.api(disabled), ""},
		{"an admin's session cookie alone", &apiClient{e: e, cookies: browser.cookies}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.counts()
			for _, req := range []struct{ method, path, body string }{
				{"GET", "/api/v1/servers", ""},
				{"POST", "/api/v1/servers", `{"name": "evil"}`},
				{"POST", "/api/v1/servers/coop-1/start", ""},
				{"DELETE", "/api/v1/servers/coop-1", ""},
			} {
				var body any
				if req.body != "" {
					body = req.body
				}
				r := httptest.NewRequest(req.method, req.path, nil)
				if body != nil {
					r = httptest.NewRequest(req.method, req.path, strings.NewReader(req.body))
					r.Header.Set("Content-Type", "application/json")
				}
				if tt.client.token != "" {
					r.Header.Set("Authorization", "Bearer "+tt.client.token)
				}
				if tt.header != "" {
					r.Header.Set("Authorization", tt.header)
				}
				for k, v := range tt.client.cookies {
					r.AddCookie(&http.Cookie{Name: k, Value: v})
				}
				r.Header.Set("X-CSRF-Token", browser.csrf)
				resp, err := e.app.Test(r, -1)
				if err != nil {
					t.Fatal(err)
				}
				var eb apiErrorBody
				json.NewDecoder(resp.Body).Decode(&eb)
				resp.Body.Close()
				if resp.StatusCode != 401 || eb.Error == "" || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Fatalf("%s %s = %d %+v (WWW-Authenticate %q), want 401 with a JSON error",
						req.method, req.path, resp.StatusCode, eb, resp.Header.Get("WWW-Authenticate"))
				}
				if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Fatalf("Content-Type %q", ct)
				}
			}
			if after := e.counts(); after != before {
				t.Fatalf("a refused request changed something: %s, then %s", before, after)
			}
		})
	}

	// The working token still works, and needs no CSRF token.
	admin.callJSON("POST", "/api/v1/servers/coop-1/start", nil, 202, nil)
}

func TestAPITokenCarriesItsUsersRoleNotTheCookies(t *testing.T) {
	e := newEnv(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	op, _ := e.apiAs("bob", store.RoleOperator)
	admin := e.as(store.RoleAdmin)
	op.cookies = admin.cookies // an admin's browser running an operator's script
	before := e.counts()
	if code, b := op.call("POST", "/api/v1/servers", `{"name": "new-1"}`); code != 403 || !strings.Contains(string(b), "admin") {
		t.Fatalf("operator create = %d %s, want 403", code, b)
	}
	if code, _ := op.call("DELETE", "/api/v1/servers/coop-1", nil); code != 403 {
		t.Fatalf("operator delete = %d, want 403", code)
	}
	if after := e.counts(); after != before {
		t.Fatalf("a refused request changed something: %s, then %s", before, after)
	}
	var list struct {
		Servers []apiServer `json:"servers"`
	}
	op.callJSON("GET", "/api/v1/servers", nil, 200, &list)
	if len(list.Servers) != 1 {
		t.Fatalf("operators see every server: %+v", list)
	}
}

func TestAPIListsAndShowsServers(t *testing.T) {
	e := newEnv(t)
	storetest.Server(t, e.db, "vs-2", 27016)
	storetest.Server(t, e.db, "coop-1", 27015)
	op, _ := e.apiAs("bob", store.RoleOperator)

	var list struct {
		Servers []apiServer `json:"servers"`
	}
	op.callJSON("GET", "/api/v1/servers", nil, 200, &list)
	if len(list.Servers) != 2 || list.Servers[0].Name != "coop-1" || list.Servers[1].Name != "vs-2" {
		t.Fatalf("list %+v", list)
	}
	var raw map[string]any
	op.callJSON("GET", "/api/v1/servers/coop-1", nil, 200, &raw)
	for _, k := range []string{"name", "title", "port", "blueprint", "desired_state", "actual_state", "systemd", "actual_state_updated_at"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("the server has no field %q: %v", k, raw)
		}
	}
	sd, _ := raw["systemd"].(map[string]any)
	for _, k := range []string{"active", "sub", "result"} {
		if _, ok := sd[k]; !ok {
			t.Errorf("systemd has no field %q: %v", k, sd)
		}
	}
	if raw["blueprint"] != "default" || raw["port"] != float64(27015) || raw["desired_state"] != "stopped" || raw["actual_state"] != "unknown" {
		t.Errorf("server %v", raw)
	}
	if raw["actual_state_updated_at"] != nil {
		t.Errorf("a server never checked has actual_state_updated_at %v, want null", raw["actual_state_updated_at"])
	}

	for _, path := range []string{"/api/v1/servers/nope", "/api/v1/servers/..%2F..%2Fetc", "/api/v1/servers/nope/history", "/api/v1/jobs/999", "/api/v1/jobs/x"} {
		var eb apiErrorBody
		op.callJSON("GET", path, nil, 404, &eb)
		if eb.Error == "" {
			t.Errorf("%s: no error sentence", path)
		}
	}
}

func TestAPICreatesServersWithDefaults(t *testing.T) {
	e := newEnv(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	admin, _ := e.apiAs("ann", store.RoleAdmin)
	if _, err := e.db.Writer().NewInsert().Model(&store.Blueprint{Name: "versus", Map: "c5m1_waterfront", GameMode: "versus",
		MaxPlayers: 8, Args: []string{}, CreatedAt: store.NewTime(e.clock.Now()), UpdatedAt: store.NewTime(e.clock.Now())}).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}

	resp := admin.send("POST", "/api/v1/servers", `{"name": "coop-2"}`, "application/json")
	var s apiServer
	json.NewDecoder(resp.Body).Decode(&s)
	resp.Body.Close()
	if resp.StatusCode != 201 || resp.Header.Get("Location") != "/api/v1/servers/coop-2" {
		t.Fatalf("create = %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if s.Name != "coop-2" || s.Blueprint != "default" || s.Port != 27016 || s.DesiredState != "stopped" {
		t.Fatalf("created %+v, want the default blueprint and the lowest free port", s)
	}

	admin.callJSON("POST", "/api/v1/servers", map[string]any{"name": "vs-1", "title": "Versus night", "blueprint": "versus", "port": 27100}, 201, &s)
	if s.Title != "Versus night" || s.Blueprint != "versus" || s.Port != 27100 {
		t.Fatalf("created %+v", s)
	}
	admin.callJSON("POST", "/api/v1/servers", `{"name": "x-1", "port": null}`, 201, &s)
	if s.Port != 27017 {
		t.Fatalf("port null: %+v, want the lowest free port", s)
	}
	if got, err := e.db.GetServerByName(context.Background(), "vs-1"); err != nil || got.Port != 27100 {
		t.Fatalf("stored %+v %v", got, err)
	}
}

func TestAPIBadRequestsAreRefusedAndChangeNothing(t *testing.T) {
	e := newEnv(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	admin, _ := e.apiAs("ann", store.RoleAdmin)
	big := `{"name": "big-1", "title": "` + strings.Repeat("x", 70<<10) + `"}`
	tests := []struct {
		name        string
		method      string
		path        string
		body        string
		contentType string
		wantCode    int
		wantField   string // for 422
	}{
		{"a path in the name", "POST", "/api/v1/servers", `{"name": "../x"}`, "", 422, "name"},
		{"an upper-case name", "POST", "/api/v1/servers", `{"name": "Coop"}`, "", 422, "name"},
		{"a name with a space", "POST", "/api/v1/servers", `{"name": "my server"}`, "", 422, "name"},
		{"a shell command as name", "POST", "/api/v1/servers", `{"name": "x;rm -rf /"}`, "", 422, "name"},
		{"a name with a newline", "POST", "/api/v1/servers", `{"name": "x\nExecStart=/bin/sh"}`, "", 422, "name"},
		{"a leading dash", "POST", "/api/v1/servers", `{"name": "-x"}`, "", 422, "name"},
		{"a non-ASCII name", "POST", "/api/v1/servers", `{"name": "café"}`, "", 422, "name"},
		{"a name of 33 characters", "POST", "/api/v1/servers", `{"name": "` + strings.Repeat("a", 33) + `"}`, "", 422, "name"},
		{"no name", "POST", "/api/v1/servers", `{"title": "x"}`, "", 422, "name"},
		{"a reserved name", "POST", "/api/v1/servers", `{"name": "new"}`, "", 422, "name"},
		{"a name in use", "POST", "/api/v1/servers", `{"name": "coop-1"}`, "", 422, "name"},
		{"a port below 1024", "POST", "/api/v1/servers", `{"name": "p-1", "port": 80}`, "", 422, "port"},
		{"a port above 65535", "POST", "/api/v1/servers", `{"name": "p-1", "port": 70000}`, "", 422, "port"},
		{"a negative port", "POST", "/api/v1/servers", `{"name": "p-1", "port": -1}`, "", 422, "port"},
		{"port 0", "POST", "/api/v1/servers", `{"name": "p-1", "port": 0}`, "", 422, "port"},
		{"a port in use", "POST", "/api/v1/servers", `{"name": "p-1", "port": 27015}`, "", 422, "port"},
		{"an unknown blueprint", "POST", "/api/v1/servers", `{"name": "p-1", "blueprint": "nope"}`, "", 422, "blueprint"},
		{"a long title", "POST", "/api/v1/servers", `{"name": "p-1", "title": "` + strings.Repeat("t", 101) + `"}`, "", 422, "title"},
		{"a port as a string", "POST", "/api/v1/servers", `{"name": "p-1", "port": "27016"}`, "", 400, ""},
		{"a fractional port", "POST", "/api/v1/servers", `{"name": "p-1", "port": 27016.5}`, "", 400, ""},
		{"a huge port", "POST", "/api/v1/servers", `{"name": "p-1", "port": 1e30}`, "", 400, ""},
		{"an unknown field", "POST", "/api/v1/servers", `{"name": "p-1", "admin": true}`, "", 400, ""},
		{"a field in other case", "POST", "/api/v1/servers", `{"Name": "p-1", "nmae": "x"}`, "", 400, ""},
		{"two JSON values", "POST", "/api/v1/servers", `{"name": "p-1"} {"name": "p-2"}`, "", 400, ""},
		{"trailing garbage", "POST", "/api/v1/servers", `{"name": "p-1"}]`, "", 400, ""},
		{"an array", "POST", "/api/v1/servers", `[{"name": "p-1"}]`, "", 400, ""},
		{"broken JSON", "POST", "/api/v1/servers", `{"name": "p-1"`, "", 400, ""},
		{"not JSON", "POST", "/api/v1/servers", `name=p-1`, "", 400, ""},
		{"no body", "POST", "/api/v1/servers", ``, "", 400, ""},
		{"a form content type", "POST", "/api/v1/servers", `{"name": "p-1"}`, "application/x-www-form-urlencoded", 415, ""},
		{"a text content type", "POST", "/api/v1/servers", `{"name": "p-1"}`, "text/plain", 415, ""},
		{"a body over 64 KiB", "POST", "/api/v1/servers", big, "", 413, ""},
		{"a start with an unknown field", "POST", "/api/v1/servers/coop-1/start", `{"force": true}`, "", 400, ""},
		{"a start with an oversized body", "POST", "/api/v1/servers/coop-1/start", big, "", 413, ""},
		{"a start of a missing server", "POST", "/api/v1/servers/nope/start", ``, "", 404, ""},
		{"a start of a hostile name", "POST", "/api/v1/servers/..%2F..%2Fetc%2Fpasswd/start", ``, "", 404, ""},
		{"a delete of a missing server", "DELETE", "/api/v1/servers/nope", ``, "", 404, ""},
		{"a cancel of a missing job", "POST", "/api/v1/jobs/999/cancel", ``, "", 404, ""},
		{"a job with a negative after", "GET", "/api/v1/jobs/1?after=-1", ``, "", 400, ""},
		{"an unknown endpoint", "GET", "/api/v1/nope", ``, "", 404, ""},
		{"an unknown version", "GET", "/api/v2/servers", ``, "", 404, ""},
		{"a wrong method", "PUT", "/api/v1/servers/coop-1", `{}`, "", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.counts()
			ct := tt.contentType
			if ct == "" {
				ct = "application/json"
			}
			var body any
			if tt.body != "" {
				body = tt.body
			}
			resp := admin.send(tt.method, tt.path, body, ct)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var eb apiErrorBody
			if err := json.Unmarshal(b, &eb); err != nil || eb.Error == "" {
				t.Fatalf("%d, not a JSON error: %s", resp.StatusCode, b)
			}
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("%d %s, want %d", resp.StatusCode, b, tt.wantCode)
			}
			if tt.wantField != "" && eb.Fields[tt.wantField] == "" {
				t.Fatalf("no error for field %q: %s", tt.wantField, b)
			}
			if tt.wantCode != 422 && len(eb.Fields) > 0 {
				t.Fatalf("fields on a %d: %s", tt.wantCode, b)
			}
			if after := e.counts(); after != before {
				t.Fatalf("a refused request changed something: %s, then %s", before, after)
			}
		})
	}
}

func TestAPIJobsCanBeFollowedAndCancelled(t *testing.T) {
	e := newEnv(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	op, _ := e.apiAs("bob", store.RoleOperator)

	var j apiJob
	resp := op.send("POST", "/api/v1/servers/coop-1/restart", nil, "")
	json.NewDecoder(resp.Body).Decode(&j)
	resp.Body.Close()
	if resp.StatusCode != 202 || j.ID == 0 || j.Operation != "restart" || j.State != "queued" || j.CreatedAt == nil ||
		resp.Header.Get("Location") != "/api/v1/jobs/"+itoa(j.ID) {
		t.Fatalf("restart = %d %+v %q", resp.StatusCode, j, resp.Header.Get("Location"))
	}
	var again apiJob
	op.callJSON("POST", "/api/v1/servers/coop-1/restart", "{}", 202, &again)
	if again.ID != j.ID {
		t.Fatalf("a second restart while one is queued made job %d, want %d", again.ID, j.ID)
	}
	var cancelled apiJob
	op.callJSON("POST", "/api/v1/jobs/"+itoa(j.ID)+"/cancel", nil, 200, &cancelled)
	if cancelled.State != "cancelled" {
		t.Fatalf("cancelled %+v", cancelled)
	}
	var eb apiErrorBody
	op.callJSON("POST", "/api/v1/jobs/"+itoa(j.ID)+"/cancel", nil, 409, &eb)
	if !strings.Contains(eb.Error, "finished") {
		t.Fatalf("cancel twice: %+v", eb)
	}
}

// startRunner runs the env's jobs with one worker until the test ends.
func (e *env) startRunner(t *testing.T) {
	// As serve does: starts run on the current game build with their
	// blueprints' add-on sets.
	r := jobs.NewRunner(jobs.RunnerOpts{Queue: e.queue, Backend: e.backend, Workers: 1, PollerInterval: -1, Logger: e.opts.Logger,
		Build: func(ctx context.Context) (string, error) { return hostbackend.CurrentBuild(ctx, e.backend) },
		Sets:  e.opts.Addons.Resolve, SetsGC: e.opts.Addons.GC, Addons: e.opts.Addons})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Start(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// follow polls a job through the API until it has finished, and returns
// it with every output line.
func (a *apiClient) follow(t *testing.T, id int64) apiJob {
	t.Helper()
	var all apiJob
	after := int64(0)
	waitFor(t, fmt.Sprintf("job %d to finish", id), func() bool {
		var j apiJob
		a.callJSON("GET", fmt.Sprintf("/api/v1/jobs/%d?after=%d", id, after), nil, 200, &j)
		for _, l := range j.Lines {
			if l.Seq <= after {
				t.Fatalf("line %d sent again after %d", l.Seq, after)
			}
		}
		all.Lines = append(all.Lines, j.Lines...)
		after = j.After
		lines := all.Lines
		all = j
		all.Lines = lines
		return j.State == "succeeded" || j.State == "failed" || j.State == "cancelled"
	})
	return all
}

func TestAPIScriptCreatesStartsStopsAndDeletesAServer(t *testing.T) {
	e := newEnv(t)
	e.startRunner(t)
	admin, _ := e.apiAs("ann", store.RoleAdmin)

	var s apiServer
	admin.callJSON("POST", "/api/v1/servers", `{"name": "coop-1", "title": "Co-op"}`, 201, &s)

	var j apiJob
	admin.callJSON("POST", "/api/v1/servers/coop-1/start", nil, 202, &j)
	if done := admin.follow(t, j.ID); done.State != "succeeded" || len(done.Lines) == 0 {
		t.Fatalf("start job: %+v", done)
	}
	var last apiJob
	admin.callJSON("GET", fmt.Sprintf("/api/v1/jobs/%d?after=%d", j.ID, 1<<40), nil, 200, &last)
	if len(last.Lines) != 0 {
		t.Fatalf("?after= past the end gave lines: %+v", last.Lines)
	}
	admin.callJSON("GET", "/api/v1/servers/coop-1", nil, 200, &s)
	if s.ActualState != "running" || s.DesiredState != "running" || s.Systemd.Active != "active" || s.ActualStateUpdatedAt == nil {
		t.Fatalf("after start: %+v", s)
	}

	admin.callJSON("POST", "/api/v1/servers/coop-1/stop", nil, 202, &j)
	if done := admin.follow(t, j.ID); done.State != "succeeded" {
		t.Fatalf("stop job: %+v", done)
	}
	admin.callJSON("GET", "/api/v1/servers/coop-1", nil, 200, &s)
	if s.ActualState != "stopped" || s.DesiredState != "stopped" {
		t.Fatalf("after stop: %+v", s)
	}

	var hist struct {
		Server  string `json:"server"`
		History []struct {
			At       *time.Time `json:"at"`
			OldState string     `json:"old_state"`
			NewState string     `json:"new_state"`
			Reason   string     `json:"reason"`
		} `json:"history"`
	}
	admin.callJSON("GET", "/api/v1/servers/coop-1/history", nil, 200, &hist)
	if len(hist.History) < 2 || hist.History[0].NewState != "stopped" || hist.History[0].Reason == "" || hist.History[0].At == nil {
		t.Fatalf("history %+v", hist)
	}

	resp := admin.send("DELETE", "/api/v1/servers/coop-1", nil, "")
	json.NewDecoder(resp.Body).Decode(&j)
	resp.Body.Close()
	if resp.StatusCode != 202 || j.Operation != "delete" {
		t.Fatalf("delete = %d %+v", resp.StatusCode, j)
	}
	if done := admin.follow(t, j.ID); done.State != "succeeded" {
		t.Fatalf("delete job: %+v", done)
	}
	admin.callJSON("GET", "/api/v1/servers/coop-1", nil, 404, nil)
	var list struct {
		Servers []apiServer `json:"servers"`
	}
	admin.callJSON("GET", "/api/v1/servers", nil, 200, &list)
	if len(list.Servers) != 0 {
		t.Fatalf("servers after delete: %+v", list)
	}
}

func TestAPIRateLimitIsPerUserWhateverTheTokens(t *testing.T) {
	e := newEnv(t)
	ann, annUser := e.apiAs("ann", store.RoleAdmin)
	bob, _ := e.apiAs("bob", store.RoleOperator)
	// ann's burst, spread over three tokens, is still one burst.
	anns := []*apiClient{ann, e.api(e.tokenFor(annUser)), e.api(e.tokenFor(annUser))}
	for i := 0; i < 60; i++ {
		if code, b := anns[i%3].call("GET", "/api/v1/servers", nil); code != 200 {
			t.Fatalf("request %d: %d %s", i+1, code, b)
		}
	}
	fresh := e.api(e.tokenFor(annUser))
	resp := fresh.send("GET", "/api/v1/servers", nil, "")
	var eb apiErrorBody
	json.NewDecoder(resp.Body).Decode(&eb)
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" || !strings.Contains(eb.Error, "Too many requests from your account") {
		t.Fatalf("61st request, with a new token: %d, Retry-After %q, %+v", resp.StatusCode, resp.Header.Get("Retry-After"), eb)
	}
	if code, _ := bob.call("GET", "/api/v1/servers", nil); code != 200 {
		t.Fatalf("another user was limited too: %d", code)
	}
	e.clock.Advance(500 * time.Millisecond) // 120 a minute: one more every half second
	if code, _ := ann.call("GET", "/api/v1/servers", nil); code != 200 {
		t.Fatalf("after half a second: %d", code)
	}
	if code, _ := ann.call("GET", "/api/v1/servers", nil); code != 429 {
		t.Fatalf("the refill gave more than one request: %d", code)
	}
	e.clock.Advance(time.Minute)
	for i := 0; i < 60; i++ {
		if code, _ := ann.call("GET", "/api/v1/servers", nil); code != 200 {
			t.Fatalf("after a minute, request %d: %d", i+1, code)
		}
	}
}

func TestAPITokenLastUsedIsWrittenAtMostOnceAMinute(t *testing.T) {
	e := newEnv(t)
	ann, _ := e.apiAs("ann", store.RoleAdmin)
	lastUsed := func() time.Time {
		tok, err := e.db.GetAPITokenByHash(context.Background(), store.HashAPIToken(ann.token))
		if err != nil {
			t.Fatal(err)
		}
		return tok.LastUsedAt.Time
	}
	if !lastUsed().IsZero() {
		t.Fatal("a new token has been used")
	}
	t0 := store.NewTime(e.clock.Now()).Time
	ann.callJSON("GET", "/api/v1/servers", nil, 200, nil)
	if !lastUsed().Equal(t0) {
		t.Fatalf("last used %s, want %s", lastUsed(), t0)
	}
	e.clock.Advance(30 * time.Second)
	ann.callJSON("GET", "/api/v1/servers", nil, 200, nil)
	if !lastUsed().Equal(t0) {
		t.Fatalf("written again within the minute: %s", lastUsed())
	}
	e.clock.Advance(31 * time.Second)
	ann.callJSON("GET", "/api/v1/servers", nil, 200, nil)
	if want := store.NewTime(e.clock.Now()).Time; !lastUsed().Equal(want) {
		t.Fatalf("last used %s, want %s", lastUsed(), want)
	}
}

func TestAccountPageCreatesShowsOnceAndRevokesTokens(t *testing.T) {
	e := newEnv(t)
	e.user("root", store.RoleAdmin)
	e.user("bob", store.RoleOperator)
	c := e.login("bob")

	code, doc := c.get("/account")
	if code != 200 || testid(doc, "token-row").Length() != 0 || testid(doc, "token-form").Length() != 1 {
		t.Fatalf("account page: %d", code)
	}
	code, doc = c.postDoc("/account/tokens", url.Values{"name": {"  "}})
	if code != 422 || testid(doc, "error-name").Length() != 1 || testid(doc, "new-token").Length() != 0 {
		t.Fatalf("an empty name: %d", code)
	}
	code, doc = c.postDoc("/account/tokens", url.Values{"name": {"deploy script"}})
	token := testid(doc, "new-token").Text()
	if code != 200 || !strings.HasPrefix(token, "l4m_") || len(token) != 47 {
		t.Fatalf("create: %d, token %q", code, token)
	}
	if row := testid(doc, "token-row"); row.Length() != 1 || row.AttrOr("data-name", "") != "deploy script" ||
		testid(doc, "token-last-used").Text() != "never" {
		t.Fatalf("token rows: %d", row.Length())
	}
	if stored, err := e.db.GetAPITokenByHash(context.Background(), store.HashAPIToken(token)); err != nil || stored.TokenHash == token {
		t.Fatalf("stored %+v %v", stored, err)
	}

	script := e.api(token)
	script.callJSON("GET", "/api/v1/servers", nil, 200, nil)
	_, doc = c.get("/account")
	if testid(doc, "new-token").Length() != 0 || strings.Contains(doc.Text(), token) {
		t.Fatal("the token is shown again")
	}
	if got := testid(doc, "token-last-used").Text(); got != "just now" {
		t.Fatalf("last used %q", got)
	}

	// Another user cannot revoke bob's token.
	id := testid(doc, "token-row").AttrOr("data-id", "")
	root := e.login("root")
	if resp := root.post("/account/tokens/"+id+"/revoke", nil); resp.StatusCode != 404 {
		t.Fatalf("root revoked bob's token: %d", resp.StatusCode)
	}
	script.callJSON("GET", "/api/v1/servers", nil, 200, nil)

	if resp := c.post("/account/tokens/"+id+"/revoke", nil); resp.StatusCode != 303 || resp.Header.Get("Location") != "/account" {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	script.callJSON("GET", "/api/v1/servers", nil, 401, nil)
	if _, doc = c.get("/account"); testid(doc, "token-row").Length() != 0 {
		t.Fatal("a revoked token is listed")
	}
}

func TestAPIAnswersSetNoCookies(t *testing.T) {
	e := newEnv(t)
	ann, _ := e.apiAs("ann", store.RoleAdmin)
	for _, c := range []*apiClient{e.api(""), ann} {
		for _, path := range []string{"/api/v1/servers", "/api/v1/nope", "/api/nope"} {
			resp := c.send("GET", path, nil, "")
			resp.Body.Close()
			if ck := resp.Header.Values("Set-Cookie"); len(ck) != 0 {
				t.Fatalf("GET %s (token %v) set cookies: %q; the web's session middleware ran", path, c.token != "", ck)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Fatalf("GET %s: Content-Type %q", path, ct)
			}
		}
	}
}

func TestAPIShowsTheUnitsLog(t *testing.T) {
	e := newEnv(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	seeded := e.clock.Now()
	e.backend.SeedJournal("coop-1", []string{"one", "two", "three"})
	op, _ := e.apiAs("bob", store.RoleOperator)

	var got struct {
		Server string `json:"server"`
		Lines  []struct {
			Text string     `json:"text"`
			Time *time.Time `json:"time"`
		} `json:"lines"`
	}
	op.callJSON("GET", "/api/v1/servers/coop-1/log?lines=2", nil, 200, &got)
	if got.Server != "coop-1" || len(got.Lines) != 2 || got.Lines[0].Text != "two" || got.Lines[1].Text != "three" {
		t.Fatalf("log = %+v, want the last two lines", got)
	}
	for _, l := range got.Lines {
		if l.Time == nil || !l.Time.Equal(seeded) || l.Time.Location() != time.UTC {
			t.Errorf("line %q: time %v, want %v in UTC, when the journal recorded it", l.Text, l.Time, seeded)
		}
	}
	for _, q := range []string{"0", "-1", "1001", "many"} {
		var eb apiErrorBody
		op.callJSON("GET", "/api/v1/servers/coop-1/log?lines="+q, nil, 400, &eb)
		if eb.Error == "" {
			t.Errorf("lines=%s: no error sentence", q)
		}
	}
	var eb apiErrorBody
	op.callJSON("GET", "/api/v1/servers/nope/log", nil, 404, &eb)

	e.backend.Fail("journal", "coop-1", "Failed to open the journal")
	op.callJSON("GET", "/api/v1/servers/coop-1/log", nil, 502, &eb)
	if !strings.Contains(eb.Error, "Failed to open the journal") {
		t.Fatalf("502 error = %q, want the journal's words", eb.Error)
	}
}

func TestAPIOversizedBodiesBeyondFibersLimitGetJSON(t *testing.T) {
	e := newEnv(t)
	admin, _ := e.apiAs("ann", store.RoleAdmin)
	// The panel refuses such a body from its Content-Length before
	// reading it, so this needs a real listener on loopback rather than
	// app.Test. Fiber streams request bodies (for the add-on uploads) and
	// reads a body's first 8 KiB before any handler runs; the rest is
	// never sent: a server that closes with unread data would reset the
	// connection and lose its answer.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.app.Listener(ln) }()
	defer e.app.Shutdown()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/servers HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", admin.token, 5<<20, strings.Repeat(" ", 8<<10))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var eb apiErrorBody
	if err := json.NewDecoder(resp.Body).Decode(&eb); err != nil || resp.StatusCode != 413 || eb.Error == "" {
		t.Fatalf("5 MiB body: %d, %+v, %v; want 413 with a JSON error", resp.StatusCode, eb, err)
	}
	if got, want := e.counts(), "servers [], 0 jobs"; got != want {
		t.Fatalf("after the refused body: %s, want %s", got, want)
	}
}

func TestOnlyAnAdminMayCancelADelete(t *testing.T) {
	e := newEnv(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	admin, _ := e.apiAs("ann", store.RoleAdmin)
	op, _ := e.apiAs("bob", store.RoleOperator)

	var del apiJob
	admin.callJSON("DELETE", "/api/v1/servers/coop-1", nil, 202, &del)
	var eb apiErrorBody
	op.callJSON("POST", "/api/v1/jobs/"+itoa(del.ID)+"/cancel", nil, 403, &eb)
	if !strings.Contains(eb.Error, "admin") {
		t.Fatalf("operator's cancel of a delete: %+v", eb)
	}
	if j, err := e.db.GetJob(context.Background(), del.ID); err != nil || j.State != store.JobQueued {
		t.Fatalf("after the refused cancel the delete is %v, %v; want still queued", j.State, err)
	}
	var cancelled apiJob
	admin.callJSON("POST", "/api/v1/jobs/"+itoa(del.ID)+"/cancel", nil, 200, &cancelled)
	if cancelled.State != "cancelled" {
		t.Fatalf("admin's cancel: %+v", cancelled)
	}
}
