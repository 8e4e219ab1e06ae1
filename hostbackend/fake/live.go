package fake

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/internal/rcon"
)

var _ hostbackend.Live = (*Backend)(nil)

// liveTick is the simulated game's step: every tick a player may join or
// leave.
const liveTick = 15 * time.Second

// mapTicks is how many ticks a map lasts before the campaign moves on.
const mapTicks = 40

// liveSims are the simulated games of the running units, by instance: a
// game lives as long as its unit's process (a new main PID boots a new
// one, back on the map it was started with and with the bans its
// server.cfg names).
type liveSims struct {
	mu     sync.Mutex
	games  map[string]*simGame
	silent map[string]bool // instances whose game never answers (a hung srcds)
}

// simGame is one simulated srcds: what A2S and RCON report.
type simGame struct {
	pid       int
	port      int
	hostName  string
	mapName   string
	mode      string
	max       int
	password  string
	bans      map[string]bool // Steam IDs
	players   []simPlayer
	nextID    int
	rng       *rand.Rand
	steppedTo time.Time
	mapSince  time.Time
}

type simPlayer struct {
	userID int
	name   string
	steam  string
	since  time.Time
	score  int
	ping   int
	bot    bool
	addr   string
}

// simNames are the players who come and go, some with names that test a
// parser: spaces, quotes, non-ASCII, the longest Steam allows.
var simNames = []string{"Ellis fan", "Zoë", `"Quote" Man`, "nick", "Rochelle_77", "ばか", "Tank Bait",
	"a-name-of-thirty-two-characters!", "Witch please", "Coach's boy", "x", "Moustachio"}

// SilenceGame makes the game of name stop answering queries and RCON while
// its unit still runs (a hung srcds), or answer again.
func (b *Backend) SilenceGame(name string, silent bool) {
	b.live.mu.Lock()
	defer b.live.mu.Unlock()
	if b.live.silent == nil {
		b.live.silent = map[string]bool{}
	}
	b.live.silent[name] = silent
}

// LiveQuery implements hostbackend.Live: a running unit's simulated game
// answers (after the unit is active, on the port it was started with),
// anything else does not.
func (b *Backend) LiveQuery(ctx context.Context, targets []hostbackend.LiveTarget) []hostbackend.LiveInfo {
	out := make([]hostbackend.LiveInfo, len(targets))
	pids, err := b.mainPIDs(targets)
	for i, t := range targets {
		out[i] = hostbackend.LiveInfo{Name: t.Name, Err: "no answer within 1 s"}
		if err != nil {
			out[i].Err = err.Error()
			continue
		}
		if ctx.Err() != nil {
			out[i].Err = ctx.Err().Error()
			continue
		}
		b.live.mu.Lock()
		g := b.gameLocked(t.Name, pids[i])
		if g != nil && g.port == t.Port {
			out[i] = g.info(t.Name, b.opts.Now())
		}
		b.live.mu.Unlock()
	}
	return out
}

// RCON implements hostbackend.Live with the commands an operator uses
// most: status, say, changelevel, kick, kickid, banid, removeid, users.
func (b *Backend) RCON(ctx context.Context, t hostbackend.LiveTarget, password, command string) (string, error) {
	if err := hostbackend.ValidateName(t.Name); err != nil {
		return "", err
	}
	if strings.ContainsAny(command, "\x00\r\n") {
		return "", errors.New("an RCON command is one line: it may not hold a line break or NUL")
	}
	pids, err := b.mainPIDs([]hostbackend.LiveTarget{t})
	if err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	b.live.mu.Lock()
	defer b.live.mu.Unlock()
	g := b.gameLocked(t.Name, pids[0])
	if g == nil || g.port != t.Port {
		return "", fmt.Errorf("rcon 127.0.0.1:%d: connection refused", t.Port)
	}
	if g.password == "" || password != g.password {
		return "", hostbackend.ErrRCONPassword
	}
	g.step(b.opts.Now())
	return g.exec(command, b.opts.Now()), nil
}

// mainPIDs returns the main PID of each target's unit, 0 for one not
// running.
func (b *Backend) mainPIDs(targets []hostbackend.LiveTarget) ([]int, error) {
	for _, t := range targets {
		if err := hostbackend.ValidateName(t.Name); err != nil {
			return nil, err
		}
	}
	if err := b.lock(); err != nil {
		b.unlock()
		return nil, err
	}
	defer b.unlock()
	now := b.opts.Now()
	pids := make([]int, len(targets))
	for i, t := range targets {
		if st := b.statusLocked(t.Name, now); st.ActiveState == "active" && st.SubState == "running" {
			pids[i] = st.MainPID
		}
	}
	return pids, nil
}

