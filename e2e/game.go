package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/left4me/left4me/internal/a2s"
)

// Step 14 (issues 11, 15): the game installed through the API by
// steamcmd, run by the panel inside left4me-web.service's sandbox, with
// cmd/fakesteamcmd where an operator puts Valve's steamcmd.sh; then a
// server runs the installed srcds_run, and an update with that server
// running: a new build beside the old one, which the server keeps until
// its restart; then the old build is removed.

const (
	// steamcmdDir is where deploy/README.md has Valve's steamcmd unpacked,
	// as left4me: steamcmd writes its own files (linux32/, appcache/)
	// beside itself, and the panel's unit may write only below the state
	// root.
	steamcmdDir = "/var/lib/left4me/steamcmd"
	steamcmdSh  = steamcmdDir + "/steamcmd.sh"
	srcdsRun    = gameDir + "/srcds_run" // gameDir is step 10's
	// buildsDir holds the game's builds; gameDir links to the current.
	buildsDir = "/var/lib/left4me/builds"
	// mergedGame is where an instance on layers sees its game, in its
	// unit's mount namespace; left4me-srcds runs srcds_run there.
	mergedGame     = "/run/left4me-instance/game"
	mergedSrcdsRun = mergedGame + "/srcds_run"
	// steamClient is where the install puts steamcmd's 32-bit
	// steamclient.so for srcds: ~left4me/.steam/sdk32.
	steamClient = "/var/lib/left4me/.steam/sdk32/steamclient.so"
	// The builds fakesteamcmd reports: the one installed first, then a
	// newer one.
	firstBuild = "16400001"
	newerBuild = "16400002"
	// gameServer is the server that runs the installed game.
	gameServer     = "g1"
	gameServerUnit = "left4me-server@" + gameServer + ".service"
	gameServerPort = 27041
	// gameJobWait bounds a game job (fakesteamcmd's two passes take a
	// few seconds).
	gameJobWait = 90 * time.Second
)

// apiGame is GET /api/v1/game.
type apiGame struct {
	Installed       bool   `json:"installed"`
	BuildID         string `json:"buildid"`
	LatestBuildID   string `json:"latest_buildid"`
	UpdateAvailable bool   `json:"update_available"`
	Path            string `json:"path"`
	Program         string `json:"program"`
	Partial         bool   `json:"partial"`
	CheckError      string `json:"check_error"`
	StatusError     string `json:"status_error"`
	Builds          []struct {
		ID      string   `json:"id"`
		Current bool     `json:"current"`
		Servers []string `json:"servers"`
	} `json:"builds"`
	OlderBuildServers   []string `json:"older_build_servers"`
	UnknownBuildServers []string `json:"unknown_build_servers"`
}

// builds is the builds in short: "16400001(g1) 16400002*()", the
// current one starred, the servers running each in parentheses.
func (g apiGame) builds() string {
	var out []string
	for _, b := range g.Builds {
		s := b.ID
		if b.Current {
			s += "*"
		}
		out = append(out, s+"("+strings.Join(b.Servers, ",")+")")
	}
	return strings.Join(out, " ")
}

func (g apiGame) String() string {
	return fmt.Sprintf("installed %v, build %q, latest %q, update available %v, program %s, partial %v, check error %q, status error %q, builds %s, on older builds %v, build unknown %v",
		g.Installed, g.BuildID, g.LatestBuildID, g.UpdateAvailable, g.Program, g.Partial, g.CheckError, g.StatusError,
		g.builds(), g.OlderBuildServers, g.UnknownBuildServers)
}

// gameJob is a game job as GET /api/v1/jobs/{id} has it.
type gameJob struct {
	apiJob
	Progress *struct {
		Phase      string  `json:"phase"`
		Percent    float64 `json:"percent"`
		BytesDone  *int64  `json:"bytes_done"`
		BytesTotal *int64  `json:"bytes_total"`
	} `json:"progress"`
}

