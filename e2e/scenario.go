package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/a2s"
)

// The instance the scenario drives, and where things live in the
// container.
const (
	name          = "coop-1"
	unit          = "left4me-server@" + name + ".service"
	port          = 27015
	gameMap       = "c1m1_hotel"    // the default blueprint's
	maxPlayers    = 4               // the default blueprint's
	checkout      = "/root/left4me" // the "checkout" install.sh runs from
	instanceDir   = "/var/lib/left4me/instances/" + name
	adminName     = "admin"
	adminPassword = "e2e-admin-password-0123"
	// scenarioTimeout bounds the checks (they take about five minutes).
	scenarioTimeout = 14 * time.Minute
	// pollInterval is the panel's state poller interval in the test.
	pollInterval = 2 * time.Second
	// pollSlack is what "within one poll interval" allows on top: a
	// poller tick's own time (sudo, systemctl show, the write) and the
	// check's curl.
	pollSlack = 3 * time.Second
)

// bed is the booted container with everything the checks need.
type bed struct {
	c    *container
	r    *report
	self string // this executable, run in the container's network namespace for A2S
	api  *panelAPI
	web  *panelWeb
}

// runScenario sets the bed up, runs every check, tears everything down
// and returns the exit status.
func runScenario(ctx context.Context, stdout, stderr io.Writer) int {
	r := newReport(stdout)
	r.note("left4me e2e: Debian %s under systemd-nspawn, systemd as PID 1", suite)
	c, cleanup, err := setUp(ctx, r)
	defer cleanup()
	if errors.Is(err, errSkip) {
		fmt.Fprintf(stdout, "SKIP: e2e: %v\n", strings.TrimPrefix(err.Error(), errSkip.Error()+": "))
		fmt.Fprintln(stdout, "SKIP: e2e: nothing was checked")
		return 0
	}
	if !r.check("set up the test bed and boot the container", err) {
		return r.finish()
	}
	self, err := os.Executable()
	if err != nil {
		r.check("find this executable", err)
		return r.finish()
	}
	checks, cancel := context.WithTimeout(ctx, scenarioTimeout)
	defer cancel()
	b := &bed{c: c, r: r, self: self}
	b.api = &panelAPI{b: b}
	b.web = &panelWeb{b: b}
	b.scenario(checks)
	// After a failure, or the scenario's timeout, show what systemd saw;
	// after an interrupt, only clean up.
	if r.failed > 0 && ctx.Err() == nil {
		diag, cancel := context.WithTimeout(ctx, time.Minute)
		b.dumpDiagnostics(diag)
		cancel()
	}
	return r.finish()
}

// setUp prepares the host, builds and boots the container. The returned
// cleanup (never nil) powers it off and removes the work directory.
func setUp(ctx context.Context, r *report) (*container, func(), error) {
	nothing := func() {}
	if os.Geteuid() != 0 {
		return nil, nothing, skipf("needs root (systemd-nspawn, unshare, mount)")
	}
	if _, err := os.Stat("/proc/self/ns/pid"); err != nil {
		return nil, nothing, skipf("no namespaces on this kernel: %v", err)
	}
	t := time.Now()
	if err := ensureHostTools(ctx, r.w); err != nil {
		return nil, nothing, err
	}
	repo, err := repoRoot(ctx)
	if err != nil {
		return nil, nothing, err
	}
	work, err := os.MkdirTemp("", "left4me-e2e-")
	if err != nil {
		return nil, nothing, err
	}
	var c *container
	// boot.sh creates these on the host's /run (its tmpfs mount stays in
	// its own namespace); remove them again if they are new and empty.
	var madeDirs []string
	for _, d := range []string{"/run/systemd/nspawn", "/run/systemd"} {
		if _, err := os.Stat(d); err != nil {
			madeDirs = append(madeDirs, d)
		}
	}
	cleanup := func() {
		if c != nil {
			c.shutdown()
		}
		for _, d := range madeDirs {
			os.Remove(d) // fails, harmlessly, when not empty
		}
		if m := mountsUnder(work); len(m) > 0 {
			fmt.Fprintf(r.w, "# left %s in place: still mounted: %s\n", work, strings.Join(m, " "))
			return
		}
		if os.Getenv("E2E_KEEP") != "" {
			fmt.Fprintf(r.w, "# E2E_KEEP is set: left %s in place\n", work)
			return
		}
		os.RemoveAll(work)
	}
	root := filepath.Join(work, "root")
	bin := filepath.Join(work, "bin")
	if err := buildBinaries(ctx, repo, bin); err != nil {
		return nil, cleanup, err
	}
	tarball, err := rootfsTarball(ctx, r.w)
	if err != nil {
		return nil, cleanup, err
	}
	if err := extract(ctx, tarball, root); err != nil {
		return nil, cleanup, err
	}
	// A host name the container can resolve, as a Debian install has:
	// mmdebstrap copies the build host's /etc/hostname, and sudo warns on
	// every call about a name it cannot resolve.
	if err := nameHost(root, "left4me-e2e"); err != nil {
		return nil, cleanup, err
	}
	// What an operator has: a checkout with deploy/ and the built panel,
	// and the CLI, the stand-in game server and the stand-in steamcmd
	// (step 14 puts it where Valve's would go) installed by hand.
	if err := copyDeploy(repo, filepath.Join(root, checkout, "deploy")); err != nil {
		return nil, cleanup, err
	}
	for _, f := range [][2]string{
		{"left4me", checkout + "/bin/left4me"},
		{"left4me-layers", checkout + "/bin/left4me-layers"}, // install.sh takes it from beside left4me
		{"l4d2ctl", "/usr/local/bin/l4d2ctl"},
		{"fakesrcds", "/usr/local/bin/fakesrcds"},
		{"fakesteamcmd", "/usr/local/bin/fakesteamcmd"},
	} {
		if err := copyFile(filepath.Join(bin, f[0]), filepath.Join(root, f[1]), 0o755); err != nil {
			return nil, cleanup, err
		}
	}
	r.note("host prepared in %s (tools, go build, root file system)", time.Since(t).Round(100*time.Millisecond))

	bootScript := filepath.Join(repo, "e2e", "boot.sh")
	if err := nspawnWorks(ctx, bootScript, root); err != nil {
		return nil, cleanup, err
	}
	t = time.Now()
	c, err = boot(ctx, bootScript, root, filepath.Join(work, "boot.log"))
	if err != nil {
		return nil, cleanup, err
	}
	r.note("container booted in %s (PID 1 is %d on the host)", time.Since(t).Round(100*time.Millisecond), c.pid1)
	return c, cleanup, nil
}

