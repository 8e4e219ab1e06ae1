package app_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/left4me/left4me/app"
	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/live"
	"github.com/left4me/left4me/store"
)

// behindProxy makes the env's clients say their address in X-Real-IP, as
// a local reverse proxy would (the test's connections come from 0.0.0.0).
func behindProxy(o *app.Options) {
	o.ProxyHeader = "X-Real-IP"
	o.TrustedProxies = []string{"0.0.0.0"}
}

// scrape fetches /metrics as c and parses it; the status and the
// families by name.
func scrape(t *testing.T, c *client, header map[string]string) (int, map[string]*dto.MetricFamily, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp := c.do(req)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil, string(body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q, want the Prometheus text format", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("the answer is not the Prometheus text format: %v\n%s", err, body)
	}
	return resp.StatusCode, fams, string(body)
}

// series returns the family's metrics whose labels include want.
func series(fams map[string]*dto.MetricFamily, name string, want map[string]string) []*dto.Metric {
	f := fams[name]
	if f == nil {
		return nil
	}
	var out []*dto.Metric
	for _, m := range f.GetMetric() {
		ok := true
		for k, v := range want {
			found := false
			for _, l := range m.GetLabel() {
				if l.GetName() == k && l.GetValue() == v {
					found = true
				}
			}
			ok = ok && found
		}
		if ok {
			out = append(out, m)
		}
	}
	return out
}

// value is the one series' value (gauge, counter or untyped).
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	ms := series(fams, name, labels)
	if len(ms) != 1 {
		t.Fatalf("%s%v: %d series, want 1", name, labels, len(ms))
	}
	m := ms[0]
	switch {
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Counter != nil:
		return m.Counter.GetValue()
	}
	return m.GetUntyped().GetValue()
}

