package fake

import (
	"hash/fnv"
	"math"
	"time"

	"github.com/left4me/left4me/hostbackend"
)

// MemoryMax is the simulated units' memory limit, the unit template's
// MemoryMax=4G.
const MemoryMax = 4 << 30

// Shapes of the simulated figures: memory settles in over memoryRamp and
// then swings by memorySwing every figurePeriod; the CPU load swings
// around its base over the same period.
const (
	figurePeriod = 10 * time.Minute
	memoryRamp   = 5 * time.Minute
	memorySwing  = 24 << 20
)

// setFigures fills in what a running unit costs, as systemd's cgroup
// accounting would report it: CPU time that grows with the time it has
// run (5 to 25 % of a core, each unit its own, swinging a little), memory
// around a few hundred MiB, about 20 tasks. The figures are a function of
// the unit's name, the time it became active and now, so a test with an
// injected clock sees exactly what it set up. A unit that does not run
// has none, as in systemd.
func setFigures(st *hostbackend.UnitStatus, since, now time.Time) {
	if st.ActiveState != "active" || st.MainPID == 0 || now.Before(since) {
		return
	}
	h := fnv.New32a()
	h.Write([]byte(st.Name))
	seed := h.Sum32()
	elapsed := now.Sub(since).Seconds()
	w := 2 * math.Pi / figurePeriod.Seconds()

	// CPU: base·t + a·(1 − cos ωt)/ω; its rate, base + a·sin ωt, stays
	// positive because a < base.
	base := 0.05 + float64(seed%21)/100
	swing := base / 2
	cpu := base*elapsed + swing*(1-math.Cos(w*elapsed))/w
	st.CPUUsageNSec = uint64(cpu * 1e9)

	// Memory: a floor of 200 to 455 MiB, 80 MiB more as the map loads
	// over memoryRamp, and a swing. The ramp never falls, so the peak is
	// the current figure until the first swing's top, then the ramp's
	// value now plus the whole swing.
	floor := float64(200<<20 + uint64((seed>>8)%256)<<20)
	ramp := float64(80<<20) * math.Min(elapsed/memoryRamp.Seconds(), 1)
	mem := floor + ramp + memorySwing*math.Sin(w*elapsed)
	peak := mem
	if elapsed >= figurePeriod.Seconds()/4 {
		peak = floor + ramp + memorySwing
	}
	st.MemoryCurrent = uint64(mem)
	st.MemoryPeak = uint64(peak)
	st.MemoryMax = MemoryMax
	st.TasksCurrent = 18 + uint64(seed>>16)%5 + uint64(elapsed/60)%3
	st.ActiveEnterTimestamp = since
}