// scenario is issue 6's scenario, step by step: the panel is driven
// through its JSON API (b.api) as a script would, and every step is also
// checked where the truth is, in systemd, on the game port and through
// l4d2ctl.
func (b *bed) scenario(ctx context.Context) {
	b.r.step("1. install with deploy/install.sh")
	defer func() {
		if ctx.Err() != nil {
			b.r.check("run every step", fmt.Errorf("stopped early: %w", ctx.Err()))
		}
	}()
	if !b.install(ctx) {
		return // nothing below can work without the installation
	}
	b.createAdmin(ctx)
	if !b.api.createToken(ctx) {
		return // every step below goes through the API
	}

	if ctx.Err() != nil {
		return
	}
	b.r.step("2. give the default blueprint a server.cfg through the panel's form; create %s through the API and start it", name)
	if b.web.login(ctx) {
		b.web.setServerCfg(ctx, "default", serverCfg)
		b.web.setArgs(ctx, "default", fakePlayers)
	}
	if !b.api.createServer(ctx) {
		return
	}
	b.api.action(ctx, "start")
	b.api.startAnswered(ctx, "start")
	b.instanceFiles(ctx)
	b.expectRunning(ctx, "after start")
	b.api.saysState(ctx, "running", time.Time{}, "after start")
	b.api.resourcesRead(ctx)
	b.serverCfgReachesSrcds(ctx)
	b.secondInstance(ctx)
	b.noUnitWarnings(ctx)
	b.helpersFromTheWebSandbox(ctx)
	b.securityScores(ctx)

	if ctx.Err() != nil {
		return
	}
	b.r.step("2b. the game through the API: the live view, RCON status, changelevel, a kick and a ban; the ban survives a restart")
	b.theGame(ctx)

	if ctx.Err() != nil {
		return
	}
	b.r.step("3. reboot the container")
	booted := b.rebootContainer(ctx)
	b.expectRunning(ctx, "after the reboot, with no panel action")
	b.expectPanelUp(ctx, "after the reboot")
	b.api.saysState(ctx, "running", booted, "after the reboot, looked at since")

	if ctx.Err() != nil {
		return
	}
	b.r.step("4. systemctl stop, then disable --now, outside the panel")
	b.stoppedButEnabled(ctx)
	disabled := time.Now()
	b.expectExec(ctx, "systemctl disable --now "+unit, "systemctl", "disable", "--now", unit)
	b.api.saysState(ctx, "stopped", time.Time{}, "after the outside disable (one poll interval)")
	b.expectStopped(ctx, "after the outside disable")
	b.api.historySaysOutside(ctx, disabled)

	if ctx.Err() != nil {
		return
	}
	b.r.step("5. SIGKILL, then a crash loop")
	// Started again from the shell this time, so l4d2ctl's start is
	// covered too; the panel sees it as a change outside it.
	b.lifecycle(ctx, "start")
	b.expectRunning(ctx, "after starting it again")
	b.api.saysState(ctx, "running", time.Time{}, "after l4d2ctl start")
	b.killMainPID(ctx)
	b.crashLoop(ctx)

	if ctx.Err() != nil {
		return
	}
	b.r.step("6. logs")
	b.logs(ctx)
	b.api.logs(ctx)

	if ctx.Err() != nil {
		return
	}
	b.r.step("7. hostile names and sudo rights")
	b.sudoRights(ctx)
	b.hostileNames(ctx)
	b.api.refusesHostileName(ctx)
	b.onlyOneUnit(ctx)
	b.healthWithoutSudo(ctx)

	if ctx.Err() != nil {
		return
	}
	b.r.step("8. stop, then reboot: it stays stopped")
	b.recoverFromFailed(ctx)
	b.api.action(ctx, "stop")
	b.expectStoppedAndDisabled(ctx, "after stop")
	b.api.saysState(ctx, "stopped", time.Time{}, "after stop")
	booted = b.rebootContainer(ctx)
	b.expectStoppedAndDisabled(ctx, "after stop and a reboot")
	b.expectPanelUp(ctx, "after the second reboot")
	b.api.saysState(ctx, "stopped", booted, "after the second reboot, looked at since")

	if ctx.Err() != nil {
		return
	}
	b.r.step("9. delete through the API")
	b.api.action(ctx, "delete")
	b.api.gone(ctx)
	res := b.sh(ctx, "test ! -e "+instanceDir)
	b.r.check(instanceDir+" is gone", codeIs(res, 0))
	b.r.check("systemctl is-enabled says disabled after the delete", wantWord(b.unitEnabled(ctx), "disabled"))
	b.r.check("systemctl is-active says inactive after the delete", wantWord(b.unitState(ctx, unit), "inactive"))

	if ctx.Err() != nil {
		return
	}
	b.r.step("10. the instance unit without a game tree, with and without server.cfg")
	b.withoutGameTree(ctx)

	if ctx.Err() != nil {
		return
	}
	b.r.step("10d. add-on layers: two servers on one build with different add-on sets, their writable layers, SIGKILL and reboot")
	b.addonLayers(ctx)

	if ctx.Err() != nil {
		return
	}
	b.r.step("11. restart the panel while five jobs run, four rounds")
	b.panelRestarts(ctx)

	if ctx.Err() != nil {
		return
	}
	b.r.step("12. reboot with five start jobs queued")
	b.rebootWithJobsQueued(ctx)

	if ctx.Err() != nil {
		return
	}
	b.r.step("13. SIGKILL three times, 7 s apart, with the poller at its default 30 s")
	b.crashesAtTheDefaultInterval(ctx)

	if ctx.Err() != nil {
		return
	}
	b.r.step("14. install the game through the API (fakesteamcmd as steamcmd), run the installed srcds_run, update it under a running server")
	b.installTheGame(ctx)

	if ctx.Err() != nil {
		return
	}
	b.r.step("14b. a server of a blueprint with an add-on set, through the API, on the installed game's build")
	b.layersThroughThePanel(ctx)

	if ctx.Err() != nil {
		return
	}
	b.r.step("15. instant state: systemd's signals over the bus with the poller at 5 minutes, polling only without dbus, Show timed")
	b.instantState(ctx)
}

