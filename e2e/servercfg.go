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
	fakeHostname = "left4me fakesrcds" // fakesrcds's name without one
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
// unit bound it over the game's cfg/left4me-server.cfg in its own mount
// namespace, read-only; the launcher told srcds to execute it; and the
// game server took its hostname (expectA2S checks the name on the port).
func (b *bed) serverCfgReachesSrcds(ctx context.Context) {
	res := b.sh(ctx, "stat -c '%a %U %G' "+instanceDir+"/server.cfg && cat "+instanceDir+"/server.cfg")
	err := codeIs(res, 0)
	if err == nil && res.out != "640 left4me left4me\n"+serverCfg {
		err = fmt.Errorf("got:\n%s", res.out)
	}
	b.r.check("the start job wrote the blueprint's server.cfg into "+instanceDir+" (0640, left4me)", err)

	res = b.inUnitNamespace(ctx, unit, "cat "+gameCfg)
	err = codeIs(res, 0)
	if err == nil && res.out != serverCfg {
		err = fmt.Errorf("the game server sees:\n%s", res.out)
	}
	b.r.check("in "+unit+"'s mount namespace, "+gameCfg+" is its server.cfg", err)
	res = b.inUnitNamespace(ctx, unit, "echo x >>"+gameCfg)
	err = nil
	if res.code == 0 || !strings.Contains(res.err, "Read-only file system") {
		err = fmt.Errorf("want a read-only file system, got %s", res)
	}
	b.r.check("there it is read-only, even to root", err)
	b.placeholderUntouched(ctx, "while "+name+" runs")

	res = b.c.exec(ctx, "", "journalctl", "-u", unit, "--no-pager", "-o", "cat")
	err = codeIs(res, 0)
	for _, want := range []string{"+servercfgfile left4me-server.cfg",
		"fakesrcds: executed " + gameCfg + " (2 commands); hostname " + gameNight} {
		if err == nil && !strings.Contains(res.out, want) {
			err = fmt.Errorf("no %q in the unit's log:\n%s", want, res.out)
		}
	}
	b.r.check("left4me-srcds passed +servercfgfile left4me-server.cfg and the game server executed it", err)
}

// placeholderUntouched checks the game tree outside any unit: install.sh's
// empty placeholder, owned by left4me, never an instance's server.cfg.
func (b *bed) placeholderUntouched(ctx context.Context, when string) {
	res := b.sh(ctx, "stat -c '%a %U %G %s' "+gameCfg+" && stat -c '%a %U %G' /var/lib/left4me/game/left4dead2/cfg")
	err := codeIs(res, 0)
	if err == nil && res.out != "644 left4me left4me 0\n755 left4me left4me\n" {
		err = fmt.Errorf("got:\n%s", res.out)
	}
	b.r.check("outside the units "+gameCfg+" is install.sh's empty placeholder (0644, left4me, in a left4me directory) "+when, err)
}

// secondInstance: step 2, a second instance from a blueprint without a
// server.cfg, started while coop-1 runs: no server.cfg in its directory,
// no +servercfgfile, the placeholder in its mount namespace, fakesrcds's
// own name on its port. Then it is deleted again.
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
	res := b.sh(ctx, "test -f "+dir+"/instance.env && test ! -e "+dir+"/server.cfg")
	b.r.check(dir+" has instance.env and no server.cfg", codeIs(res, 0))
	b.r.check("systemctl is-active "+plainUnit+" says active", waitFor(ctx, 20*time.Second, func() error {
		return wantWord(b.unitState(ctx, plainUnit), "active")
	}))
	res = b.inUnitNamespace(ctx, plainUnit, "stat -c %s "+gameCfg)
	err = codeIs(res, 0)
	if err == nil && strings.TrimSpace(res.out) != "0" {
		err = fmt.Errorf("size %s, want the empty placeholder", strings.TrimSpace(res.out))
	}
	b.r.check("in "+plainUnit+"'s mount namespace "+gameCfg+" is the empty placeholder, not "+name+"'s", err)
	res = b.inUnitNamespace(ctx, unit, "cat "+gameCfg)
	err = codeIs(res, 0)
	if err == nil && res.out != serverCfg {
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
	b.r.check(fmt.Sprintf("A2S_INFO on udp %s answers name %q (no server.cfg), map %s", addr, fakeHostname, plainMap), err)
	res = b.c.exec(ctx, "", "journalctl", "-u", plainUnit, "--no-pager", "-o", "cat")
	err = codeIs(res, 0)
	if err == nil && (!strings.Contains(res.out, "fakesrcds: starting:") || strings.Contains(res.out, "servercfgfile")) {
		err = fmt.Errorf("want a start without +servercfgfile:\n%s", res.out)
	}
	b.r.check("left4me-srcds passed no +servercfgfile to "+plainName, err)

	b.api.actionOn(ctx, plainName, "delete")
	b.r.check("systemctl is-active "+plainUnit+" says inactive after the delete", wantWord(b.unitState(ctx, plainUnit), "inactive"))
	b.placeholderUntouched(ctx, "after "+plainName+" came and went")
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
// (an operator who removed it, or installed left4me without install.sh's
// placeholder): without a server.cfg the bind is skipped and nothing is
// created; with one, systemd creates the missing directories and an
// empty file to mount over, as root. Either way the unit starts.
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
	b.r.check("with no server.cfg to bind, systemd created nothing under "+gameDir, codeIs(res, 0))
	b.expectExec(ctx, "systemctl stop "+bareUnit, "systemctl", "stop", bareUnit)

	res = b.sh(ctx, `printf 'hostname "`+bareHost+`"\n' >`+bareDir+`/server.cfg && chown left4me:left4me `+bareDir+`/server.cfg`)
	if !b.r.check("write "+bareDir+"/server.cfg by hand", codeIs(res, 0)) {
		return
	}
	b.bareStart(ctx, bareHost, "without a game tree, with a server.cfg")
	res = b.sh(ctx, "stat -c '%F %a %U %s %n' "+gameDir+" "+gameDir+"/left4dead2 "+gameDir+"/left4dead2/cfg "+gameCfg)
	err := codeIs(res, 0)
	if err == nil && (strings.Count(res.out, "directory 755 root ") != 3 ||
		!strings.Contains(res.out, "regular empty file 644 root 0 "+gameCfg+"\n")) {
		err = fmt.Errorf("want three directories 0755 and an empty file 0644, all root's; got:\n%s", res.out)
	}
	if err == nil {
		b.r.note("systemd created: %s", strings.ReplaceAll(strings.TrimSpace(res.out), "\n", "; "))
	}
	b.r.check("systemd created the missing directories and an empty file to mount over, as root", err)
	b.expectExec(ctx, "systemctl stop "+bareUnit, "systemctl", "stop", bareUnit)
	res = b.sh(ctx, "rm -rf "+bareDir+" "+gameDir)
	b.r.check("clean up", codeIs(res, 0))
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
