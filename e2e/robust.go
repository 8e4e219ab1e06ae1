package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Steps 11 to 13: the panel's own restarts and the host's reboots do not
// break jobs, and crashes between two looks of the poller leave a trace
// (issue 9).

// fleet are the servers steps 11 and 12 drive together, on ports from
// fleetPort up.
var fleet = []string{"b1", "b2", "b3", "b4", "b5"}

const (
	fleetPort = 27031
	// webDropIn makes left4me-web.service use the default KillMode for
	// some rounds of step 11: SIGTERM to every process of the panel's
	// control group, the jobs' sudo, helper and systemctl included.
	webDropIn = "/etc/systemd/system/left4me-web.service.d/e2e-killmode.conf"
	// jobWait bounds how long a job may take to end, a panel restart or
	// a reboot included.
	jobWait = 90 * time.Second
)

// createFleet creates the fleet's servers through the API.
func (p *panelAPI) createFleet(ctx context.Context) bool {
	var errs []error
	for i, n := range fleet {
		var s apiServer
		err := p.expect(ctx, 201, "POST", "/api/v1/servers",
			map[string]any{"name": n, "title": "e2e fleet " + n, "blueprint": "default", "port": fleetPort + i}, &s)
		errs = append(errs, err)
	}
	return p.b.r.check(fmt.Sprintf("POST /api/v1/servers %s (ports %d-%d): 201 each",
		strings.Join(fleet, ", "), fleetPort, fleetPort+len(fleet)-1), errors.Join(errs...))
}

// enqueueFleet asks for op on every fleet server and returns the jobs'
// IDs, in fleet order.
func (p *panelAPI) enqueueFleet(ctx context.Context, op string) ([]int64, error) {
	ids := make([]int64, len(fleet))
	for i, n := range fleet {
		var job apiJob
		if err := p.expect(ctx, 202, "POST", "/api/v1/servers/"+n+"/"+op, nil, &job); err != nil {
			return nil, err
		}
		ids[i] = job.ID
	}
	return ids, nil
}

// awaitJobs waits until every job has ended (the panel may be restarting
// meanwhile) and returns them with all their output.
func (p *panelAPI) awaitJobs(ctx context.Context, ids []int64) ([]apiJob, error) {
	jobs := make([]apiJob, len(ids))
	for i, id := range ids {
		err := waitFor(ctx, jobWait, func() error {
			var j apiJob
			if err := p.expect(ctx, 200, "GET", fmt.Sprintf("/api/v1/jobs/%d?after=0", id), nil, &j); err != nil {
				return err
			}
			jobs[i] = j
			switch j.State {
			case "succeeded", "failed", "cancelled":
				return nil
			}
			return fmt.Errorf("job %d is %s", id, j.State)
		})
		if err != nil {
			return jobs, err
		}
	}
	return jobs, nil
}

// ranAgain counts the jobs whose output says they were cut short and
// queued again.
func ranAgain(jobs []apiJob) (n int, why []string) {
	for _, j := range jobs {
		again := false
		for _, l := range j.Lines {
			if strings.Contains(l.Text, "the job will run again") {
				again = true
				why = append(why, fmt.Sprintf("job %d: %s", j.ID, l.Text))
			}
		}
		if again {
			n++
		}
	}
	return n, why
}

// allSucceeded is nil when every job succeeded.
func allSucceeded(jobs []apiJob) error {
	var errs []error
	for _, j := range jobs {
		if j.State != "succeeded" {
			errs = append(errs, fmt.Errorf("job %d (%s %s) ended %s: %s", j.ID, j.Operation, j.Server, j.State, j.Reason))
		}
	}
	return errors.Join(errs...)
}