func TestMetricsHaveEveryServerAndThePanelsOwnFigures(t *testing.T) {
	e, _ := resourcesEnv(t, behindProxy)
	ctx := context.Background()
	// Two ended jobs with their times: a 3 s start that worked, a 40 s
	// stop that failed; one queued.
	for _, j := range []struct {
		op    store.Operation
		state string
		secs  int64
	}{{store.OpStart, "succeeded", 3}, {store.OpStop, "failed", 40}} {
		job, err := e.queue.Enqueue(ctx, jobs.EnqueueParams{ServerName: "versus", Operation: j.op})
		if err != nil {
			t.Fatal(err)
		}
		start := e.clock.Now().UnixMilli()
		if _, err := e.db.Writer().ExecContext(ctx, `UPDATE jobs SET state = ?, started_at = ?, finished_at = ? WHERE id = ?`,
			j.state, start, start+j.secs*1000, job.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.queue.Enqueue(ctx, jobs.EnqueueParams{ServerName: "versus", Operation: store.OpStart}); err != nil {
		t.Fatal(err)
	}
	local := e.anon()
	local.header = http.Header{"X-Real-Ip": {"127.0.0.1"}}
	local.get("/servers/nobody") // a request the counter sees, by its route

	code, fams, body := scrape(t, local, nil)
	if code != http.StatusOK {
		t.Fatalf("a loopback scrape = %d: %s", code, body)
	}
	coop, versus := map[string]string{"server": "coop-1"}, map[string]string{"server": "versus"}
	if value(t, fams, "left4me_server_up", coop) != 1 || value(t, fams, "left4me_server_up", versus) != 0 {
		t.Error("left4me_server_up does not say coop-1 runs and versus does not")
	}
	if v := value(t, fams, "left4me_server_state", map[string]string{"server": "coop-1", "state": "running"}); v != 1 {
		t.Errorf("coop-1's running state = %v", v)
	}
	if n := len(series(fams, "left4me_server_state", coop)); n != 7 {
		t.Errorf("coop-1 has %d state series, want one per state (7)", n)
	}
	if v := value(t, fams, "left4me_server_cpu_seconds_total", coop); v <= 0 {
		t.Errorf("coop-1's CPU seconds = %v", v)
	}
	if fams["left4me_server_cpu_seconds_total"].GetType() != dto.MetricType_COUNTER {
		t.Error("CPU seconds is not a counter")
	}
	if v := value(t, fams, "left4me_server_memory_bytes", coop); v < 100<<20 {
		t.Errorf("coop-1's memory = %v", v)
	}
	if v := value(t, fams, "left4me_server_memory_max_bytes", coop); v != 4<<30 {
		t.Errorf("coop-1's memory limit = %v", v)
	}
	if len(series(fams, "left4me_server_memory_bytes", versus)) != 0 {
		t.Error("a stopped server has a memory series")
	}
	value(t, fams, "left4me_server_restarts_total", versus)
	value(t, fams, "left4me_server_tasks", coop)
	value(t, fams, "left4me_server_start_time_seconds", coop)
	if v := value(t, fams, "left4me_jobs", map[string]string{"state": "queued"}); v != 1 {
		t.Errorf("queued jobs = %v, want 1", v)
	}
	value(t, fams, "left4me_jobs", map[string]string{"state": "running"})

	h := series(fams, "left4me_job_duration_seconds", map[string]string{"operation": "stop", "outcome": "failed"})
	if len(h) != 1 || h[0].GetHistogram().GetSampleCount() != 1 || h[0].GetHistogram().GetSampleSum() != 40 {
		t.Fatalf("the failed stop's durations: %v", h)
	}
	for _, b := range h[0].GetHistogram().GetBucket() {
		if want := uint64(0); b.GetUpperBound() >= 60 {
			want = 1
			if b.GetCumulativeCount() != want {
				t.Errorf("bucket le=%v counts %d, want 1", b.GetUpperBound(), b.GetCumulativeCount())
			}
		} else if b.GetCumulativeCount() != want {
			t.Errorf("bucket le=%v counts %d, want 0", b.GetUpperBound(), b.GetCumulativeCount())
		}
	}
	if len(series(fams, "left4me_job_duration_seconds", map[string]string{"operation": "start", "outcome": "succeeded"})) != 1 {
		t.Error("no durations of the succeeded start")
	}

	if v := value(t, fams, "left4me_poller_reads_total", map[string]string{"kind": "tick"}); v != 2 {
		t.Errorf("poller ticks = %v, want 2", v)
	}
	if d := series(fams, "left4me_poller_read_duration_seconds", map[string]string{"kind": "tick"}); len(d) != 1 || d[0].GetHistogram().GetSampleCount() != 2 {
		t.Errorf("tick durations: %v", d)
	}
	value(t, fams, "left4me_watch_signals_total", nil)

	if v := value(t, fams, "left4me_http_requests_total", map[string]string{"method": "GET", "route": "/servers/:name", "status": "303"}); v != 1 {
		t.Errorf("GET /servers/:name 303 counted %v times, want 1 (by its route, not its path)", v)
	}
	for _, m := range fams["left4me_http_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "route" && strings.Contains(l.GetValue(), "nobody") {
				t.Errorf("a raw path as a route label: %q", l.GetValue())
			}
		}
	}
	if fams["go_goroutines"] == nil || fams["process_resident_memory_bytes"] == nil {
		t.Error("no Go runtime or process figures")
	}
}

func TestMetricsHaveThePlayersWhereTheGameAnswers(t *testing.T) {
	e, sw := metricsLiveEnv(t)
	e.runGame(t, "coop-1", 27015, "")
	s := e.runGame(t, "silent", 27016, "")
	e.backend.SilenceGame(s.Name, true)
	e.sweep(t, sw)
	local := e.anon()
	local.header = http.Header{"X-Real-Ip": {"::1"}}
	_, fams, _ := scrape(t, local, nil)
	coop := map[string]string{"server": "coop-1"}
	if v := value(t, fams, "left4me_server_max_players", coop); v != 8 {
		t.Errorf("coop-1's slots = %v, want 8", v)
	}
	value(t, fams, "left4me_server_players", coop)
	if v := value(t, fams, "left4me_server_game_answering", coop); v != 1 {
		t.Errorf("coop-1 answering = %v", v)
	}
	silent := map[string]string{"server": "silent"}
	if v := value(t, fams, "left4me_server_game_answering", silent); v != 0 {
		t.Errorf("the silent game answering = %v", v)
	}
	if len(series(fams, "left4me_server_players", silent)) != 0 {
		t.Error("player series for a game that did not answer")
	}
}

