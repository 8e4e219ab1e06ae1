package fake_test

import (
	"context"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/fake"
)

func TestFiguresOfARunningUnit(t *testing.T) {
	ctx := context.Background()
	b, c := newClocked(t)
	if err := b.Enable(ctx, "coop-1", nil); err != nil {
		t.Fatal(err)
	}
	starting := mustState(t, b, "coop-1", hostbackend.StateStarting)
	if starting.CPUUsageNSec != 0 || starting.MemoryCurrent != 0 || starting.TasksCurrent != 0 {
		t.Errorf("a starting unit has figures: %+v", starting)
	}
	c.Add(2 * time.Second)
	began := c.Now()
	prev := mustState(t, b, "coop-1", hostbackend.StateRunning)
	if !prev.ActiveEnterTimestamp.Equal(began) {
		t.Errorf("ActiveEnterTimestamp = %v, want %v", prev.ActiveEnterTimestamp, began)
	}
	var peak uint64
	for i := range 60 { // an hour, a minute at a time
		c.Add(time.Minute)
		st := mustState(t, b, "coop-1", hostbackend.StateRunning)
		if st.CPUUsageNSec <= prev.CPUUsageNSec {
			t.Fatalf("minute %d: CPU time %d did not grow from %d", i+1, st.CPUUsageNSec, prev.CPUUsageNSec)
		}
		share := float64(st.CPUUsageNSec-prev.CPUUsageNSec) / float64(time.Minute)
		if share <= 0 || share > 0.5 {
			t.Errorf("minute %d: %.3f of a core", i+1, share)
		}
		if st.MemoryCurrent < 150<<20 || st.MemoryCurrent > 700<<20 {
			t.Errorf("minute %d: memory %d MiB, want a few hundred", i+1, st.MemoryCurrent>>20)
		}
		if st.MemoryPeak < st.MemoryCurrent || st.MemoryPeak < peak {
			t.Errorf("minute %d: peak %d below the memory %d or the peak before, %d", i+1, st.MemoryPeak, st.MemoryCurrent, peak)
		}
		peak = st.MemoryPeak
		if st.MemoryMax != fake.MemoryMax {
			t.Errorf("MemoryMax = %d, want %d", st.MemoryMax, fake.MemoryMax)
		}
		if st.TasksCurrent < 15 || st.TasksCurrent > 30 {
			t.Errorf("minute %d: %d tasks, want about 20", i+1, st.TasksCurrent)
		}
		if !st.ActiveEnterTimestamp.Equal(began) {
			t.Errorf("minute %d: ActiveEnterTimestamp moved to %v", i+1, st.ActiveEnterTimestamp)
		}
		prev = st
	}

	if err := b.Disable(ctx, "coop-1", nil); err != nil {
		t.Fatal(err)
	}
	stopped := mustState(t, b, "coop-1", hostbackend.StateStopped)
	if stopped.CPUUsageNSec != 0 || stopped.MemoryCurrent != 0 || stopped.MemoryPeak != 0 || stopped.TasksCurrent != 0 {
		t.Errorf("a stopped unit has figures: %+v", stopped)
	}

	// A start begins the figures again.
	if err := b.Enable(ctx, "coop-1", nil); err != nil {
		t.Fatal(err)
	}
	c.Add(2*time.Second + time.Minute)
	again := mustState(t, b, "coop-1", hostbackend.StateRunning)
	if again.CPUUsageNSec == 0 || again.CPUUsageNSec >= prev.CPUUsageNSec {
		t.Errorf("after a new start the CPU time is %d, want above 0 and below the %d before", again.CPUUsageNSec, prev.CPUUsageNSec)
	}
}

func TestFiguresDifferByUnit(t *testing.T) {
	b, c := newClocked(t)
	b.ExternalEnable("a")
	b.ExternalEnable("b")
	c.Add(2*time.Second + 10*time.Minute)
	sa := mustState(t, b, "a", hostbackend.StateRunning)
	sb := mustState(t, b, "b", hostbackend.StateRunning)
	if sa.CPUUsageNSec == sb.CPUUsageNSec && sa.MemoryCurrent == sb.MemoryCurrent {
		t.Errorf("two units cost exactly the same: %+v and %+v", sa, sb)
	}
}
