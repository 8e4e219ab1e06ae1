package buildinfo

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestFormat(t *testing.T) {
	tests := []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{
			name: "a build from a checkout with changes names the commit and says so",
			bi: debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
				{Key: "vcs.revision", Value: "89dda10f00dcafe0123456789abcdef012345678"},
				{Key: "vcs.time", Value: "2026-11-30T08:00:00Z"},
				{Key: "vcs.modified", Value: "true"},
			}},
			want: "l4d2ctl (devel) commit 89dda10f00dc+changes 2026-11-30T08:00:00Z go1.26.0",
		},
		{
			name: "a tagged module without version control information",
			bi:   debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.3"}},
			want: "l4d2ctl v1.2.3 go1.26.0",
		},
		{
			name: "no version at all still says the program",
			bi:   debug.BuildInfo{},
			want: "l4d2ctl (unknown version)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := format("l4d2ctl", &tt.bi); got != tt.want {
				t.Errorf("format = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestVersionOfTheTestBinary(t *testing.T) {
	if got := Version("left4me"); !strings.HasPrefix(got, "left4me ") || !strings.Contains(got, "go1.") {
		t.Errorf("Version = %q, want the program and the Go version", got)
	}
}
