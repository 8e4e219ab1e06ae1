package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/a2s"
	"github.com/left4me/left4me/internal/rcon"
)

// Step 10d: add-on layers, the unit alone. Two instances on one game
// build, each with a different add-on set, laid out as the panel and its
// jobs lay them out (builds/, addons/SET/revs/REV/, the instance's
// layers file, upper/ and work/), written as left4me.
const (
	layBuild    = "16400001"
	layA        = "lay-a"
	layB        = "lay-b"
	layAUnit    = "left4me-server@" + layA + ".service"
	layBUnit    = "left4me-server@" + layB + ".service"
	layAPort    = 27051
	layBPort    = 27052
	layAddonCfg = "Add-on e2e" // the hostname set's cfg/autoexec.cfg gives lay-a this name
	layBHost    = "Layer B e2e"
	layVPK      = "e2e-maps.vpk"
	layBan      = "STEAM_1:0:4242"
	layRCONPass = "e2e-layers-rcon"
	stateRootD  = "/var/lib/left4me"
	layMerged   = cfgTmpfs + "/game"
)

// layersSetup is the shell script, run as left4me, that lays the two
// instances out.
func layersSetup() string {
	return `set -eu
cd ` + stateRootD + `
umask 022
mkdir -p builds/` + layBuild + `/left4dead2/cfg builds/` + layBuild + `/left4dead2/addons
ln -s ` + cfgLinkTo + ` builds/` + layBuild + `/left4dead2/cfg/left4me-server.cfg
echo 'the build' >builds/` + layBuild + `/left4dead2/build.txt
mkdir -p addons/hostname/revs/1/left4dead2/cfg addons/maps/revs/1/left4dead2/addons
printf 'hostname "` + layAddonCfg + `"\n' >addons/hostname/revs/1/left4dead2/cfg/autoexec.cfg
echo 'VPK' >addons/maps/revs/1/left4dead2/addons/` + layVPK + `
for i in ` + layA + `:` + strconv.Itoa(layAPort) + `:hostname ` + layB + `:` + strconv.Itoa(layBPort) + `:maps; do
	n=${i%%:*}; rest=${i#*:}; p=${rest%%:*}; set=${rest#*:}
	mkdir -m 0750 instances/$n instances/$n/work
	mkdir -m 0755 instances/$n/upper
	printf 'LEFT4ME_INSTANCE="%s"\nLEFT4ME_PORT="%s"\nSRCDS_ARGS="+map c1m1_hotel"\n' $n $p >instances/$n/instance.env
	printf '# written by hand for make e2e\nbuild ` + layBuild + `\nset %s 1\n' $set >instances/$n/layers
done
printf 'log on\nrcon_password "` + layRCONPass + `"\nbanid 0 ` + layBan + `\n' >instances/` + layA + `/server.cfg
printf 'log on\nhostname "` + layBHost + `"\n' >instances/` + layB + `/server.cfg
chmod 0600 instances/` + layA + `/server.cfg instances/` + layB + `/server.cfg
`
}

