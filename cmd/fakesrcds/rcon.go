package main

import (
	"cmp"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/rcon"
)

// newRCONServer is the RCON server on the game's TCP port: rcon.Server
// (srcds's packets and quirks, a wrong password refused, no password
// refusing everyone) answering with console.exec.
func newRCONServer(g *game, c config, port int, out *lineWriter) *rcon.Server {
	k := &console{g: g, out: out, now: time.Now, addr: net.JoinHostPort(cmp.Or(c.ip, "0.0.0.0"), strconv.Itoa(port))}
	return &rcon.Server{Password: c.rconPassword, Handler: k.exec}
}

// loopbackOnly is the game port's TCP listener as rcon.Server takes it:
// srcds answers RCON from anywhere, but rcon.Server is a test server that
// serves loopback only, so fakesrcds, which binds every address under
// systemd, hands it only the connections from a loopback address (the
// panel's, over 127.0.0.1) and closes any other at once. Addr is the
// port on 127.0.0.1, which is what those connections reach.
type loopbackOnly struct{ net.Listener }

func (l loopbackOnly) Accept() (net.Conn, error) {
	for {
		nc, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if a, ok := nc.RemoteAddr().(*net.TCPAddr); ok && a.IP.IsLoopback() {
			return nc, nil
		}
		nc.Close()
	}
}

func (l loopbackOnly) Addr() net.Addr {
	a, ok := l.Listener.Addr().(*net.TCPAddr)
	if !ok {
		return l.Listener.Addr()
	}
	lo := *a
	if !lo.IP.IsLoopback() {
		lo.IP = net.IPv4(127, 0, 0, 1)
	}
	return &lo
}

// console answers the commands an operator sends over RCON, as L4D2's
// console does, from and to the game's state. What changes the game
// (changelevel, kick, kickid, banid, removeid, say) is logged as a line
// of its own, as srcds logs it; the password never reaches it.
type console struct {
	g    *game
	out  *lineWriter
	now  func() time.Time
	addr string // status's udp/ip
}

// mapShape is what an L4D2 map name looks like (c2m1_highway): a
// campaign's chapter. Other names are not found, as a map that is not
// installed.
var mapShape = regexp.MustCompile(`^c[0-9]{1,2}m[0-9]{1,2}_[a-z0-9_]+$`)

// exec answers one command: status, changelevel MAP (map MAP), kick
// NAME, kickid USERID|STEAMID [message], banid MINUTES USERID|STEAMID
// [kick], removeid STEAMID|SLOT, listid, say TEXT, users; anything else
// is an unknown command.
func (k *console) exec(command string) string {
	command = strings.TrimSpace(command)
	verb, rest, _ := strings.Cut(command, " ")
	rest = strings.TrimSpace(rest)
	f := strings.Fields(rest)
	switch strings.ToLower(verb) {
	case "":
		return ""
	case "status":
		return k.status()
	case "users":
		return k.users()
	case "changelevel", "map":
		return k.changeLevel(strings.ToLower(verb), unquote(rest))
	case "kick":
		return k.kick(rest)
	case "kickid":
		if len(f) == 0 {
			return "Usage:  kickid < userid | uniqueid > { message }\n"
		}
		return k.kickID(unquote(f[0]), strings.TrimSpace(strings.TrimPrefix(rest, f[0])))
	case "banid":
		return k.banID(f)
	case "removeid":
		if len(f) == 0 {
			return "Usage:  removeid < slot | uniqueid >\n"
		}
		return k.removeID(unquote(f[0]))
	case "listid":
		return k.listID()
	case "say":
		text := unquote(rest)
		k.out.printf("fakesrcds: say %s", text)
		return "Console: " + text + "\n"
	}
	return fmt.Sprintf("Unknown command \"%s\"\n", verb)
}

// unquote takes off the quotes around a whole argument, as Source's
// command line parser does.
func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

func (k *console) status() string {
	now := k.now()
	st := rcon.Status{HostName: k.g.Hostname(), Version: "2.2.4.3 8749", Secure: true, Addr: k.addr,
		Map: k.g.Map(), MaxPlayers: k.g.MaxPlayers()}
	for _, p := range k.g.Players() {
		rp := rcon.Player{UserID: p.UserID, Name: p.Name, SteamID: p.SteamID, State: p.State, Bot: p.Bot()}
		if p.Bot() {
			st.Bots++
		} else {
			st.Humans++
			rp.Connected, rp.Ping, rp.Loss, rp.Rate, rp.Addr = now.Sub(p.Joined), p.Ping, p.Loss, 30000, p.Addr
		}
		st.Players = append(st.Players, rp)
	}
	return rcon.FormatStatus(st)
}

