package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/a2s"
)

var epoch = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func newTestGame(t *testing.T, c config, players []playerSpec) (*game, *strings.Builder) {
	t.Helper()
	var log strings.Builder
	if c.maxPlayers == 0 {
		c.maxPlayers = 8
	}
	if c.mapName == "" {
		c.mapName = "c1m1_hotel"
	}
	return newGame(c, 27015, players, func() time.Time { return epoch }, &lineWriter{w: &log}), &log
}

func TestGamePlayers(t *testing.T) {
	g, _ := newTestGame(t, config{}, simulatedPlayers(2, 1))
	got := g.Players()
	if len(got) != 3 {
		t.Fatalf("%d players, want 3", len(got))
	}
	for i, p := range got {
		if p.UserID != i+2 || p.State != "active" || !p.Joined.Before(epoch) {
			t.Errorf("player %d: %+v", i, p)
		}
	}
	if h := got[1]; h.Name != `Zoë "the" kid` || h.SteamID != "STEAM_1:1:1002" || h.Addr == "" || h.Ping == 0 || h.Bot() {
		t.Errorf("the second human: %+v", h)
	}
	if b := got[2]; b.Name != "Coach" || !b.Bot() || b.Addr != "" {
		t.Errorf("the bot: %+v", b)
	}
	info := g.Info()
	if info.Players != 3 || info.Bots != 1 || info.MaxPlayers != 8 || info.Port != 27015 {
		t.Errorf("A2S_INFO counts %d players, %d bots, max %d, port %d", info.Players, info.Bots, info.MaxPlayers, info.Port)
	}
	a := g.A2SPlayers()
	if want := float32(epoch.Sub(got[0].Joined).Seconds()); len(a) != 3 || a[0].Name != "Ellis" || a[0].Duration != want {
		t.Errorf("A2S_PLAYER = %+v, want Ellis first, connected %v s", a, want)
	}
}

func TestGameRefusesPlayersPastMaxAndBanned(t *testing.T) {
	c := config{maxPlayers: 2, bans: []ban{{0, "STEAM_1:0:1001"}}}
	g, log := newTestGame(t, c, simulatedPlayers(4, 0))
	var names []string
	for _, p := range g.Players() {
		names = append(names, p.Name)
	}
	if want := []string{`Zoë "the" kid`, "Николай"}; !reflect.DeepEqual(names, want) {
		t.Errorf("connected %q, want %q", names, want)
	}
	for _, want := range []string{"fakesrcds: banid 0 STEAM_1:0:1001\n", "refused Ellis (STEAM_1:0:1001): banned",
		"refused tank food (STEAM_1:1:1004): the server is full"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log %q lacks %q", log.String(), want)
		}
	}
}

func TestChangeLevel(t *testing.T) {
	g, log := newTestGame(t, config{}, simulatedPlayers(1, 0))
	if err := g.ChangeLevel("c2m1_highway"); err != nil {
		t.Fatal(err)
	}
	if g.Map() != "c2m1_highway" || g.Info().Map != "c2m1_highway" {
		t.Errorf("after changelevel the map is %q, A2S says %q", g.Map(), g.Info().Map)
	}
	if g.Players()[0].Score != 0 || len(g.Players()) != 1 {
		t.Errorf("after changelevel: %+v", g.Players())
	}
	if !strings.Contains(log.String(), "fakesrcds: changelevel c2m1_highway\n") {
		t.Errorf("log %q", log.String())
	}
	for _, bad := range []string{"", "c1m1 hotel", `c1"`, "c1\n"} {
		if err := g.ChangeLevel(bad); err == nil {
			t.Errorf("ChangeLevel(%q) accepted", bad)
		}
	}
	if g.Map() != "c2m1_highway" {
		t.Errorf("a refused changelevel changed the map to %q", g.Map())
	}
}

func TestKickAndBan(t *testing.T) {
	g, log := newTestGame(t, config{}, simulatedPlayers(3, 1))
	if p, err := g.KickUserID(3); err != nil || p.Name != `Zoë "the" kid` {
		t.Errorf("KickUserID(3) = %+v, %v", p, err)
	}
	if p, err := g.KickName("Coach"); err != nil || !p.Bot() {
		t.Errorf("KickName(Coach) = %+v, %v", p, err)
	}
	if _, err := g.KickUserID(3); !errors.Is(err, errNoPlayer) {
		t.Errorf("kicking a kicked player: %v", err)
	}
	if _, err := g.KickName("nobody"); !errors.Is(err, errNoPlayer) {
		t.Errorf("kicking nobody: %v", err)
	}
	g.Ban(0, "STEAM_1:0:1003", false)
	g.Ban(0, "STEAM_1:0:1001", true)
	g.Ban(0, "STEAM_1:0:1001", true)
	if ps := g.Players(); len(ps) != 1 || ps[0].SteamID != "STEAM_1:0:1003" {
		t.Errorf("after the bans %+v are connected, want the one banned without kick", ps)
	}
	for _, p := range g.Players() {
		if p.SteamID == "STEAM_1:0:1001" {
			t.Errorf("a banned player is still connected: %+v", p)
		}
	}
	if got := g.Bans(); !reflect.DeepEqual(got, []string{"STEAM_1:0:1003", "STEAM_1:0:1001"}) {
		t.Errorf("Bans = %q", got)
	}
	if !g.Unban("STEAM_1:0:1001") || g.Unban("STEAM_1:0:1001") || len(g.Bans()) != 1 {
		t.Errorf("Unban: bans left %q", g.Bans())
	}
	for _, want := range []string{`fakesrcds: kicked Zoë "the" kid (STEAM_1:1:1002)`, "fakesrcds: kicked Coach (BOT)",
		"fakesrcds: banid 0 STEAM_1:0:1001\nfakesrcds: kicked Ellis (STEAM_1:0:1001)"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log %q lacks %q", log.String(), want)
		}
	}
}

