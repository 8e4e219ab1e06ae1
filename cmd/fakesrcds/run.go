package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/left4me/left4me/internal/a2s"
	"github.com/left4me/left4me/internal/rcon"
)

// Defaults for what the command line does not say.
const (
	defaultHostname   = "left4me fakesrcds"
	defaultMap        = "c1m1_hotel"
	defaultMaxPlayers = 8
	defaultPort       = 27015
	defaultCrashFile  = "crash"
	crashCheckEvery   = 200 * time.Millisecond
)

// errCrash is the requested crash; main exits with status 1 on it.
var errCrash = errors.New("crashing on request")

// errUsage is a command line fakesrcds cannot use; main exits 2.
var errUsage = errors.New("bad command line")

func exitCode(err error) int {
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

// config is what the srcds command line asked for.
type config struct {
	game       string
	ip         string
	port       int
	hostname   string
	mapName    string
	maxPlayers int
	serverCfg  string // +servercfgfile: the config to execute at map load
	// cvars are the values the command line and the server config gave
	// the variables A2S_RULES publishes (defaultRules), by name.
	cvars map[string]string
	// bans are the server config's banid commands, in order.
	bans []ban
	// logOn is "log on" from the command line or a config: the game
	// writes its log under GAME/logs.
	logOn bool
	// rconPassword is rcon_password from the command line or the server
	// config, for the RCON server; never logged. Empty: RCON refuses
	// everyone, as srcds does.
	rconPassword string
	// Simulated players and rules: -fakeplayers N humans, -fakebots N
	// bots, -fakeplayersfile PATH (see readPlayersFile), -fakerules N
	// filler rules, -fakechurn SECONDS between a leave and a join (0: no
	// one comes or goes).
	fakePlayers, fakeBots, fakeRules, fakeChurn int
	playersFile                                 string
}

// ban is one "banid MINUTES ID" command.
type ban struct {
	minutes int
	id      string
}

// setCvar keeps value for name when A2S_RULES publishes that variable.
func (c *config) setCvar(name, value string) {
	name = strings.ToLower(name)
	for _, r := range defaultRules {
		if r.Name == name {
			if c.cvars == nil {
				c.cvars = map[string]string{}
			}
			c.cvars[name] = value
		}
	}
}

// takesValue lists the "-option value" forms of srcds's command line that
// fakesrcds knows; any other "-option" is taken as a flag without a value
// (-norestart, -insecure, -nohltv, -console, ...).
var takesValue = map[string]bool{
	"-game": true, "-port": true, "-ip": true, "-maxplayers": true,
	"-tickrate": true, "-fakeplayers": true, "-fakebots": true, "-fakerules": true,
	"-fakeplayersfile": true, "-fakechurn": true,
}

// parseArgs reads srcds's command line. "+cvar value" pairs it does not
// know are accepted and ignored, and so are flags; -port and +hostport
// both set the port (the last one wins).
func parseArgs(args []string) (config, error) {
	c := config{game: "left4dead2", port: defaultPort, hostname: defaultHostname,
		mapName: defaultMap, maxPlayers: defaultMaxPlayers}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		var value string
		hasValue := false
		switch {
		case strings.HasPrefix(arg, "+"):
			// A console command: its value is the next word unless that is
			// another command.
			if i+1 < len(args) && !strings.HasPrefix(args[i+1], "+") {
				value, hasValue = args[i+1], true
				i++
			}
		case strings.HasPrefix(arg, "-") && takesValue[arg]:
			if i+1 >= len(args) {
				return c, fmt.Errorf("%w: %s needs a value", errUsage, arg)
			}
			value, hasValue = args[i+1], true
			i++
		case strings.HasPrefix(arg, "-"):
			continue // a flag
		default:
			continue // a stray word, as srcds ignores it
		}
		var err error
		switch arg {
		case "-game":
			c.game = value
		case "-ip", "+ip":
			c.ip = value
		case "-port", "+hostport":
			c.port, err = number(arg, value, hasValue, 0, 65535)
		case "-maxplayers", "+maxplayers":
			c.maxPlayers, err = number(arg, value, hasValue, 1, 255)
		case "+map":
			if !hasValue || value == "" {
				err = fmt.Errorf("%w: +map needs a map name", errUsage)
			}
			c.mapName = value
		case "+hostname":
			if hasValue && value != "" {
				c.hostname = value
			}
		case "+servercfgfile":
			if !hasValue || value == "" {
				err = fmt.Errorf("%w: +servercfgfile needs a file name", errUsage)
			}
			c.serverCfg = value
		case "-fakeplayers":
			c.fakePlayers, err = number(arg, value, hasValue, 0, 255)
		case "-fakebots":
			c.fakeBots, err = number(arg, value, hasValue, 0, 255)
		case "-fakerules":
			c.fakeRules, err = number(arg, value, hasValue, 0, 1000)
		case "-fakeplayersfile":
			c.playersFile = value
		case "-fakechurn":
			c.fakeChurn, err = number(arg, value, hasValue, 0, 3600)
		case "+rcon_password":
			c.rconPassword = value
		case "+log":
			c.logOn = hasValue && strings.EqualFold(value, "on")
		default:
			if strings.HasPrefix(arg, "+") && hasValue {
				c.setCvar(arg[1:], value)
			}
		}
		if err != nil {
			return c, err
		}
	}
	return c, nil
}

