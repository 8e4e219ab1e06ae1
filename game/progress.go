package game

import (
	"regexp"
	"strconv"
	"strings"
)

// Progress is one progress report of steamcmd, as in
//
//	Update state (0x61) downloading, progress: 4.11 (30315518 / 738158916)
type Progress struct {
	// State is steamcmd's state number (0x61 above).
	State uint64
	// Phase is the word steamcmd gives the state ("downloading",
	// "validating", "preallocating", "committing", "reconfiguring", or any
	// other it prints).
	Phase string
	// Percent is the percent of this phase, 0 to 100.
	Percent float64
	// Done and Total are the bytes done and the bytes this phase handles;
	// both 0 when steamcmd does not know yet (0 / 0).
	Done, Total int64
	// Pass and Passes say which steamcmd run of an operation this report
	// comes from (1 of 2 for the first pass of the two-pass strategy); 0
	// from ParseProgress, which sees one line only.
	Pass, Passes int
}

// progressLine matches steamcmd's progress lines. "App state" is the older
// client's wording; some locales print the percent with a decimal comma.
var progressLine = regexp.MustCompile(`(?:Update|App) state \(0x([0-9a-fA-F]+)\) ([^,]*), progress: ([0-9]+(?:[.,][0-9]+)?) \(([0-9]+) / ([0-9]+)\)`)

// ParseProgress reads one line of steamcmd output. It reports false when
// the line is not a progress line. Unknown states are parsed like known
// ones: their word is whatever steamcmd printed.
func ParseProgress(line string) (Progress, bool) {
	m := progressLine.FindStringSubmatch(line)
	if m == nil {
		return Progress{}, false
	}
	state, err := strconv.ParseUint(m[1], 16, 64)
	if err != nil {
		return Progress{}, false
	}
	pct, err := strconv.ParseFloat(strings.Replace(m[3], ",", ".", 1), 64)
	if err != nil {
		return Progress{}, false
	}
	done, err1 := strconv.ParseInt(m[4], 10, 64)
	total, err2 := strconv.ParseInt(m[5], 10, 64)
	if err1 != nil || err2 != nil {
		return Progress{}, false
	}
	phase := strings.TrimSpace(m[2])
	if phase == "" {
		phase = "working"
	}
	return Progress{State: state, Phase: phase, Percent: pct, Done: done, Total: total}, true
}