func TestChurn(t *testing.T) {
	g, log := newTestGame(t, config{fakePlayers: 2, maxPlayers: 3}, simulatedPlayers(2, 1))
	names := func() (out []string) {
		for _, p := range g.Players() {
			out = append(out, p.Name)
		}
		return out
	}
	// The longest connected human (Zoë, user id 3, joined 1221 s ago;
	// Ellis 824 s) leaves first; then a third simulated human joins, just
	// now.
	g.Churn()
	if want := []string{"Ellis", "Coach"}; !reflect.DeepEqual(names(), want) {
		t.Errorf("after a leave: %q, want %q", names(), want)
	}
	g.Churn()
	ps := g.Players()
	if want := []string{"Ellis", "Coach", "Николай"}; !reflect.DeepEqual(names(), want) {
		t.Fatalf("after a join: %q, want %q", names(), want)
	}
	if ps[2].Joined != epoch || ps[2].SteamID != "STEAM_1:0:1003" {
		t.Errorf("the newcomer: %+v, want joined now as STEAM_1:0:1003", ps[2])
	}
	g.Churn() // a leave
	g.Churn() // a join
	g.Churn() // a leave
	g.Churn() // a join
	if n := len(g.Players()); n != 3 {
		t.Errorf("%d players after churning, want 3", n)
	}
	for _, want := range []string{"fakesrcds: Zoë \"the\" kid left\n", "fakesrcds: Николай joined\n", "fakesrcds: Ellis left\n"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log %q lacks %q", log.String(), want)
		}
	}
	// With only bots left, a leave becomes a join.
	b, _ := newTestGame(t, config{}, simulatedPlayers(0, 2))
	b.Churn()
	if n := len(b.Players()); n != 3 {
		t.Errorf("only bots, one churn: %d players, want 3", n)
	}
}

func TestRules(t *testing.T) {
	c := config{cvars: map[string]string{"sv_tags": "left4me,coop", "mp_gamemode": "versus", "sv_password": "secret"}, fakeRules: 2}
	g, _ := newTestGame(t, c, nil)
	got := map[string]string{}
	for _, r := range g.Rules() {
		got[r.Name] = r.Value
	}
	for name, want := range map[string]string{"sv_tags": "left4me,coop", "mp_gamemode": "versus", "sv_password": "1",
		"z_difficulty": "Normal", "fakesrcds_rule_002": "a value long enough to fill packets 002"} {
		if got[name] != want {
			t.Errorf("rule %s = %q, want %q", name, got[name], want)
		}
	}
	if len(got) != len(defaultRules)+2 {
		t.Errorf("%d rules, want %d", len(got), len(defaultRules)+2)
	}
}

func TestReadPlayersFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "players")
	text := "// who plays\nSTEAM_1:0:123 Zoë \"the\" kid  \r\n\nBOT Coach\n[U:1:246] tank;food // no comment\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := readPlayersFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []playerSpec{{"STEAM_1:0:123", `Zoë "the" kid  `}, {"BOT", "Coach"}, {"[U:1:246]", "tank;food // no comment"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("readPlayersFile = %q, want %q", got, want)
	}
	for _, bad := range []string{"Ellis\n", "STEAM_1:0:1\n", "7656119 Ellis\n", "STEAM_1:0:1 \n"} {
		if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := readPlayersFile(path); !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("readPlayersFile(%q) error = %v, want a usage error naming line 1", bad, err)
		}
	}
	if _, err := readPlayersFile(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, errUsage) {
		t.Errorf("a missing file: %v", err)
	}
}

