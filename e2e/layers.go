package main

import (
	"context"
	"encoding/json"
	"errors"
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
	laySetA     = "e2e-hostname" // through the API: cfg/autoexec.cfg naming the server
	laySetB     = "e2e-maps"     // through the API: addons/e2e-maps.vpk
	layBan      = "STEAM_1:0:4242"
	layRCONPass = "e2e-layers-rcon"
	stateRootD  = "/var/lib/left4me"
	layMerged   = cfgTmpfs + "/game"
)

// layersSetup is the shell script, run as left4me, that lays out the
// build and the two instances on it, over the add-on sets made through
// the API at revisions revA and revB.
func layersSetup(revA, revB int) string {
	return `set -eu
cd ` + stateRootD + `
umask 022
mkdir -p builds/` + layBuild + `/left4dead2/cfg builds/` + layBuild + `/left4dead2/addons
ln -s ` + cfgLinkTo + ` builds/` + layBuild + `/left4dead2/cfg/left4me-server.cfg
echo 'the build' >builds/` + layBuild + `/left4dead2/build.txt
for i in ` + layA + `:` + strconv.Itoa(layAPort) + `:` + laySetA + `:` + strconv.Itoa(revA) + ` ` +
		layB + `:` + strconv.Itoa(layBPort) + `:` + laySetB + `:` + strconv.Itoa(revB) + `; do
	n=${i%%:*}; rest=${i#*:}; p=${rest%%:*}; rest=${rest#*:}; set=${rest%%:*}; rev=${rest#*:}
	mkdir -m 0750 instances/$n instances/$n/work
	mkdir -m 0755 instances/$n/upper
	printf 'LEFT4ME_INSTANCE="%s"\nLEFT4ME_PORT="%s"\nSRCDS_ARGS="+map c1m1_hotel"\n' $n $p >instances/$n/instance.env
	printf '# written by hand for make e2e\nbuild ` + layBuild + `\nset %s %s\n' $set $rev >instances/$n/layers
done
printf 'log on\nrcon_password "` + layRCONPass + `"\nbanid 0 ` + layBan + `\n' >instances/` + layA + `/server.cfg
printf 'log on\nhostname "` + layBHost + `"\n' >instances/` + layB + `/server.cfg
chmod 0600 instances/` + layA + `/server.cfg instances/` + layB + `/server.cfg
`
}

// apiSet is an add-on set as the API answers it.
type apiSet struct {
	Name     string `json:"name"`
	Revision int    `json:"revision"`
	Files    int    `json:"files"`
}

// apiBlueprint is the part of a blueprint step 10d reads.
type apiBlueprint struct {
	Name      string   `json:"name"`
	AddonSets []string `json:"addon_sets"`
}