// hidePassword is args with the value of +rcon_password replaced, for
// the log.
func hidePassword(args []string) []string {
	out := append([]string(nil), args...)
	for i := 0; i+1 < len(out); i++ {
		if out[i] == "+rcon_password" && !strings.HasPrefix(out[i+1], "+") {
			out[i+1] = "(hidden)"
		}
	}
	return out
}

func number(arg, value string, hasValue bool, lo, hi int) (int, error) {
	n, err := strconv.Atoi(value)
	if !hasValue || err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%w: %s wants a number from %d to %d, got %q", errUsage, arg, lo, hi, value)
	}
	return n, nil
}

// run is fakesrcds: it listens until ctx ends (nil) or a crash is
// requested (errCrash). With port 0 it picks a free port, the same for
// UDP and TCP, and names it in its "listening" line.
func run(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	out := &lineWriter{w: stdout}
	c, err := parseArgs(args)
	if err != nil {
		return err
	}
	crashFile := getenv("FAKESRCDS_CRASH_FILE")
	if crashFile == "" {
		crashFile = defaultCrashFile
	}
	out.printf("fakesrcds: starting: %s", strings.Join(hidePassword(args), " "))
	// srcds executes autoexec.cfg at start, and the server config at the
	// map load, after the command line: what it sets wins over +hostname.
	autoexec(&c, getenv, out)
	if err := serverCfg(&c, getenv, out); err != nil {
		return err
	}
	listAddons(&c, getenv, out)
	if c.logOn {
		lg := openLog(&c, getenv, time.Now(), out)
		defer func() { lg.close(time.Now()) }()
	}
	if exists(crashFile) {
		out.printf("fakesrcds: crashing on request (%s exists)", crashFile)
		return errCrash
	}

	players := simulatedPlayers(c.fakePlayers, c.fakeBots)
	if c.playersFile != "" {
		more, err := readPlayersFile(c.playersFile)
		if err != nil {
			return err
		}
		players = append(players, more...)
	}

	udp, tcp, err := listen(c.ip, c.port)
	if err != nil {
		return err
	}
	port := udp.LocalAddr().(*net.UDPAddr).Port
	out.printf("fakesrcds: listening on udp/tcp %s map %s maxplayers %d hostname %s",
		net.JoinHostPort(c.ip, strconv.Itoa(port)), c.mapName, c.maxPlayers, c.hostname)

	g := newGame(c, port, players, time.Now, out)
	if n := len(g.Players()); n > 0 {
		out.printf("fakesrcds: %d players connected", n)
	}
	var key [32]byte
	rand.Read(key[:])

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); serveA2S(udp, g, key, out) }()
	rs := newRCONServer(g, c, port, out)
	go func() {
		defer wg.Done()
		if err := rs.Serve(loopbackOnly{tcp}); !errors.Is(err, rcon.ErrServerClosed) {
			out.printf("fakesrcds: RCON stopped: %v", err)
		}
	}()
	defer wg.Wait()
	// Closing the UDP socket and the RCON server (its listener and
	// connections) ends both servers; the defers above run after.
	defer rs.Close()
	defer udp.Close()

	tick := time.NewTicker(crashCheckEvery)
	defer tick.Stop()
	var churn <-chan time.Time
	if c.fakeChurn > 0 {
		t := time.NewTicker(time.Duration(c.fakeChurn) * time.Second)
		defer t.Stop()
		churn = t.C
	}
	for {
		select {
		case <-churn:
			g.Churn()
		case <-ctx.Done():
			out.printf("fakesrcds: shutting down")
			return nil
		case <-tick.C:
			if exists(crashFile) {
				out.printf("fakesrcds: crashing on request (%s appeared)", crashFile)
				return errCrash
			}
		}
	}
}