// installTheGame is step 14.
func (b *bed) installTheGame(ctx context.Context) {
	if !b.fleetStopped(ctx) || !b.steamcmdInstalled(ctx) || !b.gameSettings(ctx) {
		return
	}
	res := b.sh(ctx, "sed -i '/^LEFT4ME_SRCDS=/d' /etc/left4me/server.env && ! grep LEFT4ME_SRCDS /etc/left4me/server.env")
	if !b.r.check("LEFT4ME_SRCDS out of server.env: a server runs the game's own "+srcdsRun, codeIs(res, 0)) {
		return
	}
	g, err := b.api.game(ctx)
	if err == nil && (g.Installed || g.Program != srcdsRun || g.BuildID != "") {
		err = fmt.Errorf("GET /api/v1/game: %s", g)
	}
	b.r.check("GET /api/v1/game: not installed, the program "+srcdsRun, err)
	if !b.api.startRefused(ctx) {
		return
	}
	if !b.api.gameJob(ctx, "install", nil, "succeeded", true) {
		return
	}
	g, err = b.api.game(ctx)
	if err == nil && (!g.Installed || g.BuildID != firstBuild || g.Partial || g.Program != srcdsRun) {
		err = fmt.Errorf("GET /api/v1/game: %s", g)
	}
	b.r.check("GET /api/v1/game: installed, build "+firstBuild+" (fakesteamcmd's)", err)
	res = b.sh(ctx, "stat -c '%U %F' "+steamClient+" "+steamcmdDir+"/linux32/steamclient.so "+srcdsRun)
	err = codeIs(res, 0)
	if err == nil && strings.Count(res.out, "left4me regular file\n") != 3 {
		err = fmt.Errorf("want three regular files of left4me's:\n%s", res.out)
	}
	b.r.check("steamcmd wrote its own linux32/steamclient.so in "+steamcmdDir+", the job copied it to "+steamClient+", and srcds_run is left4me's", err)

	if !b.api.actionOn(ctx, gameServer, "start") {
		return
	}
	pid := b.runsTheInstalledGame(ctx, "after the install", firstBuild)

	// A newer build: fakesteamcmd reports what its environment says,
	// which is the panel's (web.env).
	res = b.sh(ctx, "sed -i 's/^FAKESTEAMCMD_BUILDID=.*/FAKESTEAMCMD_BUILDID="+newerBuild+"/' /etc/left4me/web.env && systemctl restart left4me-web.service")
	b.r.check("fakesteamcmd reports build "+newerBuild+" (web.env); panel restarted", codeIs(res, 0))
	b.expectPanelUp(ctx, "with the newer build")
	g, err = b.api.game(ctx)
	if err == nil && (g.UpdateAvailable || g.LatestBuildID == newerBuild) {
		err = fmt.Errorf("GET /api/v1/game: %s", g)
	}
	b.r.check("GET /api/v1/game before the check: no update known", err)
	if !b.api.gameJob(ctx, "check", nil, "succeeded", false) {
		return
	}
	g, err = b.api.game(ctx)
	if err == nil && (!g.UpdateAvailable || g.LatestBuildID != newerBuild || g.BuildID != firstBuild) {
		err = fmt.Errorf("GET /api/v1/game: %s", g)
	}
	b.r.check("GET /api/v1/game after the check: update available, latest build "+newerBuild, err)

	// An update with g1 running: a new build beside the one g1 runs,
	// which g1 keeps until its next start.
	if !b.api.gameJob(ctx, "update", nil, "succeeded", false) {
		return
	}
	err = nil
	if now := b.mainPID(ctx, gameServerUnit); now != pid {
		err = fmt.Errorf("MainPID %q, was %s", now, pid)
	}
	b.r.check(gameServer+" ran on, untouched, through the update", err)
	b.r.check(gameServer+" still sees build "+firstBuild+" in its game directory", b.seesBuild(ctx, pid, firstBuild))
	g, err = b.api.game(ctx)
	if err == nil && (!g.Installed || g.BuildID != newerBuild || g.UpdateAvailable || g.Partial ||
		g.builds() != firstBuild+"("+gameServer+") "+newerBuild+"*()" || strings.Join(g.OlderBuildServers, ",") != gameServer) {
		err = fmt.Errorf("GET /api/v1/game: %s", g)
	}
	b.r.check("GET /api/v1/game after the update: build "+newerBuild+" current, "+firstBuild+" kept for "+gameServer+", which runs an older build", err)
	res = b.sh(ctx, "readlink "+gameDir+"; ls "+buildsDir)
	err = codeIs(res, 0)
	if want := "builds/" + newerBuild + "\n" + firstBuild + "\n" + newerBuild + "\n"; err == nil && res.out != want {
		err = fmt.Errorf("game link and builds:\n%s\nwant:\n%s", res.out, want)
	}
	b.r.check(gameDir+" links to builds/"+newerBuild+"; "+buildsDir+" holds both builds", err)

	// Its restart runs the new build, and the old one goes.
	if !b.api.actionOn(ctx, gameServer, "restart") {
		return
	}
	again := b.runsTheInstalledGame(ctx, "after the restart", newerBuild)
	err = nil
	if again == "" || again == pid {
		err = fmt.Errorf("MainPID %q, and %s before the restart", again, pid)
	}
	b.r.check(fmt.Sprintf("%s was restarted: a new MainPID (%s, was %s)", gameServer, again, pid), err)
	t := time.Now()
	err = waitFor(ctx, 90*time.Second, func() error {
		g, err := b.api.game(ctx)
		if err == nil && (g.builds() != newerBuild+"*("+gameServer+")" || len(g.OlderBuildServers) != 0) {
			err = fmt.Errorf("GET /api/v1/game: %s", g)
		}
		if err == nil {
			if res := b.sh(ctx, "ls "+buildsDir); res.out != newerBuild+"\n" {
				err = fmt.Errorf("%s holds:\n%s", buildsDir, res.out)
			}
		}
		return err
	})
	if err == nil {
		b.r.note("took %s", time.Since(t).Round(100*time.Millisecond))
	}
	b.r.check("build "+firstBuild+", which no server runs any more, is removed (GET /api/v1/game and "+buildsDir+")", err)
	b.workshopItem(ctx)
}