// fleetIs checks systemd and the API for every fleet server: running
// (enabled, active) or stopped (disabled, inactive).
func (b *bed) fleetIs(ctx context.Context, want string) error {
	active, enabled := "active", "enabled"
	if want == "stopped" {
		active, enabled = "inactive", "disabled"
	}
	return waitFor(ctx, 20*time.Second, func() error {
		var errs []error
		for _, n := range fleet {
			u := "left4me-server@" + n + ".service"
			if st := b.unitState(ctx, u); st != active {
				errs = append(errs, fmt.Errorf("%s is %s", u, st))
			}
			if en := strings.TrimSpace(b.c.exec(ctx, "", "systemctl", "is-enabled", u).out); en != enabled {
				errs = append(errs, fmt.Errorf("%s is %s", u, en))
			}
			s, err := b.api.serverNamed(ctx, n)
			if err == nil && (s.ActualState != want || s.DesiredState != want) {
				err = fmt.Errorf("the API says %s: %s", n, s)
			}
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
}

// panelRestarts: step 11. Each round asks for a start or a stop of the
// whole fleet and restarts the panel at once, while the jobs run: every
// job must succeed (run again where it was cut short) and every server
// end as wanted. The last two rounds put the default KillMode back, so
// systemd signals the jobs' commands too: the worker alone must cope.
func (b *bed) panelRestarts(ctx context.Context) {
	if !b.api.createFleet(ctx) {
		return
	}
	rounds := []struct {
		op, killMode string
	}{
		{"start", "mixed"}, {"stop", "mixed"}, {"start", "control-group"}, {"stop", "control-group"},
	}
	for i, rd := range rounds {
		if ctx.Err() != nil {
			return
		}
		if i == 0 || rd.killMode != rounds[i-1].killMode {
			script := "rm -f " + webDropIn
			if rd.killMode != "mixed" {
				script = "mkdir -p " + webDropIn[:strings.LastIndexByte(webDropIn, '/')] +
					" && printf '[Service]\\nKillMode=" + rd.killMode + "\\n' >" + webDropIn
			}
			res := b.sh(ctx, script+" && systemctl daemon-reload")
			b.r.check("left4me-web.service with KillMode="+rd.killMode, codeIs(res, 0))
		}
		what := fmt.Sprintf("round %d (KillMode=%s): %s the fleet and restart the panel at once", i+1, rd.killMode, rd.op)
		ids, err := b.api.enqueueFleet(ctx, rd.op)
		if !b.r.check(what+": five jobs queued", err) {
			return
		}
		t := time.Now()
		b.expectExec(ctx, "systemctl restart left4me-web.service while the jobs run", "systemctl", "restart", "left4me-web.service")
		jobs, err := b.api.awaitJobs(ctx, ids)
		if err == nil {
			err = allSucceeded(jobs)
		}
		n, why := ranAgain(jobs)
		for _, w := range why {
			b.r.note("  %s", w)
		}
		b.r.check(fmt.Sprintf("%s: every job succeeded (%d cut short and run again; all ended %s after the restart)",
			what, n, time.Since(t).Round(100*time.Millisecond)), err)
		b.r.check(fmt.Sprintf("%s: every server is %s in systemd and in the API", what, map[string]string{"start": "running", "stop": "stopped"}[rd.op]),
			b.fleetIs(ctx, map[string]string{"start": "running", "stop": "stopped"}[rd.op]))
	}
	res := b.sh(ctx, "rm -f "+webDropIn+" && systemctl daemon-reload && systemctl restart left4me-web.service")
	b.r.check("back to the installed left4me-web.service (KillMode=mixed)", codeIs(res, 0))
	b.expectPanelUp(ctx, "after the restart rounds")
}

// rebootWithJobsQueued: step 12. Starts of the whole fleet are asked for
// and the host reboots at once: after the boot no job is recorded failed,
// every server runs, and no change to running is put down to something
// outside the panel.
func (b *bed) rebootWithJobsQueued(ctx context.Context) {
	since := time.Now()
	ids, err := b.api.enqueueFleet(ctx, "start")
	if !b.r.check("POST …/start for the whole fleet: five jobs queued", err) {
		return
	}
	b.rebootContainer(ctx)
	b.expectPanelUp(ctx, "after the reboot with jobs queued")
	jobs, err := b.api.awaitJobs(ctx, ids)
	if err == nil {
		err = allSucceeded(jobs)
	}
	n, why := ranAgain(jobs)
	for _, w := range why {
		b.r.note("  %s", w)
	}
	b.r.check(fmt.Sprintf("after the reboot every start job succeeded, none failed (%d cut short by the shutdown and run again)", n), err)
	b.r.check("every fleet server is running in systemd and in the API", b.fleetIs(ctx, "running"))
	var errs []error
	for _, s := range fleet {
		hs, err := b.api.historyOf(ctx, s, since)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		b.r.note("history of %s: %s", s, joinHistory(hs))
		for _, h := range hs {
			if (h.NewState == "running" || h.NewState == "starting") && strings.Contains(h.Reason, "outside the panel") {
				errs = append(errs, fmt.Errorf("%s: the panel's own start is put down to something outside it: %s", s, h))
			}
		}
	}
	b.r.check("the history puts each server's start down to the panel's job, not to something outside it", errors.Join(errs...))
}

// restartRow reads a history reason about automatic restarts: how many
// since the last look, and the count systemd had reached.
var restartRow = regexp.MustCompile(`crashed and was restarted by systemd(?: (\d+) times since the last look)?.*, (\d+)(?:st|nd|rd|th) restart`)

// crashesAtTheDefaultInterval: step 13. With the poller back at its
// default 30 s, a server is SIGKILLed three times 7 s apart; systemd
// restarts it within RestartSec=5 each time. The history must account
// for every restart, with systemd's count and how it ended.
func (b *bed) crashesAtTheDefaultInterval(ctx context.Context) {
	const kills = 3
	const n = "b1"
	u := "left4me-server@" + n + ".service"
	res := b.sh(ctx, "sed -i '/^LEFT4ME_STATE_POLLER_INTERVAL=/d' /etc/left4me/web.env && systemctl restart left4me-web.service")
	if !b.r.check("web.env without LEFT4ME_STATE_POLLER_INTERVAL (the default, 30 s); panel restarted", codeIs(res, 0)) {
		return
	}
	b.expectPanelUp(ctx, "at the default poller interval")
	show := func(prop string) string {
		return strings.TrimSpace(b.c.exec(ctx, "", "systemctl", "show", "-p", prop, "--value", u).out)
	}
	before, _ := strconv.Atoi(show("NRestarts"))
	since := time.Now()
	for i := 1; i <= kills; i++ {
		killed := time.Now()
		pid := show("MainPID")
		res := b.c.exec(ctx, "", "kill", "-KILL", pid)
		if !b.r.check(fmt.Sprintf("kill -KILL %s's game server (MainPID %s), kill %d of %d", n, pid, i, kills), codeIs(res, 0)) {
			return
		}
		err := waitFor(ctx, 20*time.Second, func() error {
			now := show("MainPID")
			got, _ := strconv.Atoi(show("NRestarts"))
			if st := b.unitState(ctx, u); st != "active" || now == "0" || now == pid || got != before+i {
				return fmt.Errorf("is-active %s, MainPID %s, NRestarts %d", st, now, got)
			}
			return nil
		})
		if !b.r.check(fmt.Sprintf("systemd restarted it (NRestarts %d)", before+i), err) {
			return
		}
		if i < kills {
			time.Sleep(time.Until(killed.Add(7 * time.Second)))
		}
	}
	want := before + kills
	var hs []historyEntry
	err := waitFor(ctx, 30*time.Second+pollSlack+5*time.Second, func() error {
		s, err := b.api.serverNamed(ctx, n)
		if err != nil {
			return err
		}
		if s.Systemd.NRestarts != want || s.ActualState != "running" {
			return fmt.Errorf("the API says %s; want running with n_restarts %d", s, want)
		}
		if hs, err = b.api.historyOf(ctx, n, since); err != nil {
			return err
		}
		counted, last := 0, 0
		for _, h := range hs {
			m := restartRow.FindStringSubmatch(h.Reason)
			if m == nil {
				continue
			}
			k := 1
			if m[1] != "" {
				k, _ = strconv.Atoi(m[1])
			}
			counted += k
			last, _ = strconv.Atoi(m[2])
			if !strings.Contains(h.Reason, "signal KILL") {
				return fmt.Errorf("a restart row without how the crash ended: %s", h)
			}
		}
		if counted != kills || last != want {
			return fmt.Errorf("the history accounts for %d restarts up to the %dth, want %d up to the %dth: %s",
				counted, last, kills, want, joinHistory(hs))
		}
		return nil
	})
	if err == nil {
		b.r.note("history of %s: %s", n, joinHistory(hs))
	}
	b.r.check(fmt.Sprintf("within a poll the history has every restart: %d in all, up to systemd's count %d, each \"signal KILL\"", kills, want), err)
}

// stoppedButEnabled: step 4, a `systemctl stop` outside the panel leaves
// the unit enabled; the panel says it will come back at the next boot.
// Then `systemctl start` puts it back.
func (b *bed) stoppedButEnabled(ctx context.Context) {
	if !b.expectExec(ctx, "systemctl stop "+unit+" (not disable)", "systemctl", "stop", unit) {
		return
	}
	s, ok := b.api.saysState(ctx, "stopped", time.Time{}, "after the outside stop")
	if ok {
		var err error
		if !s.Systemd.Enabled || !strings.Contains(s.Drift, "still enabled, will start at boot") {
			err = fmt.Errorf("systemd.enabled %v, drift %q", s.Systemd.Enabled, s.Drift)
		}
		b.r.check(fmt.Sprintf("the API says it is still enabled and will start at boot: %q", s.Drift), err)
	}
	b.expectExec(ctx, "systemctl start "+unit, "systemctl", "start", unit)
	if _, ok := b.api.saysState(ctx, "running", time.Time{}, "after the outside start"); !ok {
		res := b.c.exec(ctx, "", "journalctl", "--no-pager", "-n", "30", "-u", unit)
		b.r.note("journal of %s:\n%s", unit, res.out)
	}
}