// layersThroughTheAPI makes the two add-on sets through the API, each
// with one file, and two blueprints (the web form) listing one each
// (PATCH), and returns the sets' revisions.
func (b *bed) layersThroughTheAPI(ctx context.Context) (revA, revB int, ok bool) {
	for _, set := range []string{laySetA, laySetB} {
		if !b.r.check("POST /api/v1/addon-sets "+set+": 201", b.api.expect(ctx, 201, "POST", "/api/v1/addon-sets", map[string]string{"name": set}, nil)) {
			return 0, 0, false
		}
	}
	var a, bb apiSet
	err := b.api.putRaw(ctx, "/api/v1/addon-sets/"+laySetA+"/files/cfg/autoexec.cfg", "hostname \""+layAddonCfg+"\"\n", &a)
	if !b.r.check("PUT /api/v1/addon-sets/"+laySetA+"/files/cfg/autoexec.cfg: 200, the set at a new revision", err) {
		return 0, 0, false
	}
	err = b.api.putRaw(ctx, "/api/v1/addon-sets/"+laySetB+"/files/addons/"+layVPK, "VPK\n", &bb)
	if !b.r.check("PUT /api/v1/addon-sets/"+laySetB+"/files/addons/"+layVPK+": 200", err) {
		return 0, 0, false
	}
	var files []struct {
		Path  string `json:"path"`
		Bytes int64  `json:"bytes"`
	}
	err = b.api.expect(ctx, 200, "GET", "/api/v1/addon-sets/"+laySetB+"/files", nil, &files)
	if err == nil && (len(files) != 1 || files[0].Path != "addons/"+layVPK || files[0].Bytes != 4) {
		err = fmt.Errorf("got %+v", files)
	}
	b.r.check("GET /api/v1/addon-sets/"+laySetB+"/files lists addons/"+layVPK+" (4 bytes)", err)
	res := b.sh(ctx, "stat -c '%U %n' "+stateRootD+"/addons/"+laySetA+"/revs/"+strconv.Itoa(a.Revision)+"/left4dead2/cfg/autoexec.cfg "+
		stateRootD+"/addons/"+laySetB+"/revs/"+strconv.Itoa(bb.Revision)+"/left4dead2/addons/"+layVPK)
	err = codeIs(res, 0)
	if err == nil && strings.Count(res.out, "left4me ") != 2 {
		err = fmt.Errorf("got:\n%s", res.out)
	}
	b.r.check(fmt.Sprintf("on disk: addons/%s/revs/%d/left4dead2/cfg/autoexec.cfg and addons/%s/revs/%d/left4dead2/addons/%s, left4me's",
		laySetA, a.Revision, laySetB, bb.Revision, layVPK), err)
	if !b.web.login(ctx) {
		return 0, 0, false
	}
	for _, bp := range []struct{ name, set string }{{layA, laySetA}, {layB, laySetB}} {
		if !b.web.createBlueprint(ctx, bp.name, gameMap, 4) {
			return 0, 0, false
		}
		// lay-a's servers write their log (step 14b's, into its writable
		// layer); its add-on set names them.
		if bp.name == layA && !b.web.setServerCfg(ctx, layA, "log on\n") {
			return 0, 0, false
		}
		var got apiBlueprint
		err := b.api.expect(ctx, 200, "PATCH", "/api/v1/blueprints/"+bp.name, map[string][]string{"addon_sets": {bp.set}}, &got)
		if err == nil && (len(got.AddonSets) != 1 || got.AddonSets[0] != bp.set) {
			err = fmt.Errorf("got %+v", got)
		}
		b.r.check(fmt.Sprintf("PATCH /api/v1/blueprints/%s {\"addon_sets\": [%q]}: 200 with it", bp.name, bp.set), err)
	}
	err = b.api.expect(ctx, 409, "DELETE", "/api/v1/addon-sets/"+laySetA, nil, nil)
	b.r.check("DELETE /api/v1/addon-sets/"+laySetA+" while blueprint "+layA+" lists it: 409", err)
	return a.Revision, bb.Revision, true
}