// sh runs a shell command line inside the container as root.
func (b *bed) sh(ctx context.Context, script string) result {
	return b.c.exec(ctx, "", "sh", "-c", script)
}

// asLeft4me runs argv inside the container as the left4me user, as the
// panel does.
func (b *bed) asLeft4me(ctx context.Context, argv ...string) result {
	return b.c.exec(ctx, "", append([]string{"sudo", "-u", "left4me", "--"}, argv...)...)
}

// expectExec checks that argv exits 0 inside the container.
func (b *bed) expectExec(ctx context.Context, what string, argv ...string) bool {
	res := b.c.exec(ctx, "", argv...)
	return b.r.check(what, codeIs(res, 0))
}

func codeIs(res result, want int) error {
	if res.code != want {
		return fmt.Errorf("want exit status %d, got %s", want, res)
	}
	return nil
}

// waitFor calls f until it returns nil or timeout passes, and returns its
// last error.
func waitFor(ctx context.Context, timeout time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("after %s: %w", timeout, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// install runs install.sh as an operator would, checks that a second run
// changes nothing, shortens the poller interval and starts the panel.
func (b *bed) install(ctx context.Context) bool {
	install := []string{"env", "LEFT4ME_SRCDS=/usr/local/bin/fakesrcds",
		"sh", checkout + "/deploy/install.sh", "--binary", checkout + "/bin/left4me"}
	res := b.c.exec(ctx, "", install...)
	if !b.r.check("install.sh LEFT4ME_SRCDS=/usr/local/bin/fakesrcds --binary ... exits 0", codeIs(res, 0)) {
		return false
	}
	res = b.c.exec(ctx, "", install...)
	err := codeIs(res, 0)
	if err == nil {
		for _, l := range strings.Split(res.out, "\n") {
			if strings.HasPrefix(l, "installed:") || strings.HasPrefix(l, "wrote:") {
				err = fmt.Errorf("the second run changed something: %s", l)
			}
		}
	}
	b.r.check("a second install.sh run changes nothing", err)
	res = b.sh(ctx, "cat /etc/left4me/server.env")
	err = codeIs(res, 0)
	if err == nil && !strings.Contains(res.out, "\nLEFT4ME_SRCDS=/usr/local/bin/fakesrcds\n") {
		err = fmt.Errorf("server.env does not point at fakesrcds:\n%s", res.out)
	}
	b.r.check("server.env runs the stand-in game server (configuration, no file edited)", err)

	// The operator's edit of web.env: short poller and live sweep
	// intervals for the test.
	res = b.sh(ctx, fmt.Sprintf("printf 'LEFT4ME_STATE_POLLER_INTERVAL=%s\\nLEFT4ME_LIVE_INTERVAL=%s\\n' >>/etc/left4me/web.env", pollInterval, liveInterval))
	b.r.check("set LEFT4ME_STATE_POLLER_INTERVAL="+pollInterval.String()+" and LEFT4ME_LIVE_INTERVAL="+liveInterval.String()+" in web.env", codeIs(res, 0))
	if !b.expectExec(ctx, "systemctl enable --now left4me-web.service", "systemctl", "enable", "--now", "left4me-web.service") {
		return false
	}
	return b.expectPanelUp(ctx, "after install")
}

// expectPanelUp checks that left4me-web.service is active and that
// /healthz says the database answers and the workers run.
func (b *bed) expectPanelUp(ctx context.Context, when string) bool {
	err := waitFor(ctx, 30*time.Second, func() error {
		if st := b.unitState(ctx, "left4me-web.service"); st != "active" {
			return fmt.Errorf("left4me-web.service is %s", st)
		}
		res := b.c.exec(ctx, "", "curl", "-sS", "--max-time", "5", panelURL+"/healthz")
		if res.code != 0 {
			return fmt.Errorf("GET /healthz: %s", res)
		}
		var h struct {
			OK             bool   `json:"ok"`
			Database       string `json:"database"`
			WorkersRunning bool   `json:"workers_running"`
		}
		if err := json.Unmarshal([]byte(res.out), &h); err != nil {
			return fmt.Errorf("GET /healthz: %v in %q", err, res.out)
		}
		if !h.OK || h.Database != "ok" || !h.WorkersRunning {
			return fmt.Errorf("GET /healthz: %s", strings.TrimSpace(res.out))
		}
		return nil
	})
	return b.r.check("left4me-web.service is active and /healthz is ok with workers running "+when, err)
}

// createAdmin adds the first admin with the panel's own CLI, as the
// left4me user, and checks that the panel now wants a login.
func (b *bed) createAdmin(ctx context.Context) {
	res := b.c.exec(ctx, adminPassword+"\n", "sudo", "-u", "left4me", "--",
		"left4me", "create-user", adminName, "--admin")
	err := codeIs(res, 0)
	if err == nil && !strings.Contains(res.out, "created admin "+adminName) {
		err = fmt.Errorf("unexpected output: %s", res)
	}
	b.r.check("sudo -u left4me left4me create-user "+adminName+" --admin", err)
	res = b.c.exec(ctx, "", "curl", "-sS", "--max-time", "5", "-o", "/dev/null",
		"-w", "%{http_code} %{redirect_url}", panelURL+"/")
	err = codeIs(res, 0)
	if got := strings.TrimSpace(res.out); err == nil && !strings.HasPrefix(got, "303 "+panelURL+"/login") {
		err = fmt.Errorf("GET / answered %q", got)
	}
	b.r.check("GET / without a session is sent to /login", err)
}

// unitState is systemctl is-active's word for unit.
func (b *bed) unitState(ctx context.Context, unit string) string {
	return strings.TrimSpace(b.c.exec(ctx, "", "systemctl", "is-active", unit).out)
}

func (b *bed) unitEnabled(ctx context.Context) string {
	return strings.TrimSpace(b.c.exec(ctx, "", "systemctl", "is-enabled", unit).out)
}

// instanceFiles checks what the start job provisioned: the instance's
// directory and instance.env, owned by left4me and not readable by
// others, with the port and the default blueprint's arguments.
func (b *bed) instanceFiles(ctx context.Context) {
	res := b.sh(ctx, "stat -c '%a %U %G %n' "+instanceDir+" "+instanceDir+"/instance.env && cat "+instanceDir+"/instance.env")
	err := codeIs(res, 0)
	want := []string{
		"750 left4me left4me " + instanceDir + "\n",
		"640 left4me left4me " + instanceDir + "/instance.env\n",
		fmt.Sprintf("LEFT4ME_PORT=\"%d\"", port),
		"+map " + gameMap,
		"+maxplayers " + strconv.Itoa(maxPlayers),
	}
	for _, w := range want {
		if err == nil && !strings.Contains(res.out, w) {
			err = fmt.Errorf("no %q in:\n%s", w, res.out)
		}
	}
	b.r.check("the start job wrote instance.env (0640, left4me, in a 0750 directory) with the port and the blueprint's map", err)
}

// lifecycle runs l4d2ctl start|stop NAME as left4me.
func (b *bed) lifecycle(ctx context.Context, verb string) bool {
	res := b.asLeft4me(ctx, "l4d2ctl", verb, name)
	return b.r.check("sudo -u left4me l4d2ctl "+verb+" "+name, codeIs(res, 0))
}

// status returns l4d2ctl's STATE column for the instance, with the
// reason in parentheses when there is one ("failed (start-limit-hit)").
func (b *bed) status(ctx context.Context) (string, error) {
	res := b.asLeft4me(ctx, "l4d2ctl", "status", name)
	if res.code != 0 {
		return "", fmt.Errorf("l4d2ctl status: %s", res)
	}
	for _, l := range strings.Split(res.out, "\n") {
		f := strings.Fields(l)
		if len(f) < 2 || f[0] != name {
			continue
		}
		st := f[1]
		if len(f) > 2 && strings.HasPrefix(f[2], "(") {
			st += " " + f[2]
		}
		return st, nil
	}
	return "", fmt.Errorf("l4d2ctl status has no row for %s:\n%s", name, res.out)
}

// expectStatus waits until l4d2ctl status says want (the state word, or
// the state with its reason).
func (b *bed) expectStatus(ctx context.Context, want string, within time.Duration, when string) bool {
	err := waitFor(ctx, within, func() error {
		st, err := b.status(ctx)
		if err != nil {
			return err
		}
		if st != want && !strings.HasPrefix(st, want+" (") {
			return fmt.Errorf("l4d2ctl status says %q, want %q", st, want)
		}
		return nil
	})
	return b.r.check("l4d2ctl status says "+want+" "+when, err)
}

// expectRunning checks systemd, the game port and l4d2ctl.
func (b *bed) expectRunning(ctx context.Context, when string) {
	b.r.check("systemctl is-enabled "+unit+" says enabled "+when, wantWord(b.unitEnabled(ctx), "enabled"))
	b.r.check("systemctl is-active says active "+when, waitFor(ctx, 20*time.Second, func() error {
		return wantWord(b.unitState(ctx, unit), "active")
	}))
	b.expectA2S(ctx, when)
	b.expectStatus(ctx, "running", 10*time.Second, when)
}

func wantWord(got, want string) error {
	if got != want {
		return fmt.Errorf("got %q, want %q", got, want)
	}
	return nil
}

// expectA2S queries the game port from inside the container's network
// namespace and checks the answer against what the instance was given.
func (b *bed) expectA2S(ctx context.Context, when string) {
	addr := "127.0.0.1:" + strconv.Itoa(port)
	res := b.c.netExec(ctx, b.self, "a2s", addr)
	err := codeIs(res, 0)
	if err == nil {
		var info a2s.Info
		if err = json.Unmarshal([]byte(res.out), &info); err == nil {
			switch {
			case info.Name != gameNight:
				err = fmt.Errorf("name %q, want %q (the blueprint's server.cfg)", info.Name, gameNight)
			case info.Map != gameMap:
				err = fmt.Errorf("map %q, want %q", info.Map, gameMap)
			case int(info.MaxPlayers) != maxPlayers:
				err = fmt.Errorf("max players %d, want %d", info.MaxPlayers, maxPlayers)
			case info.Folder != "left4dead2" || info.AppID != 550:
				err = fmt.Errorf("game %q app %d, want left4dead2 and 550", info.Folder, info.AppID)
			case int(info.Port) != port:
				err = fmt.Errorf("port %d, want %d", info.Port, port)
			}
		}
	}
	b.r.check(fmt.Sprintf("A2S_INFO on udp %s answers name %q, map %s, %d players max %s", addr, gameNight, gameMap, maxPlayers, when), err)
}

// expectNoA2S checks that nothing answers on the game port.
func (b *bed) expectNoA2S(ctx context.Context, when string) {
	res := b.c.netExec(ctx, b.self, "a2s", "127.0.0.1:"+strconv.Itoa(port))
	var err error
	if res.code == 0 {
		err = fmt.Errorf("a game server answered: %s", res.out)
	}
	b.r.check("nothing answers A2S on the game port "+when, err)
}

func (b *bed) expectStopped(ctx context.Context, when string) {
	b.r.check("systemctl is-active says inactive "+when, waitFor(ctx, 20*time.Second, func() error {
		return wantWord(b.unitState(ctx, unit), "inactive")
	}))
	b.expectStatus(ctx, "stopped", 10*time.Second, when)
}

func (b *bed) expectStoppedAndDisabled(ctx context.Context, when string) {
	b.r.check("systemctl is-enabled says disabled "+when, wantWord(b.unitEnabled(ctx), "disabled"))
	b.expectStopped(ctx, when)
	b.expectNoA2S(ctx, when)
}

// rebootContainer reboots the container and returns when the new boot
// had finished.
func (b *bed) rebootContainer(ctx context.Context) time.Time {
	t := time.Now()
	err := b.c.reboot(ctx)
	if b.r.check("systemctl reboot: the container comes back (systemd-nspawn exits 133, boot.sh starts it again)", err) {
		b.r.note("rebooted in %s; PID 1 is now %d on the host", time.Since(t).Round(100*time.Millisecond), b.c.pid1)
	}
	return time.Now()
}

// noUnitWarnings checks that systemd logged no warning about left4me's
// units in this boot: a hardening setting it cannot apply, say.
func (b *bed) noUnitWarnings(ctx context.Context) {
	res := b.c.exec(ctx, "", "journalctl", "-b", "_PID=1", "-p", "warning", "--no-pager", "-o", "cat")
	err := codeIs(res, 0)
	if err == nil {
		var bad []string
		for _, l := range strings.Split(res.out, "\n") {
			if strings.Contains(l, "left4me") {
				bad = append(bad, l)
			}
		}
		if len(bad) > 0 {
			err = errors.New(strings.Join(bad, "\n"))
		}
	}
	b.r.check("systemd logged no warning about left4me's units (hardening applied as written)", err)
}

// helpersFromTheWebSandbox runs both helpers through sudo -n inside the
// sandbox of left4me-web.service, as the panel's workers and poller do:
// a copy of the installed unit whose ExecStart= lines are the helper
// calls. The API steps show the same through the panel itself; this
// names the cause when sudo is what breaks.
func (b *bed) helpersFromTheWebSandbox(ctx context.Context) {
	const probe = "/run/systemd/system/left4me-web-probe.service"
	const out = "/run/left4me-web-probe.out" // written by PID 1, outside the sandbox
	script := `set -e
trap 'rm -f ` + probe + ` ` + out + `; systemctl daemon-reload' EXIT
rm -f ` + out + `
sed -e 's|^ExecStart=.*|ExecStart=/usr/bin/sudo -n ` + systemctlHelper + ` show ` + name + `\
ExecStart=/usr/bin/sudo -n ` + journalctlHelper + ` ` + name + ` --lines 5 --no-follow|' \
	-e 's|^Type=.*|Type=oneshot|' -e '/^Restart/d' -e '/^\[Install\]/,$d' \
	-e '/^\[Service\]/a StandardOutput=append:` + out + `' \
	/etc/systemd/system/left4me-web.service >` + probe + `
systemctl daemon-reload
status=0
systemctl start left4me-web-probe.service || status=$?
cat ` + out + `
if [ "$status" -ne 0 ]; then
	journalctl --sync
	journalctl -u left4me-web-probe.service -o short-monotonic --no-pager >&2
fi
exit "$status"`
	res := b.sh(ctx, script)
	err := codeIs(res, 0)
	// The newest lines: whatever fakesrcds logged last (the live sweep's
	// A2S answers, as often as not).
	for _, want := range []string{"ActiveState=active", `"MESSAGE":"fakesrcds: `} {
		if err == nil && !strings.Contains(res.out, want) {
			err = fmt.Errorf("no %q in what the helpers printed:\n%s", want, res.out)
		}
	}
	b.r.check("inside left4me-web.service's sandbox, sudo -n runs both helpers (show, journal)", err)
}

// showValue is one property of the unit from systemctl show.
func (b *bed) showValue(ctx context.Context, prop string) string {
	return strings.TrimSpace(b.c.exec(ctx, "", "systemctl", "show", "-p", prop, "--value", unit).out)
}

// killMainPID kills the game server with SIGKILL and checks that
// systemd restarts it, and that l4d2ctl sees the wait in between.
func (b *bed) killMainPID(ctx context.Context) {
	pid := b.showValue(ctx, "MainPID")
	restarts, _ := strconv.Atoi(b.showValue(ctx, "NRestarts"))
	if pid == "" || pid == "0" {
		b.r.check("find the game server's main PID", fmt.Errorf("MainPID is %q", pid))
		return
	}
	killed := time.Now()
	res := b.c.exec(ctx, "", "kill", "-KILL", pid)
	if !b.r.check("kill -KILL the game server (MainPID "+pid+")", codeIs(res, 0)) {
		return
	}
	// RestartSec=5: for five seconds systemd waits to restart it.
	b.expectStatus(ctx, "crashlooping", 4*time.Second, "while systemd waits to restart it")
	err := waitFor(ctx, 20*time.Second, func() error {
		now := b.showValue(ctx, "MainPID")
		n, _ := strconv.Atoi(b.showValue(ctx, "NRestarts"))
		st := b.unitState(ctx, unit)
		if st != "active" || now == "0" || now == pid || n != restarts+1 {
			return fmt.Errorf("is-active %s, MainPID %s (was %s), NRestarts %d (was %d)", st, now, pid, n, restarts)
		}
		return nil
	})
	b.r.check("systemd restarts it: active, a new MainPID, NRestarts one more", err)
	b.expectA2S(ctx, "after the restart")
	b.expectStatus(ctx, "running", 10*time.Second, "after the restart")
	b.api.restartedAfterKill(ctx, killed, restarts+1)
}

// crashLoop makes the game server crash at every start (the crash file)
// and follows l4d2ctl status until systemd gives up.
func (b *bed) crashLoop(ctx context.Context) {
	since := time.Now()
	res := b.asLeft4me(ctx, "touch", instanceDir+"/crash")
	if !b.r.check("create the crash file: the game server crashes at once and at every start", codeIs(res, 0)) {
		return
	}
	seen := map[string]bool{}
	var order []string
	err := waitFor(ctx, 120*time.Second, func() error {
		st, err := b.status(ctx)
		if err != nil {
			return err
		}
		word, _, _ := strings.Cut(st, " ")
		if !seen[st] {
			seen[st] = true
			order = append(order, st)
		}
		if word != "failed" {
			return fmt.Errorf("l4d2ctl status says %q; seen so far: %s", st, strings.Join(order, ", "))
		}
		return nil
	})
	b.r.note("l4d2ctl status went through: %s", strings.Join(order, " → "))
	sawLoop := false
	for _, st := range order {
		if strings.HasPrefix(st, "crashlooping") {
			sawLoop = true
		}
	}
	if err == nil && !sawLoop {
		err = errors.New("never said crashlooping before failed")
	}
	b.r.check("l4d2ctl status says crashlooping, then failed", err)
	// When automatic restarts run into StartLimitBurst, systemd 252 keeps
	// the last run's result (exit-code) as the unit's Result; only a start
	// request refused by the limit itself says start-limit-hit.
	st, _ := b.status(ctx)
	err = nil
	if st != "failed (exit-code)" && st != "failed (start-limit-hit)" {
		err = fmt.Errorf("l4d2ctl status says %q, want failed (exit-code) or failed (start-limit-hit)", st)
	}
	b.r.check("the failed state carries systemd's reason: "+st, err)
	b.r.check("systemctl is-active says failed", wantWord(b.unitState(ctx, unit), "failed"))
	b.api.showsFailedWithReason(ctx, since)
}

// logs checks that the unit's lines reach l4d2ctl logs through the
// journalctl helper.
func (b *bed) logs(ctx context.Context) {
	res := b.asLeft4me(ctx, "l4d2ctl", "logs", name, "-n", "200")
	err := codeIs(res, 0)
	for _, want := range []string{"fakesrcds: listening on udp/tcp", "fakesrcds: answered A2S_INFO", "fakesrcds: crashing on request"} {
		if err == nil && !strings.Contains(res.out, want) {
			err = fmt.Errorf("no line with %q in:\n%s", want, res.out)
		}
	}
	b.r.check("l4d2ctl logs "+name+" shows the game server's lines (listening, A2S, crash)", err)
	res = b.asLeft4me(ctx, "l4d2ctl", "logs", name, "-n", "3")
	err = codeIs(res, 0)
	if n := len(strings.Split(strings.TrimSpace(res.out), "\n")); err == nil && n != 3 {
		err = fmt.Errorf("got %d lines:\n%s", n, res.out)
	}
	for _, line := range strings.Split(strings.TrimSpace(res.out), "\n") {
		stamp, _, _ := strings.Cut(line, " ")
		if _, perr := time.Parse(time.RFC3339, stamp); err == nil && perr != nil {
			err = fmt.Errorf("the line %q does not start with its time: %w", line, perr)
		}
	}
	b.r.check("l4d2ctl logs -n 3 prints 3 lines, each after its time", err)
}

const (
	systemctlHelper  = "/usr/local/libexec/left4me/left4me-systemctl"
	journalctlHelper = "/usr/local/libexec/left4me/left4me-journalctl"
)

// sudoRights checks that sudo lets left4me run the two helpers and
// nothing else.
func (b *bed) sudoRights(ctx context.Context) {
	res := b.c.exec(ctx, "", "sudo", "-l", "-U", "left4me")
	err := codeIs(res, 0)
	if err == nil {
		got := sudoCommands(res.out)
		if len(got) != 2 || got[0] != systemctlHelper || got[1] != journalctlHelper {
			err = fmt.Errorf("commands %q in:\n%s", got, res.out)
		}
	}
	b.r.check("sudo -l -U left4me lists exactly the two helpers", err)
	res = b.asLeft4me(ctx, "sudo", "-n", "/usr/bin/systemctl", "start", unit)
	err = nil
	if res.code == 0 {
		err = fmt.Errorf("it ran: %s", res)
	}
	b.r.check("left4me cannot run systemctl itself through sudo", err)
}

// sudoCommands picks the commands out of sudo -l's list of what a user
// may run ("    (root) NOPASSWD: /a, /b"), in order.
func sudoCommands(out string) []string {
	_, list, ok := strings.Cut(out, "may run the following commands")
	if !ok {
		return nil
	}
	var cmds []string
	for _, l := range strings.Split(list, "\n") {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "(") {
			continue
		}
		_, l, _ = strings.Cut(l, ")")
		l = strings.TrimSpace(l)
		for { // drop tags such as NOPASSWD:
			f := strings.Fields(l)
			if len(f) == 0 || !strings.HasSuffix(f[0], ":") || strings.HasPrefix(f[0], "/") {
				break
			}
			l = strings.TrimSpace(strings.TrimPrefix(l, f[0]))
		}
		for _, c := range strings.Split(l, ",") {
			cmds = append(cmds, strings.TrimSpace(c))
		}
	}
	return cmds
}

// hostileNames sends names and verbs the helpers must refuse straight to
// them through sudo -n, as left4me, and checks for exit status 2 and that
// no unit appeared.
func (b *bed) hostileNames(ctx context.Context) {
	long := strings.Repeat("a", 33)
	cases := [][]string{
		{systemctlHelper, "enable", "../x"},
		{systemctlHelper, "enable", "Coop"},
		{systemctlHelper, "enable", "-x"},
		{systemctlHelper, "enable", "a b"},
		{systemctlHelper, "enable", "x;reboot"},
		{systemctlHelper, "enable", "café"},
		{systemctlHelper, "enable", long},
		{systemctlHelper, "enable", ""},
		{systemctlHelper, "enable", "coop-1.service"},
		{systemctlHelper, "start", name},
		{systemctlHelper, "enable", name, "extra"},
		{systemctlHelper, "show"},
		{systemctlHelper, "show", name, "../x"},
		{journalctlHelper, "../x", "--lines", "5", "--no-follow"},
		{journalctlHelper, name, "--lines", "10001", "--no-follow"},
		{journalctlHelper, name, "--lines", "5", "--since=yesterday"},
	}
	for _, argv := range cases {
		res := b.asLeft4me(ctx, append([]string{"sudo", "-n"}, argv...)...)
		b.r.check(fmt.Sprintf("sudo -n %s %q is refused with exit status 2", filepath.Base(argv[0]), argv[1:]), codeIs(res, 2))
	}
}

// onlyOneUnit checks that none of the refused names made a unit. The
// second instance of step 2, deleted since, may still be loaded.
func (b *bed) onlyOneUnit(ctx context.Context) {
	res := b.sh(ctx, "systemctl list-units --all --plain --no-legend 'left4me-server@*' | awk '{print $1}'")
	var err error
	var got []string
	for _, u := range strings.Fields(res.out) {
		if u != plainUnit {
			got = append(got, u)
		}
	}
	if len(got) != 1 || got[0] != unit {
		err = fmt.Errorf("units: %q", got)
	}
	b.r.check("no other instance unit came to exist", err)
}

// recoverFromFailed brings the instance back from failed after the crash
// loop through the panel: on systemd 252 enable --now starts a unit whose
// automatic restarts ran into the start limit without reset-failed
// (which the helpers do not offer).
func (b *bed) recoverFromFailed(ctx context.Context) {
	res := b.asLeft4me(ctx, "rm", "-f", instanceDir+"/crash")
	b.r.check("remove the crash file", codeIs(res, 0))
	b.api.action(ctx, "start")
	b.expectRunning(ctx, "after the crash file is gone")
	b.api.saysState(ctx, "running", time.Time{}, "after the start from failed")
}

// dumpDiagnostics prints what helps to understand a failure.
func (b *bed) dumpDiagnostics(ctx context.Context) {
	for _, argv := range [][]string{
		{"systemctl", "--failed", "--no-legend", "--plain"},
		{"systemctl", "status", "--no-pager", "-n", "0", unit, "left4me-web.service"},
		{"journalctl", "--no-pager", "-n", "60", "-u", unit, "-u", "left4me-web.service"},
	} {
		res := b.c.exec(ctx, "", argv...)
		b.r.note("$ %s", strings.Join(argv, " "))
		for _, l := range strings.Split(strings.TrimRight(res.out+res.err, "\n"), "\n") {
			b.r.note("  %s", l)
		}
	}
}
