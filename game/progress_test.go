package game

import "testing"

func TestParseProgress(t *testing.T) {
	for _, tt := range []struct {
		name   string
		line   string
		want   Progress
		wantOK bool
	}{
		{"downloading", " Update state (0x61) downloading, progress: 4.11 (30315518 / 738158916)",
			Progress{State: 0x61, Phase: "downloading", Percent: 4.11, Done: 30315518, Total: 738158916}, true},
		{"reconfiguring with nothing known yet", " Update state (0x3) reconfiguring, progress: 0.00 (0 / 0)",
			Progress{State: 0x3, Phase: "reconfiguring"}, true},
		{"validating", " Update state (0x5) validating, progress: 6.32 (4194304 / 66393331)",
			Progress{State: 0x5, Phase: "validating", Percent: 6.32, Done: 4194304, Total: 66393331}, true},
		{"preallocating", " Update state (0x11) preallocating, progress: 33.46 (843614827 / 2521022188)",
			Progress{State: 0x11, Phase: "preallocating", Percent: 33.46, Done: 843614827, Total: 2521022188}, true},
		{"committing", " Update state (0x81) committing, progress: 99.87 (737199000 / 738158916)",
			Progress{State: 0x81, Phase: "committing", Percent: 99.87, Done: 737199000, Total: 738158916}, true},
		{"an unknown state keeps its word", " Update state (0x161) stopping, progress: 0.04 (2098892 / 5823303176)",
			Progress{State: 0x161, Phase: "stopping", Percent: 0.04, Done: 2098892, Total: 5823303176}, true},
		{"a word of two", " Update state (0x101) verifying install, progress: 50.00 (5 / 10)",
			Progress{State: 0x101, Phase: "verifying install", Percent: 50, Done: 5, Total: 10}, true},
		{"a decimal comma", "    Update state (0x61) downloading, progress: 0,02 (1050316 / 5823303176)",
			Progress{State: 0x61, Phase: "downloading", Percent: 0.02, Done: 1050316, Total: 5823303176}, true},
		{"the older client's App state", " App state (0x300502) downloading, progress: 69.75 (29006086 / 41586625)",
			Progress{State: 0x300502, Phase: "downloading", Percent: 69.75, Done: 29006086, Total: 41586625}, true},
		{"a prefix from a log", "23:21:53.0158 [INFO] SteamCMD:  Update state (0x61) downloading, progress: 55.35 (1046327152 / 1890327357)",
			Progress{State: 0x61, Phase: "downloading", Percent: 55.35, Done: 1046327152, Total: 1890327357}, true},
		{"sizes past 4 GiB", " Update state (0x61) downloading, progress: 38.54 (13376806681 / 34705746562)",
			Progress{State: 0x61, Phase: "downloading", Percent: 38.54, Done: 13376806681, Total: 34705746562}, true},
		{"the error line after a job is no progress", "Error! App '222860' state is 0x202 after update job.", Progress{}, false},
		{"the success line is no progress", "Success! App '222860' fully installed.", Progress{}, false},
		{"a cut-off line is no progress", " Update state (0x61) downloading, progress: 4.11 (30315518", Progress{}, false},
		{"a bootstrap line is no progress", "[  0%] Checking for available updates...", Progress{}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseProgress(tt.line)
			equal(t, "ok", ok, tt.wantOK)
			equal(t, "progress", got, tt.want)
		})
	}
}
