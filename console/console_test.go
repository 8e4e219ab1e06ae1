package console_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/console"
	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/fake"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// game is a server whose simulated game runs, with players.
type game struct {
	db   *store.DB
	host *fake.Backend
	clk  *clock
	srv  *store.Server
	con  *console.Console
}

func newGame(t *testing.T) *game {
	t.Helper()
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	db := storetest.OpenWith(t, store.Options{Now: clk.Now})
	host := fake.New(fake.Options{Now: clk.Now, GameInstalled: true})
	srv := storetest.Server(t, db, "coop-1", 27015)
	cfg, err := console.ServerConfig(ctx, db, srv, "hostname \"Game night\"\n")
	if err != nil {
		t.Fatal(err)
	}
	if err := host.Provision(ctx, hostbackend.InstanceSpec{Name: srv.Name, Port: srv.Port, Args: []string{"+map", "c1m1_hotel", "+maxplayers", "8"}, ServerConfig: cfg}); err != nil {
		t.Fatal(err)
	}
	if err := host.Enable(ctx, srv.Name, nil); err != nil {
		t.Fatal(err)
	}
	srv.ActualState = hostbackend.StateRunning
	g := &game{db: db, host: host, clk: clk, srv: srv, con: console.New(console.Options{DB: db, Host: host})}
	// Let players join.
	for i := 0; i < 200; i++ {
		st, err := g.con.Players(ctx, srv)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Players) >= 2 {
			return g
		}
		clk.Advance(time.Minute)
	}
	t.Fatal("no players joined the simulated game")
	return nil
}

var ann = console.Actor{ID: 0, Name: "ann"}

func TestRunSendsTheCommandAndRecordsIt(t *testing.T) {
	g := newGame(t)
	ctx := context.Background()
	answer, err := g.con.Run(ctx, g.srv, ann, "  say hello there ")
	if err != nil || answer != "Console: hello there\n" {
		t.Fatalf("say: %q, %v", answer, err)
	}
	cs, err := g.db.ListRCONCommands(ctx, g.srv.ID, 0)
	if err != nil || len(cs) != 1 || cs[0].Command != "say hello there" || cs[0].Answer != answer || cs[0].UserName != "ann" || cs[0].Error != "" {
		t.Fatalf("recorded %+v, %v", cs, err)
	}
	if _, err := g.con.Players(ctx, g.srv); err != nil {
		t.Fatal(err)
	}
	if cs, _ := g.db.ListRCONCommands(ctx, g.srv.ID, 0); len(cs) != 1 {
		t.Fatalf("the player list's status was recorded: %+v", cs)
	}
}

func TestRunRefusesWhatCannotBeSentAndRecordsNothing(t *testing.T) {
	g := newGame(t)
	ctx := context.Background()
	stopped := *g.srv
	stopped.ActualState = hostbackend.StateStopped
	tests := []struct {
		name    string
		srv     *store.Server
		command string
		wantErr error
		want    string
	}{
		{"two lines", g.srv, "status\nquit", console.ErrInvalid, "one line"},
		{"a carriage return", g.srv, "status\rquit", console.ErrInvalid, "one line"},
		{"a NUL", g.srv, "say a\x00b", console.ErrInvalid, "one line"},
		{"nothing", g.srv, "   ", console.ErrInvalid, "Type a command"},
		{"too long", g.srv, "say " + strings.Repeat("x", console.MaxCommandLen), console.ErrInvalid, "at most 512 bytes"},
		{"a control character", g.srv, "say \x07", console.ErrInvalid, "control character"},
		{"a stopped server", &stopped, "status", console.ErrNotRunning, "coop-1 is not running (it is stopped)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := g.con.Run(ctx, tt.srv, ann, tt.command)
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %v saying %q", err, tt.wantErr, tt.want)
			}
		})
	}
	noHost := console.New(console.Options{DB: g.db})
	if _, err := noHost.Run(ctx, g.srv, ann, "status"); !errors.Is(err, console.ErrUnavailable) {
		t.Fatalf("without a host: %v", err)
	}
	if cs, _ := g.db.ListRCONCommands(ctx, g.srv.ID, 0); len(cs) != 0 {
		t.Fatalf("refused commands were recorded: %+v", cs)
	}
}

