package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/a2s"
)

// The server.cfg the scenario gives the default blueprint, through the
// panel's blueprint form, before coop-1 first starts; and the second
// instance, whose blueprint has none.
const (
	gameNight    = "Game night e2e"
	serverCfg    = "// left4me e2e: the default blueprint's server.cfg\nhostname \"" + gameNight + "\"\nsv_lan 1\n"
	gameCfg      = "/var/lib/left4me/game/left4dead2/cfg/left4me-server.cfg"
	cfgTmpfs     = "/run/left4me-instance"  // the unit's own tmpfs, in its mount namespace only
	cfgLinkTo    = cfgTmpfs + "/server.cfg" // what gameCfg links to
	fakeHostname = "left4me fakesrcds"      // fakesrcds's name without one
	plainBP      = "plain"
	plainName    = "plain-1"
	plainUnit    = "left4me-server@" + plainName + ".service"
	plainPort    = port + 1
	plainMap     = "c2m1_highway"
	plainPlayers = 8
)

// mainPID is the unit's main PID, or "" when it has none.
func (b *bed) mainPID(ctx context.Context, unit string) string {
	pid := strings.TrimSpace(b.c.exec(ctx, "", "systemctl", "show", "-p", "MainPID", "--value", unit).out)
	if pid == "0" {
		return ""
	}
	return pid
}

// inUnitNamespace runs a shell script inside the mount namespace of the
// unit's main process: the file system as the game server sees it.
func (b *bed) inUnitNamespace(ctx context.Context, unit, script string) result {
	pid := b.mainPID(ctx, unit)
	if pid == "" {
		return result{code: -1, err: unit + " has no main process"}
	}
	return b.c.exec(ctx, "", "nsenter", "-t", pid, "-m", "--", "sh", "-c", script)
}

// serverCfgReachesSrcds: step 2, after coop-1's first start. The start
// job wrote the blueprint's server.cfg into the instance's directory; the
// launcher copied it into the unit's own tmpfs, where the game's
// cfg/left4me-server.cfg links, and told srcds to execute it; the game
// server took its hostname (expectA2S checks the name on the port). Then
// an upgrade: the empty placeholder an older install.sh left in the
// link's place, which the panel's next provisioning turns into the link.
func (b *bed) serverCfgReachesSrcds(ctx context.Context) {
	res := b.sh(ctx, "stat -c '%a %U %G' "+instanceDir+"/server.cfg && cat "+instanceDir+"/server.cfg")
	err := codeIs(res, 0)
	if err == nil && !panelCfg(strings.TrimPrefix(res.out, "600 left4me left4me\n")) {
		err = fmt.Errorf("got:\n%s", res.out)
	}
	b.r.check("the start job wrote the blueprint's server.cfg and then the panel's RCON block into "+instanceDir+" (0600, left4me)", err)

	res = b.inUnitNamespace(ctx, unit, "cat "+gameCfg)
	err = codeIs(res, 0)
	if err == nil && !panelCfg(res.out) {
		err = fmt.Errorf("the game server sees:\n%s", res.out)
	}
	b.r.check("in "+unit+"'s mount namespace, "+gameCfg+" is its server.cfg", err)
	b.cfgTmpfsIsPrivate(ctx, unit)
	b.linkUntouched(ctx, "while "+name+" runs")

	res = b.c.exec(ctx, "", "journalctl", "-u", unit, "--no-pager", "-o", "cat")
	err = codeIs(res, 0)
	for _, want := range []string{"+servercfgfile left4me-server.cfg",
		"fakesrcds: executed " + gameCfg + " (", "commands); hostname " + gameNight} {
		if err == nil && !strings.Contains(res.out, want) {
			err = fmt.Errorf("no %q in the unit's log:\n%s", want, res.out)
		}
	}
	b.r.check("left4me-srcds passed +servercfgfile left4me-server.cfg and the game server executed it", err)

	res = b.asLeft4me(ctx, "sh", "-c", "rm "+gameCfg+" && : >"+gameCfg)
	if !b.r.check("as left4me, put an older install.sh's empty placeholder in place of "+gameCfg, codeIs(res, 0)) {
		return
	}
	b.api.action(ctx, "restart")
	b.linkUntouched(ctx, "after the restart job provisioned "+name+" again")
	b.expectRunning(ctx, "after the restart")
}

