package rcon

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Status is what L4D2's `status` command says about a server and its
// players.
type Status struct {
	HostName   string
	Version    string // "2.2.4.3 8749": the version line without secure/insecure
	Secure     bool   // VAC-secured ("secure" on the version line)
	Addr       string // the udp/ip line, as printed
	Map        string
	Humans     int
	Bots       int
	MaxPlayers int
	Players    []Player
}

// Player is one row of the player table.
type Player struct {
	UserID    int
	Name      string
	SteamID   string // "STEAM_1:0:123"; "BOT" for a bot
	Connected time.Duration
	Ping      int
	Loss      int
	State     string // "active", "spawning", …
	Rate      int
	Addr      string // ip:port; empty for a bot
	Bot       bool
}

var (
	humansRe = regexp.MustCompile(`(\d+) humans?`)
	botsRe   = regexp.MustCompile(`(\d+) bots?`)
	maxRe    = regexp.MustCompile(`\((\d+) max\)`)
	// Other Source games: "players : 3 (16 max)".
	plainRe = regexp.MustCompile(`^(\d+) \(`)
)

// ParseStatus reads the answer to `status`. It is tolerant: a line it does
// not know is skipped, a field it cannot read stays zero, and any input
// gives a Status (garbage an empty one), never an error or a panic.
func ParseStatus(text string) Status {
	var s Status
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(line, "#") {
			if p, ok := parsePlayer(line); ok {
				s.Players = append(s.Players, p)
			}
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		switch strings.TrimSpace(key) {
		case "hostname":
			s.HostName = value
		case "version":
			var words []string
			s.Secure = false
			for _, w := range strings.Fields(value) {
				switch w {
				case "secure":
					s.Secure = true
				case "insecure":
				default:
					words = append(words, w)
				}
			}
			s.Version = strings.Join(words, " ")
		case "udp/ip":
			s.Addr = value
		case "map":
			s.Map = ""
			if f := strings.Fields(value); len(f) > 0 {
				s.Map = f[0]
			}
		case "players":
			s.Humans, s.Bots, s.MaxPlayers = 0, 0, 0
			if m := humansRe.FindStringSubmatch(value); m != nil {
				s.Humans = atoi(m[1])
			} else if m := plainRe.FindStringSubmatch(value); m != nil {
				s.Humans = atoi(m[1])
			}
			if m := botsRe.FindStringSubmatch(value); m != nil {
				s.Bots = atoi(m[1])
			}
			if m := maxRe.FindStringSubmatch(value); m != nil {
				s.MaxPlayers = atoi(m[1])
			}
		}
	}
	return s
}

// parsePlayer reads a row of the player table:
//
//	#  2 1 "name" STEAM_1:0:123 00:54 26 0 active 30000 203.0.113.7:27005
//	#  3 "Coach" BOT active
//
// The second number (the client's slot) is not always there. A name may
// hold spaces and quotes; the fields after it hold neither, so the name
// ends at the last quote followed by a space and a Steam ID or BOT, or,
// when there is no such quote, at the line's last quote.
func parsePlayer(line string) (Player, bool) {
	rest := strings.TrimLeft(line[1:], " \t")
	n := digits(rest)
	if n == 0 {
		return Player{}, false // the header, #end, anything else
	}
	userID, err := strconv.Atoi(rest[:n])
	if err != nil {
		return Player{}, false
	}
	rest = strings.TrimLeft(rest[n:], " \t")
	if n := digits(rest); n > 0 { // the slot
		rest = strings.TrimLeft(rest[n:], " \t")
	}
	if !strings.HasPrefix(rest, `"`) {
		return Player{}, false
	}
	rest = rest[1:]
	end := -1
	for i := strings.LastIndexByte(rest, '"'); i >= 0; i = strings.LastIndexByte(rest[:i], '"') {
		if after := rest[i+1:]; strings.HasPrefix(after, " ") && isUniqueID(after[1:]) {
			end = i
			break
		}
	}
	if end < 0 {
		end = strings.LastIndexByte(rest, '"')
	}
	if end < 0 {
		return Player{}, false
	}
	p := Player{UserID: userID, Name: rest[:end]}
	f := strings.Fields(rest[end+1:])
	field := func(i int) string {
		if i < len(f) {
			return f[i]
		}
		return ""
	}
	p.SteamID = field(0)
	if p.SteamID == "BOT" {
		p.Bot = true
		p.State = field(1)
		return p, true
	}
	p.Connected = parseConnected(field(1))
	p.Ping = atoi(field(2))
	p.Loss = atoi(field(3))
	p.State = field(4)
	p.Rate = atoi(field(5))
	p.Addr = field(6)
	return p, true
}

