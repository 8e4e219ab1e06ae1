// Command fakesteamcmd is a stand-in for Valve's steamcmd, for tests and
// for hosts where Steam cannot be reached. It installs no game: it takes
// steamcmd's command line, prints what steamcmd prints (the banner,
// logins, "Update state (0x61) downloading, progress: …" lines over time,
// "Success! App '222860' fully installed.", steamcmd's error lines and exit
// statuses), and writes the files a test of an installation looks at.
//
// # Command line
//
// As steamcmd: "+command args..." evaluated left to right, e.g.
//
//	fakesteamcmd +@sSteamCmdForcePlatformType windows +force_install_dir DIR \
//	    +login anonymous +app_update 222860 validate +quit
//
// Commands: +force_install_dir DIR; +login anonymous, +login USER
// [PASSWORD [CODE]]; +@NAME VALUE (console variables, of which
// @sSteamCmdForcePlatformType windows|linux chooses the platform, linux
// by default); +app_update APPID [validate] (only 222860 is known: others
// are "No subscription"); +app_info_update 1; +app_info_print APPID;
// +workshop_download_item 550 ID (a Left 4 Dead 2 workshop item: writes
// steamapps/workshop/content/550/ID/ID_fake.vpk); +quit. Without +quit it
// shows "Steam>" and reads commands from stdin.
//
// What it refuses as Steam does: an anonymous Linux pass is refused with
// "ERROR! Failed to install app '222860' (Invalid platform)" (exit status
// 8) unless a Windows pass ran before in that directory (srcds.exe is
// there), so the two-pass workaround is really exercised; a login that
// fails exits 5; an install that fails exits 8.
//
// # Files
//
// In the install directory: steamapps/appmanifest_222860.acf (Valve
// KeyValues, written half-finished while downloading), srcds.exe after a
// Windows pass, srcds_run after a Linux pass (a copy of FAKESTEAMCMD_SRCDS,
// executable; a script that says it is a stand-in without it), and
// left4dead2/cfg/. In its own root (FAKESTEAMCMD_ROOT, default the
// directory of the program, as steamcmd.sh): linux32/steamclient.so,
// logs/, appcache/appinfo.vdf (the cached app info, whose build id
// app_info_print prints while the file exists, stale or not) and the
// markers of the switches below.
//
// # Terminal
//
// On a terminal it writes at once, as steamcmd does under a pty: the
// start-up lines overwrite each other with "\r", questions end without a
// newline ("password:" with echo off; "Steam Guard code:" and
// "Two-factor code:" with echo on, so the code shows). Into a pipe it
// buffers its output in 4 KiB blocks, as steamcmd does, so progress comes
// late and in bursts. It runs itself as a child process (as steamcmd.sh
// runs linux32/steamcmd), so stopping only the first process is not
// enough.
//
// # Switches (environment)
//
//	FAKESTEAMCMD_ROOT          steamcmd's own directory (default: the program's)
//	FAKESTEAMCMD_SRCDS         program installed as srcds_run (cmd/fakesrcds)
//	FAKESTEAMCMD_BUILDID       the latest build id it reports and installs (default 16412345)
//	FAKESTEAMCMD_SIZE          bytes the download has (default 9876543210)
//	FAKESTEAMCMD_STEPS         progress lines of a download (default 8)
//	FAKESTEAMCMD_STEP_DELAY    time between progress lines (default 250ms)
//	FAKESTEAMCMD_PASSWORD      a USER login without a password asks "password:" and wants this one
//	FAKESTEAMCMD_GUARD_CODE    a USER login asks "Steam Guard code:" and wants this code
//	FAKESTEAMCMD_TWO_FACTOR    a USER login asks "Two-factor code:" and wants this code
//	FAKESTEAMCMD_NO_LICENSE    1: a USER login does not own the game ("No subscription")
//	FAKESTEAMCMD_RATE_LIMIT    1: every login fails "FAILED (Rate Limit Exceeded)", exit 5
//	FAKESTEAMCMD_FAIL_ONCE     windows, linux or any: the first such pass fails with
//	                           "Error! App '222860' state is 0x602 after update job." (exit 8);
//	                           the next one works (marker in the root)
//	FAKESTEAMCMD_DISK_FULL     1: a download stops halfway with state 0x202 (exit 8),
//	                           leaving a half-finished manifest
//	FAKESTEAMCMD_HANG          1: a download hangs after its first progress line and
//	                           ignores SIGTERM (only SIGKILL ends it)
//	FAKESTEAMCMD_SILENCE       a duration: print nothing that long before downloading
//	FAKESTEAMCMD_GATE          a file: after the first download line, wait until it exists
//	FAKESTEAMCMD_APPINFO_EMPTY N, or "always": the first N app_info_print print no app info
//	FAKESTEAMCMD_PIDFILE       the child process writes its PID here
//	FAKESTEAMCMD_WORKSHOP_SIZE bytes of a workshop item's .vpk (default 4096)
//	FAKESTEAMCMD_WORKSHOP_MISSING  workshop item ids (a comma list) Steam does not have
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Getenv))
}
