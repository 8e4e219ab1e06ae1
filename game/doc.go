// Package game installs and updates the Left 4 Dead 2 dedicated server
// (Steam app 222860) with steamcmd, and reads what is installed.
//
// # Running steamcmd
//
// steamcmd buffers its output when it writes into a pipe, and asks its
// questions ("password:", "Steam Guard code:", "Two-factor code:")
// without a newline before it waits. So a Steam runs it under a
// pseudo-terminal, as the current user, and reads the terminal as a byte
// stream: lines end at "\n" or "\r", escape sequences are dropped, and a
// question at the end of the output is recognised without its newline.
// The answer comes from Hooks.Answer and is typed to steamcmd with the
// terminal's echo off; lines that still hold it are cleaned, so it never
// reaches Hooks.Line. A question unanswered after Options.PromptTimeout
// ends the run failed. Cancelling the context stops steamcmd's whole
// process group (SIGTERM, SIGKILL after Options.KillGrace).
//
// # Install, Update, Validate
//
// Each runs the passes of the Strategy: TwoPass (the default) runs
// "+@sSteamCmdForcePlatformType windows +app_update 222860" and then the
// same with linux into the same directory, as Steam refuses an anonymous
// Linux-only install ("Invalid platform"); Account logs in with a Steam
// account that owns the game; LinuxOnly is the single anonymous Linux
// pass that Steam refuses today. Install and Validate add "validate". A pass
// succeeds when steamcmd exits 0 and says "Success! App '222860' fully
// installed." (or, for an update with nothing new, "already up to
// date"). Known failures end as a *Failure whose Error is a sentence with
// the fix; a pass that failed where trying again can help (a download
// that broke off) runs up to Options.Attempts times. Before anything
// runs, the free disk space is checked. After an install
// linux32/steamclient.so is copied to ~/.steam/sdk32/steamclient.so.
//
// # What is installed, and what is the latest
//
// ReadManifest reads steamapps/appmanifest_222860.acf (Valve's KeyValues
// text, read by a small parser of this package): build id, size on disk,
// a half-finished update. LatestBuild asks Steam for the public branch's
// build id with app_info_print.
//
// # Tests
//
// The tests run cmd/fakesteamcmd, a stand-in with steamcmd's command
// line and output, under real pseudo-terminals.
package game