// addonLayers: step 10d. Two servers on layers see exactly their own
// add-on set; what srcds writes lands in its writable layer and survives a
// restart; the overlay exists only in each unit's mount namespace, so
// after a SIGKILL, a reboot and a stop nothing is mounted anywhere else;
// server.cfg with its RCON password and bans still reaches srcds; a
// symlink planted by left4me in a layer stops the start, followed by no
// one.
func (b *bed) addonLayers(ctx context.Context) {
	t := time.Now()
	// The panel removes every minute a build that is neither current nor
	// run by one of its servers, and these two are not its servers: it
	// stays off (through the reboot too) until the step is over.
	if !b.expectExec(ctx, "systemctl disable --now left4me-web.service for this step (its build collector would take build "+layBuild+" away)",
		"systemctl", "disable", "--now", "left4me-web.service") {
		return
	}
	defer func() {
		b.expectExec(ctx, "systemctl enable --now left4me-web.service", "systemctl", "enable", "--now", "left4me-web.service")
		b.expectPanelUp(ctx, "after step 10d")
	}()
	res := b.asLeft4me(ctx, "sh", "-c", layersSetup())
	if !b.r.check("as left4me, lay out build "+layBuild+", the add-on sets hostname (cfg/autoexec.cfg) and maps ("+layVPK+"), and "+layA+" and "+layB+" on them", codeIs(res, 0)) {
		return
	}
	defer b.layersCleanUp(ctx)
	for _, u := range []string{layAUnit, layBUnit} {
		b.expectExec(ctx, "systemctl start "+u, "systemctl", "start", u)
	}
	b.layA2S(ctx, layAPort, layAddonCfg, "(the add-on set's autoexec.cfg, the blueprint's server.cfg naming none)")
	b.layA2S(ctx, layBPort, layBHost, "(its server.cfg, through the build's cfg/left4me-server.cfg link)")
	b.layJournal(ctx, layAUnit, "left4me-layers: mounted "+layA+" at "+layMerged+": build "+layBuild+", add-on sets [hostname@1]",
		"fakesrcds: add-ons: none in "+layMerged+"/left4dead2/addons",
		"fakesrcds: banid 0 "+layBan, "fakesrcds: logging to "+layMerged+"/left4dead2/logs/L")
	b.layJournal(ctx, layBUnit, "left4me-layers: mounted "+layB+" at "+layMerged+": build "+layBuild+", add-on sets [maps@1]",
		"fakesrcds: add-ons in "+layMerged+"/left4dead2/addons: "+layVPK)
	b.layRCON(ctx)

	// Each sees exactly its own set, over the same build.
	res = b.inUnitNamespace(ctx, layAUnit, "cd "+layMerged+"/left4dead2 && findmnt -n -o FSTYPE,OPTIONS "+layMerged+
		" && cat build.txt && ls cfg addons")
	err := codeIs(res, 0)
	if err == nil && (!strings.HasPrefix(res.out, "overlay rw,nosuid,nodev") || !strings.Contains(res.out, "the build\n") ||
		!strings.Contains(res.out, "autoexec.cfg") || strings.Contains(res.out, layVPK)) {
		err = fmt.Errorf("got:\n%s", res.out)
	}
	b.r.check("in "+layA+"'s namespace "+layMerged+" is an overlay (nosuid, nodev) with the build and autoexec.cfg, no "+layVPK, err)
	res = b.inUnitNamespace(ctx, layBUnit, "cd "+layMerged+"/left4dead2 && findmnt -n -o FSTYPE "+layMerged+" && cat build.txt && ls cfg addons")
	err = codeIs(res, 0)
	if err == nil && (!strings.HasPrefix(res.out, "overlay\n") || !strings.Contains(res.out, "the build\n") ||
		strings.Contains(res.out, "autoexec.cfg") || !strings.Contains(res.out, layVPK)) {
		err = fmt.Errorf("got:\n%s", res.out)
	}
	b.r.check("in "+layB+"'s namespace the overlay has the build and "+layVPK+", no autoexec.cfg", err)
	b.overlaysOnlyIn(ctx, "with both running", layAUnit, layBUnit)
	res = b.inUnitNamespace(ctx, layAUnit, "touch "+stateRootD+"/instances/"+layA+"/x 2>&1; touch "+stateRootD+"/addons/hostname/revs/1/x 2>&1; true")
	err = codeIs(res, 0)
	if err == nil && strings.Count(res.out, "Read-only file system") != 2 {
		err = fmt.Errorf("got:\n%s", res.out)
	}
	b.r.check("in "+layA+"'s namespace the instance's directory and the add-on set stay read-only", err)

	// What srcds writes lands in the upper layer and survives a restart.
	b.layLogs(ctx, 1, "after the first start")
	b.expectExec(ctx, "systemctl restart "+layAUnit, "systemctl", "restart", layAUnit)
	b.layA2S(ctx, layAPort, layAddonCfg, "after a restart")
	b.layLogs(ctx, 2, "after a restart (the first log is still there)")
	res = b.sh(ctx, "find "+stateRootD+"/builds "+stateRootD+"/addons -name 'L*.log'")
	err = codeIs(res, 0)
	if err == nil && res.out != "" {
		err = fmt.Errorf("found:\n%s", res.out)
	}
	b.r.check("no log was written into the build or an add-on set", err)

	// SIGKILL: the overlay goes with the unit's processes.
	b.expectExec(ctx, "systemctl kill -s KILL "+layAUnit, "systemctl", "kill", "-s", "KILL", layAUnit)
	b.r.check(layAUnit+" waits to be restarted by systemd", waitFor(ctx, 4*time.Second, func() error {
		return wantWord(strings.TrimSpace(b.c.exec(ctx, "", "systemctl", "show", "-p", "SubState", "--value", layAUnit).out), "auto-restart")
	}))
	b.overlaysOnlyIn(ctx, "after the SIGKILL, before systemd restarts it", layBUnit)
	b.layA2S(ctx, layAPort, layAddonCfg, "after systemd restarted it")
	b.layLogs(ctx, 3, "after the SIGKILL and restart")

	// A reboot: nothing survives but what the enabled unit mounts again.
	b.expectExec(ctx, "systemctl enable "+layAUnit, "systemctl", "enable", layAUnit)
	b.rebootContainer(ctx)
	b.layA2S(ctx, layAPort, layAddonCfg, "after a reboot (enabled, so started at boot)")
	b.r.check(layBUnit+" (started, not enabled) is inactive after the reboot", wantWord(b.unitState(ctx, layBUnit), "inactive"))
	b.overlaysOnlyIn(ctx, "after the reboot", layAUnit)
	b.layLogs(ctx, 4, "after the reboot")
	b.expectExec(ctx, "systemctl disable --now "+layAUnit, "systemctl", "disable", "--now", layAUnit)
	b.overlaysOnlyIn(ctx, "with both stopped")
	res = b.c.exec(ctx, "", "findmnt", "-t", "overlay")
	err = nil
	if res.out != "" || res.err != "" || (res.code != 0 && res.code != 1) { // 1: found nothing (util-linux 2.38 says 0)
		err = fmt.Errorf("got %s", res)
	}
	b.r.check("findmnt -t overlay on the host is empty with both stopped", err)
	res = b.sh(ctx, "ls -A "+cfgTmpfs+" 2>/dev/null; true")
	err = codeIs(res, 0)
	if err == nil && res.out != "" {
		err = fmt.Errorf("got:\n%s", res.out)
	}
	b.r.check(cfgTmpfs+" holds nothing on the host (or is absent)", err)

	// A layer that is a symlink out of the state root: never followed.
	res = b.asLeft4me(ctx, "sh", "-c", "cd "+stateRootD+"/addons/maps/revs && mv 1 1.e2e && ln -s /etc 1")
	if b.r.check("as left4me, replace add-on set maps revision 1 with a symlink to /etc", codeIs(res, 0)) {
		since := "@" + strconv.FormatInt(time.Now().Unix()-1, 10)
		b.expectExec(ctx, "systemctl start "+layBUnit+" (the start itself is not refused)", "systemctl", "start", layBUnit)
		// The helper fails at once; the launcher waits 10 s for the mount,
		// then exits 2 (and systemd restarts it until the start limit).
		err := waitFor(ctx, 20*time.Second, func() error {
			res := b.c.exec(ctx, "", "journalctl", "-u", layBUnit, "--since", since, "--no-pager", "-o", "cat")
			if err := codeIs(res, 0); err != nil {
				return err
			}
			for _, w := range []string{"layer addons/maps/revs/1: addons/maps/revs/1: 1 is not a directory (a symlink is never followed)",
				"left4me-srcds: the instance's layers were not mounted at " + layMerged + " within 10 seconds",
				"status=2/INVALIDARGUMENT"} {
				if !strings.Contains(res.out, w) {
					return fmt.Errorf("no %q in:\n%s", w, res.out)
				}
			}
			if strings.Contains(res.out, "fakesrcds:") {
				return fmt.Errorf("the game server ran:\n%s", res.out)
			}
			return nil
		})
		b.r.check(layBUnit+": the helper refuses the symlink, the launcher exits 2 without running the game server", err)
		b.overlaysOnlyIn(ctx, "after the refused start")
		b.expectExec(ctx, "systemctl stop "+layBUnit, "systemctl", "stop", layBUnit)
		res = b.asLeft4me(ctx, "sh", "-c", "cd "+stateRootD+"/addons/maps/revs && rm 1 && mv 1.e2e 1")
		b.r.check("as left4me, put revision 1 back", codeIs(res, 0))
	}
	b.r.note("step 10d took %s", time.Since(t).Round(100*time.Millisecond))
}