// layersAPICleanUp takes the sets off the blueprints and deletes them.
func (b *bed) layersAPICleanUp(ctx context.Context) {
	var errs []error
	for _, bp := range []string{layA, layB} {
		errs = append(errs, b.api.expect(ctx, 200, "PATCH", "/api/v1/blueprints/"+bp, map[string][]string{"addon_sets": {}}, nil))
	}
	for _, set := range []string{laySetA, laySetB} {
		errs = append(errs, b.api.expect(ctx, 204, "DELETE", "/api/v1/addon-sets/"+set, nil, nil))
	}
	b.r.check("PATCH the blueprints' addon_sets to [], DELETE both sets: 204", errors.Join(errs...))
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
	revA, revB, ok := b.layersThroughTheAPI(ctx)
	if !ok {
		return
	}
	// The panel removes every minute a build that is neither current nor
	// run by one of its servers, and these two are not its servers: it
	// stays off (through the reboot too) until the step is over.
	if !b.expectExec(ctx, "systemctl disable --now left4me-web.service for this step (its build collector would take build "+layBuild+" away)",
		"systemctl", "disable", "--now", "left4me-web.service") {
		return
	}
	defer func() {
		b.layersCleanUp(ctx)
		b.expectExec(ctx, "systemctl enable --now left4me-web.service", "systemctl", "enable", "--now", "left4me-web.service")
		b.expectPanelUp(ctx, "after step 10d")
	}()
	res := b.asLeft4me(ctx, "sh", "-c", layersSetup(revA, revB))
	if !b.r.check(fmt.Sprintf("as left4me, lay out build %s and %s (set %s at revision %d) and %s (set %s at revision %d) on it",
		layBuild, layA, laySetA, revA, layB, laySetB, revB), codeIs(res, 0)) {
		return
	}
	for _, u := range []string{layAUnit, layBUnit} {
		b.expectExec(ctx, "systemctl start "+u, "systemctl", "start", u)
	}
	b.layA2S(ctx, layAPort, layAddonCfg, "(the add-on set's autoexec.cfg, the blueprint's server.cfg naming none)")
	b.layA2S(ctx, layBPort, layBHost, "(its server.cfg, through the build's cfg/left4me-server.cfg link)")
	b.layJournal(ctx, layAUnit, fmt.Sprintf("left4me-layers: mounted %s at %s: build %s, add-on sets [%s@%d]", layA, layMerged, layBuild, laySetA, revA),
		"fakesrcds: add-ons: none in "+layMerged+"/left4dead2/addons",
		"fakesrcds: banid 0 "+layBan, "fakesrcds: logging to "+layMerged+"/left4dead2/logs/L")
	b.layJournal(ctx, layBUnit, fmt.Sprintf("left4me-layers: mounted %s at %s: build %s, add-on sets [%s@%d]", layB, layMerged, layBuild, laySetB, revB),
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
	res = b.inUnitNamespace(ctx, layAUnit, "touch "+stateRootD+"/instances/"+layA+"/x 2>&1; touch "+stateRootD+"/addons/"+laySetA+"/x 2>&1; true")
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
	rev := strconv.Itoa(revB)
	res = b.asLeft4me(ctx, "sh", "-c", "cd "+stateRootD+"/addons/"+laySetB+"/revs && mv "+rev+" "+rev+".e2e && ln -s /etc "+rev)
	if b.r.check("as left4me, replace add-on set "+laySetB+"'s revision "+rev+" with a symlink to /etc", codeIs(res, 0)) {
		since := "@" + strconv.FormatInt(time.Now().Unix()-1, 10)
		b.expectExec(ctx, "systemctl start "+layBUnit+" (the start itself is not refused)", "systemctl", "start", layBUnit)
		// The helper fails at once; the launcher waits 10 s for the mount,
		// then exits 2 (and systemd restarts it until the start limit).
		err := waitFor(ctx, 20*time.Second, func() error {
			res := b.c.exec(ctx, "", "journalctl", "-u", layBUnit, "--since", since, "--no-pager", "-o", "cat")
			if err := codeIs(res, 0); err != nil {
				return err
			}
			revDir := "addons/" + laySetB + "/revs/" + rev
			for _, w := range []string{"layer " + revDir + ": " + revDir + ": " + rev + " is not a directory (a symlink is never followed)",
				"left4me-srcds: the instance's layers were not mounted at " + layMerged + " within 10 seconds",
				"status=2/INVALIDARGUMENT"} {
				if !strings.Contains(res.out, w) {
					return fmt.Errorf("no %q in:\n%s", w, res.out)
				}
			}
			// Nothing of the game server after the helper's first refusal
			// (the log may begin with an earlier run's last lines).
			_, after, _ := strings.Cut(res.out, "left4me-layers: "+layB+": layer ")
			if strings.Contains(after, "fakesrcds:") {
				return fmt.Errorf("the game server ran:\n%s", res.out)
			}
			return nil
		})
		b.r.check(layBUnit+": the helper refuses the symlink, the launcher exits 2 without running the game server", err)
		b.overlaysOnlyIn(ctx, "after the refused start")
		b.expectExec(ctx, "systemctl stop "+layBUnit, "systemctl", "stop", layBUnit)
		res = b.asLeft4me(ctx, "sh", "-c", "cd "+stateRootD+"/addons/"+laySetB+"/revs && rm "+rev+" && mv "+rev+".e2e "+rev)
		b.r.check("as left4me, put revision "+rev+" back", codeIs(res, 0))
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
cd `+stateRootD+` && rm -rf instances/`+layA+` instances/`+layB+` builds/`+layBuild+` &&
rmdir builds 2>/dev/null; true`)
	b.r.check("clean up step 10d's instances and build", codeIs(res, 0))
}

// The server step 14b creates through the API, of blueprint lay-a.
const (
	layC     = "lay-c"
	layCUnit = "left4me-server@" + layC + ".service"
	layCPort = 27053
	layD     = "lay-d"
	layDUnit = "left4me-server@" + layD + ".service"
	layDPort = 27054
)

// layersThroughThePanel: step 14b, with the game installed as builds
// (step 14). A server of blueprint lay-a, created and started through the
// API, runs on the current build with lay-a's add-on set: the start job
// wrote its layers file, the unit mounted them, and the set's
// autoexec.cfg names the server. When the panel's start writes no layers
// file (a runner that does not fill the build and sets in), the rest is
// not run and says so. Last, step 10d's sets go.
func (b *bed) layersThroughThePanel(ctx context.Context) {
	defer b.layersAPICleanUp(ctx)
	var s apiServer
	err := b.api.expect(ctx, 201, "POST", "/api/v1/servers",
		map[string]any{"name": layC, "title": "e2e layers", "blueprint": layA, "port": layCPort}, &s)
	if !b.r.check(fmt.Sprintf("POST /api/v1/servers %s (blueprint %s, port %d): 201", layC, layA, layCPort), err) {
		return
	}
	defer b.api.actionOn(ctx, layC, "delete")
	var job apiJob
	err = b.api.expect(ctx, 202, "POST", "/api/v1/servers/"+layC+"/start", nil, &job)
	if err == nil {
		job, err = b.api.follow(ctx, job.ID)
	}
	if !b.r.check("POST /api/v1/servers/"+layC+"/start: the job ends", err) {
		return
	}
	res := b.sh(ctx, "cat "+stateRootD+"/instances/"+layC+"/layers")
	if res.code != 0 {
		last := ""
		if len(job.Lines) > 0 {
			last = job.Lines[len(job.Lines)-1].Text
		}
		b.r.note("not run: the panel's start wrote no layers file for %s (its runner does not put servers on the game build and add-on sets yet); job %s, %q",
			layC, job.State, last)
		return
	}
	b.r.check("the start job succeeded", wantWord(job.State, "succeeded"))
	build := strings.TrimSpace(b.sh(ctx, "readlink "+gameDir).out)
	build = strings.TrimPrefix(build, "builds/")
	err = nil
	if !strings.Contains(res.out, "\nbuild "+build+"\nset "+laySetA+" ") {
		err = fmt.Errorf("layers file:\n%s", res.out)
	}
	b.r.check("the start wrote "+layC+"'s layers file: the current build "+build+", then "+laySetA, err)
	b.layA2S(ctx, layCPort, layAddonCfg, "(the blueprint's add-on set, through the panel's start)")
	b.layJournal(ctx, layCUnit, "left4me-layers: mounted "+layC+" at "+layMerged+": build "+build+", add-on sets ["+laySetA+"@")
	units := []string{layCUnit}
	if b.sh(ctx, "test -e "+stateRootD+"/instances/"+gameServer+"/layers && systemctl -q is-active "+gameServerUnit).code == 0 {
		units = append(units, gameServerUnit) // step 14's server, on layers too
	}
	if b.otherBlueprintThroughThePanel(ctx, build) {
		defer b.api.actionOn(ctx, layD, "delete")
		units = append(units, layDUnit)
	}
	b.overlaysOnlyIn(ctx, "with "+layC+" and "+layD+" running", units...)

	// What it runs on and its writable layer, through the API: the log
	// its srcds wrote, kept while it runs, emptied once it is stopped.
	var l struct {
		Applied *struct {
			Build     string `json:"build"`
			AddonSets []struct {
				Name     string `json:"name"`
				Revision int    `json:"revision"`
			} `json:"addon_sets"`
		} `json:"applied"`
		Writable *struct {
			Files int `json:"files"`
			List  []struct {
				Path string `json:"path"`
			} `json:"list"`
		} `json:"writable"`
	}
	err = b.api.expect(ctx, 200, "GET", "/api/v1/servers/"+layC+"/layers", nil, &l)
	if err == nil && (l.Applied == nil || l.Applied.Build != build || len(l.Applied.AddonSets) != 1 || l.Applied.AddonSets[0].Name != laySetA ||
		l.Writable == nil || l.Writable.Files != 1 || len(l.Writable.List) != 1 || !strings.HasPrefix(l.Writable.List[0].Path, "left4dead2/logs/L")) {
		err = fmt.Errorf("got %+v", l)
	}
	b.r.check("GET /api/v1/servers/"+layC+"/layers: applied build "+build+" and "+laySetA+"; the writable layer holds the game's log (left4dead2/logs/L….log) alone", err)
	b.r.check("POST /api/v1/servers/"+layC+"/layers/reset while it runs: 409",
		b.api.expect(ctx, 409, "POST", "/api/v1/servers/"+layC+"/layers/reset", nil, nil))
	if b.api.actionOn(ctx, layC, "stop") {
		err = b.api.expect(ctx, 204, "POST", "/api/v1/servers/"+layC+"/layers/reset", nil, nil)
		if err == nil {
			if res := b.sh(ctx, "find "+stateRootD+"/instances/"+layC+"/upper -mindepth 1"); res.code != 0 || res.out != "" {
				err = fmt.Errorf("upper/ holds: %s", res)
			}
		}
		b.r.check("stopped, POST …/layers/reset: 204, and upper/ is empty on disk", err)
	}
}

// otherBlueprintThroughThePanel: beside lay-c (blueprint lay-a, set
// e2e-hostname), lay-d of blueprint lay-b (set e2e-maps) is created and
// started through the API on the same build; each sees exactly its own
// set: fakesrcds lists e2e-maps.vpk in lay-d's merged view alone, and
// lay-a's autoexec.cfg is in lay-c's alone. It reports whether lay-d
// runs (the caller deletes it).
func (b *bed) otherBlueprintThroughThePanel(ctx context.Context, build string) bool {
	var s apiServer
	err := b.api.expect(ctx, 201, "POST", "/api/v1/servers",
		map[string]any{"name": layD, "title": "e2e layers B", "blueprint": layB, "port": layDPort}, &s)
	if !b.r.check(fmt.Sprintf("POST /api/v1/servers %s (blueprint %s, port %d): 201", layD, layB, layDPort), err) {
		return false
	}
	if !b.api.actionOn(ctx, layD, "start") {
		b.api.actionOn(ctx, layD, "delete")
		return false
	}
	res := b.sh(ctx, "cat "+stateRootD+"/instances/"+layD+"/layers")
	err = codeIs(res, 0)
	if err == nil && !strings.Contains(res.out, "\nbuild "+build+"\nset "+laySetB+" ") {
		err = fmt.Errorf("layers file:\n%s", res.out)
	}
	b.r.check("the start wrote "+layD+"'s layers file: build "+build+", then "+laySetB+" alone", err)
	b.layJournal(ctx, layDUnit, "left4me-layers: mounted "+layD+" at "+layMerged+": build "+build+", add-on sets ["+laySetB+"@",
		"fakesrcds: add-ons in "+layMerged+"/left4dead2/addons: "+layVPK)
	res = b.inUnitNamespace(ctx, layDUnit, "cd "+layMerged+"/left4dead2 && ls cfg && { ls addons 2>/dev/null || true; }")
	err = codeIs(res, 0)
	if err == nil && (!strings.Contains(res.out, layVPK) || strings.Contains(res.out, "autoexec.cfg")) {
		err = fmt.Errorf("got:\n%s", res.out)
	}
	b.r.check("in "+layD+"'s namespace the game has "+layVPK+" and no autoexec.cfg of "+laySetA, err)
	res = b.inUnitNamespace(ctx, layCUnit, "cd "+layMerged+"/left4dead2 && ls cfg && { ls addons 2>/dev/null || true; }")
	err = codeIs(res, 0)
	if err == nil && (strings.Contains(res.out, layVPK) || !strings.Contains(res.out, "autoexec.cfg")) {
		err = fmt.Errorf("got:\n%s", res.out)
	}
	b.r.check("in "+layC+"'s namespace the game has "+laySetA+"'s autoexec.cfg and no "+layVPK, err)
	return true
}
