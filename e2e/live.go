package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/a2s"
	"github.com/left4me/left4me/internal/rcon"
)

// Step 2b (issue 13): the game itself through the panel's API, against
// fakesrcds under systemd: the live view (A2S, asked by the panel's
// sweep), the start job's wait for the first answer, RCON (status,
// changelevel, a kick, a ban) and the ban applied again at the next start
// through server.cfg; and the RCON password in no answer of the panel.

const (
	// liveInterval is LEFT4ME_LIVE_INTERVAL in the test (web.env).
	liveInterval = 2 * time.Second
	// fakePlayers is the default blueprint's extra arguments: two
	// simulated humans in every game server it starts (fakesrcds's
	// simulatedHuman 0 and 1, user ids 2 and 3).
	fakePlayers = "-fakeplayers\n2"
	humans      = 2
	// The player the scenario kicks, and the one it bans.
	kickedName    = `Zoë "the" kid`
	kickedUserID  = 3
	kickedSteamID = "STEAM_1:1:1002"
	bannedName    = "Ellis"
	bannedSteamID = "STEAM_1:0:1001"
	// newMap is where changelevel sends the game.
	newMap = "c2m1_highway"
	// liveWait is "within a few sweeps".
	liveWait = 3*liveInterval + pollSlack
)

// apiLive is GET /api/v1/servers/{name}/live.
type apiLive struct {
	Answered   bool   `json:"answered"`
	Error      string `json:"error"`
	HostName   string `json:"host_name"`
	Map        string `json:"map"`
	Players    int    `json:"players"`
	MaxPlayers int    `json:"max_players"`
	PlayerList []struct {
		Name string `json:"name"`
	} `json:"player_list"`
}

func (l apiLive) String() string {
	names := make([]string, len(l.PlayerList))
	for i, p := range l.PlayerList {
		names[i] = p.Name
	}
	return fmt.Sprintf("answered %v (%q), host name %q, map %s, %d/%d players %q", l.Answered, l.Error, l.HostName, l.Map, l.Players, l.MaxPlayers, names)
}

// apiStatus is GET /api/v1/servers/{name}/players: the game's status.
type apiStatus struct {
	HostName   string `json:"host_name"`
	Map        string `json:"map"`
	Humans     int    `json:"humans"`
	MaxPlayers int    `json:"max_players"`
	Players    []struct {
		UserID  int    `json:"user_id"`
		Name    string `json:"name"`
		SteamID string `json:"steam_id"`
	} `json:"players"`
}

func (s apiStatus) has(steamID string) bool {
	for _, p := range s.Players {
		if p.SteamID == steamID {
			return true
		}
	}
	return false
}

// setArgs saves args (one a line) as the extra srcds arguments of the
// blueprint bp through its edit form, keeping its other fields.
func (w *panelWeb) setArgs(ctx context.Context, bp, args string) bool {
	path, err := w.blueprintPath(ctx, bp)
	var form url.Values
	if err == nil {
		d, perr := w.page(ctx, path)
		if err = perr; err == nil {
			form, err = formValues(d, "form[data-testid=blueprint-form]")
		}
	}
	if err == nil {
		form.Set("args", args)
		err = w.post(ctx, path, form, path) // back to the blueprint's page
	}
	return w.b.r.check(fmt.Sprintf("POST %s (the blueprint form): blueprint %s's srcds arguments are %q", path, bp,
		strings.ReplaceAll(args, "\n", " ")), err)
}

// startAnswered checks the output of the job followed last (a start or
// restart of coop-1): it waited for the game's first A2S answer and
// ended with what the game said.
func (p *panelAPI) startAnswered(ctx context.Context, op string) {
	p.mu.Lock()
	out := append([]string(nil), p.lastOutput...)
	p.mu.Unlock()
	want := fmt.Sprintf("answering as '%s' on %s, %d/%d players", gameNight, gameMap, humans, maxPlayers)
	err := fmt.Errorf("no line %q in the job's output:\n%s", want, strings.Join(out, "\n"))
	for _, l := range out {
		if strings.Contains(l, want) {
			err = nil
		}
	}
	p.b.r.check(fmt.Sprintf("the %s job's output ends with what the game said: %q", op, want), err)
}

// live is the panel's live view of coop-1.
func (p *panelAPI) live(ctx context.Context) (apiLive, error) {
	var l apiLive
	err := p.expect(ctx, 200, "GET", "/api/v1/servers/"+name+"/live", nil, &l)
	return l, err
}

// waitLive polls the live view until ok accepts it or within passes.
func (p *panelAPI) waitLive(ctx context.Context, within time.Duration, ok func(apiLive) error) (apiLive, error) {
	var l apiLive
	err := waitFor(ctx, within, func() error {
		var err error
		if l, err = p.live(ctx); err != nil {
			return err
		}
		return ok(l)
	})
	return l, err
}

