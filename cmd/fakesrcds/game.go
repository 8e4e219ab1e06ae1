package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/left4me/left4me/internal/a2s"
)

// game is the server's state: what A2S reports and what the RCON console
// reads and changes (map, players, bans). Its methods are safe for
// concurrent use.
type game struct {
	out *lineWriter
	now func() time.Time

	mu         sync.Mutex
	hostname   string
	mapName    string
	maxPlayers int
	folder     string
	port       uint16
	rules      []a2s.Rule
	players    []Player
	nextUserID int
	nextHuman  int      // the simulatedHuman Churn connects next
	churnLeave bool     // whether Churn's next step is a leave
	bans       []string // Steam IDs, in the order banned
}

// Player is one connected player as srcds's "status" lists them.
type Player struct {
	UserID  int
	Name    string
	SteamID string // "BOT" for a bot
	// Joined is when the player connected; srcds shows the time since.
	Joined time.Time
	Ping   int
	Loss   int
	State  string // "active"
	Addr   string // ip:port; empty for a bot
	Score  int32
}

// Bot reports whether p is a bot.
func (p Player) Bot() bool { return p.SteamID == "BOT" }

// playerSpec is a simulated player to connect at start.
type playerSpec struct {
	SteamID, Name string
}

// newGame sets up the game of c on the given port: the bans of its
// server config first (each logged as "fakesrcds: banid MINUTES ID"),
// then its simulated players, refusing banned ones and those past
// maxplayers.
func newGame(c config, port int, players []playerSpec, now func() time.Time, out *lineWriter) *game {
	g := &game{out: out, now: now, hostname: c.hostname, mapName: c.mapName, maxPlayers: c.maxPlayers,
		folder: c.game, port: uint16(port), nextUserID: 2, nextHuman: c.fakePlayers, churnLeave: true,
		rules: rulesOf(c)}
	for _, b := range c.bans {
		g.Ban(b.minutes, b.id, false) // nobody is connected yet
	}
	for _, p := range players {
		if err := g.connect(p); err != nil {
			out.printf("fakesrcds: refused %s (%s): %v", p.Name, p.SteamID, err)
		}
	}
	return g
}

// connect adds a player as if it had connected a while ago (how long
// depends on its user id, so that the list looks lived in).
func (g *game) connect(p playerSpec) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.connectLocked(p, time.Time{})
}

// connectLocked adds a player who joined at joined (zero: a while ago);
// g.mu is held.
func (g *game) connectLocked(p playerSpec, joined time.Time) error {
	if len(g.players) >= g.maxPlayers {
		return errors.New("the server is full")
	}
	if g.bannedLocked(p.SteamID) {
		return errors.New("banned")
	}
	id := g.nextUserID
	g.nextUserID++
	if joined.IsZero() {
		joined = g.now().Add(-time.Duration(30+(id*397)%3600) * time.Second)
	}
	pl := Player{UserID: id, Name: p.Name, SteamID: p.SteamID, State: "active", Joined: joined}
	if !pl.Bot() {
		pl.Ping, pl.Addr = 20+(id*7)%80, fmt.Sprintf("203.0.113.%d:27005", id%250+1)
		pl.Score = int32((id * 3) % 17)
	}
	g.players = append(g.players, pl)
	return nil
}

// Info is the A2S_INFO answer for the game as it is now; its keywords
// are sv_tags, as in srcds.
func (g *game) Info() a2s.Info {
	g.mu.Lock()
	defer g.mu.Unlock()
	bots := 0
	for _, p := range g.players {
		if p.Bot() {
			bots++
		}
	}
	var tags string
	for _, r := range g.rules {
		if r.Name == "sv_tags" {
			tags = r.Value
		}
	}
	return a2s.Info{
		Protocol: 17, Name: g.hostname, Map: g.mapName, Folder: g.folder,
		Game: "Left 4 Dead 2", AppID: 550, Players: byte(min(len(g.players), 255)),
		MaxPlayers: byte(g.maxPlayers), Bots: byte(min(bots, 255)),
		ServerType: 'd', Environment: 'l', VAC: 1, Version: "2.2.4.3",
		Port: g.port, Keywords: tags, GameID: 550,
	}
}

// A2SPlayers is the A2S_PLAYER answer: everyone connected, with the
// seconds since they joined.
func (g *game) A2SPlayers() []a2s.Player {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	out := make([]a2s.Player, 0, len(g.players))
	for _, p := range g.players {
		out = append(out, a2s.Player{Name: p.Name, Score: p.Score, Duration: float32(now.Sub(p.Joined).Seconds())})
	}
	return out
}