// isUniqueID reports whether s starts with what the uniqueid column holds:
// a Steam ID in either form (a LAN or pending one too), or BOT.
func isUniqueID(s string) bool {
	if rest, ok := strings.CutPrefix(s, "BOT"); ok {
		return rest == "" || rest[0] == ' '
	}
	return strings.HasPrefix(s, "STEAM_") || strings.HasPrefix(s, "[U:") || strings.HasPrefix(s, "[A:")
}

// parseConnected reads "mm:ss" or "h:mm:ss"; anything else is 0.
func parseConnected(s string) time.Duration {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0
	}
	var d time.Duration
	for _, part := range parts {
		if len(part) == 0 || len(part) > 4 || digits(part) != len(part) {
			return 0
		}
		n, _ := strconv.Atoi(part)
		d = d*60 + time.Duration(n)
	}
	return d * time.Second
}

// digits returns how many ASCII digits s starts with.
func digits(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// atoi returns the number s starts with, 0 if none (or too large).
func atoi(s string) int {
	n, err := strconv.Atoi(s[:digits(s)])
	if err != nil {
		return 0
	}
	return n
}

// FormatStatus writes s the way L4D2's `status` prints it, so that
// ParseStatus reads it back. A line break in a name or another field
// becomes a space. A human's row ends after the name when SteamID is
// empty, and after Loss when State is empty.
func FormatStatus(s Status) string {
	var b strings.Builder
	secure := "insecure"
	if s.Secure {
		secure = "secure"
	}
	fmt.Fprintf(&b, "hostname: %s\n", oneLine(s.HostName))
	fmt.Fprintf(&b, "version : %s %s\n", oneLine(s.Version), secure)
	fmt.Fprintf(&b, "udp/ip  : %s\n", oneLine(s.Addr))
	b.WriteString("os      : Linux Dedicated\n")
	fmt.Fprintf(&b, "map     : %s\n", oneLine(s.Map))
	fmt.Fprintf(&b, "players : %d humans, %d bots (%d max) (not hibernating) (unreserved)\n", s.Humans, s.Bots, s.MaxPlayers)
	b.WriteString("\n# userid name uniqueid connected ping loss state rate adr\n")
	for i, p := range s.Players {
		name := oneLine(p.Name)
		if p.Bot {
			fmt.Fprintf(&b, "#%3d \"%s\" BOT %s\n", p.UserID, name, oneLine(p.State))
			continue
		}
		fmt.Fprintf(&b, "#%3d %d \"%s\"", p.UserID, i+1, name)
		// A row as short as ParseStatus found it: an empty field would
		// shift the ones after it.
		if p.SteamID != "" {
			fmt.Fprintf(&b, " %s %s %d %d", oneLine(p.SteamID), formatConnected(p.Connected), p.Ping, p.Loss)
			if p.State != "" {
				fmt.Fprintf(&b, " %s %d %s", oneLine(p.State), p.Rate, oneLine(p.Addr))
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("#end\n")
	return b.String()
}

func formatConnected(d time.Duration) string {
	sec := max(0, int(d/time.Second))
	if sec >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", sec/3600, sec/60%60, sec%60)
	}
	return fmt.Sprintf("%02d:%02d", sec/60, sec%60)
}

func oneLine(s string) string {
	return strings.ReplaceAll(s, "\n", " ")
}