// panelCfg reports whether cfg is what a start writes: the blueprint's
// server.cfg, then the panel's block with the RCON password (whose value
// the scenario never sees).
func panelCfg(cfg string) bool {
	rest, ok := strings.CutPrefix(cfg, serverCfg)
	return ok && strings.Contains(rest, "\nrcon_password \"") && strings.Contains(rest, "\nsv_rcon_maxfailures ")
}

// panelBlockOnly reports whether cfg is what a start writes for a
// blueprint without server.cfg: the panel's block alone.
func panelBlockOnly(cfg string) bool {
	return strings.HasPrefix(cfg, "\n// Written by left4me") && strings.Contains(cfg, "\nrcon_password \"") &&
		!strings.Contains(cfg, "hostname")
}

// cfgTmpfsIsPrivate checks the unit's tmpfs for server.cfg: mounted in its
// mount namespace, and on the host an empty directory of root's, or
// nothing, so the game's link leads nowhere outside the units.
func (b *bed) cfgTmpfsIsPrivate(ctx context.Context, unit string) {
	res := b.inUnitNamespace(ctx, unit, "awk '$5 == \""+cfgTmpfs+"\" { print $9 }' /proc/self/mountinfo")
	err := codeIs(res, 0)
	if err == nil && res.out != "tmpfs\n" {
		err = fmt.Errorf("mounted there: %q, want one tmpfs", res.out)
	}
	b.r.check("in "+unit+"'s mount namespace "+cfgTmpfs+" is a tmpfs", err)
	res = b.sh(ctx, "if [ -e "+cfgTmpfs+" ]; then stat -c '%F %a %U' "+cfgTmpfs+" && ls -A "+cfgTmpfs+"; else echo absent; fi; "+
		"awk '$5 == \""+cfgTmpfs+"\"' /proc/self/mountinfo")
	err = codeIs(res, 0)
	if err == nil && res.out != "absent\n" && res.out != "directory 755 root\n" {
		err = fmt.Errorf("on the host: %q, want an empty directory of root's (0755), or nothing, and no mount", res.out)
	}
	if err == nil {
		b.r.note("on the host %s: %s", cfgTmpfs, strings.TrimSpace(res.out))
	}
	b.r.check("on the host "+cfgTmpfs+" holds nothing: no instance's server.cfg outside its unit", err)
}

// linkUntouched checks the game tree outside any unit: the game's
// cfg/left4me-server.cfg is left4me's link to the units' tmpfs, in a
// left4me directory.
func (b *bed) linkUntouched(ctx context.Context, when string) {
	res := b.sh(ctx, "stat -c '%F %U %G' "+gameCfg+" && readlink "+gameCfg+" && stat -c '%a %U %G' /var/lib/left4me/game/left4dead2/cfg")
	err := codeIs(res, 0)
	if err == nil && res.out != "symbolic link left4me left4me\n"+cfgLinkTo+"\n755 left4me left4me\n" {
		err = fmt.Errorf("got:\n%s", res.out)
	}
	b.r.check("outside the units "+gameCfg+" is left4me's link to "+cfgLinkTo+" (in a 0755 left4me directory) "+when, err)
}