// workshopItem downloads a Workshop item into an add-on set through the
// API: steamcmd (fakesteamcmd) run by the panel in its sandbox, the item
// put into the set as addons/workshop/ID.vpk, the download removed.
func (b *bed) workshopItem(ctx context.Context) {
	const set, item = "workshop-e2e", "123456789"
	err := b.api.expect(ctx, 201, "POST", "/api/v1/addon-sets", map[string]any{"name": set}, nil)
	if !b.r.check("POST /api/v1/addon-sets "+set+": 201", err) {
		return
	}
	var job apiJob
	err = b.api.expect(ctx, 202, "POST", "/api/v1/addon-sets/"+set+"/workshop",
		map[string]any{"items": []string{"https://steamcommunity.com/sharedfiles/filedetails/?id=" + item}}, &job)
	if err == nil {
		var done []apiJob
		if done, err = b.api.awaitJobs(ctx, []int64{job.ID}); err == nil && (done[0].State != "succeeded" || done[0].Operation != "game-workshop") {
			err = fmt.Errorf("job %d: %s %s (%s)", job.ID, done[0].Operation, done[0].State, done[0].Reason)
		}
	}
	b.r.check("POST …/addon-sets/"+set+"/workshop with the item's address: 202, a game-workshop job that succeeded", err)
	var files []struct {
		Path  string `json:"path"`
		Bytes int64  `json:"bytes"`
	}
	err = b.api.expect(ctx, 200, "GET", "/api/v1/addon-sets/"+set+"/files", nil, &files)
	if err == nil && (len(files) != 1 || files[0].Path != "addons/workshop/"+item+".vpk" || files[0].Bytes != 4096) {
		err = fmt.Errorf("files %+v", files)
	}
	b.r.check("the set holds addons/workshop/"+item+".vpk (fakesteamcmd's 4096 bytes)", err)
	res := b.sh(ctx, "test ! -e /var/lib/left4me/workshop/steamapps/workshop/content/550/"+item)
	b.r.check("steamcmd's download of the item is removed once it is in the set", codeIs(res, 0))
	err = b.api.expect(ctx, 204, "DELETE", "/api/v1/addon-sets/"+set, nil, nil)
	b.r.check("DELETE /api/v1/addon-sets/"+set+": 204", err)
}

