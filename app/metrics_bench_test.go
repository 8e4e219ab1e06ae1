package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/left4me/left4me/app"
	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/live"
	"github.com/left4me/left4me/resources"
	"github.com/left4me/left4me/store"
)

// BenchmarkMetricsScrape100 is one GET /metrics from loopback through the
// whole app for 100 running servers with their figures (two poller ticks)
// and what their games said (one sweep), 200 ended jobs and 10 queued:
// about 2000 series. "cached" reuses the dashboard's status snapshot (a
// scrape within a second of a page), "reload" ages it before every
// scrape; both run the queue's and the job durations' queries.
func BenchmarkMetricsScrape100(b *testing.B) {
	book := resources.New(resources.Options{})
	var sw *live.Sweeper
	var p *jobs.Poller
	e := newEnv(b, behindProxy, func(o *app.Options) {
		sw = live.New(live.Options{DB: o.DB, Host: o.Backend.(hostbackend.Live), Clock: o.Now, Logger: o.Logger})
		o.Live, o.Resources = sw, book
		o.PollStats = func() jobs.PollStats { return p.Stats() }
	})
	ctx := context.Background()
	for i := range 100 {
		s := e.runGame(b, fmt.Sprintf("coop-%d", i+1), 20000+i, "")
		for j := range 2 {
			job, err := e.queue.Enqueue(ctx, jobs.EnqueueParams{ServerID: s.ID, ServerName: s.Name, Operation: store.OpStart})
			if err != nil {
				b.Fatal(err)
			}
			start := e.clock.Now().UnixMilli()
			if _, err := e.db.Writer().ExecContext(ctx, `UPDATE jobs SET state = 'succeeded', started_at = ?, finished_at = ? WHERE id = ?`,
				start, start+int64(j+1)*2500, job.ID); err != nil {
				b.Fatal(err)
			}
		}
		if i%10 == 0 {
			if _, err := e.queue.Enqueue(ctx, jobs.EnqueueParams{ServerID: s.ID, ServerName: s.Name, Operation: store.OpRestart}); err != nil {
				b.Fatal(err)
			}
		}
	}
	p = jobs.NewPoller(jobs.PollerOpts{DB: e.db, Backend: e.backend, Clock: e.clock.Now, Logger: e.opts.Logger, Resources: book})
	for range 2 {
		if err := p.Tick(ctx); err != nil {
			b.Fatal(err)
		}
		e.clock.Advance(30 * time.Second)
	}
	e.sweep(b, sw)

	handler := e.app.Handler()
	var rc fasthttp.RequestCtx
	scrape := func() {
		rc.Request.Reset()
		rc.Response.Reset()
		rc.ResetUserValues()
		rc.Request.Header.SetMethod("GET")
		rc.Request.SetRequestURI("/metrics")
		rc.Request.Header.Set("X-Real-IP", "127.0.0.1")
		handler(&rc)
		if rc.Response.StatusCode() != 200 {
			b.Fatalf("GET /metrics: %d %s", rc.Response.StatusCode(), rc.Response.Body())
		}
	}
	scrape()
	b.Logf("%d bytes a scrape", len(rc.Response.Body()))
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			scrape()
		}
	})
	b.Run("reload", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			e.clock.Advance(time.Second)
			scrape()
		}
	})
}
