package sudo

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/left4me/left4me/hostbackend"
)

// parseShow reads the output of
//
//	systemctl show --timestamp=unix --property=Id,LoadState,... UNIT...
//
// for the units of names: one block of Key=Value lines per unit, blocks
// separated by empty lines. Blocks are matched to names by their Id, not
// by position. It returns one status per name, in the order of names; a
// name with no block, or whose block says LoadState=not-found, is not
// Known. Keys it does not use are ignored.
func parseShow(lines []string, names []string) ([]hostbackend.UnitStatus, error) {
	want := make(map[string]int, len(names)) // unit name → index in names
	for i, n := range names {
		want[hostbackend.UnitName(n)] = i
	}
	found := make([]*hostbackend.UnitStatus, len(names))

	block := map[string]string{}
	start := 0 // line number (1-based) where block started
	finish := func() error {
		if len(block) == 0 {
			return nil
		}
		defer clear(block)
		id, ok := block["Id"]
		if !ok {
			return fmt.Errorf("the block at line %d has no Id", start)
		}
		i, ok := want[id]
		if !ok {
			return fmt.Errorf("the block at line %d is for unit %q, which was not asked for", start, id)
		}
		st, err := unitStatus(names[i], block)
		if err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
		found[i] = &st
		return nil
	}
	for n, line := range lines {
		if strings.TrimSpace(line) == "" {
			if err := finish(); err != nil {
				return nil, err
			}
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok || key == "" || strings.ContainsAny(key, " \t") {
			return nil, fmt.Errorf("line %d is not Key=Value: %.80q", n+1, line)
		}
		if len(block) == 0 {
			start = n + 1
		}
		if _, dup := block[key]; dup {
			return nil, fmt.Errorf("line %d repeats %s within one unit's block (missing empty line between units?)", n+1, key)
		}
		block[key] = value
	}
	if err := finish(); err != nil {
		return nil, err
	}

	result := make([]hostbackend.UnitStatus, len(names))
	for i, n := range names {
		if found[i] != nil {
			result[i] = *found[i]
		} else {
			result[i] = hostbackend.UnitStatus{Name: n}
		}
	}
	return result, nil
}

// unitStatus builds one status from one block of properties.
func unitStatus(name string, p map[string]string) (hostbackend.UnitStatus, error) {
	st := hostbackend.UnitStatus{Name: name}
	load, ok := p["LoadState"]
	if !ok {
		return st, fmt.Errorf("no LoadState")
	}
	if load == "not-found" {
		return st, nil
	}
	st.Known = true
	st.ActiveState = p["ActiveState"]
	st.SubState = p["SubState"]
	st.Result = p["Result"]
	if st.ActiveState == "" {
		return st, fmt.Errorf("no ActiveState")
	}
	var err error
	if st.NRestarts, err = intProperty(p, "NRestarts"); err != nil {
		return st, err
	}
	if st.MainPID, err = intProperty(p, "MainPID"); err != nil {
		return st, err
	}
	// enabled-runtime and the like do not survive a reboot.
	st.Enabled = p["UnitFileState"] == "enabled"
	if st.Since, err = unixTimestamp(p["StateChangeTimestamp"]); err != nil {
		return st, fmt.Errorf("StateChangeTimestamp: %w", err)
	}
	if st.ActiveEnterTimestamp, err = unixTimestamp(p["ActiveEnterTimestamp"]); err != nil {
		return st, fmt.Errorf("ActiveEnterTimestamp: %w", err)
	}
	for _, f := range []struct {
		key string
		to  *uint64
	}{
		{"CPUUsageNSec", &st.CPUUsageNSec},
		{"MemoryCurrent", &st.MemoryCurrent},
		{"MemoryPeak", &st.MemoryPeak},
		{"MemoryMax", &st.MemoryMax},
		{"TasksCurrent", &st.TasksCurrent},
	} {
		if *f.to, err = figureProperty(p, f.key); err != nil {
			return st, err
		}
	}
	return st, nil
}

// figureProperty parses a resource figure: a non-negative integer, or
// none (0) when absent, empty, "[not set]" (no accounting, or the unit
// does not run), "infinity" (MemoryMax without a limit) or the uint64
// maximum systemd uses for "unset".
func figureProperty(p map[string]string, key string) (uint64, error) {
	switch v := p[key]; v {
	case "", "[not set]", "infinity":
		return 0, nil
	default:
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s=%.40q is not a non-negative integer", key, v)
		}
		if n == math.MaxUint64 {
			return 0, nil
		}
		return n, nil
	}
}

// intProperty parses a non-negative integer property; absent or empty is 0.
func intProperty(p map[string]string, key string) (int, error) {
	v := p[key]
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s=%.40q is not a non-negative integer", key, v)
	}
	return n, nil
}

// unixTimestamp parses systemd's --timestamp=unix form, "@SECONDS" (with
// an optional fraction). Empty, "n/a" and "@0" mean never: the zero time.
func unixTimestamp(v string) (time.Time, error) {
	if v == "" || v == "n/a" {
		return time.Time{}, nil
	}
	digits, ok := strings.CutPrefix(v, "@")
	if !ok {
		return time.Time{}, fmt.Errorf("%.40q is not @UNIX-SECONDS (is --timestamp=unix missing?)", v)
	}
	secText, fracText, hasFrac := strings.Cut(digits, ".")
	sec, err := strconv.ParseInt(secText, 10, 64)
	if err != nil || sec < 0 {
		return time.Time{}, fmt.Errorf("%.40q is not @UNIX-SECONDS", v)
	}
	var nsec int64
	if hasFrac {
		if fracText == "" || len(fracText) > 9 || strings.Trim(fracText, "0123456789") != "" {
			return time.Time{}, fmt.Errorf("%.40q has a malformed fraction", v)
		}
		nsec, _ = strconv.ParseInt((fracText + "000000000")[:9], 10, 64)
	}
	if sec == 0 && nsec == 0 {
		return time.Time{}, nil
	}
	return time.Unix(sec, nsec).UTC(), nil
}
