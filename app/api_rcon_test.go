package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/app"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

type apiPlayersBody struct {
	Server     string `json:"server"`
	Map        string `json:"map"`
	Humans     int    `json:"humans"`
	MaxPlayers int    `json:"max_players"`
	Players    []struct {
		UserID    int    `json:"user_id"`
		Name      string `json:"name"`
		SteamID   string `json:"steam_id"`
		Connected int64  `json:"connected_seconds"`
		State     string `json:"state"`
		Address   string `json:"address"`
	} `json:"players"`
}

type apiBanBody struct {
	SteamID   string     `json:"steam_id"`
	Name      string     `json:"name"`
	Reason    string     `json:"reason"`
	By        string     `json:"by"`
	ExpiresAt *time.Time `json:"expires_at"`
}

func TestAPIRunsRCONListsAndKicksPlayers(t *testing.T) {
	e := newEnv(t)
	s := e.runningGame(t)
	op, _ := e.apiAs("ann", store.RoleOperator)
	admin, _ := e.apiAs("root", store.RoleAdmin)

	var a struct {
		Answer string `json:"answer"`
	}
	op.callJSON("POST", "/api/v1/servers/coop-1/rcon", `{"command": "changelevel c2m1_highway"}`, 200, &a)
	op.callJSON("POST", "/api/v1/servers/coop-1/rcon", `{"command": "say hello"}`, 200, &a)
	if a.Answer != "Console: hello\n" {
		t.Fatalf("say: %q", a.Answer)
	}
	var p apiPlayersBody
	op.callJSON("GET", "/api/v1/servers/coop-1/players", nil, 200, &p)
	if p.Server != "coop-1" || p.Map != "c2m1_highway" || p.Humans < 2 || len(p.Players) != p.Humans || p.MaxPlayers == 0 {
		t.Fatalf("players: %+v", p)
	}
	first := p.Players[0]
	if first.UserID <= 0 || !strings.HasPrefix(first.SteamID, "STEAM_1:") || first.Name == "" || first.State != "active" || first.Address != "" {
		t.Fatalf("an operator's first player: %+v", first)
	}
	var pa apiPlayersBody
	admin.callJSON("GET", "/api/v1/servers/coop-1/players", nil, 200, &pa)
	if !strings.HasPrefix(pa.Players[0].Address, "203.0.113.") {
		t.Fatalf("an admin sees no address: %+v", pa.Players[0])
	}

	op.callJSON("POST", fmt.Sprintf("/api/v1/servers/coop-1/players/%d/kick", first.UserID), nil, 200, &a)
	if !strings.Contains(a.Answer, "Kicked") {
		t.Fatalf("kick: %q", a.Answer)
	}
	op.callJSON("GET", "/api/v1/servers/coop-1/players", nil, 200, &p)
	for _, pl := range p.Players {
		if pl.UserID == first.UserID {
			t.Fatal("the kicked player still plays")
		}
	}

	cs, _ := e.db.ListRCONCommands(context.Background(), s.ID, 0)
	if len(cs) != 3 || cs[0].UserName != "ann" || cs[0].Command != fmt.Sprintf("kickid %d", first.UserID) || cs[2].Command != "changelevel c2m1_highway" {
		t.Fatalf("recorded %+v", cs)
	}

	var eb apiErrorBody
	for _, tt := range []struct {
		body string
		code int
		want string
	}{
		{`{"command": "status\nquit"}`, 422, "one line"},
		{`{"command": ""}`, 422, "Type a command"},
		{`{"cmd": "status"}`, 400, "cmd"},
	} {
		op.callJSON("POST", "/api/v1/servers/coop-1/rcon", tt.body, tt.code, &eb)
		if !strings.Contains(eb.Error, tt.want) {
			t.Errorf("%s: %q", tt.body, eb.Error)
		}
	}
	op.callJSON("POST", "/api/v1/servers/coop-1/players/0/kick", nil, 404, &eb)
	e.backend.SilenceGame("coop-1", true)
	op.callJSON("POST", "/api/v1/servers/coop-1/rcon", `{"command": "status"}`, 502, &eb)
	if eb.Error == "" {
		t.Fatal("a hung game: no sentence")
	}
}

