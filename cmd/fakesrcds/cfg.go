package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// defaultGameRoot is where left4me installs the game; FAKESRCDS_GAME_ROOT
// overrides it.
const defaultGameRoot = "/var/lib/left4me/game"

// cfgPath is where srcds looks for the config name: GAMEROOT/GAME/cfg/NAME.
// It refuses a name that would leave the cfg directory.
func cfgPath(root, game, name string) (string, error) {
	if name == "" || name != filepath.Base(name) || name == "." || name == ".." {
		return "", fmt.Errorf("%w: +servercfgfile %q is not a file name", errUsage, name)
	}
	return filepath.Join(root, game, "cfg", name), nil
}

// execCfg executes the config file at path as srcds does at a map load,
// as far as fakesrcds cares: "hostname" sets c.hostname, "banid MINUTES
// ID" adds to c.bans, "rcon_password" sets c.rconPassword, a variable
// A2S_RULES publishes (sv_tags, mp_gamemode, ...) sets its value, every
// other command is ignored. It returns how many commands the file held.
// A missing file is an error wrapping fs.ErrNotExist; srcds goes on
// without it, and so does the caller.
//
// "exec NAME" executes NAME (".cfg" added when it has no extension) from
// the same directory, as srcds does from cfg/, up to maxExecDepth deep; a
// NAME that is not a plain file name, or a file that is missing, is
// skipped.
func execCfg(path string, c *config) (int, error) {
	return execCfgDepth(path, c, 0)
}

// maxExecDepth bounds nested exec commands (a file that execs itself).
const maxExecDepth = 8

func execCfgDepth(path string, c *config, depth int) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	cmds := parseCfg(string(data))
	for _, cmd := range cmds {
		if strings.EqualFold(cmd[0], "exec") && len(cmd) > 1 && depth < maxExecDepth {
			name := cmd[1]
			if filepath.Ext(name) == "" {
				name += ".cfg"
			}
			if name == filepath.Base(name) && name != ".." && name != "." {
				_, _ = execCfgDepth(filepath.Join(filepath.Dir(path), name), c, depth+1) // srcds goes on without it
			}
			continue
		}
		if strings.EqualFold(cmd[0], "log") && len(cmd) > 1 {
			c.logOn = strings.EqualFold(cmd[1], "on")
		}
		if strings.EqualFold(cmd[0], "hostname") && len(cmd) > 1 {
			// A cvar set with several words takes them all, as Source does
			// with 'hostname Game night' unquoted.
			c.hostname = strings.Join(cmd[1:], " ")
		}
		if strings.EqualFold(cmd[0], "rcon_password") {
			c.rconPassword = strings.Join(cmd[1:], " ")
		}
		if strings.EqualFold(cmd[0], "banid") && len(cmd) > 2 {
			minutes, err := strconv.Atoi(cmd[1])
			if err == nil && minutes >= 0 {
				c.bans = append(c.bans, ban{minutes: minutes, id: cmd[2]})
			}
		}
		if len(cmd) > 1 {
			c.setCvar(cmd[0], strings.Join(cmd[1:], " "))
		}
	}
	return len(cmds), nil
}

// parseCfg splits a Source config file into commands, each a list of
// words: commands end at a line's end or at a ';' outside quotes, "//"
// outside quotes starts a comment to the end of the line, a double-quoted
// string is one word (without its quotes; an unclosed one ends with the
// line), and white space separates words. Empty commands are dropped.
func parseCfg(text string) [][]string {
	var cmds [][]string
	for _, line := range strings.Split(text, "\n") {
		var cmd []string
		var word strings.Builder
		inWord, quoted := false, false
		end := func() {
			if inWord {
				cmd = append(cmd, word.String())
				word.Reset()
				inWord = false
			}
		}
		flush := func() {
			end()
			if len(cmd) > 0 {
				cmds = append(cmds, cmd)
			}
			cmd = nil
		}
	scan:
		for i := 0; i < len(line); i++ {
			ch := line[i]
			switch {
			case quoted:
				if ch == '"' {
					quoted = false
					end()
					continue
				}
				word.WriteByte(ch)
			case ch == '"':
				end()
				quoted, inWord = true, true
			case ch == '/' && i+1 < len(line) && line[i+1] == '/':
				break scan
			case ch == ';':
				flush()
			case ch == ' ' || ch == '\t' || ch == '\r':
				end()
			default:
				word.WriteByte(ch)
				inWord = true
			}
		}
		flush()
	}
	return cmds
}

