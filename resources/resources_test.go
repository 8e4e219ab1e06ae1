package resources_test

import (
	"math"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/resources"
)

var t0 = time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)

func running(cpu time.Duration, mem uint64, since time.Time) *hostbackend.UnitStatus {
	return &hostbackend.UnitStatus{Name: "coop-1", Known: true, ActiveState: "active", SubState: "running", MainPID: 4000,
		CPUUsageNSec: uint64(cpu), MemoryCurrent: mem, MemoryMax: 4 << 30, TasksCurrent: 20, ActiveEnterTimestamp: since, NRestarts: 1}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestCPUPercentFromTheGrowthBetweenTwoReads(t *testing.T) {
	b := resources.New(resources.Options{})
	b.Observe(1, t0, running(10*time.Second, 300<<20, t0.Add(-time.Minute)))
	f, ok := b.Figures(1)
	if !ok || f.HasCPU {
		t.Fatalf("after one read: %+v, %v; want figures without a CPU %%", f, ok)
	}
	if f.CPUSeconds != 10 || f.Memory != 300<<20 || f.Tasks != 20 || f.Restarts != 1 || f.MemoryMax != 4<<30 {
		t.Errorf("figures = %+v", f)
	}
	if got := f.Uptime(t0); got != time.Minute {
		t.Errorf("uptime = %v, want 1m", got)
	}

	// 30 s later, 6 s more CPU time: 20 % of a core.
	b.Observe(1, t0.Add(30*time.Second), running(16*time.Second, 310<<20, t0.Add(-time.Minute)))
	f, _ = b.Figures(1)
	if !f.HasCPU || !near(f.CPUPercent, 20) {
		t.Errorf("CPU = %v %%, %v; want 20 %%", f.CPUPercent, f.HasCPU)
	}

	// A read 1 s later (an event) keeps the last window's figure.
	b.Observe(1, t0.Add(31*time.Second), running(16900*time.Millisecond, 310<<20, t0.Add(-time.Minute)))
	f, _ = b.Figures(1)
	if !near(f.CPUPercent, 20) {
		t.Errorf("CPU after a read 1 s later = %v %%, want the 20 %% of the window before", f.CPUPercent)
	}
	// The window then runs from the read before it: 16 s → 19 s of CPU in 30 s.
	b.Observe(1, t0.Add(60*time.Second), running(19*time.Second, 310<<20, t0.Add(-time.Minute)))
	f, _ = b.Figures(1)
	if !near(f.CPUPercent, 10) {
		t.Errorf("CPU = %v %%, want 10 %%", f.CPUPercent)
	}

	// Two cores busy: above 100 %.
	b.Observe(1, t0.Add(70*time.Second), running(39*time.Second, 310<<20, t0.Add(-time.Minute)))
	if f, _ = b.Figures(1); !near(f.CPUPercent, 200) {
		t.Errorf("CPU = %v %%, want 200 %%", f.CPUPercent)
	}
}

func TestARestartStartsOver(t *testing.T) {
	b := resources.New(resources.Options{})
	b.Observe(1, t0, running(100*time.Second, 900<<20, t0.Add(-time.Hour)))
	b.Observe(1, t0.Add(30*time.Second), running(110*time.Second, 800<<20, t0.Add(-time.Hour)))
	f, _ := b.Figures(1)
	if f.MemoryPeak != 900<<20 {
		t.Errorf("peak = %d MiB, want the 900 MiB read before", f.MemoryPeak>>20)
	}
	// A new start: less CPU time than before, a new ActiveEnterTimestamp.
	b.Observe(1, t0.Add(60*time.Second), running(2*time.Second, 200<<20, t0.Add(55*time.Second)))
	f, _ = b.Figures(1)
	if f.HasCPU {
		t.Errorf("the first read after a restart has a CPU %%: %v", f.CPUPercent)
	}
	if f.MemoryPeak != 200<<20 {
		t.Errorf("peak after a restart = %d MiB, want 200", f.MemoryPeak>>20)
	}
	b.Observe(1, t0.Add(90*time.Second), running(5*time.Second, 250<<20, t0.Add(55*time.Second)))
	if f, _ = b.Figures(1); !near(f.CPUPercent, 10) {
		t.Errorf("CPU = %v %%, want 10 %%", f.CPUPercent)
	}
}

func TestSystemdsOwnPeakIsKept(t *testing.T) {
	b := resources.New(resources.Options{})
	u := running(time.Second, 300<<20, t0)
	u.MemoryPeak = 512 << 20
	b.Observe(1, t0, u)
	if f, _ := b.Figures(1); f.MemoryPeak != 512<<20 {
		t.Errorf("peak = %d MiB, want systemd's 512", f.MemoryPeak>>20)
	}
}

func TestAStoppedServerHasNoFiguresButKeepsItsSamples(t *testing.T) {
	b := resources.New(resources.Options{})
	b.Observe(1, t0, running(time.Second, 300<<20, t0))
	b.Observe(1, t0.Add(time.Minute), &hostbackend.UnitStatus{Name: "coop-1", Known: true, ActiveState: "inactive", SubState: "dead"})
	if f, ok := b.Figures(1); ok {
		t.Errorf("a stopped server has figures: %+v", f)
	}
	if all := b.All(); len(all) != 0 {
		t.Errorf("All = %v, want none", all)
	}
	if s := b.Samples(1, t0.Add(-time.Hour)); len(s) != 1 {
		t.Errorf("samples = %+v, want the one from when it ran", s)
	}
	// Running without accounting (every figure 0) is no figures either.
	none := running(0, 0, t0)
	none.TasksCurrent = 0
	b.Observe(2, t0, none)
	if _, ok := b.Figures(2); ok {
		t.Error("a unit without accounting has figures")
	}
}

func TestSamplesAreSpacedAndPruned(t *testing.T) {
	b := resources.New(resources.Options{})
	for i := range 200 { // 100 minutes, a read every 30 s, and one 5 s after each
		at := t0.Add(time.Duration(i) * 30 * time.Second)
		b.Observe(1, at, running(time.Duration(i)*3*time.Second, 300<<20, t0))
		b.Observe(1, at.Add(5*time.Second), running(time.Duration(i)*3*time.Second+500*time.Millisecond, 300<<20, t0))
	}
	last := t0.Add(199*30*time.Second + 5*time.Second)
	s := b.Samples(1, time.Time{})
	if len(s) == 0 || len(s) > 123 {
		t.Fatalf("%d samples kept, want at most an hour's and a minute's at one per 30 s", len(s))
	}
	if oldest := last.Sub(s[0].At); oldest > resources.DefaultRetention {
		t.Errorf("the oldest sample is %v old, more than the retention %v", oldest, resources.DefaultRetention)
	}
	for i := 1; i < len(s); i++ {
		if s[i].At.Sub(s[i-1].At) < resources.DefaultSampleEvery {
			t.Fatalf("samples %d and %d are %v apart", i-1, i, s[i].At.Sub(s[i-1].At))
		}
	}
	if got := b.Samples(1, last.Add(-10*time.Minute)); len(got) != 20 {
		t.Errorf("%d samples in the last 10 minutes, want 20", len(got))
	}
}

func TestAServerNotReadForTheRetentionIsForgotten(t *testing.T) {
	b := resources.New(resources.Options{})
	b.Observe(1, t0, running(time.Second, 300<<20, t0))
	b.Observe(2, t0, running(time.Second, 300<<20, t0))
	later := t0.Add(resources.DefaultRetention + time.Minute)
	b.Observe(2, later, running(2*time.Second, 300<<20, t0))
	if _, ok := b.Figures(1); ok {
		t.Error("server 1, deleted an hour ago, still has figures")
	}
	if s := b.Samples(1, time.Time{}); len(s) != 0 {
		t.Errorf("server 1 still has %d samples", len(s))
	}
	if _, ok := b.Figures(2); !ok {
		t.Error("server 2 lost its figures")
	}
}

func TestANilBookRecordsNothing(t *testing.T) {
	var b *resources.Book
	b.Observe(1, t0, running(time.Second, 1, t0))
	if _, ok := b.Figures(1); ok || b.All() != nil || b.Samples(1, t0) != nil {
		t.Error("a nil book has figures")
	}
}