// fleetStopped stops the servers of steps 11 to 13 through the API: they
// run fakesrcds, which server.env named until now.
func (b *bed) fleetStopped(ctx context.Context) bool {
	ids, err := b.api.enqueueFleet(ctx, "stop")
	if err == nil {
		var jobs []apiJob
		if jobs, err = b.api.awaitJobs(ctx, ids); err == nil {
			err = allSucceeded(jobs)
		}
	}
	if err == nil {
		err = b.fleetIs(ctx, "stopped")
	}
	return b.r.check("POST …/stop for the fleet: every job succeeded, every server stopped", err)
}

// steamcmdInstalled does what deploy/README.md says for Valve's
// steamcmd: unpacked as left4me below the state root, then install.sh
// with LEFT4ME_STEAMCMD, which adds it to the existing web.env and keeps
// everything else there. It also runs install.sh with left4me's home
// somewhere the panel cannot write.
func (b *bed) steamcmdInstalled(ctx context.Context) bool {
	res := b.asLeft4me(ctx, "sh", "-c", "mkdir -p "+steamcmdDir+" && cp /usr/local/bin/fakesteamcmd "+steamcmdSh)
	if !b.r.check("as left4me, fakesteamcmd unpacked where Valve's steamcmd.sh goes: "+steamcmdSh, codeIs(res, 0)) {
		return false
	}
	before := b.sh(ctx, "cat /etc/left4me/web.env")
	install := []string{"env", "LEFT4ME_STEAMCMD=" + steamcmdSh, "sh", checkout + "/deploy/install.sh"}
	res = b.c.exec(ctx, "", install...)
	err := codeIs(res, 0)
	out := res.out + res.err
	for _, want := range []string{
		"unchanged: the i386 architecture and the game's 32-bit runtime (lib32gcc-s1 lib32stdc++6 libc6-i386)\n",
		"added: LEFT4ME_STEAMCMD=" + steamcmdSh + " to /etc/left4me/web.env\n",
	} {
		if err == nil && !strings.Contains(out, want) {
			err = fmt.Errorf("no %q in:\n%s", want, out)
		}
	}
	for _, no := range []string{"run: apt-get", "run: dpkg", "warning"} {
		if err == nil && strings.Contains(out, no) {
			err = fmt.Errorf("%q in:\n%s", no, out)
		}
	}
	b.r.check("install.sh LEFT4ME_STEAMCMD="+steamcmdSh+": the 32-bit runtime and i386 found (no apt-get), LEFT4ME_STEAMCMD added to web.env, no warning", err)
	after := b.sh(ctx, "cat /etc/left4me/web.env; stat -c '%a %U' /etc/left4me/web.env")
	err = codeIs(after, 0)
	if want := before.out + "LEFT4ME_STEAMCMD=" + steamcmdSh + "\n600 root\n"; err == nil && after.out != want {
		err = fmt.Errorf("web.env:\n%s\nwant:\n%s", after.out, want)
	}
	b.r.check("web.env keeps every line it had (0600, root's) and ends with LEFT4ME_STEAMCMD", err)
	res = b.c.exec(ctx, "", install...)
	err = codeIs(res, 0)
	if err == nil && !strings.Contains(res.out, "unchanged: LEFT4ME_STEAMCMD in /etc/left4me/web.env\n") {
		err = fmt.Errorf("no \"unchanged: LEFT4ME_STEAMCMD\" in:\n%s", res.out)
	}
	for _, l := range strings.Split(res.out, "\n") {
		for _, p := range []string{"installed:", "wrote:", "added:", "run: apt-get", "run: dpkg", "run: env"} {
			if err == nil && strings.HasPrefix(l, p) {
				err = fmt.Errorf("the second run changed something: %s", l)
			}
		}
	}
	b.r.check("a second install.sh run with LEFT4ME_STEAMCMD changes nothing", err)

	// left4me's home elsewhere: usermod refuses while left4me's processes
	// run, so /etc/passwd is edited, and put back.
	res = b.sh(ctx, `set -e
cp /etc/passwd /run/passwd.e2e
trap 'cp /run/passwd.e2e /etc/passwd; rm -f /run/passwd.e2e' EXIT
sed -i 's|^\(left4me:[^:]*:[^:]*:[^:]*:[^:]*:\)/var/lib/left4me:|\1/home/left4me:|' /etc/passwd
getent passwd left4me | cut -d: -f6
sh `+checkout+`/deploy/install.sh 2>&1`)
	err = codeIs(res, 0)
	const homeWarning = "install.sh: warning: the left4me user's home is /home/left4me, not /var/lib/left4me"
	if err == nil && (!strings.HasPrefix(res.out, "/home/left4me\n") || !strings.Contains(res.out, homeWarning)) {
		err = fmt.Errorf("no %q in:\n%s", homeWarning, res.out)
	}
	b.r.check("install.sh warns when left4me's home is not /var/lib/left4me (where steamcmd and ~/.steam/sdk32 must be)", err)
	res = b.sh(ctx, "getent passwd left4me | cut -d: -f6")
	b.r.check("left4me's home is /var/lib/left4me again", wantWord(strings.TrimSpace(res.out), "/var/lib/left4me"))
	return true
}