func (k *console) users() string {
	var b strings.Builder
	b.WriteString("<slot:userid:\"name\">\n")
	ps := k.g.Players()
	for i, p := range ps {
		fmt.Fprintf(&b, "%d:%d:\"%s\"\n", i, p.UserID, p.Name)
	}
	fmt.Fprintf(&b, "%d users\n", len(ps))
	return b.String()
}

func (k *console) changeLevel(verb, mapName string) string {
	if mapName == "" {
		return verb + " <levelname> : continue game on a new level\n"
	}
	if !mapShape.MatchString(mapName) {
		return fmt.Sprintf("%s failed: %s not found\n", verb, mapName)
	}
	if err := k.g.ChangeLevel(mapName); err != nil {
		return fmt.Sprintf("%s failed: %s not found\n", verb, mapName)
	}
	return ""
}

// dropped is the line srcds prints when a player leaves for reason.
func dropped(p Player, reason string) string {
	return fmt.Sprintf("Dropped %s from server (%s)\n", p.Name, reason)
}

func (k *console) kick(name string) string {
	if name == "" {
		return "Usage:  kick < name >\n"
	}
	p, err := k.g.KickName(name)
	if err != nil && unquote(name) != name {
		p, err = k.g.KickName(unquote(name))
	}
	if err != nil {
		return fmt.Sprintf("Can't kick \"%s\", name not found\n", unquote(name))
	}
	return dropped(p, "Kicked by Console")
}

// player finds a connected player by user id or Steam ID.
func (k *console) player(id string) (Player, bool) {
	for _, p := range k.g.Players() {
		if strconv.Itoa(p.UserID) == id || (!p.Bot() && p.SteamID == id) {
			return p, true
		}
	}
	return Player{}, false
}

func (k *console) kickID(id, message string) string {
	p, ok := k.player(id)
	if !ok {
		return fmt.Sprintf("userid \"%s\" not found\n", id)
	}
	if _, err := k.g.KickUserID(p.UserID); err != nil {
		return fmt.Sprintf("userid \"%s\" not found\n", id)
	}
	reason := "Kicked by Console"
	if message = unquote(message); message != "" {
		reason += " : " + message
	}
	return dropped(p, reason)
}

// steamIDShape is a Steam ID as banid and removeid take it.
var steamIDShape = regexp.MustCompile(`^(STEAM_[0-5]:[01]:[0-9]{1,10}|\[U:1:[0-9]{1,10}\])$`)

func (k *console) banID(f []string) string {
	const usage = "Usage:  banid < minutes > < userid | uniqueid > { kick }\n"
	if len(f) < 2 {
		return usage
	}
	minutes, err := strconv.Atoi(f[0])
	if err != nil || minutes < 0 {
		return usage
	}
	id := unquote(f[1])
	var target Player
	connected := false
	if p, ok := k.player(id); ok {
		if p.Bot() {
			return "banid: can't ban a bot\n"
		}
		target, connected, id = p, true, p.SteamID
	} else if !steamIDShape.MatchString(id) {
		return fmt.Sprintf("banid: couldn't find userid or uniqueid \"%s\"\n", id)
	}
	kick := len(f) > 2 && strings.EqualFold(f[2], "kick")
	k.g.Ban(minutes, id, kick)
	var b strings.Builder
	if minutes == 0 {
		fmt.Fprintf(&b, "%s was banned permanently by Console\n", id)
	} else {
		fmt.Fprintf(&b, "%s was banned for %d minutes by Console\n", id, minutes)
	}
	if kick && connected {
		b.WriteString(dropped(target, "Kicked and banned"))
	}
	return b.String()
}

func (k *console) removeID(id string) string {
	if n, err := strconv.Atoi(id); err == nil { // a slot of listid
		bans := k.g.Bans()
		if n < 1 || n > len(bans) {
			return fmt.Sprintf("removeid: invalid slot %s\n", id)
		}
		id = bans[n-1]
	}
	if !k.g.Unban(id) {
		return fmt.Sprintf("removeid: couldn't find %s\n", id)
	}
	k.out.printf("fakesrcds: removeid %s", id)
	return fmt.Sprintf("removeid: filter removed for %s\n", id)
}

func (k *console) listID() string {
	bans := k.g.Bans()
	if len(bans) == 0 {
		return "ID filter list: empty\n"
	}
	// srcds also says for how long; fakesrcds keeps only the IDs.
	var b strings.Builder
	fmt.Fprintf(&b, "ID filter list: %d entries\n", len(bans))
	for i, id := range bans {
		fmt.Fprintf(&b, "%d %s\n", i+1, id)
	}
	return b.String()
}
