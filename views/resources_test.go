package views_test

import (
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/resources"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

func TestTheResourceChartsDrawAMinuteABarAndLeaveGaps(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	var samples []resources.Sample
	// Ran for the first 20 minutes of the hour, two reads a minute (the
	// first without a CPU %), stopped, and again for the last 10.
	for i := range 40 {
		samples = append(samples, resources.Sample{At: now.Add(-time.Hour + time.Duration(i)*30*time.Second),
			CPUPercent: float64(i % 30), HasCPU: i > 0, Memory: uint64(300+i) << 20, MemoryMax: 4 << 30})
	}
	for i := range 20 {
		samples = append(samples, resources.Sample{At: now.Add(-10*time.Minute + time.Duration(i)*30*time.Second),
			CPUPercent: 12, HasCPU: true, Memory: 350 << 20, MemoryMax: 4 << 30})
	}
	cpu, mem := views.ResourceCharts(samples, now)
	if len(cpu.Bars) != 30 || len(mem.Bars) != 30 {
		t.Errorf("%d CPU bars and %d memory bars, want a minute each of the 30 it ran", len(cpu.Bars), len(mem.Bars))
	}
	if !strings.Contains(cpu.Label, "peak 29 %") {
		t.Errorf("CPU label %q", cpu.Label)
	}
	if !strings.Contains(mem.Label, "peak 350.0 MiB of 4.0 GiB") {
		t.Errorf("memory label %q", mem.Label)
	}
	if mem.Cap != nil {
		t.Error("the 4 GiB limit is drawn on a chart that goes up to 500 MiB")
	}
	var ys []string
	for _, y := range append(cpu.YTicks, mem.YTicks...) {
		ys = append(ys, y.Text)
	}
	if got := strings.Join(ys, " "); got != "0 50 0 500M" {
		t.Errorf("value labels %q, want 0 50 and 0 500M", got)
	}
	var xs []string
	for _, x := range cpu.XTicks {
		xs = append(xs, x.Text)
	}
	if got := strings.Join(xs, " "); got != "−60 min −45 min −30 min −15 min now" {
		t.Errorf("time labels %q", got)
	}

	doc := renderDoc(t, views.ResourceFigures(views.ResourcesPanel{Server: store.Server{Name: "coop-1"}, Kept: true, CPU: cpu, Mem: mem}), now)
	if n := doc.Find(`svg[data-testid="cpu-chart"] [data-testid="chart-bar"]`).Length(); n != 30 {
		t.Errorf("%d CPU bars drawn, want 30", n)
	}
	if doc.Find("[style]").Length() != 0 {
		t.Error("a style attribute, which the CSP forbids")
	}

	// Close to the limit, the limit is drawn.
	_, mem = views.ResourceCharts([]resources.Sample{{At: now.Add(-time.Minute), Memory: 900 << 20, MemoryMax: 1 << 30}}, now)
	if mem.Cap == nil || mem.YTicks[len(mem.YTicks)-1].Text != "1G" {
		t.Errorf("a 1 GiB limit above 900 MiB is not drawn: %+v", mem.YTicks)
	}
}

func TestPercent(t *testing.T) {
	for in, want := range map[float64]string{0: "0.0 %", 0.44: "0.4 %", 9.94: "9.9 %", 12.4: "12 %", 130.6: "131 %"} {
		if got := views.Percent(in); got != want {
			t.Errorf("Percent(%v) = %q, want %q", in, got, want)
		}
	}
}