// layA2S waits for A2S on port to answer with name.
func (b *bed) layA2S(ctx context.Context, port int, name, when string) {
	addr := "127.0.0.1:" + strconv.Itoa(port)
	err := waitFor(ctx, 20*time.Second, func() error {
		res := b.c.netExec(ctx, b.self, "a2s", addr)
		if err := codeIs(res, 0); err != nil {
			return err
		}
		var info a2s.Info
		if err := json.Unmarshal([]byte(res.out), &info); err != nil {
			return err
		}
		if info.Name != name {
			return fmt.Errorf("name %q, want %q", info.Name, name)
		}
		return nil
	})
	b.r.check(fmt.Sprintf("A2S_INFO on udp %s answers %q %s", addr, name, when), err)
}

// layJournal checks the unit's log (this boot) holds every line of want.
func (b *bed) layJournal(ctx context.Context, unit string, want ...string) {
	err := waitFor(ctx, 5*time.Second, func() error {
		res := b.c.exec(ctx, "", "journalctl", "-b", "-u", unit, "--no-pager", "-o", "cat")
		if err := codeIs(res, 0); err != nil {
			return err
		}
		for _, w := range want {
			if !strings.Contains(res.out, w) {
				return fmt.Errorf("no %q in:\n%s", w, res.out)
			}
		}
		return nil
	})
	b.r.check(unit+"'s log says: "+strings.Join(want, "; "), err)
}