// secondInstance: step 2, a second instance from a blueprint without a
// server.cfg, started while coop-1 runs: its server.cfg holds only the
// panel's block (the RCON password, which every start writes), the
// game's link in its mount namespace leads to that file, not to
// coop-1's, and its port answers with fakesrcds's own name. Then it is
// deleted again.
func (b *bed) secondInstance(ctx context.Context) {
	if !b.web.createBlueprint(ctx, plainBP, plainMap, plainPlayers) {
		return
	}
	var s apiServer
	err := b.api.expect(ctx, 201, "POST", "/api/v1/servers",
		map[string]any{"name": plainName, "title": "e2e plain", "blueprint": plainBP, "port": plainPort}, &s)
	if !b.r.check(fmt.Sprintf("POST /api/v1/servers %s (blueprint %s, port %d): 201", plainName, plainBP, plainPort), err) {
		return
	}
	if !b.api.actionOn(ctx, plainName, "start") {
		return
	}
	dir := "/var/lib/left4me/instances/" + plainName
	res := b.sh(ctx, "test -f "+dir+"/instance.env && cat "+dir+"/server.cfg")
	err = codeIs(res, 0)
	if err == nil && !panelBlockOnly(res.out) {
		err = fmt.Errorf("server.cfg:\n%s", res.out)
	}
	b.r.check(dir+" has instance.env and a server.cfg with the panel's RCON block only", err)
	b.r.check("systemctl is-active "+plainUnit+" says active", waitFor(ctx, 20*time.Second, func() error {
		return wantWord(b.unitState(ctx, plainUnit), "active")
	}))
	res = b.inUnitNamespace(ctx, plainUnit, "test -L "+gameCfg+" && cat "+gameCfg)
	err = codeIs(res, 0)
	if err == nil && !panelBlockOnly(res.out) {
		err = fmt.Errorf("%s sees:\n%s", plainUnit, res.out)
	}
	b.r.check("in "+plainUnit+"'s mount namespace "+gameCfg+" leads to its own server.cfg (the panel's block only), not to "+name+"'s", err)
	res = b.inUnitNamespace(ctx, unit, "cat "+gameCfg)
	err = codeIs(res, 0)
	if err == nil && !panelCfg(res.out) {
		err = fmt.Errorf("%s sees:\n%s", unit, res.out)
	}
	b.r.check(name+" still sees its own server.cfg there", err)

	addr := "127.0.0.1:" + strconv.Itoa(plainPort)
	err = waitFor(ctx, 10*time.Second, func() error {
		res := b.c.netExec(ctx, b.self, "a2s", addr)
		if err := codeIs(res, 0); err != nil {
			return err
		}
		var info a2s.Info
		if err := json.Unmarshal([]byte(res.out), &info); err != nil {
			return err
		}
		if info.Name != fakeHostname || info.Map != plainMap || int(info.MaxPlayers) != plainPlayers {
			return fmt.Errorf("name %q map %q max players %d, want %q, %s, %d",
				info.Name, info.Map, info.MaxPlayers, fakeHostname, plainMap, plainPlayers)
		}
		return nil
	})
	b.r.check(fmt.Sprintf("A2S_INFO on udp %s answers name %q (no hostname in its server.cfg), map %s", addr, fakeHostname, plainMap), err)
	res = b.c.exec(ctx, "", "journalctl", "-u", plainUnit, "--no-pager", "-o", "cat")
	err = codeIs(res, 0)
	for _, want := range []string{"+servercfgfile left4me-server.cfg", "fakesrcds: executed " + gameCfg + " (", "commands); hostname " + fakeHostname} {
		if err == nil && !strings.Contains(res.out, want) {
			err = fmt.Errorf("no %q in the unit's log:\n%s", want, res.out)
		}
	}
	b.r.check("left4me-srcds passed +servercfgfile to "+plainName+" too, and the game server executed it (no hostname there)", err)

	b.api.actionOn(ctx, plainName, "delete")
	b.r.check("systemctl is-active "+plainUnit+" says inactive after the delete", wantWord(b.unitState(ctx, plainUnit), "inactive"))
	b.linkUntouched(ctx, "after "+plainName+" came and went")
}

// The instance step 10 sets up by hand, with no panel: the unit alone.
const (
	bareName = "bare-1"
	bareUnit = "left4me-server@" + bareName + ".service"
	barePort = port + 2
	bareDir  = "/var/lib/left4me/instances/" + bareName
	bareHost = "Bare e2e"
	gameDir  = "/var/lib/left4me/game"
)

