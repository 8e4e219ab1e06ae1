package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFiles makes each path (relative to root; a trailing / makes a
// directory) with its text.
func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, text := range files {
		full := filepath.Join(root, p)
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRunsTheMergedViewItIsStartedIn: on layers, the launcher runs
// fakesrcds in the instance's merged game directory. There it executes
// autoexec.cfg (an add-on set's, here setting the host name) and the
// server config from that directory's cfg/, lists the add-ons it finds,
// and writes its log under logs/ after "log on", as srcds does.
func TestRunsTheMergedViewItIsStartedIn(t *testing.T) {
	merged := t.TempDir()
	writeFiles(t, merged, map[string]string{
		"left4dead2/cfg/autoexec.cfg":       "hostname \"Addon host\"\n",
		"left4dead2/cfg/left4me-server.cfg": "log on\nexec extra\nrcon_password \"pw\"\n",
		"left4dead2/cfg/extra.cfg":          "sv_tags \"from-extra\"\n",
		"left4dead2/addons/e2e-maps.vpk":    "VPK",
		"left4dead2/addons/sourcemod/":      "",
	})
	t.Chdir(merged)
	env := map[string]string{"FAKESRCDS_CRASH_FILE": filepath.Join(t.TempDir(), "crash")}
	s, addr := start(t, env, "+servercfgfile", "left4me-server.cfg")
	if got := queryName(t, addr); got != "Addon host" {
		t.Errorf("A2S name %q, want the add-on's %q", got, "Addon host")
	}
	log := s.wholeLog(t)
	for _, want := range []string{
		"fakesrcds: executed " + filepath.Join(merged, "left4dead2/cfg/autoexec.cfg") + " (1 commands); hostname Addon host",
		"fakesrcds: executed " + filepath.Join(merged, "left4dead2/cfg/left4me-server.cfg") + " (3 commands); hostname Addon host",
		"fakesrcds: add-ons in " + filepath.Join(merged, "left4dead2/addons") + ": e2e-maps.vpk sourcemod/",
		"fakesrcds: logging to " + filepath.Join(merged, "left4dead2/logs/L"),
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	logs, _ := filepath.Glob(filepath.Join(merged, "left4dead2/logs/L*.log"))
	if len(logs) != 1 {
		t.Fatalf("logs written: %q, want one", logs)
	}
	s.stop()
	if err := s.result(t); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(logs[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "Log file started") || !strings.HasSuffix(string(data), "Log file closed\n") {
		t.Errorf("the game's log:\n%s", data)
	}
	// The next start writes the next log beside it.
	s2, _ := start(t, env, "+servercfgfile", "left4me-server.cfg")
	if log := s2.wholeLog(t); !strings.Contains(log, "fakesrcds: logging to ") {
		t.Errorf("the second start wrote no log:\n%s", log)
	}
	if logs, _ := filepath.Glob(filepath.Join(merged, "left4dead2/logs/L*.log")); len(logs) != 2 {
		t.Errorf("logs after a second start: %q, want two", logs)
	}
}

func TestWithoutTheGameInItsWorkingDirectoryTheDefaultRootIsRead(t *testing.T) {
	t.Chdir(t.TempDir())
	if got := gameRoot(func(string) string { return "" }, "left4dead2"); got != defaultGameRoot {
		t.Errorf("gameRoot = %q, want %q", got, defaultGameRoot)
	}
	if got := gameRoot(func(k string) string { return map[string]string{"FAKESRCDS_GAME_ROOT": "/x"}[k] }, "left4dead2"); got != "/x" {
		t.Errorf("gameRoot = %q, want FAKESRCDS_GAME_ROOT's", got)
	}
}

func TestExecRunsNestedConfigsBounded(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"a.cfg":    "exec b\nexec ../escape.cfg\nexec missing\nhostname \"from a\"\n",
		"b.cfg":    "banid 0 STEAM_1:0:7\nexec b.cfg\n", // execs itself
		"self.cfg": "exec self\n",
	})
	writeFiles(t, filepath.Dir(dir), map[string]string{"escape.cfg": "hostname \"escaped\"\n"})
	c := config{hostname: defaultHostname}
	if _, err := execCfg(filepath.Join(dir, "a.cfg"), &c); err != nil {
		t.Fatal(err)
	}
	if c.hostname != "from a" {
		t.Errorf("hostname %q, want %q (a path in exec is never followed out of cfg/)", c.hostname, "from a")
	}
	if len(c.bans) != maxExecDepth {
		t.Errorf("%d bans from a file that execs itself, want %d (the depth bound)", len(c.bans), maxExecDepth)
	}
}

func TestALogThatCannotBeWrittenIsReportedAndTheServerRunsOn(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"left4dead2/logs": "a file where the directory should be"})
	env := map[string]string{"FAKESRCDS_GAME_ROOT": root, "FAKESRCDS_CRASH_FILE": filepath.Join(t.TempDir(), "crash")}
	s, addr := start(t, env, "+log", "on")
	if got := queryName(t, addr); got != defaultHostname {
		t.Errorf("A2S name %q", got)
	}
	if log := s.wholeLog(t); !strings.Contains(log, "fakesrcds: cannot write logs: ") {
		t.Errorf("log lacks the refusal:\n%s", log)
	}
}