// serverCfg executes the +servercfgfile the command line named, if any,
// under the game root from getenv, and logs what happened. Like srcds, it
// goes on without a file it cannot read.
func serverCfg(c *config, getenv func(string) string, out *lineWriter) error {
	if c.serverCfg == "" {
		return nil
	}
	root := gameRoot(getenv, c.game)
	path, err := cfgPath(root, c.game, c.serverCfg)
	if err != nil {
		return err
	}
	n, err := execCfg(path, c)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		out.printf("fakesrcds: couldn't exec %s: it does not exist", path)
	case err != nil:
		out.printf("fakesrcds: couldn't exec %s: %v", path, err)
	default:
		out.printf("fakesrcds: executed %s (%d commands); hostname %s", path, n, c.hostname)
	}
	return nil
}

// gameRoot is the game directory fakesrcds reads and writes:
// FAKESRCDS_GAME_ROOT; else the working directory when it holds the game's
// directory (GAME/), as on an instance running on layers, whose launcher
// runs it in the merged view; else defaultGameRoot.
func gameRoot(getenv func(string) string, game string) string {
	if root := getenv("FAKESRCDS_GAME_ROOT"); root != "" {
		return root
	}
	if wd, err := os.Getwd(); err == nil {
		if fi, err := os.Stat(filepath.Join(wd, game)); err == nil && fi.IsDir() {
			return wd
		}
	}
	return defaultGameRoot
}

// autoexec executes GAMEROOT/GAME/cfg/autoexec.cfg when it is there, as
// srcds does once at start, before the command line's map loads and the
// server config runs. A missing one is no news.
func autoexec(c *config, getenv func(string) string, out *lineWriter) {
	path := filepath.Join(gameRoot(getenv, c.game), c.game, "cfg", "autoexec.cfg")
	n, err := execCfg(path, c)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		out.printf("fakesrcds: couldn't exec %s: %v", path, err)
	default:
		out.printf("fakesrcds: executed %s (%d commands); hostname %s", path, n, c.hostname)
	}
}

// listAddons logs what GAMEROOT/GAME/addons holds (a .vpk, a plugin
// directory, a marker file an add-on set carries), sorted, in one line.
func listAddons(c *config, getenv func(string) string, out *lineWriter) {
	dir := filepath.Join(gameRoot(getenv, c.game), c.game, "addons")
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) == 0 {
		out.printf("fakesrcds: add-ons: none in %s", dir)
		return
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
		if e.IsDir() {
			names[i] += "/"
		}
	}
	out.printf("fakesrcds: add-ons in %s: %s", dir, strings.Join(names, " "))
}

// gameLog is the log srcds writes after "log on":
// GAMEROOT/GAME/logs/LMMDDNNN.log, the first free NNN.
type gameLog struct{ path string }

// openLog makes the day's next log file and writes its first line. A
// log that cannot be written is logged and the server runs on.
func openLog(c *config, getenv func(string) string, now time.Time, out *lineWriter) *gameLog {
	dir := filepath.Join(gameRoot(getenv, c.game), c.game, "logs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		out.printf("fakesrcds: cannot write logs: %v", err)
		return nil
	}
	for n := 0; n < 1000; n++ {
		path := filepath.Join(dir, fmt.Sprintf("L%s%03d.log", now.Format("0102"), n))
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			out.printf("fakesrcds: cannot write logs: %v", err)
			return nil
		}
		fmt.Fprintf(f, "L %s: Log file started (file \"logs/%s\") (game \"%s\") (version \"8749\")\n",
			now.Format("01/02/2006 - 15:04:05"), filepath.Base(path), c.game)
		fmt.Fprintf(f, "L %s: server_cvar: \"hostname\" \"%s\"\n", now.Format("01/02/2006 - 15:04:05"), c.hostname)
		f.Close()
		out.printf("fakesrcds: logging to %s", path)
		return &gameLog{path: path}
	}
	out.printf("fakesrcds: cannot write logs: 1000 logs today in %s", dir)
	return nil
}

// close writes the log's last line.
func (l *gameLog) close(now time.Time) {
	if l == nil {
		return
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return
	}
	fmt.Fprintf(f, "L %s: Log file closed\n", now.Format("01/02/2006 - 15:04:05"))
	f.Close()
}