// withoutGameTree: step 10, the unit when there is no game tree at all
// (an operator who removed it, or installed left4me without install.sh):
// with or without a server.cfg it starts and nothing is created under
// game/, as the unit mounts nothing there. Then steps 10b and 10c.
func (b *bed) withoutGameTree(ctx context.Context) {
	res := b.sh(ctx, `set -e
rm -rf `+gameDir+`
mkdir -m 0750 `+bareDir+`
printf 'LEFT4ME_INSTANCE="%s"\nLEFT4ME_PORT="%s"\nSRCDS_ARGS="+map %s"\n' `+bareName+` `+strconv.Itoa(barePort)+` `+gameMap+` >`+bareDir+`/instance.env
chown -R left4me:left4me `+bareDir)
	if !b.r.check("remove "+gameDir+"; write "+bareDir+"/instance.env by hand, no server.cfg", codeIs(res, 0)) {
		return
	}
	b.bareStart(ctx, fakeHostname, "without a game tree or a server.cfg")
	res = b.sh(ctx, "test ! -e "+gameDir)
	b.r.check("without a server.cfg, nothing was created under "+gameDir, codeIs(res, 0))
	b.expectExec(ctx, "systemctl stop "+bareUnit, "systemctl", "stop", bareUnit)

	res = b.sh(ctx, `printf 'hostname "`+bareHost+`"\n' >`+bareDir+`/server.cfg && chown left4me:left4me `+bareDir+`/server.cfg`)
	if !b.r.check("write "+bareDir+"/server.cfg by hand", codeIs(res, 0)) {
		return
	}
	// No game, so no link: the game server cannot find the file.
	b.bareStart(ctx, fakeHostname, "without a game tree, with a server.cfg")
	res = b.sh(ctx, "test ! -e "+gameDir)
	b.r.check("with a server.cfg, nothing was created under "+gameDir+" either", codeIs(res, 0))
	b.cfgTmpfsIsPrivate(ctx, bareUnit)
	b.expectExec(ctx, "systemctl stop "+bareUnit, "systemctl", "stop", bareUnit)

	b.symlinkOutOfTheStateRoot(ctx)
	b.rootsSecretsStayRoots(ctx)
	res = b.sh(ctx, "rm -rf "+bareDir)
	b.r.check("clean up "+bareDir, codeIs(res, 0))
}

// Where step 10b's symlinks point: a directory outside the state root
// that exists (root's, empty) and one that does not.
const (
	outsideDir     = "/etc/left4me-e2e-x"
	outsideMissing = "/etc/left4me-e2e-y"
)

// symlinkOutOfTheStateRoot: step 10b. install.sh puts the game tree back,
// as left4me; bare-1 (with its server.cfg) reads its server.cfg through
// the link. Then, as left4me, the game's left4dead2/cfg and then
// left4dead2 itself become symlinks out of the state root, and bare-1
// starts each time: PID 1 must create nothing where they point, and
// nothing of root's may appear in the game tree; and install.sh follows
// no symlink at instances/. (With the old bind of
// server.cfg over cfg/left4me-server.cfg, systemd created
// /etc/left4me-e2e-x/left4me-server.cfg and
// /etc/left4me-e2e-y/cfg/left4me-server.cfg as root.)
func (b *bed) symlinkOutOfTheStateRoot(ctx context.Context) {
	b.r.step("10b. as left4me, symlinks in the game tree out of the state root; an instance with a server.cfg starts")
	install := []string{"env", "LEFT4ME_SRCDS=/usr/local/bin/fakesrcds",
		"sh", checkout + "/deploy/install.sh", "--binary", checkout + "/bin/left4me"}
	res := b.c.exec(ctx, "", install...)
	err := codeIs(res, 0)
	if err == nil && !strings.Contains(res.out, "runuser -u left4me -- ln -sfn "+cfgLinkTo+" "+gameCfg) {
		err = fmt.Errorf("install.sh did not make the link as left4me:\n%s", res.out)
	}
	if !b.r.check("install.sh again: it makes the game's directories and link as left4me", err) {
		return
	}
	res = b.sh(ctx, "stat -c '%F %a %U %G' "+gameDir+" "+gameDir+"/left4dead2 "+gameDir+"/left4dead2/cfg")
	err = codeIs(res, 0)
	if err == nil && res.out != strings.Repeat("directory 755 left4me left4me\n", 3) {
		err = fmt.Errorf("got:\n%s", res.out)
	}
	b.r.check(gameDir+", left4dead2 and left4dead2/cfg are left4me's directories (0755)", err)
	b.linkUntouched(ctx, "after install.sh")
	b.bareStart(ctx, bareHost, "through install.sh's link")
	b.expectExec(ctx, "systemctl stop "+bareUnit, "systemctl", "stop", bareUnit)

	res = b.sh(ctx, "rm -rf "+outsideDir+" "+outsideMissing+" && mkdir -m 0755 "+outsideDir)
	if !b.r.check("create the empty directory "+outsideDir+" (root's); "+outsideMissing+" does not exist", codeIs(res, 0)) {
		return
	}
	defer func() {
		res := b.sh(ctx, "rm -rf "+outsideDir+" "+outsideMissing)
		b.r.check("remove "+outsideDir+" and "+outsideMissing, codeIs(res, 0))
	}()
	for _, a := range []struct{ moved, target string }{
		{gameDir + "/left4dead2/cfg", outsideDir},
		{gameDir + "/left4dead2", outsideMissing},
	} {
		res = b.asLeft4me(ctx, "sh", "-c", "mv "+a.moved+" "+a.moved+".e2e && ln -s "+a.target+" "+a.moved)
		if !b.r.check("as left4me, replace "+a.moved+" with a symlink to "+a.target, codeIs(res, 0)) {
			return
		}
		b.bareStart(ctx, fakeHostname, "with "+a.moved+" a symlink to "+a.target)
		b.expectExec(ctx, "systemctl stop "+bareUnit, "systemctl", "stop", bareUnit)
		res = b.sh(ctx, "find "+outsideDir+" -mindepth 1; ls -d "+outsideMissing+" 2>/dev/null; find "+gameDir+" ! -user left4me")
		err = codeIs(res, 0)
		if err == nil && res.out != "" {
			err = fmt.Errorf("found:\n%s", res.out)
		}
		b.r.check("nothing was created in "+outsideDir+" or at "+outsideMissing+", nothing of root's is in "+gameDir, err)
		res = b.asLeft4me(ctx, "sh", "-c", "rm "+a.moved+" && mv "+a.moved+".e2e "+a.moved)
		if !b.r.check("as left4me, put "+a.moved+" back", codeIs(res, 0)) {
			return
		}
	}
	b.linkUntouched(ctx, "after the symlinks were taken away again")
	b.bareStart(ctx, bareHost, "with the game tree put back")
	b.expectExec(ctx, "systemctl stop "+bareUnit, "systemctl", "stop", bareUnit)
	b.installFollowsNoSymlink(ctx, install)
}