// rcon sends one console command to coop-1 through the API and returns
// the game's answer.
func (p *panelAPI) rcon(ctx context.Context, command string) (string, error) {
	var a struct {
		Answer string `json:"answer"`
	}
	err := p.expect(ctx, 200, "POST", "/api/v1/servers/"+name+"/rcon", map[string]string{"command": command}, &a)
	return a.Answer, err
}

// players is coop-1's status through the API.
func (p *panelAPI) players(ctx context.Context) (apiStatus, error) {
	var s apiStatus
	err := p.expect(ctx, 200, "GET", "/api/v1/servers/"+name+"/players", nil, &s)
	return s, err
}

// a2sMap is the map the game reports on its port (A2S_INFO), asked from
// the container's network namespace.
func (b *bed) a2sMap(ctx context.Context) (string, error) {
	res := b.c.netExec(ctx, b.self, "a2s", "127.0.0.1:"+strconv.Itoa(port))
	if err := codeIs(res, 0); err != nil {
		return "", err
	}
	var info a2s.Info
	if err := json.Unmarshal([]byte(res.out), &info); err != nil {
		return "", err
	}
	return info.Map, nil
}

// gameLog is coop-1's log through l4d2ctl logs: all of it (the last 500
// lines) and the lines since the game server last started.
func (b *bed) gameLog(ctx context.Context) (all string, current []string, err error) {
	res := b.asLeft4me(ctx, "l4d2ctl", "logs", name, "-n", "500")
	if err := codeIs(res, 0); err != nil {
		return "", nil, err
	}
	lines := strings.Split(res.out, "\n")
	start := 0
	for i, l := range lines {
		if strings.Contains(l, "fakesrcds: starting: ") {
			start = i
		}
	}
	return res.out, lines[start:], nil
}

// logHas checks that coop-1's log since its last start has a line with
// each of want, waiting a little for the journal.
func (b *bed) logHas(ctx context.Context, what string, want ...string) {
	err := waitFor(ctx, 5*time.Second, func() error {
		_, lines, err := b.gameLog(ctx)
		if err != nil {
			return err
		}
		text := strings.Join(lines, "\n")
		for _, w := range want {
			if !strings.Contains(text, w) {
				return fmt.Errorf("no line with %q since the game server's start:\n%s", w, text)
			}
		}
		return nil
	})
	b.r.check(what, err)
}

