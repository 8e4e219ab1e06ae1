package main

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
)

// The most systemd-analyze security may say of the units, as loaded by
// systemd 252 in the container (deploy/README.md has the history). The
// web unit is as hardened as sudo allows (its comments say what breaks
// sudo); a higher score means a line went away.
var maxExposure = []struct {
	unit string
	max  float64
}{
	{"left4me-web.service", 6.0},
	{unit, 3.9},
}

// exposure matches systemd-analyze security's last line for a unit.
var exposure = regexp.MustCompile(`Overall exposure level for (\S+): ([0-9]+\.[0-9]) (\S+)`)

// securityScores prints systemd-analyze security's overall exposure of
// both units and fails when one is above maxExposure.
func (b *bed) securityScores(ctx context.Context) {
	for _, m := range maxExposure {
		res := b.c.exec(ctx, "", "systemd-analyze", "security", "--no-pager", m.unit)
		err := codeIs(res, 0)
		var got []string
		if err == nil {
			if got = exposure.FindStringSubmatch(res.out); got == nil || got[1] != m.unit {
				err = fmt.Errorf("no overall exposure level for %s in:\n%s", m.unit, res.out)
			}
		}
		if err == nil {
			b.r.note("systemd-analyze security %s: %s %s", m.unit, got[2], got[3])
			if score, _ := strconv.ParseFloat(got[2], 64); score > m.max {
				err = fmt.Errorf("exposure %s %s is above %.1f: a hardening line is gone\n%s", got[2], got[3], m.max, res.out)
			}
		}
		b.r.check(fmt.Sprintf("systemd-analyze security %s: overall exposure at most %.1f", m.unit, m.max), err)
	}
}
