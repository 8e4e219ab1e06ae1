package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/a2s"
)

func TestParseCfg(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		want       [][]string
	}{
		{"a quoted hostname with spaces", `hostname "Game night e2e"`, [][]string{{"hostname", "Game night e2e"}}},
		{"lines, comments and blank lines",
			"// server.cfg\n\nhostname \"A // not a comment\" // a comment\r\nsv_cheats 0\n",
			[][]string{{"hostname", "A // not a comment"}, {"sv_cheats", "0"}}},
		{"semicolons separate commands outside quotes", `sv_lan 1; hostname "a;b" ;; z_difficulty hard`,
			[][]string{{"sv_lan", "1"}, {"hostname", "a;b"}, {"z_difficulty", "hard"}}},
		{"an unclosed quote ends with the line", "hostname \"open\nsv_lan 0",
			[][]string{{"hostname", "open"}, {"sv_lan", "0"}}},
		{"tabs and an empty quoted value", "\thostname\t\"\"", [][]string{{"hostname", ""}}},
		{"nothing", "\n// only a comment\n", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseCfg(tt.text); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseCfg(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestExecCfgTakesTheHostname(t *testing.T) {
	for _, tt := range []struct{ text, want string }{
		{`hostname "Game night e2e"`, "Game night e2e"},
		{"hostname Game night", "Game night"},
		{"HostName \"first\"\nhostname \"second\"", "second"},
		{"sv_cheats 0\nhostname", defaultHostname},
		{"// nothing here", defaultHostname},
	} {
		path := filepath.Join(t.TempDir(), "x.cfg")
		if err := os.WriteFile(path, []byte(tt.text), 0o644); err != nil {
			t.Fatal(err)
		}
		c := config{hostname: defaultHostname}
		if _, err := execCfg(path, &c); err != nil {
			t.Fatal(err)
		}
		if c.hostname != tt.want {
			t.Errorf("after %q hostname = %q, want %q", tt.text, c.hostname, tt.want)
		}
	}
}

func TestServerCfgFileRefusesPaths(t *testing.T) {
	for _, name := range []string{"../server.cfg", "sub/x.cfg", "/etc/passwd", "..", "."} {
		err := run(context.Background(), []string{"+ip", "127.0.0.1", "-port", "0", "+servercfgfile", name},
			&strings.Builder{}, func(string) string { return t.TempDir() })
		if !errors.Is(err, errUsage) {
			t.Errorf("+servercfgfile %q: run = %v, want errUsage", name, err)
		}
	}
	if _, err := parseArgs([]string{"+servercfgfile"}); !errors.Is(err, errUsage) {
		t.Errorf("+servercfgfile without a name: %v, want errUsage", err)
	}
}

// gameWithCfg makes a game root holding left4dead2/cfg/NAME with text.
func gameWithCfg(t *testing.T, name, text string) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "left4dead2", "cfg")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

func queryName(t *testing.T, addr string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	info, err := a2s.Query(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	return info.Name
}

func TestServerCfgFileSetsTheA2SName(t *testing.T) {
	root := gameWithCfg(t, "left4me-server.cfg", "// the blueprint's\nhostname \"Game night e2e\"\nsv_lan 1\n")
	env := map[string]string{"FAKESRCDS_GAME_ROOT": root, "FAKESRCDS_CRASH_FILE": filepath.Join(t.TempDir(), "crash")}
	t.Run("the file's hostname answers A2S", func(t *testing.T) {
		_, addr := start(t, env, "+servercfgfile", "left4me-server.cfg", "+map", "c1m1_hotel")
		if got := queryName(t, addr); got != "Game night e2e" {
			t.Errorf("A2S name %q, want %q", got, "Game night e2e")
		}
	})
	t.Run("it logs that it executed the file", func(t *testing.T) {
		// With the crash file present, run returns right after the config.
		crash := filepath.Join(t.TempDir(), "crash")
		if err := os.WriteFile(crash, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		err := run(context.Background(), []string{"-port", "0", "+servercfgfile", "left4me-server.cfg"}, &out,
			func(k string) string {
				return map[string]string{"FAKESRCDS_GAME_ROOT": root, "FAKESRCDS_CRASH_FILE": crash}[k]
			})
		if !errors.Is(err, errCrash) {
			t.Fatalf("run = %v, want errCrash", err)
		}
		want := "fakesrcds: executed " + filepath.Join(root, "left4dead2/cfg/left4me-server.cfg") + " (2 commands); hostname Game night e2e\n"
		if !strings.Contains(out.String(), want) {
			t.Errorf("output %q lacks %q", out.String(), want)
		}
	})
	t.Run("it is executed after the command line, so it wins over +hostname", func(t *testing.T) {
		_, addr := start(t, env, "+hostname", "cmdline", "+servercfgfile", "left4me-server.cfg")
		if got := queryName(t, addr); got != "Game night e2e" {
			t.Errorf("A2S name %q, want %q", got, "Game night e2e")
		}
	})
	t.Run("without +servercfgfile the file is not read", func(t *testing.T) {
		_, addr := start(t, env)
		if got := queryName(t, addr); got != defaultHostname {
			t.Errorf("A2S name %q, want %q", got, defaultHostname)
		}
	})
	t.Run("a missing file is logged and the server runs on", func(t *testing.T) {
		_, addr := start(t, env, "+servercfgfile", "other.cfg", "+hostname", "kept")
		if got := queryName(t, addr); got != "kept" {
			t.Errorf("A2S name %q, want %q", got, "kept")
		}
	})
}

func TestServerCfgGameRootDefault(t *testing.T) {
	var out strings.Builder
	c := config{game: "left4dead2", hostname: defaultHostname, serverCfg: "left4me-e2e-absent.cfg"}
	if err := serverCfg(&c, func(string) string { return "" }, &lineWriter{w: &out}); err != nil {
		t.Fatal(err)
	}
	want := "fakesrcds: couldn't exec " + defaultGameRoot + "/left4dead2/cfg/left4me-e2e-absent.cfg: it does not exist\n"
	if out.String() != want {
		t.Errorf("logged %q, want %q", out.String(), want)
	}
}

// TestServerCfgFollowsALink: on a left4me host the game's
// cfg/left4me-server.cfg is a link to where the instance unit put the
// instance's server.cfg; fakesrcds, like srcds, reads through it.
func TestServerCfgFollowsALink(t *testing.T) {
	root := gameWithCfg(t, "server.cfg", "hostname \"shared\"\n")
	elsewhere := filepath.Join(t.TempDir(), "server.cfg")
	if err := os.WriteFile(elsewhere, []byte("hostname \"Game night e2e\"\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(root, "left4dead2", "cfg", "left4me-server.cfg")
	if err := os.Symlink(elsewhere, link); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string { return map[string]string{"FAKESRCDS_GAME_ROOT": root}[k] }
	var out strings.Builder
	c := config{game: "left4dead2", hostname: defaultHostname, serverCfg: "left4me-server.cfg"}
	if err := serverCfg(&c, getenv, &lineWriter{w: &out}); err != nil {
		t.Fatal(err)
	}
	if c.hostname != "Game night e2e" {
		t.Errorf("hostname %q through the link, want %q (logged %q)", c.hostname, "Game night e2e", out.String())
	}

	// A link to nothing (an instance without server.cfg) is a missing file.
	if err := os.Remove(elsewhere); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	c = config{game: "left4dead2", hostname: defaultHostname, serverCfg: "left4me-server.cfg"}
	if err := serverCfg(&c, getenv, &lineWriter{w: &out}); err != nil {
		t.Fatal(err)
	}
	if want := "fakesrcds: couldn't exec " + link + ": it does not exist\n"; out.String() != want || c.hostname != defaultHostname {
		t.Errorf("logged %q with hostname %q, want %q and %q", out.String(), c.hostname, want, defaultHostname)
	}
}
