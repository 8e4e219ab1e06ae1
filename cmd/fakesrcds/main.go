// Command fakesrcds is a stand-in for the Left 4 Dead 2 dedicated server
// (srcds), for tests on hosts where Valve's server cannot be installed.
//
// It takes srcds's command line, listens on the game port over UDP and
// TCP, answers Source A2S_INFO, A2S_PLAYER and A2S_RULES queries (with
// the challenge; split when long) from the game's state (game.go: map,
// name, players, bans), logs to stdout, and exits 0 on SIGINT or SIGTERM.
//
// RCON on the game port's TCP (rcon.go; from loopback addresses only)
// takes the rcon_password of the command line or the server config (none:
// everyone is refused, as by srcds) and answers status in L4D2's format,
// changelevel (A2S reports the new map), kick, kickid, banid, removeid,
// listid, say and users from and to the game's state; it logs what
// changes the game ("fakesrcds: changelevel MAP", "kicked NAME (ID)",
// "banid MINUTES ID"), never the password.
//
// Simulated players: -fakeplayers N humans (names with spaces, quotes and
// non-ASCII), -fakebots N bots, -fakeplayersfile PATH (lines "STEAMID
// NAME", see readPlayersFile); -fakechurn SECONDS has a human leave or a
// new one join every SECONDS; -fakerules N adds filler rules so that
// A2S_RULES needs several packets.
// It crashes (exit status 1) on request: when the file named by
// FAKESRCDS_CRASH_FILE (default "crash" in the working directory) exists
// at start or appears while it runs.
//
// The game directory GAMEROOT is FAKESRCDS_GAME_ROOT; else the working
// directory when it holds GAME/ (an instance on add-on layers runs it in
// its merged view); else /var/lib/left4me/game. GAME is -game's, default
// left4dead2. At start it executes GAMEROOT/GAME/cfg/autoexec.cfg when
// there, logs what GAMEROOT/GAME/addons holds ("fakesrcds: add-ons in
// DIR: a.vpk sourcemod/"), and after "log on" (command line or a config)
// writes its log to GAMEROOT/GAME/logs/LMMDDNNN.log, the first free NNN.
// A config's "exec NAME" runs NAME from the same cfg/.
//
// With "+servercfgfile NAME" it executes GAMEROOT/GAME/cfg/NAME as srcds
// does at a map load, after the
// command line, as far as "hostname", "banid" and the variables A2S_RULES
// publishes go: the file's hostname is the A2S name and wins over
// +hostname, as server.cfg does in srcds; each banid is logged as
// "fakesrcds: banid MINUTES STEAMID" and keeps that player out. A missing
// file is logged and the server runs on. See run.go and cfg.go.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Getenv)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "fakesrcds: %v\n", err)
		os.Exit(exitCode(err))
	}
}