// layLogs checks lay-a's writable layer holds n game logs, left4me's.
func (b *bed) layLogs(ctx context.Context, n int, when string) {
	upper := stateRootD + "/instances/" + layA + "/upper/left4dead2/logs"
	res := b.sh(ctx, "stat -c '%U %n' "+upper+"/L*.log")
	err := codeIs(res, 0)
	if err == nil && (strings.Count(res.out, "\n") != n || strings.Count(res.out, "left4me ") != n) {
		err = fmt.Errorf("got:\n%s", res.out)
	}
	b.r.check(fmt.Sprintf("%s holds %d game log(s) of left4me's %s", upper, n, when), err)
}

// overlaysOnlyIn checks that every process of the container whose mount
// table has an overlay belongs to one of units (none: no process at all),
// and that the container's own mount table has none.
func (b *bed) overlaysOnlyIn(ctx context.Context, when string, units ...string) {
	script := `for f in /proc/[0-9]*/mountinfo; do
	p=${f#/proc/}; p=${p%/mountinfo}
	grep -q ' - overlay ' "$f" 2>/dev/null || continue
	u=$(sed -n 's|.*/\(left4me-server@[^/]*\.service\).*|\1|p' /proc/$p/cgroup 2>/dev/null | head -n 1)
	echo "${u:-pid $p}"
done | sort -u
grep -c ' - overlay ' /proc/1/mountinfo || true`
	res := b.sh(ctx, script)
	err := codeIs(res, 0)
	want := ""
	for _, u := range units {
		want += u + "\n"
	}
	if err == nil && res.out != sortedLines(want)+"0\n" {
		err = fmt.Errorf("processes with an overlay, then the host's count:\n%s\nwant:\n%s0", res.out, sortedLines(want))
	}
	what := "no process has an overlay mounted"
	if len(units) > 0 {
		what = "only " + strings.Join(units, " and ") + " have an overlay mounted, the host none"
	}
	b.r.check(what+" "+when, err)
}

// sortedLines is s's lines sorted, as sort -u prints them.
func sortedLines(s string) string {
	if s == "" {
		return ""
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

// layRCON: the RCON password in lay-a's server.cfg reached srcds: RCON on
// its port takes it and lists the ban from the same file.
func (b *bed) layRCON(ctx context.Context) {
	res := b.c.netExecIn(ctx, layRCONPass+"\n", b.self, "rcon", "127.0.0.1:"+strconv.Itoa(layAPort), "listid")
	err := codeIs(res, 0)
	if err == nil && !strings.Contains(res.out, layBan) {
		err = fmt.Errorf("got:\n%s", res.out)
	}
	b.r.check("RCON on "+layA+"'s port takes the password from its server.cfg; listid names the ban from it", err)
}

// rconCommand is `e2e rcon ADDR COMMAND`: the password comes on stdin (a
// line), the answer goes to stdout.
func rconCommand(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	pw, err := io.ReadAll(io.LimitReader(stdin, 4096))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c := rcon.NewClient(args[0], strings.TrimSpace(string(pw)))
	defer c.Close()
	out, err := c.Exec(ctx, args[1])
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprint(stdout, out)
	return 0
}

// layersCleanUp stops and removes what step 10d made.
func (b *bed) layersCleanUp(ctx context.Context) {
	res := b.sh(ctx, `systemctl disable --now `+layAUnit+` `+layBUnit+` 2>/dev/null
systemctl reset-failed `+layAUnit+` `+layBUnit+` 2>/dev/null
cd `+stateRootD+` && rm -rf instances/`+layA+` instances/`+layB+` builds/`+layBuild+` addons/hostname addons/maps &&
rmdir builds addons 2>/dev/null; true`)
	b.r.check("clean up step 10d's instances, build and add-on sets", codeIs(res, 0))
}
