package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/app"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/resources"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

// resourcesEnv is a panel whose poller keeps figures in its book, with
// coop-1 running and read twice, 30 s apart, and versus stopped.
func resourcesEnv(t *testing.T, tweak ...func(*app.Options)) (*env, *jobs.Poller) {
	t.Helper()
	book := resources.New(resources.Options{})
	var p *jobs.Poller
	tweak = append(tweak, func(o *app.Options) {
		o.Resources = book
		o.PollStats = func() jobs.PollStats { return p.Stats() }
	})
	e := newEnv(t, tweak...)
	storetest.Server(t, e.db, "coop-1", 27015)
	storetest.Server(t, e.db, "versus", 27016)
	p = jobs.NewPoller(jobs.PollerOpts{DB: e.db, Backend: e.backend, Clock: e.clock.Now, Logger: e.opts.Logger, Resources: book})
	e.backend.ExternalEnable("coop-1")
	tick := func() {
		if err := p.Tick(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	tick()
	e.clock.Advance(30 * time.Second)
	tick()
	return e, p
}

func TestDashboardShowsCPUAndMemoryOfRunningServers(t *testing.T) {
	e, p := resourcesEnv(t)
	coop, err := e.db.GetServerByName(context.Background(), "coop-1")
	if err != nil {
		t.Fatal(err)
	}
	f, ok := p.Resources().Figures(coop.ID)
	if !ok || !f.HasCPU {
		t.Fatalf("coop-1's figures: %+v, %v", f, ok)
	}
	op := e.as(store.RoleOperator)
	for _, path := range []string{"/", "/servers/status"} {
		_, doc := op.get(path)
		row := doc.Find(`[data-testid="server-row"][data-name="coop-1"] [data-testid="resources-cell"]`)
		if got := row.AttrOr("data-label", ""); got == "" {
			t.Errorf("%s: the resources cell has no data-label to stack on a phone", path)
		}
		cpu := strings.TrimSpace(row.Find(`[data-testid="cpu"]`).Text())
		mem := strings.TrimSpace(row.Find(`[data-testid="memory"]`).Text())
		if !strings.HasSuffix(cpu, " %") || cpu == "0.0 %" {
			t.Errorf("%s: coop-1's CPU cell says %q", path, cpu)
		}
		if !strings.HasSuffix(mem, " MiB") {
			t.Errorf("%s: coop-1's memory cell says %q", path, mem)
		}
		stopped := doc.Find(`[data-testid="server-row"][data-name="versus"] [data-testid="resources-cell"]`)
		if stopped.Find(`[data-testid="no-resources"]`).Length() != 1 || stopped.Find(`[data-testid="cpu"]`).Length() != 0 {
			t.Errorf("%s: a stopped server's resources cell is %q", path, stopped.Text())
		}
	}
}

func TestServerPageShowsTheFiguresAndTheHoursCharts(t *testing.T) {
	e, _ := resourcesEnv(t)
	op := e.as(store.RoleOperator)
	_, doc := op.get("/servers/coop-1")
	sec := testid(doc, "server-resources")
	if sec.Length() != 1 {
		t.Fatal("the server page has no resources section")
	}
	for _, id := range []string{"resource-cpu", "resource-memory", "resource-memory-peak", "resource-tasks", "resource-uptime", "resource-restarts"} {
		if txt := strings.TrimSpace(sec.Find(`[data-testid="` + id + `"]`).Text()); txt == "" || txt == "–" {
			t.Errorf("%s says %q", id, txt)
		}
	}
	if mem := sec.Find(`[data-testid="resource-memory"]`).Text(); !strings.Contains(mem, "of 4.0 GiB") {
		t.Errorf("memory %q does not name the 4 GiB limit", mem)
	}
	if up := sec.Find(`[data-testid="resource-uptime"]`).Text(); !strings.Contains(up, "30 s") {
		t.Errorf("uptime %q, want 30 s", up)
	}
	for _, id := range []string{"cpu-chart", "memory-chart"} {
		svg := sec.Find(`svg[data-testid="` + id + `"]`)
		if svg.Length() != 1 || svg.Find(`[data-testid="chart-bar"]`).Length() == 0 {
			t.Errorf("%s missing or without bars", id)
		}
		if svg.Find("[style]").Length() != 0 {
			t.Errorf("%s has a style attribute, which the CSP forbids", id)
		}
	}

	// The polled fragment is the same component.
	code, frag := op.get("/servers/coop-1/resources")
	if code != 200 || testid(frag, "resource-figures").AttrOr("hx-get", "") != "/servers/coop-1/resources" {
		t.Errorf("GET /servers/coop-1/resources = %d, %q", code, frag.Text())
	}

	_, doc = op.get("/servers/versus")
	if testid(doc, "resources-none").Length() != 1 || testid(doc, "resource-facts").Length() != 0 {
		t.Error("a stopped server's page shows figures")
	}
}

func TestServerPageWithoutAPollerSaysNoFiguresAreRead(t *testing.T) {
	e := newEnv(t)
	storetest.Server(t, e.db, "coop-1", 27015)
	_, doc := e.as(store.RoleOperator).get("/servers/coop-1")
	if testid(doc, "resources-unavailable").Length() != 1 {
		t.Error("no word that the figures are not read")
	}
}

func TestAPIServerHasItsResources(t *testing.T) {
	e, _ := resourcesEnv(t)
	api, _ := e.apiAs("bot", store.RoleOperator)
	type res struct {
		CPUPercent      *float64   `json:"cpu_percent"`
		CPUSeconds      float64    `json:"cpu_seconds"`
		MemoryBytes     uint64     `json:"memory_bytes"`
		MemoryPeakBytes uint64     `json:"memory_peak_bytes"`
		MemoryMaxBytes  *uint64    `json:"memory_max_bytes"`
		Tasks           uint64     `json:"tasks"`
		Since           *time.Time `json:"since"`
		UptimeSeconds   *int64     `json:"uptime_seconds"`
		Restarts        int        `json:"restarts"`
		ReadAt          *time.Time `json:"read_at"`
	}
	var coop struct {
		Resources *res `json:"resources"`
	}
	api.callJSON("GET", "/api/v1/servers/coop-1", nil, 200, &coop)
	r := coop.Resources
	if r == nil {
		t.Fatal("coop-1 has no resources")
	}
	if r.CPUPercent == nil || *r.CPUPercent <= 0 || r.CPUSeconds <= 0 || r.MemoryBytes == 0 || r.MemoryPeakBytes < r.MemoryBytes ||
		r.MemoryMaxBytes == nil || *r.MemoryMaxBytes != 4<<30 || r.Tasks == 0 || r.Since == nil ||
		r.UptimeSeconds == nil || *r.UptimeSeconds != 30 || r.ReadAt == nil {
		t.Errorf("coop-1's resources: %+v", *r)
	}

	var list struct {
		Servers []struct {
			Name      string          `json:"name"`
			Resources *map[string]any `json:"resources"`
		} `json:"servers"`
	}
	api.callJSON("GET", "/api/v1/servers", nil, 200, &list)
	got := map[string]bool{}
	for _, s := range list.Servers {
		got[s.Name] = s.Resources != nil
	}
	if fmt.Sprint(got) != "map[coop-1:true versus:false]" {
		t.Errorf("servers with resources: %v, want coop-1 only (versus: null)", got)
	}
}
