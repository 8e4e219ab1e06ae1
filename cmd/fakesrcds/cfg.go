package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
func execCfg(path string, c *config) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	cmds := parseCfg(string(data))
	for _, cmd := range cmds {
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
	root := getenv("FAKESRCDS_GAME_ROOT")
	if root == "" {
		root = defaultGameRoot
	}
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