// listen binds UDP and TCP on the same port. With port 0 it lets the
// kernel choose the UDP port and tries to get the same one over TCP,
// a few times.
func listen(ip string, port int) (*net.UDPConn, net.Listener, error) {
	for try := 0; ; try++ {
		addr := net.JoinHostPort(ip, strconv.Itoa(port))
		uc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("listen udp %s: %w", addr, err)
		}
		got := uc.LocalAddr().(*net.UDPAddr).Port
		tl, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(got)))
		if err == nil {
			return uc.(*net.UDPConn), tl, nil
		}
		uc.Close()
		if port != 0 || try == 10 {
			return nil, nil, fmt.Errorf("listen tcp %s: %w", addr, err)
		}
	}
}

// serveA2S answers A2S_INFO, A2S_PLAYER and A2S_RULES requests with the
// game's state at the time, until conn is closed. A request must carry
// the challenge the server handed to that client address (HMAC of the
// address under key, so the server keeps no state); any other request is
// answered with that challenge, as current Source servers do to stop
// address spoofing. A reply longer than a2s.SplitSize goes in parts.
// Other packets are ignored.
func serveA2S(conn *net.UDPConn, g *game, key [32]byte, out *lineWriter) {
	buf := make([]byte, 1500)
	var splitID uint32
	for {
		n, from, err := conn.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		p := buf[:n]
		var got []byte
		var kind string
		var answer func() []byte
		if c, ok := a2s.ParseRequest(p); ok {
			got, kind, answer = c, "A2S_INFO", func() []byte { return a2s.EncodeInfo(g.Info()) }
		} else if c, ok := a2s.ParsePlayerRequest(p); ok {
			got, kind, answer = c, "A2S_PLAYER", func() []byte { return a2s.EncodePlayers(g.A2SPlayers()) }
		} else if c, ok := a2s.ParseRulesRequest(p); ok {
			got, kind, answer = c, "A2S_RULES", func() []byte { return a2s.EncodeRules(g.Rules()) }
		} else {
			continue
		}
		want := challengeFor(key, from)
		if got == nil || !hmac.Equal(got, want[:]) {
			conn.WriteToUDP(a2s.EncodeChallenge(want), from)
			continue
		}
		splitID++
		parts, err := a2s.Split(answer(), splitID)
		if err != nil {
			out.printf("fakesrcds: cannot answer %s: %v", kind, err)
			continue
		}
		for _, part := range parts {
			conn.WriteToUDP(part, from)
		}
		if len(parts) > 1 {
			out.printf("fakesrcds: answered %s from %s in %d parts", kind, from, len(parts))
		} else {
			out.printf("fakesrcds: answered %s from %s", kind, from)
		}
	}
}

func challengeFor(key [32]byte, from *net.UDPAddr) [4]byte {
	m := hmac.New(sha256.New, key[:])
	m.Write([]byte(from.String()))
	var c [4]byte
	copy(c[:], m.Sum(nil))
	return c
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// lineWriter writes whole lines from several goroutines.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format+"\n", args...)
}
