package app_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

func TestThePlayerListShowsWhoPlaysAndTheAddressToAdminsOnly(t *testing.T) {
	e := newEnv(t)
	e.runningGame(t)
	op := e.as(store.RoleOperator)
	admin := e.as(store.RoleAdmin)

	code, doc := op.get("/servers/coop-1")
	list := testid(doc, "players")
	if code != 200 || list.AttrOr("hx-get", "") != "/servers/coop-1/players" || list.AttrOr("hx-trigger", "") != "every 5s" ||
		list.AttrOr("hx-disinherit", "") != "hx-swap" {
		t.Fatalf("player list: %d, polls %q %q", code, list.AttrOr("hx-get", ""), list.AttrOr("hx-trigger", ""))
	}
	rows := testid(doc, "player-row")
	if rows.Length() < 2 {
		t.Fatalf("%d players on the page", rows.Length())
	}
	if !strings.HasPrefix(testid(doc, "player-steamid").First().Text(), "STEAM_1:") || testid(doc, "player-name").First().Text() == "" {
		t.Fatalf("first row: %q", rows.First().Text())
	}
	if testid(doc, "player-addr").Length() != 0 || strings.Contains(doc.Text(), "203.0.113.") {
		t.Fatal("an operator sees the players' addresses")
	}
	kick := testid(doc, "player-kick").First().Closest("form")
	if kick.AttrOr("data-confirm", "") == "" || kick.Find(`input[name="_csrf"]`).Length() != 1 {
		t.Fatal("the kick form asks nothing first or has no CSRF field")
	}

	_, frag := admin.get("/servers/coop-1/players")
	if testid(frag, "player-addr").Length() < 2 || !strings.Contains(testid(frag, "player-addr").First().Text(), "203.0.113.") {
		t.Fatal("an admin does not see the addresses in the polled list")
	}
}

