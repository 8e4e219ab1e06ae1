package app

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// jobBuckets are the upper bounds, in seconds, of the job durations
// histogram: a start or stop takes seconds, a game install many minutes.
var jobBuckets = []float64{1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}

// panelMetrics is what GET /metrics serves besides what is read at each
// scrape: the HTTP requests counted as they are answered, and the Go
// runtime's and the process's own figures.
type panelMetrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	mu       sync.Mutex // one scrape at a time: each reads the status snapshot and two queries
}

func newPanelMetrics() *panelMetrics {
	m := &panelMetrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "left4me_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern (unmatched: no route) and status.",
		}, []string{"method", "route", "status"}),
	}
	m.reg.MustRegister(m.requests, collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// countRequests counts every request by its route's pattern (never the
// raw path, whose names would make a series each) and final status: an
// error a handler returns is answered here, by the app's error handler,
// so its status is the one counted.
func (h *handlers) countRequests(c *fiber.Ctx) error {
	if err := c.Next(); err != nil {
		if herr := c.App().ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	route := "unmatched"
	if r := c.Route(); r != nil && r.Method != "USE" && r.Path != "" {
		route = r.Path
	}
	h.metrics.requests.WithLabelValues(c.Method(), route, strconv.Itoa(c.Response().StatusCode())).Inc()
	return nil
}

// fromLoopback reports whether the request's client is on this host, by
// the address the app believes (c.IP(): a trusted proxy's
// LEFT4ME_PROXY_HEADER names the client). Without a proxy header set, a
// request carrying a forwarding header came through a proxy that was not
// declared: it is not taken for a local one.
func (h *handlers) fromLoopback(c *fiber.Ctx) bool {
	if h.ProxyHeader == "" {
		for _, k := range []string{fiber.HeaderXForwardedFor, "X-Real-Ip", "Forwarded"} {
			if c.Get(k) != "" {
				return false
			}
		}
	}
	ip := net.ParseIP(c.IP())
	return ip != nil && ip.IsLoopback()
}

// metricsAccess lets loopback clients through, and others with a working
// API token of any role (Authorization: Bearer, under the API's rate
// limit); anybody else gets 401.
func (a *apiHandlers) metricsAccess(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	if a.fromLoopback(c) {
		return c.Next()
	}
	if err := a.authenticateToken(c); err != nil {
		status, msg := fiber.StatusInternalServerError, "Something went wrong on the server; the details are in its log."
		if ae, ok := err.(*apiError); ok {
			status, msg = ae.status, ae.msg
			if ae.retryAfter > 0 {
				c.Set(fiber.HeaderRetryAfter, retryAfter(ae.retryAfter))
			}
		} else {
			a.Logger.Error("metrics: check a token", "err", err)
		}
		if status == fiber.StatusUnauthorized {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="left4me"`)
		}
		return c.Status(status).SendString(msg + "\n")
	}
	return c.Next()
}

// serveMetrics answers GET /metrics in the Prometheus text format.
func (h *handlers) serveMetrics(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	h.metrics.mu.Lock()
	defer h.metrics.mu.Unlock()
	scrape, err := h.readScrape(ctx)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(scrape)
	families, err := prometheus.Gatherers{h.metrics.reg, reg}.Gather()
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	format := expfmt.NewFormat(expfmt.TypeTextPlain)
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, format)
	for _, f := range families {
		if err := enc.Encode(f); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
	}
	c.Set(fiber.HeaderContentType, string(format))
	return c.Send(buf.Bytes())
}

// scrape is what one scrape reads: the servers as the dashboard's
// snapshot has them (states, figures, what the games said), the queue and
// the finished jobs from the database, and the poller's counts.
type scrape struct {
	status views.Status
	queue  map[string]int
	jobs   []jobDurations
	poll   *jobs.PollStats
	health *jobs.Health
}

// jobDurations is the histogram of one operation's jobs that ended one
// way (outcome: succeeded, failed, cancelled).
type jobDurations struct {
	Operation, Outcome string
	Count              uint64
	Seconds            float64
	Buckets            []uint64
}

func (h *handlers) readScrape(ctx context.Context) (*scrape, error) {
	st, err := h.status.status(ctx)
	if err != nil {
		return nil, err
	}
	s := &scrape{status: st, queue: map[string]int{"queued": 0, "running": 0}}
	var depth []struct {
		State string `bun:"state"`
		N     int    `bun:"n"`
	}
	if err := h.DB.Reader().NewRaw(`SELECT state, count(*) AS n FROM jobs
		WHERE state IN ('queued', 'running') GROUP BY state`).Scan(ctx, &depth); err != nil {
		return nil, fmt.Errorf("metrics: queue depth: %w", err)
	}
	for _, d := range depth {
		s.queue[d.State] = d.N
	}
	if s.jobs, err = h.readJobDurations(ctx); err != nil {
		return nil, err
	}
	if h.PollStats != nil {
		p := h.PollStats()
		s.poll = &p
	}
	if h.Health != nil {
		hl := h.Health()
		s.health = &hl
	}
	return s, nil
}

// readJobDurations sums up the ended jobs that ran (from their last
// claim to their end) by operation and outcome, in one query.
func (h *handlers) readJobDurations(ctx context.Context) ([]jobDurations, error) {
	var cols strings.Builder
	for i, le := range jobBuckets {
		fmt.Fprintf(&cols, ", sum(finished_at - started_at <= %d) AS b%d", int64(le*1000), i)
	}
	rows, err := h.DB.Reader().QueryContext(ctx, `SELECT operation, state, count(*), sum(finished_at - started_at) / 1000.0`+cols.String()+`
		FROM jobs WHERE state IN ('succeeded', 'failed', 'cancelled') AND started_at IS NOT NULL AND finished_at IS NOT NULL
		GROUP BY operation, state ORDER BY operation, state`)
	if err != nil {
		return nil, fmt.Errorf("metrics: job durations: %w", err)
	}
	defer rows.Close()
	var out []jobDurations
	for rows.Next() {
		d := jobDurations{Buckets: make([]uint64, len(jobBuckets))}
		dest := []any{&d.Operation, &d.Outcome, &d.Count, &d.Seconds}
		for i := range d.Buckets {
			dest = append(dest, &d.Buckets[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("metrics: job durations: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("metrics: job durations: %w", err)
	}
	return out, nil
}

// The descriptions of what a scrape reads.
var (
	descUp = prometheus.NewDesc("left4me_server_up",
		"1 when systemd last said the server runs, else 0.", []string{"server"}, nil)
	descState = prometheus.NewDesc("left4me_server_state",
		"1 for the server's actual state as systemd last said it, 0 for the others.", []string{"server", "state"}, nil)
	descWanted = prometheus.NewDesc("left4me_server_wanted_running",
		"1 when the server is wanted running (its desired state), else 0.", []string{"server"}, nil)
	descRestarts = prometheus.NewDesc("left4me_server_restarts_total",
		"systemd's automatic restarts of the server since it was last started by hand (NRestarts).", []string{"server"}, nil)
	descCPU = prometheus.NewDesc("left4me_server_cpu_seconds_total",
		"CPU time the running server used since it started (CPUUsageNSec).", []string{"server"}, nil)
	descMem = prometheus.NewDesc("left4me_server_memory_bytes",
		"Memory the running server uses (MemoryCurrent).", []string{"server"}, nil)
	descMemPeak = prometheus.NewDesc("left4me_server_memory_peak_bytes",
		"The most memory the running server used since it started.", []string{"server"}, nil)
	descMemMax = prometheus.NewDesc("left4me_server_memory_max_bytes",
		"The running server's memory limit (MemoryMax); absent without one.", []string{"server"}, nil)
	descTasks = prometheus.NewDesc("left4me_server_tasks",
		"Processes and threads of the running server (TasksCurrent).", []string{"server"}, nil)
	descStart = prometheus.NewDesc("left4me_server_start_time_seconds",
		"When the running server became active, in Unix seconds (ActiveEnterTimestamp).", []string{"server"}, nil)
	descPlayers = prometheus.NewDesc("left4me_server_players",
		"Players on the server as its game last answered (bots included).", []string{"server"}, nil)
	descMaxPlayers = prometheus.NewDesc("left4me_server_max_players",
		"The server's player slots as its game last answered.", []string{"server"}, nil)
	descAnswering = prometheus.NewDesc("left4me_server_game_answering",
		"1 when the running server's game answered the last query, else 0.", []string{"server"}, nil)
	descQueue = prometheus.NewDesc("left4me_jobs",
		"Jobs waiting (queued) or running.", []string{"state"}, nil)
	descJobDur = prometheus.NewDesc("left4me_job_duration_seconds",
		"How long the ended jobs ran (their last attempt), by operation and outcome.", []string{"operation", "outcome"}, nil)
	descReads = prometheus.NewDesc("left4me_poller_reads_total",
		"The state poller's reads of systemd: tick (every server), look (one server, after a reported change or for a new server).", []string{"kind"}, nil)
	descReadErrs = prometheus.NewDesc("left4me_poller_read_errors_total",
		"The state poller's reads that failed.", []string{"kind"}, nil)
	descReadDur = prometheus.NewDesc("left4me_poller_read_duration_seconds",
		"How long the state poller's reads took, the state writes included.", []string{"kind"}, nil)
	descSignals = prometheus.NewDesc("left4me_watch_signals_total",
		"Changes of units a watch of systemd reported.", nil, nil)
	descSource = prometheus.NewDesc("left4me_state_source",
		"1 for how the panel hears of changes on the host now (systemd signals, or polling only), 0 for the other.", []string{"source"}, nil)
)

// Describe sends nothing: a scrape's series depend on the servers.
func (s *scrape) Describe(chan<- *prometheus.Desc) {}

// Collect writes the scrape's series.
func (s *scrape) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	for i := range s.status.Rows {
		r := &s.status.Rows[i]
		name := r.Server.Name
		running := r.Server.ActualState == hostbackend.StateRunning
		gauge(descUp, b2f(running), name)
		for _, st := range hostbackend.States {
			gauge(descState, b2f(r.Server.ActualState == st), name, string(st))
		}
		gauge(descWanted, b2f(r.Server.DesiredState == store.DesiredRunning), name)
		counter(descRestarts, float64(r.Server.NRestarts), name)
		if f := r.Resources; f != nil && running {
			counter(descCPU, f.CPUSeconds, name)
			gauge(descMem, float64(f.Memory), name)
			gauge(descMemPeak, float64(f.MemoryPeak), name)
			if f.MemoryMax > 0 {
				gauge(descMemMax, float64(f.MemoryMax), name)
			}
			gauge(descTasks, float64(f.Tasks), name)
			if !f.Since.IsZero() {
				gauge(descStart, float64(f.Since.UnixNano())/1e9, name)
			}
		}
		if v := r.Live; v != nil && running {
			gauge(descAnswering, b2f(v.Answered), name)
			if v.Answered {
				gauge(descPlayers, float64(v.Players), name)
				gauge(descMaxPlayers, float64(v.MaxPlayers), name)
			}
		}
	}
	for _, st := range []string{"queued", "running"} {
		gauge(descQueue, float64(s.queue[st]), st)
	}
	for _, d := range s.jobs {
		ch <- prometheus.MustNewConstHistogram(descJobDur, d.Count, d.Seconds, bucketMap(jobBuckets, d.Buckets), d.Operation, d.Outcome)
	}
	if p := s.poll; p != nil {
		for kind, r := range map[string]jobs.ReadStats{"tick": p.Ticks, "look": p.Looks} {
			counter(descReads, float64(r.Count), kind)
			counter(descReadErrs, float64(r.Errors), kind)
			ch <- prometheus.MustNewConstHistogram(descReadDur, r.Count, r.Seconds, bucketMap(jobs.PollBuckets, r.Buckets), kind)
		}
		counter(descSignals, float64(p.Signals))
	}
	if hl := s.health; hl != nil && hl.Source != "" {
		for _, src := range []string{jobs.SourceSignals, jobs.SourcePolling} {
			gauge(descSource, b2f(hl.Source == src), src)
		}
	}
}

// bucketMap pairs cumulative counts with their upper bounds; missing
// counts are 0.
func bucketMap(bounds []float64, counts []uint64) map[float64]uint64 {
	m := make(map[float64]uint64, len(bounds))
	for i, le := range bounds {
		if i < len(counts) {
			m[le] = counts[i]
		} else {
			m[le] = 0
		}
	}
	return m
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
