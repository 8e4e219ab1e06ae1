package sudo

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
)

func TestParseShow(t *testing.T) {
	const (
		running = `Result=success
NRestarts=2
MainPID=4242
Id=left4me-server@coop-1.service
LoadState=loaded
ActiveState=active
SubState=running
StateChangeTimestamp=@1732565804`
		crashing = `Id=left4me-server@versus.service
Names=left4me-server@versus.service
LoadState=loaded
ActiveState=activating
SubState=auto-restart
Result=exit-code
NRestarts=7
MainPID=0
StateChangeTimestamp=@1732565900`
		neverStarted = `Result=success
NRestarts=0
MainPID=0
Id=left4me-server@fresh.service
LoadState=loaded
ActiveState=inactive
SubState=dead
StateChangeTimestamp=`
		notFound = `Id=left4me-server@gone.service
LoadState=not-found
ActiveState=inactive
SubState=dead
StateChangeTimestamp=n/a`
	)
	tests := []struct {
		name    string
		output  string
		names   []string
		want    []hostbackend.UnitStatus
		wantErr string
	}{
		{
			name:   "several units come back in the order asked, not the order printed",
			output: running + "\n\n" + crashing + "\n\n" + neverStarted + "\n",
			names:  []string{"fresh", "coop-1", "versus"},
			want: []hostbackend.UnitStatus{
				{Name: "fresh", Known: true, ActiveState: "inactive", SubState: "dead", Result: "success"},
				{Name: "coop-1", Known: true, ActiveState: "active", SubState: "running", Result: "success",
					NRestarts: 2, MainPID: 4242, Since: time.Unix(1732565804, 0).UTC()},
				{Name: "versus", Known: true, ActiveState: "activating", SubState: "auto-restart", Result: "exit-code",
					NRestarts: 7, Since: time.Unix(1732565900, 0).UTC()},
			},
		},
		{
			name:   "a not-found unit is not known",
			output: notFound + "\n",
			names:  []string{"gone"},
			want:   []hostbackend.UnitStatus{{Name: "gone"}},
		},
		{
			name:   "a unit with no block is not known",
			output: running + "\n",
			names:  []string{"coop-1", "missing"},
			want: []hostbackend.UnitStatus{
				{Name: "coop-1", Known: true, ActiveState: "active", SubState: "running", Result: "success",
					NRestarts: 2, MainPID: 4242, Since: time.Unix(1732565804, 0).UTC()},
				{Name: "missing"},
			},
		},
		{
			name:   "empty output means no unit is known",
			output: "",
			names:  []string{"a"},
			want:   []hostbackend.UnitStatus{{Name: "a"}},
		},
		{
			name:   "extra empty lines and unknown keys are ignored",
			output: "\n\n" + neverStarted + "\nFutureKey=x=y\n\n\n",
			names:  []string{"fresh"},
			want:   []hostbackend.UnitStatus{{Name: "fresh", Known: true, ActiveState: "inactive", SubState: "dead", Result: "success"}},
		},
		{
			name:   "a fractional timestamp keeps its fraction",
			output: strings.Replace(running, "@1732565804", "@1732565804.25", 1),
			names:  []string{"coop-1"},
			want: []hostbackend.UnitStatus{{Name: "coop-1", Known: true, ActiveState: "active", SubState: "running",
				Result: "success", NRestarts: 2, MainPID: 4242, Since: time.Unix(1732565804, 250_000_000).UTC()}},
		},
		{
			name: "a running unit's figures are read; none, [not set] and infinity are 0",
			output: running + "\nActiveEnterTimestamp=@1732565800.5\nCPUUsageNSec=12500000000\nMemoryCurrent=314572800" +
				"\nMemoryPeak=335544320\nMemoryMax=4294967296\nTasksCurrent=21\n\n" +
				neverStarted + "\nActiveEnterTimestamp=n/a\nCPUUsageNSec=[not set]\nMemoryCurrent=[not set]" +
				"\nMemoryMax=infinity\nTasksCurrent=18446744073709551615\n",
			names: []string{"coop-1", "fresh"},
			want: []hostbackend.UnitStatus{
				{Name: "coop-1", Known: true, ActiveState: "active", SubState: "running", Result: "success",
					NRestarts: 2, MainPID: 4242, Since: time.Unix(1732565804, 0).UTC(),
					ActiveEnterTimestamp: time.Unix(1732565800, 500_000_000).UTC(), CPUUsageNSec: 12_500_000_000,
					MemoryCurrent: 300 << 20, MemoryPeak: 320 << 20, MemoryMax: 4 << 30, TasksCurrent: 21},
				{Name: "fresh", Known: true, ActiveState: "inactive", SubState: "dead", Result: "success"},
			},
		},
		{
			name:    "a figure that is no number is refused",
			output:  running + "\nMemoryCurrent=300M",
			names:   []string{"coop-1"},
			wantErr: `MemoryCurrent="300M" is not a non-negative integer`,
		},
		{
			name:    "a negative figure is refused",
			output:  running + "\nCPUUsageNSec=-1",
			names:   []string{"coop-1"},
			wantErr: `CPUUsageNSec="-1" is not a non-negative integer`,
		},
		{
			name:    "an ActiveEnterTimestamp not in unix form is refused",
			output:  running + "\nActiveEnterTimestamp=Mon 2024-11-25 20:16:44 UTC",
			names:   []string{"coop-1"},
			wantErr: "ActiveEnterTimestamp",
		},
		{
			name:    "garbage is refused",
			output:  "Failed to connect to bus: No such file or directory\n",
			names:   []string{"a"},
			wantErr: "line 1 is not Key=Value",
		},
		{
			name:    "a block without an Id is refused",
			output:  "LoadState=loaded\nActiveState=active\n",
			names:   []string{"a"},
			wantErr: "has no Id",
		},
		{
			name:    "a block for a unit nobody asked for is refused",
			output:  running,
			names:   []string{"other"},
			wantErr: `unit "left4me-server@coop-1.service", which was not asked for`,
		},
		{
			name:    "two blocks without an empty line between them are refused",
			output:  running + "\n" + crashing,
			names:   []string{"coop-1", "versus"},
			wantErr: "line 9 repeats Id",
		},
		{
			name:    "a non-numeric NRestarts is refused",
			output:  strings.Replace(running, "NRestarts=2", "NRestarts=two", 1),
			names:   []string{"coop-1"},
			wantErr: "NRestarts=\"two\" is not a non-negative integer",
		},
		{
			name:    "a timestamp not in unix form is refused",
			output:  strings.Replace(running, "@1732565804", "Mon 2024-11-25 20:16:44 UTC", 1),
			names:   []string{"coop-1"},
			wantErr: "StateChangeTimestamp",
		},
		{
			name:    "a known unit without ActiveState is refused",
			output:  "Id=left4me-server@a.service\nLoadState=loaded\n",
			names:   []string{"a"},
			wantErr: "no ActiveState",
		},
		{
			name:    "a block without LoadState is refused",
			output:  "Id=left4me-server@a.service\nActiveState=active\n",
			names:   []string{"a"},
			wantErr: "no LoadState",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseShow(strings.Split(tt.output, "\n"), tt.names)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseShow error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseShow: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("parseShow =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestUnixTimestamp(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{in: "", want: time.Time{}},
		{in: "n/a", want: time.Time{}},
		{in: "@0", want: time.Time{}},
		{in: "@1732565804", want: time.Unix(1732565804, 0).UTC()},
		{in: "@1732565804.000001", want: time.Unix(1732565804, 1000).UTC()},
		{in: "1732565804", wantErr: true},
		{in: "@", wantErr: true},
		{in: "@-5", wantErr: true},
		{in: "@12.", wantErr: true},
		{in: "@12.x", wantErr: true},
		{in: "@12.1234567890", wantErr: true},
	}
	for _, tt := range tests {
		got, err := unixTimestamp(tt.in)
		if (err != nil) != tt.wantErr || !got.Equal(tt.want) {
			t.Errorf("unixTimestamp(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// BenchmarkParseShow200 is the Go side of BenchmarkShow200: parsing the
// output for 200 units, without any process.
func BenchmarkParseShow200(b *testing.B) {
	names := make([]string, 200)
	var lines []string
	for i := range names {
		names[i] = "srv-" + strconv.Itoa(i)
		if i > 0 {
			lines = append(lines, "")
		}
		lines = append(lines,
			"Result=success", "NRestarts=0", "MainPID=1000",
			"Id=left4me-server@"+names[i]+".service", "LoadState=loaded",
			"ActiveState=active", "SubState=running", "StateChangeTimestamp=@1732565804")
	}
	for b.Loop() {
		if _, err := parseShow(lines, names); err != nil {
			b.Fatal(err)
		}
	}
}