// gameLocked returns the game of name's process pid, booting it when the
// process is new, or nil when there is none (not running, or silenced).
func (b *Backend) gameLocked(name string, pid int) *simGame {
	if pid == 0 || b.live.silent[name] {
		return nil
	}
	if b.live.games == nil {
		b.live.games = map[string]*simGame{}
	}
	if g := b.live.games[name]; g != nil && g.pid == pid {
		return g
	}
	spec, ok := b.specOf(name)
	if !ok {
		return nil
	}
	g := newSimGame(spec, b.mergedFile(spec, "left4dead2/cfg/autoexec.cfg"), pid, b.opts.Now())
	b.live.games[name] = g
	return g
}

// specOf is what the instance was last provisioned with: kept in memory,
// or read back from its files under the state root.
func (b *Backend) specOf(name string) (hostbackend.InstanceSpec, bool) {
	b.mu.Lock()
	spec, ok := b.specs[name]
	b.mu.Unlock()
	if ok || b.opts.StateRoot == "" {
		return spec, ok
	}
	spec, err := hostbackend.InstanceFiles{Root: b.opts.StateRoot}.Read(name)
	return spec, err == nil
}

var (
	cfgHostname = regexp.MustCompile(`(?m)^\s*hostname\s+"?([^"\r\n]*)"?\s*$`)
	cfgPassword = regexp.MustCompile(`(?m)^\s*rcon_password\s+"([^"\r\n]*)"\s*$`)
	cfgBan      = regexp.MustCompile(`(?m)^\s*banid\s+\d+\s+(\S+)`)
)

