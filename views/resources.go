package views

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/left4me/left4me/internal/bytesize"
	"github.com/left4me/left4me/resources"
	"github.com/left4me/left4me/store"
)

// ResourceRange is the span of the server page's CPU and memory charts:
// the hour the panel keeps (resources.DefaultRetention), a bar a minute.
var ResourceRange = ChartRange{Key: "1h", Name: "1 h", Span: time.Hour, Bucket: time.Minute, Tick: 15 * time.Minute}

// ResourcesPanel is the server page's resources section: the figures as
// last read (nil when the server does not run or was not read since it
// started) and the hour's charts.
type ResourcesPanel struct {
	Server  store.Server
	Figures *resources.Figures
	// Kept is false when nothing reads the figures (no job workers, so
	// no poller): the section says so.
	Kept     bool
	CPU, Mem Chart
}

// NewResourcesPanel draws server s's section from its figures and its
// samples of the last hour.
func NewResourcesPanel(s store.Server, f *resources.Figures, samples []resources.Sample, kept bool, now time.Time) ResourcesPanel {
	p := ResourcesPanel{Server: s, Figures: f, Kept: kept}
	p.CPU, p.Mem = ResourceCharts(samples, now)
	return p
}

// ResourceCharts draws the CPU and the memory chart of samples (oldest
// first) over the ResourceRange before now: in each minute, the highest
// CPU % and memory read; a minute without a read is a gap.
func ResourceCharts(samples []resources.Sample, now time.Time) (cpu, mem Chart) {
	r := ResourceRange
	type bucket struct {
		start  time.Time
		cpu    float64
		hasCPU bool
		mem    uint64
	}
	var buckets []bucket
	var peakCPU float64
	var peakMem, limit uint64
	for _, s := range samples {
		start := s.At.Truncate(r.Bucket)
		if n := len(buckets); n == 0 || !buckets[n-1].start.Equal(start) {
			buckets = append(buckets, bucket{start: start})
		}
		b := &buckets[len(buckets)-1]
		if s.HasCPU {
			b.cpu, b.hasCPU = max(b.cpu, s.CPUPercent), true
			peakCPU = max(peakCPU, s.CPUPercent)
		}
		b.mem = max(b.mem, s.Memory)
		peakMem = max(peakMem, s.Memory)
		limit = max(limit, s.MemoryMax)
	}

	cpu = Chart{Range: r}
	cpuTop := niceCeil(max(peakCPU, 10))
	cpuBars := make([]chartBar, 0, len(buckets))
	for _, b := range buckets {
		if b.hasCPU { // the first read after a start has none
			cpuBars = append(cpuBars, chartBar{start: b.start, value: b.cpu, title: bucketTime(b.start, r) + ": " + Percent(b.cpu) + " CPU"})
		}
	}
	cpu.plot(cpuBars, cpuTop, now)
	cpu.YTicks = append(cpu.YTicks, ChartText{X: num(chartLeft - 6), Y: num(chartTop), Text: strconv.FormatFloat(cpuTop, 'f', -1, 64)})
	cpu.Label = "CPU over the last " + r.Name + ", % of one core: "
	if len(buckets) == 0 {
		cpu.Label += "not running"
	} else {
		cpu.Label += "peak " + Percent(peakCPU)
	}

	mem = Chart{Range: r}
	memTop := niceCeil(max(float64(peakMem)/(1<<20), 64)) * (1 << 20)
	if limit > 0 && float64(limit) <= 1.5*memTop { // near enough to draw
		memTop = max(memTop, float64(limit))
	}
	memBars := make([]chartBar, len(buckets))
	for i, b := range buckets {
		memBars[i] = chartBar{start: b.start, value: float64(b.mem), title: bucketTime(b.start, r) + ": " + Bytes(b.mem)}
	}
	mem.plot(memBars, memTop, now)
	if limit > 0 && float64(limit) <= memTop {
		mem.capAt(float64(limit), memTop, shortBytes(limit))
	} else {
		mem.YTicks = append(mem.YTicks, ChartText{X: num(chartLeft - 6), Y: num(chartTop), Text: shortBytes(uint64(memTop))})
	}
	mem.Label = "Memory over the last " + r.Name + ": "
	switch {
	case len(buckets) == 0:
		mem.Label += "not running"
	case limit > 0:
		mem.Label += "peak " + Bytes(peakMem) + " of " + Bytes(limit)
	default:
		mem.Label += "peak " + Bytes(peakMem) + ", no limit"
	}
	return cpu, mem
}

// niceCeil is the least of 1, 2, 5, 10, 20, 50 … not below v (v > 0).
func niceCeil(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v*(1-1e-12) {
			return m * p
		}
	}
	return 10 * p
}

// Percent writes a CPU share: "0.4 %", "12 %", "130 %".
func Percent(p float64) string {
	if p < 10 {
		return strconv.FormatFloat(p, 'f', 1, 64) + " %"
	}
	return strconv.FormatFloat(math.Round(p), 'f', 0, 64) + " %"
}

// Bytes writes an amount of memory: "312.0 MiB".
func Bytes(n uint64) string { return bytesize.Format(int64(min(n, math.MaxInt64))) }

// shortBytes labels a value axis: "500M", "4G".
func shortBytes(n uint64) string {
	if n >= 1<<30 && n%(1<<30) == 0 {
		return fmt.Sprintf("%dG", n>>30)
	}
	return fmt.Sprintf("%dM", n>>20)
}

// CPUText is a server's CPU figure: its percent, or "–" before the
// second read.
func CPUText(f *resources.Figures) string {
	if f == nil || !f.HasCPU {
		return "–"
	}
	return Percent(f.CPUPercent)
}

// MemoryText is a server's memory against its limit: "312.0 MiB of
// 4.0 GiB (8 %)", or without a limit "312.0 MiB".
func MemoryText(f *resources.Figures) string {
	if f.MemoryMax == 0 {
		return Bytes(f.Memory)
	}
	return fmt.Sprintf("%s of %s (%.0f %%)", Bytes(f.Memory), Bytes(f.MemoryMax), f.MemoryShare())
}
