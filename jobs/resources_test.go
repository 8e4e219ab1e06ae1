package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend/fake"
	"github.com/left4me/left4me/store/storetest"
)

func TestThePollerKeepsEachRunningServersFigures(t *testing.T) {
	clk := newClock()
	e := newEnv(t, fake.Options{Now: clk.Now})
	up := storetest.Server(t, e.db, "up", 27015)
	down := storetest.Server(t, e.db, "down", 27016)
	e.fake.ExternalEnable("up")
	p := newPoller(e, nil, clk.Now)
	ctx := context.Background()

	if err := p.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	f, ok := p.Resources().Figures(up.ID)
	if !ok || f.Memory == 0 || f.Tasks == 0 || f.MemoryMax != fake.MemoryMax || f.HasCPU {
		t.Fatalf("after the first tick: %+v, %v; want memory, tasks, the limit and no CPU %% yet", f, ok)
	}
	if _, ok := p.Resources().Figures(down.ID); ok {
		t.Error("a stopped server has figures")
	}

	clk.Advance(30 * time.Second)
	if err := p.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	g, _ := p.Resources().Figures(up.ID)
	want := 100 * (g.CPUSeconds - f.CPUSeconds) / 30
	if !g.HasCPU || g.CPUPercent <= 0 || g.CPUPercent-want > 1e-6 || want-g.CPUPercent > 1e-6 {
		t.Errorf("CPU after the second tick = %v %% (%v), want %v %%", g.CPUPercent, g.HasCPU, want)
	}

	// A look (the watch loop's way in) records too.
	clk.Advance(30 * time.Second)
	if err := p.Look(ctx, up.ID); err != nil {
		t.Fatal(err)
	}
	if h, _ := p.Resources().Figures(up.ID); !h.At.Equal(clk.Now()) {
		t.Errorf("figures read at %v after a look, want %v", h.At, clk.Now())
	}
	if n := len(p.Resources().Samples(up.ID, time.Time{})); n != 3 {
		t.Errorf("%d samples, want 3", n)
	}
}