// newSimGame boots the game of spec: autoexec is the text of the
// autoexec.cfg its layers give it (executed at start, before the server
// config), "" for none.
func newSimGame(spec hostbackend.InstanceSpec, autoexec string, pid int, now time.Time) *simGame {
	g := &simGame{pid: pid, port: spec.Port, hostName: "Left 4 Dead 2", mapName: "c1m1_hotel", mode: "coop", max: 4,
		bans: map[string]bool{}, nextID: 2, steppedTo: now, mapSince: now}
	for i := 0; i+1 < len(spec.Args); i++ {
		switch spec.Args[i] {
		case "+map":
			g.mapName = spec.Args[i+1]
		case "+mp_gamemode":
			g.mode = spec.Args[i+1]
		case "+maxplayers":
			if n, err := strconv.Atoi(spec.Args[i+1]); err == nil && n > 0 {
				g.max = n
			}
		}
	}
	for _, cfg := range []string{autoexec, spec.ServerConfig} {
		if m := cfgHostname.FindAllStringSubmatch(cfg, -1); len(m) > 0 {
			g.hostName = m[len(m)-1][1]
		}
	}
	if m := cfgPassword.FindAllStringSubmatch(spec.ServerConfig, -1); len(m) > 0 {
		g.password = m[len(m)-1][1]
	}
	for _, m := range cfgBan.FindAllStringSubmatch(spec.ServerConfig, -1) {
		g.bans[m[1]] = true
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", spec.Name, pid)
	g.rng = rand.New(rand.NewPCG(h.Sum64(), uint64(pid)))
	return g
}

// step moves the game on to now: players join and leave, tick by tick,
// and a map played long enough gives way to the campaign's next one.
func (g *simGame) step(now time.Time) {
	for ; !g.steppedTo.Add(liveTick).After(now); g.steppedTo = g.steppedTo.Add(liveTick) {
		at := g.steppedTo.Add(liveTick)
		switch r := g.rng.Float64(); {
		case r < 0.3 && len(g.players) < g.max:
			name := simNames[g.rng.IntN(len(simNames))]
			steam := fmt.Sprintf("STEAM_1:%d:%d", g.rng.IntN(2), 10000+g.rng.IntN(90000000))
			if g.bans[steam] {
				continue
			}
			g.players = append(g.players, simPlayer{userID: g.nextID, name: name, steam: steam, since: at,
				ping: 20 + g.rng.IntN(120), addr: fmt.Sprintf("203.0.113.%d:27005", 1+g.rng.IntN(250))})
			g.nextID++
		case r < 0.45 && len(g.players) > 0:
			i := g.rng.IntN(len(g.players))
			g.players = slices.Delete(g.players, i, i+1)
		}
		for i := range g.players {
			g.players[i].score += g.rng.IntN(3)
		}
		if at.Sub(g.mapSince) >= mapTicks*liveTick {
			g.mapName, g.mapSince = nextChapter(g.mapName), at
		}
	}
}

// nextChapter is the map after m in its campaign (c2m1_highway →
// c2m2_fairground when known), or m itself.
func nextChapter(m string) string {
	for i, c := range campaignMaps {
		if c == m && i+1 < len(campaignMaps) && campaignMaps[i+1][:2] == m[:2] {
			return campaignMaps[i+1]
		}
		if c == m && i+1 < len(campaignMaps) {
			// the finale: the campaign starts over
			j := i
			for j > 0 && campaignMaps[j-1][:2] == m[:2] {
				j--
			}
			return campaignMaps[j]
		}
	}
	return m
}

// campaignMaps are the first two campaigns' chapters, in order.
var campaignMaps = []string{"c1m1_hotel", "c1m2_streets", "c1m3_mall", "c1m4_atrium",
	"c2m1_highway", "c2m2_fairground", "c2m3_coaster", "c2m4_barns", "c2m5_concert"}

func (g *simGame) info(name string, now time.Time) hostbackend.LiveInfo {
	g.step(now)
	in := hostbackend.LiveInfo{Name: name, Answered: true, RTT: time.Duration(300+g.rng.IntN(400)) * time.Microsecond,
		HostName: g.hostName, Map: g.mapName, Game: "L4D2 - " + modeName(g.mode), Version: "2.2.4.3",
		Players: len(g.players), MaxPlayers: g.max, Secure: true, PlayerList: []hostbackend.LivePlayer{}}
	for _, p := range g.players {
		in.PlayerList = append(in.PlayerList, hostbackend.LivePlayer{Name: p.name, Score: p.score, Connected: now.Sub(p.since)})
	}
	return in
}

func modeName(mode string) string {
	switch mode {
	case "coop":
		return "Co-op"
	case "versus":
		return "Versus"
	case "survival":
		return "Survival"
	case "scavenge":
		return "Scavenge"
	case "realism":
		return "Realism"
	}
	return mode
}

var mapName = regexp.MustCompile(`^c\d{1,2}m\d_[a-z0-9_]+$`)

// exec answers one RCON command as srcds would.
func (g *simGame) exec(command string, now time.Time) string {
	f := strings.Fields(command)
	if len(f) == 0 {
		return ""
	}
	arg := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(command), f[0]))
	switch strings.ToLower(f[0]) {
	case "status":
		return g.status(now)
	case "users":
		var b strings.Builder
		b.WriteString("<slot:userid:\"name\">\n")
		for i, p := range g.players {
			fmt.Fprintf(&b, "%d:%d:\"%s\"\n", i, p.userID, p.name)
		}
		fmt.Fprintf(&b, "%d users\n", len(g.players))
		return b.String()
	case "say":
		return "Console: " + arg + "\n"
	case "changelevel", "map":
		if !mapName.MatchString(arg) {
			return fmt.Sprintf("changelevel failed: %s not found\n", arg)
		}
		g.mapName, g.mapSince = arg, now
		for i := range g.players {
			g.players[i].score = 0
		}
		return ""
	case "kick":
		for i, p := range g.players {
			if p.name == strings.Trim(arg, `"`) {
				g.players = slices.Delete(g.players, i, i+1)
				return ""
			}
		}
		return fmt.Sprintf("Can't kick %s, no such player\n", arg)
	case "kickid":
		if len(f) < 2 {
			return "Usage:  kickid < userid | uniqueid > { message }\n"
		}
		for i, p := range g.players {
			if strconv.Itoa(p.userID) == f[1] || p.steam == f[1] {
				g.players = slices.Delete(g.players, i, i+1)
				return fmt.Sprintf("Kicked by Console : %s\n", strings.TrimSpace(strings.TrimPrefix(arg, f[1])))
			}
		}
		return fmt.Sprintf("userid \"%s\" not found\n", f[1])
	case "banid":
		if len(f) < 3 {
			return "Usage:  banid < minutes > < userid | uniqueid > { kick }\n"
		}
		id := f[2]
		for i, p := range g.players {
			if strconv.Itoa(p.userID) == id || p.steam == id {
				id = p.steam
				if len(f) > 3 && f[3] == "kick" {
					g.players = slices.Delete(g.players, i, i+1)
				}
				break
			}
		}
		g.bans[id] = true
		return fmt.Sprintf("%s was banned permanently by Console\n", id)
	case "removeid":
		if len(f) < 2 || !g.bans[f[1]] {
			return "removeid: couldn't find " + arg + "\n"
		}
		delete(g.bans, f[1])
		return fmt.Sprintf("%s was removed from the ban list\n", f[1])
	case "hostname":
		if arg == "" {
			return fmt.Sprintf("\"hostname\" = \"%s\"\n", g.hostName)
		}
		g.hostName = strings.Trim(arg, `"`)
		return ""
	}
	return fmt.Sprintf("Unknown command \"%s\"\n", f[0])
}

// status is L4D2's answer to status.
func (g *simGame) status(now time.Time) string {
	st := rcon.Status{HostName: g.hostName, Version: "2.2.4.3 8749", Secure: true,
		Addr: fmt.Sprintf("0.0.0.0:%d [ public 203.0.113.1:%d ]", g.port, g.port),
		Map:  g.mapName, Humans: len(g.players), MaxPlayers: g.max}
	for _, p := range g.players {
		st.Players = append(st.Players, rcon.Player{UserID: p.userID, Name: p.name, SteamID: p.steam,
			Connected: now.Sub(p.since).Round(time.Second), Ping: p.ping, State: "active", Rate: 30000, Addr: p.addr})
	}
	return rcon.FormatStatus(st)
}