// theGame is step 2b: coop-1 runs on the default blueprint, with its
// server.cfg's host name and two simulated players.
func (b *bed) theGame(ctx context.Context) {
	p := b.api
	l, err := p.waitLive(ctx, liveWait, func(l apiLive) error {
		if !l.Answered || l.HostName != gameNight || l.Map != gameMap || l.Players != humans || l.MaxPlayers != maxPlayers || len(l.PlayerList) != humans {
			return fmt.Errorf("the live view says %s", l)
		}
		return nil
	})
	b.r.check(fmt.Sprintf("GET /api/v1/servers/%s/live: answered as %q on %s, %d/%d players with their names", name, gameNight, gameMap, humans, maxPlayers), err)
	if err == nil {
		b.r.note("live view: %s", l)
	}

	answer, err := p.rcon(ctx, "status")
	if err == nil {
		st := rcon.ParseStatus(answer)
		switch {
		case st.HostName != gameNight || st.Map != gameMap || st.Humans != humans || st.MaxPlayers != maxPlayers:
			err = fmt.Errorf("status reads as host name %q, map %q, %d humans, %d max:\n%s", st.HostName, st.Map, st.Humans, st.MaxPlayers, answer)
		case len(st.Players) != humans || st.Players[1].Name != kickedName || st.Players[1].SteamID != kickedSteamID || st.Players[1].UserID != kickedUserID:
			err = fmt.Errorf("status's players: %+v", st.Players)
		}
	}
	b.r.check(fmt.Sprintf(`POST …/rcon {"command": "status"}: L4D2's status, map %s and the %d players with user ids and Steam IDs`, gameMap, humans), err)
	st, err := p.players(ctx)
	if err == nil && (st.Map != gameMap || st.HostName != gameNight || len(st.Players) != humans || !st.has(bannedSteamID) || !st.has(kickedSteamID)) {
		err = fmt.Errorf("got %+v", st)
	}
	b.r.check("GET …/players: the map and both players, parsed from status", err)

	answer, err = p.rcon(ctx, "changelevel "+newMap)
	if err == nil && strings.TrimSpace(answer) != "" {
		err = fmt.Errorf("changelevel answered %q", answer)
	}
	b.r.check(`POST …/rcon {"command": "changelevel `+newMap+`"}: 200, no complaint`, err)
	t := time.Now()
	_, err = p.waitLive(ctx, liveWait, func(l apiLive) error {
		if !l.Answered || l.Map != newMap {
			return fmt.Errorf("the live view says %s", l)
		}
		return nil
	})
	what := fmt.Sprintf("GET …/live: the map is %s within %s (A2S, the sweep every %s)", newMap, liveWait, liveInterval)
	if err == nil {
		what += fmt.Sprintf(" (took %s)", time.Since(t).Round(100*time.Millisecond))
	}
	b.r.check(what, err)
	m, err := b.a2sMap(ctx)
	if err == nil && m != newMap {
		err = fmt.Errorf("A2S says the map is %s", m)
	}
	b.r.check("A2S_INFO on the game port reports "+newMap, err)
	answer, err = p.rcon(ctx, "changelevel nowhere")
	if err == nil && answer != "changelevel failed: nowhere not found\n" {
		err = fmt.Errorf("answered %q", answer)
	}
	b.r.check(`POST …/rcon {"command": "changelevel nowhere"}: the game says it is not found`, err)
	b.logHas(ctx, "the game server's log has fakesrcds's changelevel line", "fakesrcds: changelevel "+newMap)

	err = p.expect(ctx, 200, "POST", fmt.Sprintf("/api/v1/servers/%s/players/%d/kick", name, kickedUserID), nil, &struct{}{})
	if err == nil {
		st, err = p.players(ctx)
		if err == nil && (st.has(kickedSteamID) || !st.has(bannedSteamID)) {
			err = fmt.Errorf("after the kick: %+v", st.Players)
		}
	}
	b.r.check(fmt.Sprintf("POST …/players/%d/kick: %s is gone, %s still there", kickedUserID, kickedName, bannedName), err)
	b.logHas(ctx, "the game server's log has the kick", fmt.Sprintf("fakesrcds: kicked %s (%s)", kickedName, kickedSteamID))

	var ban struct {
		Applied string `json:"applied"`
		Note    string `json:"note"`
	}
	err = p.expect(ctx, 201, "POST", "/api/v1/servers/"+name+"/bans",
		map[string]string{"steam_id": bannedSteamID, "name": bannedName, "reason": "e2e"}, &ban)
	if err == nil && ban.Applied != "now" {
		err = fmt.Errorf("applied %q: %s", ban.Applied, ban.Note)
	}
	if err == nil {
		st, err = p.players(ctx)
		if err == nil && len(st.Players) != 0 {
			err = fmt.Errorf("after the ban: %+v", st.Players)
		}
	}
	b.r.check(fmt.Sprintf("POST …/bans %s: 201, applied now, %s kicked (no player left)", bannedSteamID, bannedName), err)
	b.logHas(ctx, "the game server's log has the ban and the kick it asked for",
		"fakesrcds: banid 0 "+bannedSteamID, fmt.Sprintf("fakesrcds: kicked %s (%s)", bannedName, bannedSteamID))
	b.bansAre(ctx, bannedSteamID)

	// The ban survives a restart: the start job writes it into server.cfg.
	p.action(ctx, "restart")
	p.startAnsweredAfterBan(ctx)
	b.logHas(ctx, "after the restart the game server executed the panel's banid and kept "+bannedName+" out",
		"fakesrcds: banid 0 "+bannedSteamID, fmt.Sprintf("fakesrcds: refused %s (%s): banned", bannedName, bannedSteamID))
	st, err = p.players(ctx)
	if err == nil && (st.Map != gameMap || len(st.Players) != 1 || !st.has(kickedSteamID)) {
		err = fmt.Errorf("got map %s, players %+v", st.Map, st.Players)
	}
	b.r.check(fmt.Sprintf("GET …/players after the restart: %s again, %s back (only kicked), %s not", gameMap, kickedName, bannedName), err)

	var unban struct {
		Applied string `json:"applied"`
	}
	err = p.expect(ctx, 200, "DELETE", "/api/v1/servers/"+name+"/bans/"+bannedSteamID, nil, &unban)
	if err == nil && unban.Applied != "now" {
		err = fmt.Errorf("applied %q", unban.Applied)
	}
	b.r.check("DELETE …/bans/"+bannedSteamID+": applied now", err)
	b.logHas(ctx, "the game server's log has the removeid", "fakesrcds: removeid "+bannedSteamID)
	b.bansAre(ctx)

	b.passwordNowhere(ctx)
}

// startAnsweredAfterBan checks the restart job's output: the game
// answered with one player, the banned one kept out.
func (p *panelAPI) startAnsweredAfterBan(ctx context.Context) {
	p.mu.Lock()
	out := strings.Join(p.lastOutput, "\n")
	p.mu.Unlock()
	want := fmt.Sprintf("answering as '%s' on %s, 1/%d players", gameNight, gameMap, maxPlayers)
	var err error
	if !strings.Contains(out, want) {
		err = fmt.Errorf("no line %q in the job's output:\n%s", want, out)
	}
	p.b.r.check(fmt.Sprintf("the restart job's output ends with %q", want), err)
}