// gameSettings: the test's own settings in web.env, which the panel
// passes on to steamcmd: fakesteamcmd installs fakesrcds as srcds_run,
// reports firstBuild and moves its progress in visible steps; the free
// space an install wants is small, the periodic check is off (the
// scenario asks for it), and the poller looks every pollInterval again.
// Then the panel is restarted, and its HOME checked.
func (b *bed) gameSettings(ctx context.Context) bool {
	settings := []string{
		"FAKESTEAMCMD_SRCDS=/usr/local/bin/fakesrcds",
		"FAKESTEAMCMD_BUILDID=" + firstBuild,
		"FAKESTEAMCMD_STEPS=8",
		"FAKESTEAMCMD_STEP_DELAY=300ms",
		"LEFT4ME_GAME_FREE_SPACE=1GiB",
		"LEFT4ME_GAME_UPDATE_CHECK=0",
		"LEFT4ME_STATE_POLLER_INTERVAL=" + pollInterval.String(),
	}
	res := b.sh(ctx, "printf '%s\\n' "+strings.Join(settings, " ")+" >>/etc/left4me/web.env && systemctl restart left4me-web.service")
	if !b.r.check("web.env: "+strings.Join(settings, " ")+"; panel restarted", codeIs(res, 0)) {
		return false
	}
	if !b.expectPanelUp(ctx, "with steamcmd set") {
		return false
	}
	res = b.sh(ctx, "tr '\\0' '\\n' </proc/$(systemctl show -p MainPID --value left4me-web.service)/environ | grep -E '^(HOME|LEFT4ME_STEAMCMD)='")
	err := codeIs(res, 0)
	if want := "HOME=/var/lib/left4me\nLEFT4ME_STEAMCMD=" + steamcmdSh + "\n"; err == nil && res.out != want {
		err = fmt.Errorf("the panel's environment has:\n%s", res.out)
	}
	b.r.check("the panel runs with HOME=/var/lib/left4me (systemd's, from passwd) and LEFT4ME_STEAMCMD from web.env", err)
	var s apiServer
	err = b.api.expect(ctx, 201, "POST", "/api/v1/servers",
		map[string]any{"name": gameServer, "title": "e2e installed game", "blueprint": "default", "port": gameServerPort}, &s)
	return b.r.check(fmt.Sprintf("POST /api/v1/servers %s (default blueprint, port %d): 201", gameServer, gameServerPort), err)
}