func TestThePlayerListOfAStoppedServerSaysSoAndDoesNotPoll(t *testing.T) {
	e := newEnv(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	_, doc := e.as(store.RoleOperator).get("/servers/coop-1")
	if testid(doc, "players-not-running").Length() != 1 || testid(doc, "players").AttrOr("hx-trigger", "") != "" {
		t.Fatal("a stopped server's player list polls or does not say it is stopped")
	}
}

// firstPlayer is the first row of the player list: user id, name and
// Steam ID.
func firstPlayer(t *testing.T, doc *goquery.Document) (id, name, steam string) {
	t.Helper()
	row := testid(doc, "player-row").First()
	if row.Length() == 0 {
		t.Fatal("nobody plays")
	}
	return row.AttrOr("data-userid", ""), row.Find(`[data-testid="player-name"]`).Text(), row.Find(`[data-testid="player-steamid"]`).Text()
}

func TestKickAPlayer(t *testing.T) {
	e := newEnv(t)
	e.runningGame(t)
	c := e.as(store.RoleOperator)
	_, doc := c.get("/servers/coop-1")
	id, name, _ := firstPlayer(t, doc)

	resp := c.post("/servers/coop-1/players/"+id+"/kick", url.Values{"player": {name}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/servers/coop-1" {
		t.Fatalf("kick: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, doc = c.get("/servers/coop-1")
	if flash := testid(doc, "flash").Text(); flash != "Kicked "+name+"." {
		t.Fatalf("flash %q", flash)
	}
	testid(doc, "player-row").Each(func(_ int, r *goquery.Selection) {
		if r.AttrOr("data-userid", "") == id {
			t.Fatalf("user id %s still plays", id)
		}
	})
	resp = c.post("/servers/coop-1/players/"+id+"/kick", nil)
	if _, doc = c.get("/servers/coop-1"); resp.StatusCode != 303 || !strings.Contains(testid(doc, "flash").Text(), "No player with user id "+id) {
		t.Fatalf("kick of one who left: %d, %q", resp.StatusCode, testid(doc, "flash").Text())
	}
	s, _ := e.db.GetServerByName(context.Background(), "coop-1")
	cs, _ := e.db.ListRCONCommands(context.Background(), s.ID, 0)
	if len(cs) != 2 || cs[1].Command != "kickid "+id || cs[1].UserName != "u-operator" {
		t.Fatalf("recorded %+v", cs)
	}
}

func TestBanAPlayerLiveAndAtTheNextStartThenUnban(t *testing.T) {
	e := newEnv(t)
	s := e.runningGame(t)
	c := e.as(store.RoleOperator)
	_, doc := c.get("/servers/coop-1")
	_, name, steam := firstPlayer(t, doc)

	// The list's Ban… link opens the form filled in for the player.
	href := testid(doc, "player-ban").First().AttrOr("href", "")
	code, form := c.get(href)
	if code != 200 || testid(form, "ban-steamid").AttrOr("value", "") != steam || testid(form, "ban-name").AttrOr("value", "") != name {
		t.Fatalf("ban form from %q: %d", href, code)
	}
	if testid(form, "ban-form").AttrOr("data-confirm", "") == "" {
		t.Fatal("the ban form asks nothing first")
	}

	resp := c.post("/servers/coop-1/bans", url.Values{"steam_id": {steam}, "name": {name}, "reason": {"griefing"}, "duration": {"1d"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/servers/coop-1" {
		t.Fatalf("ban: %d", resp.StatusCode)
	}
	_, doc = c.get("/servers/coop-1")
	if flash := testid(doc, "flash").Text(); flash != steam+" is banned and was kicked if playing." {
		t.Fatalf("flash %q", flash)
	}
	if strings.Contains(testid(doc, "players").Text(), steam) {
		t.Fatal("the banned player still plays")
	}
	ban := testid(doc, "ban-row")
	if ban.Length() != 1 || ban.AttrOr("data-steamid", "") != steam || !strings.Contains(ban.Text(), "griefing") || !strings.Contains(ban.Text(), "u-operator") {
		t.Fatalf("ban list: %q", ban.Text())
	}
	if unban := testid(doc, "ban-unban").Closest("form"); unban.AttrOr("data-confirm", "") == "" {
		t.Fatal("unban asks nothing first")
	}

	// A second ban of the same player is refused and shows the form again.
	code, form = c.postDoc("/servers/coop-1/bans", url.Values{"steam_id": {steam}})
	if code != 409 || !strings.Contains(testid(form, "form-message").Text(), "banned from this server already") {
		t.Fatalf("twice: %d %q", code, testid(form, "form-message").Text())
	}

	// The ban survives a restart: the game reads it from server.cfg.
	var j apiJob
	restarter, _ := e.apiAs("restarter", store.RoleOperator)
	restarter.callJSON("POST", "/api/v1/servers/coop-1/restart", nil, 202, &j)
	if done := restarter.follow(t, j.ID); done.State != "succeeded" {
		t.Fatalf("restart: %+v", done)
	}
	spec, _ := e.backend.Spec("coop-1")
	if !strings.Contains(spec.ServerConfig, "banid ") || !strings.Contains(spec.ServerConfig, " "+steam+"\n") {
		t.Fatalf("server.cfg after the restart has no banid of %s:\n%s", steam, spec.ServerConfig)
	}

	resp = c.post("/servers/coop-1/unban", url.Values{"steam_id": {steam}})
	if resp.StatusCode != 303 {
		t.Fatalf("unban: %d", resp.StatusCode)
	}
	_, doc = c.get("/servers/coop-1")
	if flash := testid(doc, "flash").Text(); flash != steam+" is no longer banned." || testid(doc, "ban-row").Length() != 0 {
		t.Fatalf("after the unban: flash %q, %d bans", flash, testid(doc, "ban-row").Length())
	}
	// The restarted game knew the ban: it took the unban.
	cs, _ := e.db.ListRCONCommands(context.Background(), s.ID, 1)
	if len(cs) != 1 || cs[0].Command != "removeid "+steam || !strings.Contains(cs[0].Answer, "removed from the ban list") {
		t.Fatalf("the unban's command: %+v", cs)
	}
	target := hostbackend.LiveTarget{Name: s.Name, Port: s.Port}
	if out, _ := e.backend.RCON(context.Background(), target, s.RCONPassword, "removeid "+steam); !strings.Contains(out, "couldn't find") {
		t.Fatalf("the game still bans %s: %q", steam, out)
	}
}

func TestABanOfAStoppedServerWaitsAndBadBansChangeNothing(t *testing.T) {
	e := newEnv(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	c := e.as(store.RoleOperator)
	tests := []struct {
		name  string
		form  url.Values
		field string
		want  string
	}{
		{"no Steam ID", url.Values{"steam_id": {""}}, "steam_id", "is not a Steam ID"},
		{"a command in the Steam ID", url.Values{"steam_id": {"STEAM_1:0:1 kick; quit"}}, "steam_id", "is not a Steam ID"},
		{"a reason on two lines", url.Values{"steam_id": {"STEAM_1:0:1"}, "reason": {"a\nb"}}, "reason", "one line"},
		{"a duration the form does not offer", url.Values{"steam_id": {"STEAM_1:0:1"}, "duration": {"2y"}}, "duration", "from the list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, doc := c.postDoc("/servers/coop-1/bans", tt.form)
			if msg := testid(doc, "error-"+tt.field).Text(); code != 422 || !strings.Contains(msg, tt.want) {
				t.Fatalf("%d %q, want 422 saying %q", code, msg, tt.want)
			}
		})
	}
	s, _ := e.db.GetServerByName(context.Background(), "coop-1")
	if bans, _ := e.db.ListBans(context.Background(), s.ID); len(bans) != 0 {
		t.Fatalf("refused bans were kept: %+v", bans)
	}

	if resp := c.post("/servers/coop-1/bans", url.Values{"steam_id": {"[U:1:24690]"}}); resp.StatusCode != 303 {
		t.Fatalf("ban: %d", resp.StatusCode)
	}
	_, doc := c.get("/servers/coop-1")
	if !strings.Contains(testid(doc, "flash").Text(), "applies when it starts") || testid(doc, "ban-row").Length() != 1 {
		t.Fatalf("flash %q", testid(doc, "flash").Text())
	}
}

// RCON's status has no scores: the list takes them from the game's last
// A2S answer, by name.
func TestThePlayerListShowsTheScoresTheGameReports(t *testing.T) {
	e, sw := newEnvLive(t)
	e.runningGame(t) // started by a job, so its server.cfg has the RCON password
	c := e.as(store.RoleOperator)
	e.sweep(t, sw)
	v, _ := sw.View("coop-1")
	if len(v.PlayerList) < 2 {
		t.Fatalf("the sweep heard %d players, the game has at least 2", len(v.PlayerList))
	}
	want := map[string]string{}
	for _, p := range v.PlayerList {
		want[p.Name] = strconv.Itoa(p.Score)
	}
	_, doc := c.get("/servers/coop-1/players")
	rows := testid(doc, "player-row")
	if rows.Length() != len(v.PlayerList) {
		t.Fatalf("%d rows for %d players", rows.Length(), len(v.PlayerList))
	}
	rows.Each(func(_ int, r *goquery.Selection) {
		name, score := r.Find(`[data-testid="player-name"]`).Text(), r.Find(`[data-testid="player-score"]`).Text()
		if score != want[name] {
			t.Errorf("%s: score %q, want %q", name, score, want[name])
		}
	})
}
