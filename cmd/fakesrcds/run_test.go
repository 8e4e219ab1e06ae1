package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/a2s"
)

func TestParseArgs(t *testing.T) {
	defaults := config{game: "left4dead2", port: defaultPort, hostname: defaultHostname,
		mapName: defaultMap, maxPlayers: defaultMaxPlayers}
	for _, tt := range []struct {
		name string
		args []string
		want func(c *config)
	}{
		{"nothing gives the defaults", nil, func(c *config) {}},
		{"what left4me-srcds passes",
			strings.Fields("-game left4dead2 -port 27016 +hostport 27016 +map c2m1_highway +maxplayers 4"),
			func(c *config) { c.port, c.mapName, c.maxPlayers = 27016, "c2m1_highway", 4 }},
		{"+hostport after -port wins", strings.Fields("-port 27016 +hostport 27020"),
			func(c *config) { c.port = 27020 }},
		{"a one-word +hostname", strings.Fields("+hostname coop_night"),
			func(c *config) { c.hostname = "coop_night" }},
		{"unknown cvars and flags are ignored",
			strings.Fields("-norestart +sv_lan 1 -insecure +exec server.cfg -nohltv stray +map c5m1_waterfront"),
			func(c *config) { c.mapName = "c5m1_waterfront" }},
		{"+servercfgfile names the config to execute", strings.Fields("+servercfgfile left4me-server.cfg +map c1m2_streets"),
			func(c *config) { c.serverCfg, c.mapName = "left4me-server.cfg", "c1m2_streets" }},
		{"+ip and -maxplayers", strings.Fields("+ip 127.0.0.1 -maxplayers 12"),
			func(c *config) { c.ip, c.maxPlayers = "127.0.0.1", 12 }},
		{"a command without a value before another", strings.Fields("+sv_cheats +map c1m2_streets"),
			func(c *config) { c.mapName = "c1m2_streets" }},
		{"simulated players and rules", strings.Fields("-fakeplayers 3 -fakebots 2 -fakerules 5 -fakeplayersfile /tmp/p -fakechurn 30"),
			func(c *config) {
				c.fakePlayers, c.fakeBots, c.fakeRules, c.playersFile, c.fakeChurn = 3, 2, 5, "/tmp/p", 30
			}},
		{"a published cvar and the RCON password", strings.Fields("+sv_tags left4me +MP_GameMode versus +rcon_password x"),
			func(c *config) {
				c.cvars = map[string]string{"sv_tags": "left4me", "mp_gamemode": "versus"}
				c.rconPassword = "x"
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want := defaults
			tt.want(&want)
			got, err := parseArgs(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("parseArgs(%q) =\n %+v, want\n %+v", tt.args, got, want)
			}
		})
	}
}

func TestParseArgsRefuses(t *testing.T) {
	for _, args := range []string{"-port", "-port x", "-port 70000", "+maxplayers 0", "+map", "-game",
		"-fakeplayers 256", "-fakebots -1", "-fakerules x", "-fakeplayersfile", "-fakechurn 3601"} {
		t.Run(args, func(t *testing.T) {
			if _, err := parseArgs(strings.Fields(args)); !errors.Is(err, errUsage) {
				t.Errorf("parseArgs(%q) error = %v, want errUsage", args, err)
			}
			if _, err := parseArgs(strings.Fields(args)); exitCode(err) != 2 {
				t.Errorf("exit code %d, want 2", exitCode(err))
			}
		})
	}
	if exitCode(errCrash) != 1 {
		t.Errorf("a crash exits %d, want 1", exitCode(errCrash))
	}
}

// server is one fakesrcds run inside the test.
type server struct {
	lines chan string // every line it logged
	done  chan error  // run's result
	stop  context.CancelFunc

	mu  sync.Mutex
	log []string // every line it logged so far, also those waitLine passed over
}

// start runs fakesrcds on a free loopback port with args appended, and
// returns once it listens, with the address it listens on.
func start(t *testing.T, env map[string]string, args ...string) (*server, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &server{lines: make(chan string, 100), done: make(chan error, 1), stop: cancel}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			s.mu.Lock()
			s.log = append(s.log, sc.Text())
			s.mu.Unlock()
			s.lines <- sc.Text()
		}
		close(s.lines)
	}()
	getenv := func(k string) string { return env[k] }
	go func() {
		err := run(ctx, append([]string{"+ip", "127.0.0.1", "-port", "0"}, args...), pw, getenv)
		pw.Close()
		s.done <- err
	}()
	t.Cleanup(func() {
		cancel()
		go func() {
			for range s.lines { // keep the pipe flowing until run returns
			}
		}()
		<-s.done
	})
	line := s.waitLine(t, "fakesrcds: listening on ")
	f := strings.Fields(strings.TrimPrefix(line, "fakesrcds: listening on udp/tcp "))
	return s, f[0]
}

