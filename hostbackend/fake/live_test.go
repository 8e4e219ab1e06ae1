package fake_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/fake"
	rcon2 "github.com/left4me/left4me/internal/rcon"
)

const liveCfg = "hostname \"Game night\"\nrcon_password \"s3cret-pw\"\nbanid 0 STEAM_1:0:999\n"

// startGame provisions and starts coop-1 on port 27015 and waits out the
// fake's start delay.
func startGame(t *testing.T, b *fake.Backend, c *clock) hostbackend.LiveTarget {
	t.Helper()
	ctx := context.Background()
	spec := hostbackend.InstanceSpec{Name: "coop-1", Port: 27015, ServerConfig: liveCfg,
		Args: []string{"+map", "c2m1_highway", "+mp_gamemode", "versus", "+maxplayers", "8"}}
	if err := b.Provision(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if err := b.Enable(ctx, "coop-1", nil); err != nil {
		t.Fatal(err)
	}
	c.Add(3 * time.Second)
	return hostbackend.LiveTarget{Name: "coop-1", Port: 27015}
}

func query(t *testing.T, b *fake.Backend, tg hostbackend.LiveTarget) hostbackend.LiveInfo {
	t.Helper()
	got := b.LiveQuery(context.Background(), []hostbackend.LiveTarget{tg})
	if len(got) != 1 || got[0].Name != tg.Name {
		t.Fatalf("LiveQuery answered %+v for one target", got)
	}
	return got[0]
}

func TestTheSimulatedGameAnswersWhileItsUnitRuns(t *testing.T) {
	b, c := newClocked(t)
	ctx := context.Background()
	tg := hostbackend.LiveTarget{Name: "coop-1", Port: 27015}
	if in := query(t, b, tg); in.Answered || in.Err == "" {
		t.Fatalf("a server never started answered: %+v", in)
	}
	tg = startGame(t, b, c)
	in := query(t, b, tg)
	if !in.Answered || in.HostName != "Game night" || in.Map != "c2m1_highway" || in.MaxPlayers != 8 || in.Game != "L4D2 - Versus" {
		t.Fatalf("the running game answered %+v", in)
	}
	if other := query(t, b, hostbackend.LiveTarget{Name: "coop-1", Port: 27016}); other.Answered {
		t.Error("the game answered on a port it was not started on")
	}

	// An hour of play: players come and go.
	counts := map[int]bool{}
	for range 240 {
		c.Add(15 * time.Second)
		in := query(t, b, tg)
		counts[in.Players] = true
		if in.Players > in.MaxPlayers || len(in.PlayerList) != in.Players {
			t.Fatalf("players %d of %d, list %d", in.Players, in.MaxPlayers, len(in.PlayerList))
		}
	}
	if len(counts) < 3 {
		t.Errorf("in an hour the player count took only the values %v", counts)
	}

	b.SilenceGame("coop-1", true)
	if in := query(t, b, tg); in.Answered {
		t.Error("a silenced game answered")
	}
	b.SilenceGame("coop-1", false)
	if err := b.Disable(ctx, "coop-1", nil); err != nil {
		t.Fatal(err)
	}
	if in := query(t, b, tg); in.Answered {
		t.Error("a stopped server answered")
	}
}

func TestTheSimulatedGameTakesRCONCommands(t *testing.T) {
	b, c := newClocked(t)
	ctx := context.Background()
	tg := startGame(t, b, c)
	if _, err := b.RCON(ctx, tg, "wrong", "status"); !errors.Is(err, hostbackend.ErrRCONPassword) {
		t.Fatalf("a wrong password: %v, want ErrRCONPassword", err)
	}
	if _, err := b.RCON(ctx, tg, "s3cret-pw", "status\nquit"); err == nil {
		t.Fatal("a command with a line break was taken")
	}
	rcon := func(cmd string) string {
		t.Helper()
		out, err := b.RCON(ctx, tg, "s3cret-pw", cmd)
		if err != nil {
			t.Fatalf("rcon %s: %v", cmd, err)
		}
		return out
	}
	for in := query(t, b, tg); in.Players == 0; in = query(t, b, tg) {
		c.Add(15 * time.Second)
	}
	st := rcon("status")
	for _, want := range []string{"hostname: Game night\n", "map     : c2m1_highway\n", "(8 max)", "# userid name uniqueid connected ping loss state rate adr\n", "#end\n"} {
		if !strings.Contains(st, want) {
			t.Errorf("status lacks %q:\n%s", want, st)
		}
	}
	if parsed := rcon2.ParseStatus(st); parsed.Map != "c2m1_highway" || parsed.MaxPlayers != 8 || len(parsed.Players) != query(t, b, tg).Players {
		t.Errorf("status parsed: %+v, want the map, 8 max and as many players as A2S says", parsed)
	}
	if got := rcon("changelevel c2m2_fairground"); got != "" {
		t.Errorf("changelevel answered %q", got)
	}
	if in := query(t, b, tg); in.Map != "c2m2_fairground" {
		t.Errorf("after changelevel A2S says map %q", in.Map)
	}
	if got := rcon("changelevel ../../etc"); !strings.Contains(got, "not found") {
		t.Errorf("a bad map: %q", got)
	}
	before := query(t, b, tg).Players
	var userid string
	for _, line := range strings.Split(st, "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[0] == "#" && f[1] != "userid" && f[1] != "end" {
			userid = f[1]
			break
		}
	}
	if got := rcon("kickid " + userid + " bye"); !strings.Contains(got, "Kicked") {
		t.Errorf("kickid %s: %q", userid, got)
	}
	if after := query(t, b, tg).Players; after != before-1 {
		t.Errorf("players %d after a kick, were %d", after, before)
	}
	if got := rcon("say hello all"); got != "Console: hello all\n" {
		t.Errorf("say: %q", got)
	}
	if got := rcon("removeid STEAM_1:0:999"); !strings.Contains(got, "removed") {
		t.Errorf("the ban from server.cfg: removeid said %q", got)
	}
	if got := rcon("sv_bogus"); !strings.Contains(got, "Unknown command") {
		t.Errorf("an unknown command: %q", got)
	}

	// A restart boots a new game: back on the map it starts with.
	if err := b.Restart(ctx, "coop-1", nil); err != nil {
		t.Fatal(err)
	}
	c.Add(3 * time.Second)
	if in := query(t, b, tg); !in.Answered || in.Map != "c2m1_highway" {
		t.Errorf("after a restart: %+v", in)
	}
	if got := rcon("removeid STEAM_1:0:999"); !strings.Contains(got, "removed") {
		t.Errorf("after a restart the ban from server.cfg is back: removeid said %q", got)
	}
}

// The simulated host of make run keeps its instances on disk; a restarted
// panel's fake reads them back and its games answer as before.
func TestASimulatedGameAnswersAfterTheFakeIsRestarted(t *testing.T) {
	root := t.TempDir()
	c := &clock{now: time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)}
	opts := fake.Options{StateRoot: root, StartDelay: 2 * time.Second, Now: c.Now}
	tg := startGame(t, fake.New(opts), c)
	again := fake.New(opts)
	if in := query(t, again, tg); !in.Answered || in.HostName != "Game night" || in.Map != "c2m1_highway" {
		t.Fatalf("the restarted fake's game: %+v", in)
	}
}