// Rules is the A2S_RULES answer.
func (g *game) Rules() []a2s.Rule {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]a2s.Rule(nil), g.rules...)
}

// Hostname is the server's name.
func (g *game) Hostname() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.hostname
}

// MaxPlayers is the number of player slots.
func (g *game) MaxPlayers() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.maxPlayers
}

// Map is the current map.
func (g *game) Map() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.mapName
}

// ChangeLevel switches to mapName (what "changelevel" does): A2S reports
// it from now on, everyone stays connected with a score of 0. It refuses
// a name that is empty or holds white space, quotes or a control
// character, and logs "fakesrcds: changelevel MAP".
func (g *game) ChangeLevel(mapName string) error {
	if mapName == "" || strings.ContainsFunc(mapName, func(r rune) bool { return r <= ' ' || r == '"' || r == 0x7f }) {
		return fmt.Errorf("changelevel: %q is not a map name", mapName)
	}
	g.mu.Lock()
	g.mapName = mapName
	for i := range g.players {
		g.players[i].Score = 0
	}
	g.mu.Unlock()
	g.out.printf("fakesrcds: changelevel %s", mapName)
	return nil
}

// Players lists the connected players in user-id order (a copy).
func (g *game) Players() []Player {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]Player(nil), g.players...)
}

// errNoPlayer is a kick whose target is not connected.
var errNoPlayer = errors.New("no such player")

// KickUserID disconnects the player with that user id ("kickid") and
// returns them, or errNoPlayer. It logs "fakesrcds: kicked NAME (STEAMID)".
func (g *game) KickUserID(userID int) (Player, error) {
	return g.kick(func(p Player) bool { return p.UserID == userID })
}

// KickName disconnects the first player named exactly name ("kick") and
// returns them, or errNoPlayer.
func (g *game) KickName(name string) (Player, error) {
	return g.kick(func(p Player) bool { return p.Name == name })
}

func (g *game) kick(match func(Player) bool) (Player, error) {
	g.mu.Lock()
	var kicked Player
	found := false
	for i, p := range g.players {
		if match(p) {
			kicked, found = p, true
			g.players = append(g.players[:i], g.players[i+1:]...)
			break
		}
	}
	g.mu.Unlock()
	if !found {
		return Player{}, errNoPlayer
	}
	g.out.printf("fakesrcds: kicked %s (%s)", kicked.Name, kicked.SteamID)
	return kicked, nil
}

// Ban records a "banid MINUTES STEAMID [kick]" (0 minutes is for ever;
// srcds keeps the time, fakesrcds only the ID) and logs "fakesrcds:
// banid MINUTES STEAMID". With kick a connected player with that ID is
// kicked; without, as in srcds, they stay until they reconnect.
func (g *game) Ban(minutes int, steamID string, kick bool) {
	g.mu.Lock()
	if !g.bannedLocked(steamID) {
		g.bans = append(g.bans, steamID)
	}
	g.mu.Unlock()
	g.out.printf("fakesrcds: banid %d %s", minutes, steamID)
	if kick {
		g.kick(func(p Player) bool { return p.SteamID == steamID })
	}
}

// Unban removes a ban ("removeid") and reports whether there was one.
func (g *game) Unban(steamID string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, id := range g.bans {
		if id == steamID {
			g.bans = append(g.bans[:i], g.bans[i+1:]...)
			return true
		}
	}
	return false
}

// Bans lists the banned Steam IDs in the order banned.
func (g *game) Bans() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.bans...)
}

func (g *game) bannedLocked(steamID string) bool {
	for _, id := range g.bans {
		if id == steamID {
			return true
		}
	}
	return false
}

// defaultRules are the console variables L4D2 publishes through A2S_RULES
// (those flagged to notify), with srcds's defaults.
var defaultRules = []a2s.Rule{
	{Name: "coop", Value: "0"},
	{Name: "deathmatch", Value: "1"},
	{Name: "mp_gamemode", Value: "coop"},
	{Name: "sv_alltalk", Value: "0"},
	{Name: "sv_cheats", Value: "0"},
	{Name: "sv_gametypes", Value: "coop,realism,survival,versus,scavenge"},
	{Name: "sv_password", Value: "0"},
	{Name: "sv_tags", Value: ""},
	{Name: "z_difficulty", Value: "Normal"},
}