// waitLine returns the first line starting with prefix, failing the test
// if none comes within 5 s.
func (s *server) waitLine(t *testing.T, prefix string) string {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case l, ok := <-s.lines:
			if !ok {
				t.Fatalf("fakesrcds ended without logging %q", prefix)
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-deadline:
			t.Fatalf("fakesrcds did not log %q within 5 s", prefix)
		}
	}
}

// wholeLog stops the server and returns every line it logged.
func (s *server) wholeLog(t *testing.T) string {
	t.Helper()
	s.stop()
	s.result(t)
	for range s.lines { // until the pipe is drained and closed
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.log, "\n")
}

func (s *server) result(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.done:
		s.done <- err // for the cleanup
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("fakesrcds did not end within 5 s")
		return nil
	}
}

func TestAnswersA2SInfo(t *testing.T) {
	dir := t.TempDir()
	_, addr := start(t, map[string]string{"FAKESRCDS_CRASH_FILE": filepath.Join(dir, "crash")},
		"-game", "left4dead2", "+map", "c2m1_highway", "+maxplayers", "4", "+hostname", "e2e", "-norestart")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := a2s.Query(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(addr)
	want := a2s.Info{Protocol: 17, Name: "e2e", Map: "c2m1_highway", Folder: "left4dead2",
		Game: "Left 4 Dead 2", AppID: 550, MaxPlayers: 4, ServerType: 'd', Environment: 'l',
		VAC: 1, Version: "2.2.4.3", Port: got.Port, GameID: 550}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("A2S_INFO =\n %+v, want\n %+v", got, want)
	}
	if p := got.Port; port != strconv.Itoa(int(p)) {
		t.Errorf("A2S_INFO port %d, want %s", p, port)
	}
}

func TestRefusesAnUnchallengedQuery(t *testing.T) {
	_, addr := start(t, map[string]string{"FAKESRCDS_CRASH_FILE": filepath.Join(t.TempDir(), "crash")})
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, req := range [][]byte{a2s.Request(nil), a2s.Request([]byte{1, 2, 3, 4})} {
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := conn.Write(req); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 1500)
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if n != 9 || buf[4] != 'A' {
			t.Errorf("answer to %x is % x, want a challenge", req[len(req)-4:], buf[:n])
		}
	}
}

func TestListensOnTCP(t *testing.T) {
	_, addr := start(t, map[string]string{"FAKESRCDS_CRASH_FILE": filepath.Join(t.TempDir(), "crash")})
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("TCP connect to the game port: %v", err)
	}
	c.Close()
}

func TestExitsCleanlyWhenCancelled(t *testing.T) {
	s, _ := start(t, map[string]string{"FAKESRCDS_CRASH_FILE": filepath.Join(t.TempDir(), "crash")})
	s.stop()
	if err := s.result(t); err != nil {
		t.Errorf("run after cancel = %v, want nil", err)
	}
	s.waitLine(t, "fakesrcds: shutting down")
}

func TestCrashesWhenTheCrashFileAppears(t *testing.T) {
	crash := filepath.Join(t.TempDir(), "crash")
	s, _ := start(t, map[string]string{"FAKESRCDS_CRASH_FILE": crash})
	if err := os.WriteFile(crash, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.result(t); !errors.Is(err, errCrash) {
		t.Errorf("run = %v, want errCrash", err)
	}
	s.waitLine(t, "fakesrcds: crashing on request")
}

func TestCrashesAtOnceWhenTheCrashFileExists(t *testing.T) {
	crash := filepath.Join(t.TempDir(), "crash")
	if err := os.WriteFile(crash, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	err := run(context.Background(), []string{"+ip", "127.0.0.1", "-port", "0"}, &out,
		func(k string) string { return map[string]string{"FAKESRCDS_CRASH_FILE": crash}[k] })
	if !errors.Is(err, errCrash) {
		t.Errorf("run = %v, want errCrash", err)
	}
	if !strings.Contains(out.String(), "fakesrcds: crashing on request") || strings.Contains(out.String(), "listening") {
		t.Errorf("output %q: want the crash line and no listening line", out.String())
	}
}

func TestCrashFileDefaultsToTheWorkingDirectory(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.WriteFile(defaultCrashFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"+ip", "127.0.0.1", "-port", "0"}, io.Discard,
		func(string) string { return "" })
	if !errors.Is(err, errCrash) {
		t.Errorf("run with ./crash present = %v, want errCrash", err)
	}
}