func TestAGameThatDoesNotAnswerIsAnErrorAndRecorded(t *testing.T) {
	g := newGame(t)
	ctx := context.Background()
	g.host.SilenceGame("coop-1", true)
	_, err := g.con.Run(ctx, g.srv, ann, "status")
	if err == nil || strings.Contains(err.Error(), g.srv.RCONPassword) {
		t.Fatalf("err = %v", err)
	}
	cs, _ := g.db.ListRCONCommands(ctx, g.srv.ID, 0)
	if len(cs) != 1 || cs[0].Error == "" {
		t.Fatalf("recorded %+v", cs)
	}

	wrong := *g.srv
	wrong.RCONPassword = "not-it"
	g.host.SilenceGame("coop-1", false)
	if _, err := g.con.Run(ctx, &wrong, ann, "status"); err == nil || !strings.Contains(err.Error(), "refused the panel's RCON password") {
		t.Fatalf("a wrong password: %v", err)
	}
}

func TestKickBanAndUnbanAPlayer(t *testing.T) {
	g := newGame(t)
	ctx := context.Background()
	st, _ := g.con.Players(ctx, g.srv)
	first, second := st.Players[0], st.Players[1]

	answer, err := g.con.Kick(ctx, g.srv, ann, first.UserID)
	if err != nil || !strings.Contains(answer, "Kicked") {
		t.Fatalf("kick: %q, %v", answer, err)
	}
	if _, err := g.con.Kick(ctx, g.srv, ann, 0); !errors.Is(err, console.ErrInvalid) {
		t.Fatalf("kick of user id 0: %v", err)
	}

	ban, applied, err := g.con.Ban(ctx, g.srv, ann, console.NewBan{SteamID: second.SteamID, PlayerName: second.Name, Reason: "griefing"})
	if err != nil || applied != console.AppliedNow || ban.CreatedBy != "ann" {
		t.Fatalf("ban: %+v %v %v", ban, applied, err)
	}
	after, _ := g.con.Players(ctx, g.srv)
	for _, p := range after.Players {
		if p.UserID == first.UserID || p.SteamID == second.SteamID {
			t.Fatalf("still playing after kick and ban: %+v", p)
		}
	}
	if _, _, err := g.con.Ban(ctx, g.srv, ann, console.NewBan{SteamID: second.SteamID}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a second ban: %v", err)
	}
	if _, _, err := g.con.Ban(ctx, g.srv, ann, console.NewBan{SteamID: "STEAM_1:0:1 kick; quit"}); !errors.Is(err, console.ErrInvalid) {
		t.Fatalf("a bad Steam ID: %v", err)
	}

	applied, err = g.con.Unban(ctx, g.srv, ann, second.SteamID)
	if err != nil || applied != console.AppliedNow {
		t.Fatalf("unban: %v, %v", applied, err)
	}
	if _, err := g.con.Unban(ctx, g.srv, ann, second.SteamID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unban twice: %v", err)
	}
	cs, _ := g.db.ListRCONCommands(ctx, g.srv.ID, 0)
	var cmds []string
	for _, c := range cs {
		cmds = append(cmds, c.Command)
	}
	want := []string{"removeid " + second.SteamID, "banid 0 " + second.SteamID + " kick", "kickid " + strconv.Itoa(first.UserID)}
	if strings.Join(cmds, "|") != strings.Join(want, "|") {
		t.Fatalf("recorded %q, want %q", cmds, want)
	}
}

