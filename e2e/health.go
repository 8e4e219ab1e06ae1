package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The sudoers rule that lets left4me run the helpers, and where the
// health check keeps it while it is away (outside /etc/sudoers.d, which
// sudo reads whole).
const (
	sudoersRule  = "/etc/sudoers.d/left4me"
	sudoersAside = "/root/left4me.sudoers.away"
)

// panelHealth is the part of GET /healthz the checks read.
type panelHealth struct {
	OK       bool   `json:"ok"`
	Database string `json:"database"`
	Host     string `json:"host"`
	Reason   string `json:"reason"`
	Problems []struct {
		Part   string     `json:"part"`
		Reason string     `json:"reason"`
		Since  *time.Time `json:"since"`
	} `json:"problems"`
}

// healthz asks GET /healthz (public, no token) and returns the status,
// the report and the raw answer.
func (b *bed) healthz(ctx context.Context) (int, panelHealth, string, error) {
	var h panelHealth
	res := b.c.exec(ctx, "", "curl", "-sS", "--max-time", "5", "-w", "\n%{http_code}", panelURL+"/healthz")
	if res.code != 0 {
		return 0, h, "", fmt.Errorf("GET /healthz: %s", res)
	}
	i := strings.LastIndexByte(res.out, '\n')
	if i < 0 {
		return 0, h, res.out, fmt.Errorf("GET /healthz: no status in %q", res.out)
	}
	status, err := strconv.Atoi(strings.TrimSpace(res.out[i+1:]))
	if err != nil {
		return 0, h, res.out, fmt.Errorf("GET /healthz: no status in %q", res.out)
	}
	raw := res.out[:i]
	if err := json.Unmarshal([]byte(raw), &h); err != nil {
		return status, h, raw, fmt.Errorf("GET /healthz: %d, %v in %q", status, err, raw)
	}
	return status, h, raw, nil
}

