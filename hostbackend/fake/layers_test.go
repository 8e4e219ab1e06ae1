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

// TestTheSimulatedGameSeesItsLayers: the simulated srcds executes the
// autoexec.cfg its merged view holds (a later add-on set wins over an
// earlier one and over the build) before its server.cfg, as srcds does;
// an instance without that set keeps the default name.
func TestTheSimulatedGameSeesItsLayers(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	for p, text := range map[string]string{
		"builds/16400001/left4dead2/cfg/autoexec.cfg":     "hostname \"the build's\"\n",
		"addons/names/revs/2/left4dead2/cfg/autoexec.cfg": "hostname \"Add-on name\"\n",
		"addons/maps/revs/1/left4dead2/addons/x.vpk":      "VPK",
	} {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b := fake.New(fake.Options{StateRoot: root})
	specs := []hostbackend.InstanceSpec{
		{Name: "with-set", Port: 27015, Build: "16400001",
			Sets: []hostbackend.LayerSet{{Name: "maps", Rev: 1}, {Name: "names", Rev: 2}}},
		{Name: "without", Port: 27016, Build: "16400001", Sets: []hostbackend.LayerSet{{Name: "maps", Rev: 1}}},
		{Name: "cfg-wins", Port: 27017, Build: "16400001", Sets: []hostbackend.LayerSet{{Name: "names", Rev: 2}},
			ServerConfig: "hostname \"server.cfg's\"\n"},
	}
	want := map[string]string{"with-set": "Add-on name", "without": "the build's", "cfg-wins": "server.cfg's"}
	for _, s := range specs {
		if err := b.Provision(ctx, s); err != nil {
			t.Fatal(err)
		}
		if err := b.Enable(ctx, s.Name, nil); err != nil {
			t.Fatal(err)
		}
		got := b.LiveQuery(ctx, []hostbackend.LiveTarget{{Name: s.Name, Port: s.Port}})
		if !got[0].Answered || got[0].HostName != want[s.Name] {
			t.Errorf("%s answers %+v, want the name %q", s.Name, got[0], want[s.Name])
		}
	}
}