func TestABanOfAStoppedServerWaitsForItsStart(t *testing.T) {
	g := newGame(t)
	ctx := context.Background()
	stopped := *g.srv
	stopped.ActualState = hostbackend.StateStopped
	_, applied, err := g.con.Ban(ctx, &stopped, ann, console.NewBan{SteamID: "[U:1:24690]", Expires: g.clk.Now().Add(90 * time.Second)})
	if err != nil || applied != console.AppliedAtStart {
		t.Fatalf("%v, %v", applied, err)
	}
	if s := applied.Sentence("[U:1:24690]", true); !strings.Contains(s, "applies when it starts") {
		t.Fatalf("sentence %q", s)
	}
	cfg, _ := console.ServerConfig(ctx, g.db, g.srv, "")
	if !strings.HasSuffix(cfg, "banid 2 [U:1:24690]\n") {
		t.Fatalf("the block:\n%s", cfg)
	}
	g.clk.Advance(2 * time.Minute)
	if cfg, _ := console.ServerConfig(ctx, g.db, g.srv, ""); strings.Contains(cfg, "banid") {
		t.Fatalf("an expired ban in the block:\n%s", cfg)
	}
}

func TestCheckSteamID(t *testing.T) {
	for _, ok := range []string{"STEAM_1:0:123", "STEAM_0:1:9999999999", "[U:1:24690]"} {
		if err := console.CheckSteamID(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "BOT", "STEAM_1:2:1", "STEAM_1:0:", "STEAM_1:0:1 kick", "[U:1:1];quit", "steam_1:0:1", "[U:2:1]", "STEAM_1:0:12345678901"} {
		if err := console.CheckSteamID(bad); !errors.Is(err, console.ErrInvalid) {
			t.Errorf("%q: %v, want invalid", bad, err)
		}
	}
}

func TestServerConfigEndsWithTheBlock(t *testing.T) {
	g := newGame(t)
	cfg, err := console.ServerConfig(context.Background(), g.db, g.srv, "rcon_password \"mine\"\nsv_rcon_banpenalty 0")
	if err != nil {
		t.Fatal(err)
	}
	want := "rcon_password \"mine\"\nsv_rcon_banpenalty 0\n" + console.Block(g.srv.RCONPassword, nil, time.Time{})
	if cfg != want {
		t.Fatalf("got:\n%s\nwant:\n%s", cfg, want)
	}
	for _, line := range []string{"rcon_password \"" + g.srv.RCONPassword + "\"\n", "sv_rcon_maxfailures 5\n", "sv_rcon_minfailures 5\n",
		"sv_rcon_minfailuretime 30\n", "sv_rcon_banpenalty 30\n"} {
		if !strings.Contains(console.Block(g.srv.RCONPassword, nil, time.Time{}), line) {
			t.Errorf("the block lacks %q", line)
		}
	}
}

func TestABanTheRunningGameDoesNotTakeIsKeptForTheNextStart(t *testing.T) {
	g := newGame(t)
	ctx := context.Background()
	g.host.SilenceGame("coop-1", true)
	_, applied, err := g.con.Ban(ctx, g.srv, ann, console.NewBan{SteamID: "STEAM_1:1:7"})
	if err != nil || applied != console.AppliedFailed {
		t.Fatalf("%v, %v", applied, err)
	}
	if bans, _ := g.db.ListBans(ctx, g.srv.ID); len(bans) != 1 {
		t.Fatalf("bans %+v", bans)
	}
	cs, _ := g.db.ListRCONCommands(ctx, g.srv.ID, 0)
	if len(cs) != 1 || cs[0].Command != "banid 0 STEAM_1:1:7 kick" || cs[0].Error == "" {
		t.Fatalf("recorded %+v", cs)
	}
	if applied, err := g.con.Unban(ctx, g.srv, ann, "STEAM_1:1:7"); err != nil || applied != console.AppliedFailed {
		t.Fatalf("unban: %v, %v", applied, err)
	}
}