// bansAre checks GET …/bans against the Steam IDs want.
func (b *bed) bansAre(ctx context.Context, want ...string) {
	var list struct {
		Bans []struct {
			SteamID string `json:"steam_id"`
			Name    string `json:"name"`
		} `json:"bans"`
	}
	err := b.api.expect(ctx, 200, "GET", "/api/v1/servers/"+name+"/bans", nil, &list)
	var got []string
	for _, x := range list.Bans {
		got = append(got, x.SteamID)
	}
	if err == nil && strings.Join(got, " ") != strings.Join(want, " ") {
		err = fmt.Errorf("bans %q, want %q", got, want)
	}
	b.r.check(fmt.Sprintf("GET …/bans lists %q", want), err)
}

// passwordNowhere checks, inside the container, that coop-1's RCON
// password (read there from its server.cfg, so it never reaches this
// program) is in no answer the panel gave the scenario so far (each job's
// output among them) and not in the game server's log.
func (b *bed) passwordNowhere(ctx context.Context) {
	all, _, err := b.gameLog(ctx)
	if !b.r.check("read the game server's log (l4d2ctl logs)", err) {
		return
	}
	b.api.mu.Lock()
	text := b.api.answers.String() + "\n" + all
	b.api.mu.Unlock()
	script := `pw=$(sed -n 's/^rcon_password "\(.*\)"$/\1/p' ` + instanceDir + `/server.cfg | tail -n 1)
if [ ${#pw} -lt 32 ]; then echo "no RCON password of 32 characters or more in server.cfg" >&2; exit 3; fi
case $(cat) in *"$pw"*) echo "the password is there" >&2; exit 1 ;; esac`
	res := b.c.exec(ctx, text, "sh", "-c", script)
	err = codeIs(res, 0)
	if err == nil && len(text) < 1000 {
		err = errors.New("there was hardly anything to search")
	}
	b.r.check(fmt.Sprintf("the RCON password is in none of the panel's answers so far (%d KB, job outputs among them) nor in the game server's log",
		len(text)/1024), err)
}

// resourcesRead checks that systemd's figures of the running coop-1 (its
// cgroup's memory and tasks, the time it became active: read over the
// bus, or by the show helper) reach the API's server object. Where
// systemd itself keeps no accounting for the unit (a container whose
// cgroup controllers are not delegated to it: MemoryCurrent, CPUUsageNSec
// and TasksCurrent all "[not set]"), the API must say null rather than
// zeros, and the run says which of the two it checked.
func (p *panelAPI) resourcesRead(ctx context.Context) {
	res := p.b.sh(ctx, "systemctl show left4me-server@"+name+".service -p MemoryCurrent,CPUUsageNSec,TasksCurrent --value")
	accounting := !strings.Contains(res.out, "[not set]\n[not set]\n[not set]")
	var srv struct {
		Resources *struct {
			MemoryBytes   uint64 `json:"memory_bytes"`
			Tasks         uint64 `json:"tasks"`
			UptimeSeconds *int64 `json:"uptime_seconds"`
		} `json:"resources"`
	}
	if !accounting {
		p.b.r.note("resources: systemd keeps no accounting for %s here (its cgroup controllers are not delegated to this container)", name)
		time.Sleep(2 * pollInterval) // a poll or two read the unit
		err := p.expect(ctx, 200, "GET", "/api/v1/servers/"+name, nil, &srv)
		if err == nil && srv.Resources != nil {
			err = fmt.Errorf("resources %+v where systemd has none", *srv.Resources)
		}
		p.b.r.check(fmt.Sprintf("GET /api/v1/servers/%s: resources null where systemd keeps no accounting", name), err)
		return
	}
	tries := 0
	err := waitFor(ctx, 20*pollInterval+pollSlack, func() error {
		if tries++; tries > 1 {
			time.Sleep(pollInterval) // one look a poll: the API counts requests a minute
		}
		if err := p.expect(ctx, 200, "GET", "/api/v1/servers/"+name, nil, &srv); err != nil {
			return err
		}
		switch r := srv.Resources; {
		case r == nil:
			return errors.New("no resources yet")
		case r.MemoryBytes == 0 || r.Tasks == 0 || r.UptimeSeconds == nil:
			return fmt.Errorf("resources %+v: want memory, tasks and an uptime", *r)
		}
		return nil
	})
	p.b.r.check(fmt.Sprintf("GET /api/v1/servers/%s: systemd's memory, tasks and uptime of the running unit", name), err)
}