func TestExecCfgTakesBansAndRules(t *testing.T) {
	path := filepath.Join(t.TempDir(), "server.cfg")
	text := "hostname \"Game night\"\nbanid 0 STEAM_1:0:123\nbanid 30 STEAM_1:1:77 kick\nbanid x STEAM_1:0:9\nsv_tags \"left4me\"\nrcon_password \"hunter2\"\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var c config
	if _, err := execCfg(path, &c); err != nil {
		t.Fatal(err)
	}
	if want := []ban{{0, "STEAM_1:0:123"}, {30, "STEAM_1:1:77"}}; !reflect.DeepEqual(c.bans, want) {
		t.Errorf("bans %+v, want %+v", c.bans, want)
	}
	if c.rconPassword != "hunter2" {
		t.Errorf("rcon_password %q, want hunter2", c.rconPassword)
	}
	if want := map[string]string{"sv_tags": "left4me"}; !reflect.DeepEqual(c.cvars, want) {
		t.Errorf("cvars %q, want %q (the password is no rule)", c.cvars, want)
	}
}

// TestAnswersPlayersAndRules runs fakesrcds with players from a file and
// flags, a server config with bans and rules, and asks it over A2S.
func TestAnswersPlayersAndRules(t *testing.T) {
	root := t.TempDir()
	cfgDir := filepath.Join(root, "left4dead2", "cfg")
	if err := os.MkdirAll(cfgDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := "hostname \"Game night\"\nsv_tags \"left4me,e2e\"\nmp_gamemode versus\nbanid 0 STEAM_1:0:123\n"
	if err := os.WriteFile(filepath.Join(cfgDir, "left4me-server.cfg"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	players := filepath.Join(root, "players")
	if err := os.WriteFile(players, []byte("STEAM_1:0:123 banned one\nSTEAM_1:1:456 Zoë \"the\" kid\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, addr := start(t, map[string]string{"FAKESRCDS_CRASH_FILE": filepath.Join(root, "crash"), "FAKESRCDS_GAME_ROOT": root},
		"+servercfgfile", "left4me-server.cfg", "-fakeplayersfile", players, "-fakebots", "2")
	s.waitLine(t, "fakesrcds: banid 0 STEAM_1:0:123")

	res := query(t, addr, a2s.WantInfo|a2s.WantPlayers|a2s.WantRules)
	if res.Info.Name != "Game night" || res.Info.Players != 3 || res.Info.Bots != 2 {
		t.Errorf("A2S_INFO %q with %d players, %d bots; want Game night with 3, 2", res.Info.Name, res.Info.Players, res.Info.Bots)
	}
	var names []string
	for _, p := range res.Players {
		names = append(names, p.Name)
	}
	if want := []string{"Coach", "Rochelle", `Zoë "the" kid`}; !reflect.DeepEqual(names, want) {
		t.Errorf("A2S_PLAYER names %q, want %q (the banned one refused)", names, want)
	}
	rules := map[string]string{}
	for _, r := range res.Rules {
		rules[r.Name] = r.Value
	}
	if rules["sv_tags"] != "left4me,e2e" || rules["mp_gamemode"] != "versus" {
		t.Errorf("A2S_RULES sv_tags %q, mp_gamemode %q", rules["sv_tags"], rules["mp_gamemode"])
	}
	if res.Info.Keywords != "left4me,e2e" {
		t.Errorf("A2S_INFO keywords %q, want sv_tags", res.Info.Keywords)
	}
	s.waitLine(t, "fakesrcds: answered A2S_RULES from ")
}

func TestSplitsLongReplies(t *testing.T) {
	s, addr := start(t, map[string]string{"FAKESRCDS_CRASH_FILE": filepath.Join(t.TempDir(), "crash")},
		"-maxplayers", "200", "-fakeplayers", "200", "-fakerules", "100")
	res := query(t, addr, a2s.WantPlayers|a2s.WantRules)
	if len(res.Players) != 200 || len(res.Rules) != len(defaultRules)+100 {
		t.Errorf("%d players and %d rules, want 200 and %d", len(res.Players), len(res.Rules), len(defaultRules)+100)
	}
	if want := "ちょっと待って 3"; res.Players[20].Name != want {
		t.Errorf("player 21 is %q, want %q", res.Players[20].Name, want)
	}
	l := s.waitLine(t, "fakesrcds: answered A2S_PLAYER from ")
	if !strings.HasSuffix(l, " parts") {
		t.Errorf("%q: want the reply in parts", l)
	}
}

func TestRefusesABadPlayersFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "players")
	if err := os.WriteFile(path, []byte("just a name\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"+ip", "127.0.0.1", "-port", "0", "-fakeplayersfile", path}, io.Discard,
		func(string) string { return filepath.Join(t.TempDir(), "crash") })
	if exitCode(err) != 2 || !strings.Contains(fmt.Sprint(err), "line 1") {
		t.Errorf("run = %v, want a usage error naming line 1", err)
	}
}

// query asks addr through an a2s.Client and fails the test on an error.
func query(t *testing.T, addr string, want a2s.Want) a2s.Result {
	t.Helper()
	c, err := a2s.NewClient(a2s.ClientOpts{Listen: "127.0.0.1:0", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res := c.Query(context.Background(), addr, want)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	return res
}