// healthWithoutSudo: step 7, issue 9's health check. With the sudoers
// rule moved away every Show the panel runs is refused: /healthz says
// 503, not ok, host unreachable with a reason naming systemd, within two
// poller ticks; the admin's pages show the banner with sudo's words; the
// server keeps its state as the poller's rules say (kept after one failed
// tick, then unknown with the reason; wanted state untouched) while
// systemd's unit is left as it was. With the rule back, /healthz is ok
// again within two ticks, the banner is gone and the state is systemd's
// again. dbus is stopped meanwhile: the panel reads the states over the
// system bus while it is there and needs the sudo helper only without it.
func (b *bed) healthWithoutSudo(ctx context.Context) {
	before, err := b.api.server(ctx)
	if !b.r.check("GET /api/v1/servers/"+name+" before the sudoers rule goes", err) {
		return
	}
	unitBefore := b.unitState(ctx, unit)
	if !b.r.check("stop dbus, so the panel reads with the sudo helper", codeIs(b.sh(ctx, "systemctl stop dbus.socket dbus.service"), 0)) {
		return
	}
	defer func() {
		bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		b.r.check("start dbus again", codeIs(b.sh(bg, "systemctl start dbus.socket dbus.service"), 0))
	}()
	if !b.r.check("move "+sudoersRule+" away", codeIs(b.sh(ctx, "mv "+sudoersRule+" "+sudoersAside), 0)) {
		return
	}
	restored := false
	defer func() {
		if !restored { // a check below stopped early: later steps need sudo
			bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			b.r.check("put "+sudoersRule+" back", codeIs(b.sh(bg, "mv "+sudoersAside+" "+sudoersRule), 0))
		}
	}()
	res := b.asLeft4me(ctx, "sudo", "-n", systemctlHelper, "show", name)
	err = nil
	if res.code == 0 {
		err = fmt.Errorf("it ran: %s", res)
	}
	b.r.check("without the rule, left4me cannot run the helper through sudo -n", err)

	twoTicks := 2*pollInterval + pollSlack
	t := time.Now()
	err = waitFor(ctx, twoTicks, func() error {
		status, h, raw, err := b.healthz(ctx)
		if err != nil {
			return err
		}
		if status != 503 || h.OK || h.Host != "unreachable" || !strings.Contains(h.Reason, "systemd") ||
			len(h.Problems) == 0 || h.Problems[0].Part != "host" || h.Problems[0].Since == nil {
			return fmt.Errorf("GET /healthz answered %d: %s", status, strings.TrimSpace(raw))
		}
		return nil
	})
	what := fmt.Sprintf("without the rule, GET /healthz says 503, not ok, host unreachable with a reason naming systemd, within two ticks (%s)", twoTicks)
	if err == nil {
		what += fmt.Sprintf(" (took %s)", time.Since(t).Round(100*time.Millisecond))
	}
	b.r.check(what, err)

	doc, err := b.web.page(ctx, "/")
	if err == nil {
		banner := doc.Find(`[data-testid="problem-host"]`)
		detail := banner.Find(`[data-testid="problem-detail"]`).Text()
		if banner.Length() != 1 || !strings.Contains(detail, "sudo") {
			err = fmt.Errorf("%d host banners, latest error %q", banner.Length(), detail)
		}
	}
	b.r.check("the admin's dashboard shows the host banner with sudo's refusal", err)

	// The poller's rules: the first failed tick keeps the states, the
	// second in a row marks them unknown with the reason.
	var wrong error
	s, err := b.api.waitServer(ctx, twoTicks, func(s apiServer) error {
		switch {
		case s.DesiredState != before.DesiredState:
			wrong = fmt.Errorf("desired_state changed: %s", s)
		case s.ActualState == "unknown" && strings.Contains(s.StateReason, "could not ask systemd"):
			return nil
		case s.ActualState != before.ActualState:
			wrong = fmt.Errorf("neither kept (%s) nor unknown with the reason: %s", before.ActualState, s)
		}
		return fmt.Errorf("the API says %s", s)
	})
	if wrong != nil {
		err = wrong
	}
	b.r.check(fmt.Sprintf("meanwhile GET /api/v1/servers/%s answers, keeps %s, then says unknown with the reason (%q), as the poller's rules say",
		name, before.ActualState, s.StateReason), err)
	err = nil
	if got := b.unitState(ctx, unit); got != unitBefore {
		err = fmt.Errorf("systemctl is-active says %s, was %s", got, unitBefore)
	}
	b.r.check("systemd's unit is left as it was ("+unitBefore+")", err)

	back := time.Now()
	restored = b.r.check("put "+sudoersRule+" back", codeIs(b.sh(ctx, "mv "+sudoersAside+" "+sudoersRule), 0))
	if !restored {
		return
	}
	err = waitFor(ctx, twoTicks, func() error {
		status, h, raw, err := b.healthz(ctx)
		if err != nil {
			return err
		}
		if status != 200 || !h.OK || h.Host != "ok" || h.Database != "ok" || len(h.Problems) != 0 {
			return fmt.Errorf("GET /healthz answered %d: %s", status, strings.TrimSpace(raw))
		}
		return nil
	})
	what = fmt.Sprintf("with the rule back, GET /healthz is 200 and ok within two ticks (%s)", twoTicks)
	if err == nil {
		what += fmt.Sprintf(" (took %s)", time.Since(back).Round(100*time.Millisecond))
	}
	b.r.check(what, err)
	doc, err = b.web.page(ctx, "/")
	if err == nil && doc.Find(`[data-testid^="problem-"]`).Length() != 0 {
		err = fmt.Errorf("a banner is still there: %q", strings.TrimSpace(doc.Find(`[data-testid^="problem-"]`).Text()))
	}
	b.r.check("the banner is gone", err)
	b.api.saysState(ctx, before.ActualState, back, "with the sudoers rule back")
}