// installFollowsNoSymlink: step 10b, install.sh (as root) with the
// instances directory replaced by left4me with a symlink to a directory
// of root's. It used to chmod 0750 what the symlink pointed to (any
// directory: /etc, say); it must refuse and change nothing there.
func (b *bed) installFollowsNoSymlink(ctx context.Context, install []string) {
	const instances = "/var/lib/left4me/instances"
	res := b.asLeft4me(ctx, "sh", "-c", "mv "+instances+" "+instances+".e2e && ln -s "+outsideDir+" "+instances)
	if !b.r.check("as left4me, replace "+instances+" with a symlink to "+outsideDir, codeIs(res, 0)) {
		return
	}
	res = b.c.exec(ctx, "", install...)
	err := codeIs(res, 1)
	if want := instances + " is a symlink to a directory that is not left4me's"; err == nil && !strings.Contains(res.err+res.out, want) {
		err = fmt.Errorf("no %q in:\n%s", want, res)
	}
	b.r.check("install.sh refuses to follow it (exit 1, says why)", err)
	res = b.sh(ctx, "stat -c '%a %U %G' "+outsideDir)
	err = codeIs(res, 0)
	if err == nil && res.out != "755 root root\n" {
		err = fmt.Errorf("got %q", res.out)
	}
	b.r.check(outsideDir+" is still root's, 0755", err)
	res = b.asLeft4me(ctx, "sh", "-c", "rm "+instances+" && mv "+instances+".e2e "+instances)
	b.r.check("as left4me, put "+instances+" back", codeIs(res, 0))
	res = b.c.exec(ctx, "", install...)
	b.r.check("install.sh runs again (exit 0)", codeIs(res, 0))
}

// bareStart starts bare-1 with systemctl and checks that it runs and
// answers A2S with name.
func (b *bed) bareStart(ctx context.Context, name, when string) {
	if !b.expectExec(ctx, "systemctl start "+bareUnit+" "+when, "systemctl", "start", bareUnit) {
		return
	}
	b.r.check("systemctl is-active "+bareUnit+" says active "+when, waitFor(ctx, 20*time.Second, func() error {
		return wantWord(b.unitState(ctx, bareUnit), "active")
	}))
	addr := "127.0.0.1:" + strconv.Itoa(barePort)
	err := waitFor(ctx, 10*time.Second, func() error {
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
	b.r.check(fmt.Sprintf("A2S_INFO on udp %s answers name %q %s", addr, name, when), err)
}