// game is GET /api/v1/game.
func (p *panelAPI) game(ctx context.Context) (apiGame, error) {
	var g apiGame
	err := p.expect(ctx, 200, "GET", "/api/v1/game", nil, &g)
	return g, err
}

// startRefused: a start while the game is missing is refused with what
// to do, and changes nothing.
func (p *panelAPI) startRefused(ctx context.Context) bool {
	var e apiError
	err := p.expect(ctx, 409, "POST", "/api/v1/servers/"+gameServer+"/start", nil, &e)
	if err == nil && !strings.HasPrefix(e.Error, "The game is not installed yet") {
		err = fmt.Errorf("the refusal says %q", e.Error)
	}
	if err == nil {
		var s apiServer
		if s, err = p.serverNamed(ctx, gameServer); err == nil && s.DesiredState != "stopped" {
			err = fmt.Errorf("after the refusal the API says %s", s)
		}
	}
	return p.b.r.check(fmt.Sprintf("POST /api/v1/servers/%s/start while the game is missing: 409 %q, still wanted stopped", gameServer, e.Error), err)
}

// gameJob asks for a game job (install, update, validate or check) with
// body, follows it to its end, and checks it ended want: a failure's
// reason must say the servers run. With progress, it also wants to have
// seen the progress move while the job ran, in both passes.
func (p *panelAPI) gameJob(ctx context.Context, op string, body any, want string, progress bool) bool {
	what := "POST /api/v1/game/" + op
	if body != nil {
		b, _ := json.Marshal(body)
		what += " " + string(b)
	}
	var job gameJob
	err := p.expect(ctx, 202, "POST", "/api/v1/game/"+op, body, &job)
	if err == nil && (job.Operation != "game-"+op || job.Server != "") {
		err = fmt.Errorf("got a job for %q on server %q", job.Operation, job.Server)
	}
	var seen []string // "phase percent" while it ran, each change once
	if err == nil {
		id, after := job.ID, int64(0)
		err = waitFor(ctx, gameJobWait, func() error {
			job = gameJob{}
			if err := p.expect(ctx, 200, "GET", fmt.Sprintf("/api/v1/jobs/%d?after=%d", id, after), nil, &job); err != nil {
				return err
			}
			for _, l := range job.Lines {
				p.b.r.note("  job %d: %s", id, l.Text)
			}
			after = job.After
			if job.State == "running" && job.Progress != nil {
				s := fmt.Sprintf("%s %.2f", job.Progress.Phase, job.Progress.Percent)
				if len(seen) == 0 || seen[len(seen)-1] != s {
					seen = append(seen, s)
				}
			}
			switch job.State {
			case "succeeded", "failed", "cancelled":
				return nil
			}
			return fmt.Errorf("job %d is %s", job.ID, job.State)
		})
	}
	if err == nil && job.State != want {
		err = fmt.Errorf("job %d ended %s (%s), want %s", job.ID, job.State, job.Reason, want)
	}
	if err == nil && want == "failed" && !strings.Contains(job.Reason, "are running ("+gameServer+")") {
		err = fmt.Errorf("job %d failed, but not because %s runs: %s", job.ID, gameServer, job.Reason)
	}
	what += ": 202, the job " + want
	if want == "failed" {
		what += " saying " + gameServer + " runs"
	}
	if !p.b.r.check(what, err) || !progress {
		return err == nil
	}
	p.b.r.note("progress seen while it ran: %s", strings.Join(seen, ", "))
	return p.b.r.check("the install's progress moved while it ran, in both passes", progressMoved(seen))
}

// progressMoved says whether seen, the progress reports a job showed
// while it ran, moved: several percents of downloading in each of the
// two passes, rising within a pass.
func progressMoved(seen []string) error {
	for _, pass := range []string{"downloading (pass 1 of 2)", "downloading (pass 2 of 2)"} {
		last, n := -1.0, 0
		for _, s := range seen {
			i := strings.LastIndexByte(s, ' ')
			if s[:i] != pass {
				continue
			}
			v, err := strconv.ParseFloat(s[i+1:], 64)
			if err != nil {
				return err
			}
			if v < last {
				return fmt.Errorf("%s went back from %.2f to %.2f: %s", pass, last, v, strings.Join(seen, ", "))
			}
			last = v
			n++
		}
		if n < 2 {
			return fmt.Errorf("%s was seen at %d percent(s), want 2 or more: %s", pass, n, strings.Join(seen, ", "))
		}
	}
	return nil
}