// metricsLiveEnv is newEnvLive behind a local proxy (behindProxy).
func metricsLiveEnv(t testing.TB) (*env, *live.Sweeper) {
	t.Helper()
	var sw *live.Sweeper
	e := newEnv(t, behindProxy, func(o *app.Options) {
		sw = live.New(live.Options{DB: o.DB, Host: o.Backend.(hostbackend.Live), Clock: o.Now, Logger: o.Logger})
		o.Live = sw
	})
	return e, sw
}

func TestMetricsSayHowTheStateIsHeardOf(t *testing.T) {
	e, _ := resourcesEnv(t, behindProxy, func(o *app.Options) {
		o.Health = func() jobs.Health { return jobs.Health{Source: jobs.SourceSignals} }
	})
	local := e.anon()
	local.header = http.Header{"X-Real-Ip": {"127.0.0.1"}}
	_, fams, _ := scrape(t, local, nil)
	if v := value(t, fams, "left4me_state_source", map[string]string{"source": "systemd signals"}); v != 1 {
		t.Errorf("systemd signals = %v, want 1", v)
	}
	if v := value(t, fams, "left4me_state_source", map[string]string{"source": "polling only"}); v != 0 {
		t.Errorf("polling only = %v, want 0", v)
	}
}

func TestMetricsAccess(t *testing.T) {
	e, _ := resourcesEnv(t, behindProxy)
	from := func(addr string) *client {
		c := e.anon()
		c.header = http.Header{"X-Real-Ip": {addr}}
		return c
	}
	for addr, want := range map[string]int{"127.0.0.1": 200, "::1": 200, "127.0.0.53": 200, "203.0.113.7": 401, "10.0.0.2": 401} {
		if code, _, body := scrape(t, from(addr), nil); code != want {
			t.Errorf("from %s: %d, want %d: %s", addr, code, want, body)
		}
	}
	// From elsewhere, an API token of any role.
	u := e.user("prom", store.RoleOperator)
	tok := e.tokenFor(u)
	if code, _, body := scrape(t, from("203.0.113.7"), map[string]string{"Authorization": "Bearer " + tok}); code != 200 {
		t.Errorf("with an operator's token: %d: %s", code, body)
	}
	code, _, body := scrape(t, from("203.0.113.7"), map[string]string{"Authorization": "Bearer l4m_not-a-token"})
	if code != 401 || !strings.Contains(body, "token") {
		t.Errorf("with a bad token: %d: %s", code, body)
	}
	// A session is not enough from elsewhere.
	op := e.as(store.RoleOperator)
	op.header = http.Header{"X-Real-Ip": {"203.0.113.7"}}
	if code, _, _ := scrape(t, op, nil); code != 401 {
		t.Errorf("a logged-in browser from elsewhere: %d, want 401", code)
	}
}

// TestMetricsAccessWithoutAProxyHeader serves the panel on a real
// loopback socket: a local client gets the metrics, unless its request
// carries a forwarding header (a proxy nobody declared passed it on).
func TestMetricsAccessWithoutAProxyHeader(t *testing.T) {
	e, _ := resourcesEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.app.Listener(ln) }()
	t.Cleanup(func() { _ = e.app.ShutdownWithTimeout(5 * time.Second) })
	get := func(header string) int {
		req, _ := http.NewRequest(http.MethodGet, "http://"+ln.Addr().String()+"/metrics", nil)
		if header != "" {
			k, v, _ := strings.Cut(header, ": ")
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for header, want := range map[string]int{
		"": 200, "X-Forwarded-For: 203.0.113.7": 401, "X-Real-IP: 203.0.113.7": 401, "Forwarded: for=203.0.113.7": 401,
	} {
		if got := get(header); got != want {
			t.Errorf("from 127.0.0.1 with %q: %d, want %d", header, got, want)
		}
	}

	// The test's in-memory connections come from 0.0.0.0: not loopback.
	if code, _, _ := scrape(t, e.anon(), nil); code != 401 {
		t.Errorf("from 0.0.0.0 without a token: %d, want 401", code)
	}
}