func TestAPIRefusesRCONOnAServerThatDoesNotRun(t *testing.T) {
	e := newEnv(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	op, _ := e.apiAs("ann", store.RoleOperator)
	var eb apiErrorBody
	for _, call := range [][2]string{{"POST", "/api/v1/servers/coop-1/rcon"}, {"GET", "/api/v1/servers/coop-1/players"}, {"POST", "/api/v1/servers/coop-1/players/2/kick"}} {
		var body any
		if call[0] == "POST" {
			body = `{"command": "status"}`
			if strings.HasSuffix(call[1], "kick") {
				body = nil
			}
		}
		op.callJSON(call[0], call[1], body, 409, &eb)
		if !strings.Contains(eb.Error, "coop-1 is not running") {
			t.Errorf("%s %s: %q", call[0], call[1], eb.Error)
		}
	}
	op.callJSON("POST", "/api/v1/servers/nope/rcon", `{"command": "status"}`, 404, &eb)
}

func TestAPIBansAndUnbans(t *testing.T) {
	e := newEnv(t)
	e.runningGame(t)
	op, _ := e.apiAs("ann", store.RoleOperator)
	var p apiPlayersBody
	op.callJSON("GET", "/api/v1/servers/coop-1/players", nil, 200, &p)
	victim := p.Players[0]

	until := e.clock.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	var created struct {
		Ban     apiBanBody `json:"ban"`
		Applied string     `json:"applied"`
		Note    string     `json:"note"`
	}
	op.callJSON("POST", "/api/v1/servers/coop-1/bans",
		fmt.Sprintf(`{"steam_id": %q, "name": %q, "reason": "spam", "expires_at": %q}`, victim.SteamID, victim.Name, until.Format(time.RFC3339)), 201, &created)
	if created.Applied != "now" || created.Ban.SteamID != victim.SteamID || created.Ban.By != "ann" || created.Ban.ExpiresAt == nil || !created.Ban.ExpiresAt.Equal(until) {
		t.Fatalf("created %+v", created)
	}
	op.callJSON("GET", "/api/v1/servers/coop-1/players", nil, 200, &p)
	for _, pl := range p.Players {
		if pl.SteamID == victim.SteamID {
			t.Fatal("the banned player still plays")
		}
	}
	var list struct {
		Bans []apiBanBody `json:"bans"`
	}
	op.callJSON("GET", "/api/v1/servers/coop-1/bans", nil, 200, &list)
	if len(list.Bans) != 1 || list.Bans[0].Reason != "spam" || list.Bans[0].Name != victim.Name {
		t.Fatalf("bans %+v", list.Bans)
	}

	var eb apiErrorBody
	op.callJSON("POST", "/api/v1/servers/coop-1/bans", fmt.Sprintf(`{"steam_id": %q}`, victim.SteamID), 409, &eb)
	op.callJSON("POST", "/api/v1/servers/coop-1/bans", `{"steam_id": "STEAM_9:0:1"}`, 422, &eb)
	if !strings.Contains(eb.Error, "not a Steam ID") {
		t.Fatalf("a bad Steam ID: %q", eb.Error)
	}
	op.callJSON("POST", "/api/v1/servers/coop-1/bans", `{"steam_id": "[U:1:24690]", "expires_at": "2000-01-01T00:00:00Z"}`, 422, &eb)
	op.callJSON("GET", "/api/v1/servers/coop-1/bans", nil, 200, &list)
	if len(list.Bans) != 1 {
		t.Fatalf("refused bans were kept: %+v", list.Bans)
	}

	var gone struct {
		Applied string `json:"applied"`
		Note    string `json:"note"`
	}
	op.callJSON("DELETE", "/api/v1/servers/coop-1/bans/"+url.PathEscape(victim.SteamID), nil, 200, &gone)
	if gone.Applied != "now" || !strings.Contains(gone.Note, "no longer banned") {
		t.Fatalf("unban: %+v", gone)
	}
	op.callJSON("DELETE", "/api/v1/servers/coop-1/bans/"+url.PathEscape(victim.SteamID), nil, 404, &eb)
	op.callJSON("POST", "/api/v1/servers/coop-1/bans", `{"steam_id": "[U:1:24690]"}`, 201, &created)
	op.callJSON("DELETE", "/api/v1/servers/coop-1/bans/"+url.PathEscape("[U:1:24690]"), nil, 200, &gone)
}

// lockedBuffer is a log sink safe for the panel's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestTheRCONPasswordIsNeverShown runs a scenario through every page,
// fragment, API answer and job of a running server with players, kicks,
// bans and failures, and looks for the server's RCON password in each
// answer, the job output and the panel's log.
func TestTheRCONPasswordIsNeverShown(t *testing.T) {
	var logs lockedBuffer
	e := newEnv(t, func(o *app.Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	s := e.runningGame(t)
	secret := s.RCONPassword
	if len(secret) < 40 {
		t.Fatalf("password %d characters", len(secret))
	}
	var seen []string
	check := func(what string, body []byte) {
		t.Helper()
		seen = append(seen, what)
		if bytes.Contains(body, []byte(secret)) {
			t.Errorf("%s shows the RCON password", what)
		}
	}
	c := e.as(store.RoleAdmin)
	page := func(path string) {
		t.Helper()
		resp := c.do(newGet(path))
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		check("GET "+path, body)
	}
	post := func(path string, form url.Values) {
		t.Helper()
		resp := c.post(path, form)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		check("POST "+path, body)
	}
	_, doc := c.get("/servers/coop-1")
	id, name, steam := firstPlayer(t, doc)
	for _, p := range []string{"/", "/servers/status", "/servers/coop-1", "/servers/coop-1/state", "/servers/coop-1/log", "/servers/coop-1/log.txt",
		"/servers/coop-1/players", "/servers/coop-1/console", "/servers/coop-1/bans/new?steam_id=" + url.QueryEscape(steam), "/jobs", "/blueprints", "/servers/coop-1/edit"} {
		page(p)
	}
	for _, cmd := range []string{"status", "rcon_password", "cvarlist rcon", "say " + secret[:10]} {
		post("/servers/coop-1/console", url.Values{"command": {cmd}})
	}
	post("/servers/coop-1/players/"+id+"/kick", url.Values{"player": {name}})
	post("/servers/coop-1/bans", url.Values{"steam_id": {steam}, "reason": {"x"}})
	page("/servers/coop-1")
	post("/servers/coop-1/unban", url.Values{"steam_id": {steam}})

	api, _ := e.apiAs("bot", store.RoleAdmin)
	for _, call := range []struct{ method, path, body string }{
		{"GET", "/api/v1/servers", ""}, {"GET", "/api/v1/servers/coop-1", ""}, {"GET", "/api/v1/servers/coop-1/history", ""},
		{"GET", "/api/v1/servers/coop-1/log", ""}, {"GET", "/api/v1/servers/coop-1/players", ""}, {"GET", "/api/v1/servers/coop-1/bans", ""},
		{"POST", "/api/v1/servers/coop-1/rcon", `{"command": "status"}`}, {"POST", "/api/v1/servers/coop-1/bans", fmt.Sprintf(`{"steam_id": %q}`, steam)},
		{"GET", "/api/v1/jobs", ""},
	} {
		var body any
		if call.body != "" {
			body = call.body
		}
		_, b := api.call(call.method, call.path, body)
		check(call.method+" "+call.path, b)
	}
	// A restart writes server.cfg again; its job's output and page too.
	var j apiJob
	api.callJSON("POST", "/api/v1/servers/coop-1/restart", nil, 202, &j)
	api.follow(t, j.ID)
	_, b := api.call("GET", fmt.Sprintf("/api/v1/jobs/%d", j.ID), nil)
	check("the restart job through the API", b)
	page(fmt.Sprintf("/jobs/%d", j.ID))
	page(fmt.Sprintf("/jobs/%d/output?after=0", j.ID))
	// A game that stops answering, and one with the wrong password.
	e.backend.SilenceGame("coop-1", true)
	post("/servers/coop-1/console", url.Values{"command": {"status"}})
	page("/servers/coop-1")

	var lines []store.JobLine
	if err := e.db.Reader().NewSelect().Model(&lines).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, l := range lines {
		all.WriteString(l.Text + "\n")
	}
	check(fmt.Sprintf("the jobs' %d output lines", len(lines)), []byte(all.String()))
	cs, _ := e.db.ListRCONCommands(context.Background(), s.ID, 100)
	for _, rc := range cs {
		if strings.Contains(rc.Command, secret) || strings.Contains(rc.Answer, secret) || strings.Contains(rc.Error, secret) {
			t.Errorf("the recorded command %q holds the password", rc.Command)
		}
	}
	check("the panel's log", []byte(logs.String()))
	if len(seen) < 30 || len(lines) == 0 {
		t.Fatalf("looked at only %d answers and %d job lines", len(seen), len(lines))
	}
}

func newGet(path string) *http.Request { return httptest.NewRequest("GET", path, nil) }