// runsTheInstalledGame checks that the game server's unit runs the
// game's srcds_run of build (its main process's executable, in
// builds/BUILD, and command line) and that it answers A2S on its port;
// it returns the main PID.
func (b *bed) runsTheInstalledGame(ctx context.Context, when, build string) string {
	var pid string
	err := waitFor(ctx, 20*time.Second, func() error {
		if st := b.unitState(ctx, gameServerUnit); st != "active" {
			return fmt.Errorf("%s is %s", gameServerUnit, st)
		}
		if pid = b.mainPID(ctx, gameServerUnit); pid == "" {
			return errors.New("no main PID")
		}
		return nil
	})
	if !b.r.check(gameServerUnit+" is active "+when, err) {
		return ""
	}
	// On layers, srcds runs the merged view of its build, add-on sets and
	// writable layer, mounted in the unit's own namespace.
	res := b.sh(ctx, "readlink /proc/"+pid+"/exe && tr '\\0' ' ' </proc/"+pid+"/cmdline")
	err = codeIs(res, 0)
	wantCmd := fmt.Sprintf("%s -game left4dead2 -port %d +hostport %d -norestart ", mergedSrcdsRun, gameServerPort, gameServerPort)
	if err == nil && !strings.HasPrefix(res.out, mergedSrcdsRun+"\n"+wantCmd) {
		err = fmt.Errorf("executable and command line:\n%s\nwant %s, then %q...", res.out, mergedSrcdsRun, wantCmd)
	}
	b.r.check(fmt.Sprintf("its main process (%s) is the installed srcds_run in its merged view %s, given -norestart %s", pid, mergedGame, when), err)
	b.r.check(fmt.Sprintf("its merged view is build %s (the manifest it sees; instances/%s/layers) %s", build, gameServer, when), b.seesBuild(ctx, pid, build))
	addr := "127.0.0.1:" + strconv.Itoa(gameServerPort)
	err = waitFor(ctx, 10*time.Second, func() error {
		res := b.c.netExec(ctx, b.self, "a2s", addr)
		if err := codeIs(res, 0); err != nil {
			return err
		}
		var info a2s.Info
		if err := json.Unmarshal([]byte(res.out), &info); err != nil {
			return err
		}
		if info.Name != gameNight || int(info.Port) != gameServerPort || info.Folder != "left4dead2" {
			return fmt.Errorf("name %q, port %d, game %q; want %q, %d, left4dead2", info.Name, info.Port, info.Folder, gameNight, gameServerPort)
		}
		return nil
	})
	b.r.check(fmt.Sprintf("A2S_INFO on udp %s answers %q (the blueprint's server.cfg through the installed game's cfg/) %s", addr, gameNight, when), err)
	return pid
}

// seesBuild checks that the game server with main PID pid runs build: the
// manifest in the game directory it sees (in its unit's namespace) names
// it, and so does the layers file the panel wrote for its start.
func (b *bed) seesBuild(ctx context.Context, pid, build string) error {
	res := b.sh(ctx, "nsenter --target "+pid+" --mount -- grep -h buildid "+mergedGame+"/steamapps/appmanifest_222860.acf; "+
		"grep '^build ' /var/lib/left4me/instances/"+gameServer+"/layers")
	if err := codeIs(res, 0); err != nil {
		return err
	}
	if want := "\t\"buildid\"\t\t\"" + build + "\"\nbuild " + build + "\n"; res.out != want {
		return fmt.Errorf("the manifest's buildid and the layers file's build line:\n%s\nwant build %s in both", res.out, build)
	}
	return nil
}