// rulesOf is defaultRules with the values c's command line and server
// config set, then c.fakeRules filler rules (to make the answer long).
// A protected variable (sv_password) shows only whether it is set, as in
// srcds.
func rulesOf(c config) []a2s.Rule {
	rules := append([]a2s.Rule(nil), defaultRules...)
	for i, r := range rules {
		v, ok := c.cvars[r.Name]
		if !ok {
			continue
		}
		if r.Name == "sv_password" {
			v = map[bool]string{true: "1", false: "0"}[v != ""]
		}
		rules[i].Value = v
	}
	for i := range c.fakeRules {
		rules = append(rules, a2s.Rule{Name: fmt.Sprintf("fakesrcds_rule_%03d", i+1),
			Value: fmt.Sprintf("a value long enough to fill packets %03d", i+1)})
	}
	return rules
}

// simulatedNames are the names -fakeplayers gives, in turn: spaces,
// quotes, non-ASCII and a long one, as real players choose.
var simulatedNames = []string{
	"Ellis", `Zoë "the" kid`, "Николай", "tank food", "ちょっと待って", `a\b;c'd`,
	"a name of thirty-one characters", "Nick",
}

// survivors are the bots -fakebots connects, in turn.
var survivors = []string{"Coach", "Rochelle", "Ellis", "Nick"}

// simulatedPlayers returns n humans (simulatedHuman 0 to n-1) and bots
// survivors.
func simulatedPlayers(humans, bots int) []playerSpec {
	var out []playerSpec
	for i := range humans {
		out = append(out, simulatedHuman(i))
	}
	for i := range bots {
		out = append(out, playerSpec{SteamID: "BOT", Name: survivors[i%len(survivors)]})
	}
	return out
}

// simulatedHuman is the i-th simulated human (from 0): a name from
// simulatedNames (numbered after the first round) and the Steam ID
// STEAM_1:(i%2):(1001+i).
func simulatedHuman(i int) playerSpec {
	name := simulatedNames[i%len(simulatedNames)]
	if i >= len(simulatedNames) {
		name += " " + strconv.Itoa(i/len(simulatedNames)+1)
	}
	return playerSpec{SteamID: fmt.Sprintf("STEAM_1:%d:%d", i%2, 1001+i), Name: name}
}

// Churn is one step of -fakechurn: in turn, the human connected longest
// leaves ("fakesrcds: NAME left") and the next simulated human joins
// ("fakesrcds: NAME joined"); a leave with no human joins instead, a
// join on a full server leaves instead. Bots stay.
func (g *game) Churn() {
	g.mu.Lock()
	leave := g.churnLeave
	g.churnLeave = !leave
	oldest := -1
	for i, p := range g.players {
		if !p.Bot() && (oldest < 0 || p.Joined.Before(g.players[oldest].Joined)) {
			oldest = i
		}
	}
	if (leave || len(g.players) >= g.maxPlayers) && oldest >= 0 {
		p := g.players[oldest]
		g.players = append(g.players[:oldest], g.players[oldest+1:]...)
		g.mu.Unlock()
		g.out.printf("fakesrcds: %s left", p.Name)
		return
	}
	next := simulatedHuman(g.nextHuman)
	g.nextHuman++
	err := g.connectLocked(next, g.now())
	g.mu.Unlock()
	if err != nil {
		g.out.printf("fakesrcds: refused %s (%s): %v", next.Name, next.SteamID, err)
		return
	}
	g.out.printf("fakesrcds: %s joined", next.Name)
}

// readPlayersFile reads simulated players from path: one a line, its
// Steam ID ("STEAM_1:0:123", "[U:1:246]" or "BOT"), one space, then the
// name as it is to the end of the line (spaces, quotes and any UTF-8).
// Blank lines and lines starting with "//" are skipped.
func readPlayersFile(path string) ([]playerSpec, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: players file: %v", errUsage, err)
	}
	defer f.Close()
	var out []playerSpec
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "//") {
			continue
		}
		id, name, ok := strings.Cut(line, " ")
		valid := id == "BOT" || strings.HasPrefix(id, "STEAM_") || strings.HasPrefix(id, "[U:")
		if !ok || name == "" || !valid || strings.ContainsRune(name, 0) {
			return nil, fmt.Errorf("%w: players file %s line %d: want a Steam ID (STEAM_1:0:123 or BOT), a space and a name, got %q",
				errUsage, path, n, line)
		}
		out = append(out, playerSpec{SteamID: id, Name: name})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: players file %s: %v", errUsage, path, err)
	}
	return out, nil
}
