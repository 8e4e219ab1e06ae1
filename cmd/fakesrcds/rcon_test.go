package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/a2s"
	"github.com/left4me/left4me/internal/rcon"
)

// rconPassword is the password the tests' server.cfg sets.
const rconPassword = "s3cret-Pa55word-never-logged"

// startWithRCON runs fakesrcds with a server.cfg that sets the RCON
// password (as the panel's start job writes it), two simulated humans
// and a bot, and returns it with an RCON client logged in.
func startWithRCON(t *testing.T, args ...string) (*server, string, *rcon.Client) {
	t.Helper()
	root := t.TempDir()
	cfgDir := filepath.Join(root, "left4dead2", "cfg")
	if err := os.MkdirAll(cfgDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := "hostname \"Game night\"\nrcon_password \"" + rconPassword + "\"\nsv_rcon_maxfailures 10\nbanid 0 STEAM_1:0:4242\n"
	if err := os.WriteFile(filepath.Join(cfgDir, "left4me-server.cfg"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"FAKESRCDS_GAME_ROOT": root, "FAKESRCDS_CRASH_FILE": filepath.Join(root, "crash")}
	s, addr := start(t, env, append([]string{"+servercfgfile", "left4me-server.cfg", "+map", "c1m2_streets",
		"-fakeplayers", "2", "-fakebots", "1"}, args...)...)
	c := rcon.NewClient(addr, rconPassword)
	t.Cleanup(func() { c.Close() })
	return s, addr, c
}

func exec(t *testing.T, c *rcon.Client, command string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	answer, err := c.Exec(ctx, command)
	if err != nil {
		t.Fatalf("rcon %q: %v", command, err)
	}
	return answer
}

func TestRCONStatusIsL4D2s(t *testing.T) {
	_, addr, c := startWithRCON(t)
	answer := exec(t, c, "status")
	for _, want := range []string{"hostname: Game night\n", "map     : c1m2_streets\n",
		"players : 2 humans, 1 bots (8 max) (not hibernating) (unreserved)\n",
		"# userid name uniqueid connected ping loss state rate adr\n", "#end\n"} {
		if !strings.Contains(answer, want) {
			t.Errorf("status lacks %q:\n%s", want, answer)
		}
	}
	st := rcon.ParseStatus(answer)
	if st.HostName != "Game night" || st.Map != "c1m2_streets" || st.Humans != 2 || st.Bots != 1 || st.MaxPlayers != 8 || !st.Secure {
		t.Errorf("status parses as %+v", st)
	}
	if _, port, _ := strings.Cut(addr, ":"); !strings.HasSuffix(st.Addr, ":"+port) {
		t.Errorf("udp/ip %q, want the port %s", st.Addr, port)
	}
	if len(st.Players) != 3 {
		t.Fatalf("players %+v, want 3", st.Players)
	}
	zoe, bot := st.Players[1], st.Players[2]
	if zoe.UserID != 3 || zoe.Name != `Zoë "the" kid` || zoe.SteamID != "STEAM_1:1:1002" || zoe.State != "active" ||
		zoe.Connected <= 0 || zoe.Ping == 0 || zoe.Rate != 30000 || zoe.Addr == "" || zoe.Bot {
		t.Errorf("the second human reads back as %+v", zoe)
	}
	if !bot.Bot || bot.Name != "Coach" || bot.State != "active" {
		t.Errorf("the bot reads back as %+v", bot)
	}
}

func TestRCONChangeLevelChangesTheMapA2SReports(t *testing.T) {
	s, addr, c := startWithRCON(t)
	if got := exec(t, c, "changelevel c2m1_highway"); got != "" {
		t.Errorf("changelevel answered %q, want nothing", got)
	}
	s.waitLine(t, "fakesrcds: changelevel c2m1_highway")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	info, err := a2s.Query(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	if info.Map != "c2m1_highway" {
		t.Errorf("A2S reports the map %q after changelevel, want c2m1_highway", info.Map)
	}
	for command, want := range map[string]string{
		"changelevel nowhere":          "changelevel failed: nowhere not found\n",
		"changelevel c1m1 hotel":       "changelevel failed: c1m1 hotel not found\n",
		"changelevel":                  "changelevel <levelname> : continue game on a new level\n",
		"CHANGELEVEL ../../etc/passwd": "changelevel failed: ../../etc/passwd not found\n",
	} {
		if got := exec(t, c, command); got != want {
			t.Errorf("%q answered %q, want %q", command, got, want)
		}
	}
	if st := rcon.ParseStatus(exec(t, c, "status")); st.Map != "c2m1_highway" {
		t.Errorf("after refused changelevels the map is %q", st.Map)
	}
}

func TestRCONKicksAndBans(t *testing.T) {
	s, addr, c := startWithRCON(t)
	for _, step := range []struct{ command, want, logged string }{
		{"kickid 3 too loud", "Dropped Zoë \"the\" kid from server (Kicked by Console : too loud)\n", `fakesrcds: kicked Zoë "the" kid (STEAM_1:1:1002)`},
		{"kickid 3", "userid \"3\" not found\n", ""},
		{"kick \"Coach\"", "Dropped Coach from server (Kicked by Console)\n", "fakesrcds: kicked Coach (BOT)"},
		{"kick nobody", "Can't kick \"nobody\", name not found\n", ""},
		{"banid 0 STEAM_1:0:1001 kick", "STEAM_1:0:1001 was banned permanently by Console\nDropped Ellis from server (Kicked and banned)\n",
			"fakesrcds: banid 0 STEAM_1:0:1001"},
		{"banid 30 STEAM_1:0:77", "STEAM_1:0:77 was banned for 30 minutes by Console\n", "fakesrcds: banid 30 STEAM_1:0:77"},
		{"banid 0 somebody", "banid: couldn't find userid or uniqueid \"somebody\"\n", ""},
		{"banid x STEAM_1:0:1", "Usage:  banid < minutes > < userid | uniqueid > { kick }\n", ""},
		{"listid", "ID filter list: 3 entries\n1 STEAM_1:0:4242\n2 STEAM_1:0:1001\n3 STEAM_1:0:77\n", ""},
		{"removeid STEAM_1:0:77", "removeid: filter removed for STEAM_1:0:77\n", "fakesrcds: removeid STEAM_1:0:77"},
		{"removeid STEAM_1:0:77", "removeid: couldn't find STEAM_1:0:77\n", ""},
		{"removeid 1", "removeid: filter removed for STEAM_1:0:4242\n", "fakesrcds: removeid STEAM_1:0:4242"},
		{"users", "<slot:userid:\"name\">\n0 users\n", ""},
		{"say hello there", "Console: hello there\n", "fakesrcds: say hello there"},
		{"rcon_password", "Unknown command \"rcon_password\"\n", ""},
		{"quit", "Unknown command \"quit\"\n", ""},
	} {
		if got := exec(t, c, step.command); got != step.want {
			t.Errorf("%q answered %q, want %q", step.command, got, step.want)
		}
		if step.logged != "" {
			s.waitLine(t, step.logged)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if info, err := a2s.Query(ctx, addr); err != nil || info.Players != 0 {
		t.Errorf("A2S after the kicks: %+v, %v; want no players", info, err)
	}
}

func TestRCONUsersListsWhoIsConnected(t *testing.T) {
	_, _, c := startWithRCON(t)
	want := "<slot:userid:\"name\">\n0:2:\"Ellis\"\n1:3:\"Zoë \"the\" kid\"\n2:4:\"Coach\"\n3 users\n"
	if got := exec(t, c, "users"); got != want {
		t.Errorf("users answered %q, want %q", got, want)
	}
}

func TestRCONRefusesAWrongPassword(t *testing.T) {
	_, addr, _ := startWithRCON(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, pw := range []string{"wrong", "", rconPassword + " "} {
		c := rcon.NewClient(addr, pw)
		_, err := c.Exec(ctx, "status")
		c.Close()
		if !errors.Is(err, rcon.ErrBadPassword) {
			t.Errorf("password %q: %v, want ErrBadPassword", pw, err)
		}
	}
}

func TestRCONWithoutAPasswordRefusesEveryone(t *testing.T) {
	_, addr := start(t, map[string]string{"FAKESRCDS_CRASH_FILE": filepath.Join(t.TempDir(), "crash")})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, pw := range []string{"", "anything"} {
		c := rcon.NewClient(addr, pw)
		_, err := c.Exec(ctx, "status")
		c.Close()
		if !errors.Is(err, rcon.ErrBadPassword) {
			t.Errorf("password %q: %v, want ErrBadPassword", pw, err)
		}
	}
}

func TestRCONPasswordIsNeverLogged(t *testing.T) {
	for _, where := range []string{"server.cfg", "command line"} {
		t.Run(where, func(t *testing.T) {
			var args []string
			if where == "command line" {
				args = []string{"+rcon_password", rconPassword}
			}
			s, addr, c := startWithRCON(t, args...)
			exec(t, c, "status")
			exec(t, c, "changelevel c2m1_highway")
			exec(t, c, "banid 0 STEAM_1:0:1001 kick")
			exec(t, c, "say "+rconPassword[:6])
			bad := rcon.NewClient(addr, rconPassword+"x")
			bad.Exec(context.Background(), "status")
			bad.Close()
			log := s.wholeLog(t)
			if strings.Contains(log, rconPassword) {
				t.Errorf("the password is in the log:\n%s", log)
			}
			for _, want := range []string{"fakesrcds: changelevel c2m1_highway", "fakesrcds: banid 0 STEAM_1:0:1001", "fakesrcds: kicked Ellis"} {
				if !strings.Contains(log, want) {
					t.Errorf("the log lacks %q:\n%s", want, log)
				}
			}
		})
	}
}
