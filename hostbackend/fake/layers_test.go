package fake_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/fake"
)

func layeredSpec() hostbackend.InstanceSpec {
	return hostbackend.InstanceSpec{Name: "coop-1", Port: 27015, Build: "16400001",
		Sets: []hostbackend.LayerSet{{Name: "maps", Rev: 1}}}
}

// TestSimulatedSrcdsWritesIntoTheWritableLayer: as srcds after "log on",
// each start of an instance on layers writes a new log into its writable
// layer, which keeps them across restarts until a reset; an instance
// without a build writes nothing there.
func TestSimulatedSrcdsWritesIntoTheWritableLayer(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, root := range []string{"", "state root"} {
		t.Run("with "+map[string]string{"": "the layer in memory", "state root": "a state root"}[root], func(t *testing.T) {
			opts := fake.Options{Now: func() time.Time { return now }}
			if root != "" {
				opts.StateRoot = t.TempDir()
			}
			b := fake.New(opts)
			if err := b.Provision(ctx, layeredSpec()); err != nil {
				t.Fatal(err)
			}
			plain := hostbackend.InstanceSpec{Name: "plain-1", Port: 27016}
			if err := b.Provision(ctx, plain); err != nil {
				t.Fatal(err)
			}
			for _, n := range []string{"coop-1", "plain-1"} {
				if err := b.Enable(ctx, n, nil); err != nil {
					t.Fatal(err)
				}
			}
			if err := b.Restart(ctx, "coop-1", nil); err != nil {
				t.Fatal(err)
			}
			w, err := b.WritableLayer(ctx, "coop-1")
			if err != nil {
				t.Fatal(err)
			}
			var paths []string
			for _, f := range w.List {
				paths = append(paths, f.Path)
				if f.Bytes == 0 {
					t.Errorf("%s is empty", f.Path)
				}
			}
			want := []string{"left4dead2/logs/L1130000.log", "left4dead2/logs/L1130001.log"}
			if strings.Join(paths, " ") != strings.Join(want, " ") || w.Files != 2 || w.Bytes == 0 {
				t.Errorf("writable layer after two starts = %+v, want %v", w, want)
			}
			if w, err := b.WritableLayer(ctx, "plain-1"); err != nil || w.Files != 0 {
				t.Errorf("an instance without a build: %+v, %v; want nothing written", w, err)
			}
			if err := b.ResetWritableLayer(ctx, "coop-1"); !errors.Is(err, hostbackend.ErrInstanceRunning) {
				t.Errorf("reset while running = %v, want ErrInstanceRunning", err)
			}
			if err := b.Disable(ctx, "coop-1", nil); err != nil {
				t.Fatal(err)
			}
			if err := b.ResetWritableLayer(ctx, "coop-1"); err != nil {
				t.Fatalf("reset while stopped: %v", err)
			}
			if w, err := b.WritableLayer(ctx, "coop-1"); err != nil || w.Files != 0 {
				t.Errorf("after the reset: %+v, %v; want it empty", w, err)
			}
			if root != "" {
				spec, err := hostbackend.InstanceFiles{Root: opts.StateRoot}.Read("coop-1")
				if err != nil || spec.Build != "16400001" || len(spec.Sets) != 1 {
					t.Errorf("read back: %+v, %v; want the build and the set", spec, err)
				}
				if _, err := os.Stat(filepath.Join(opts.StateRoot, "instances/coop-1/upper")); err != nil {
					t.Errorf("upper after the reset: %v", err)
				}
			}
		})
	}
}
