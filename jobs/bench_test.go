package jobs_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/fake"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

// countFinished counts the jobs that have ended.
func countFinished(b *testing.B, db *store.DB) int {
	var n int
	if err := db.Reader().DB.QueryRow(`SELECT count(*) FROM jobs WHERE state IN ('succeeded', 'failed', 'cancelled')`).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkNoopJobs pushes jobs through the whole queue (enqueue, claim,
// run against the in-memory fake, read the state back, finish) with the
// production settings: synchronous=FULL, four workers.
func BenchmarkNoopJobs(b *testing.B) {
	e := newEnv(b, fake.Options{})
	const servers = 32
	for i := 0; i < servers; i++ {
		storetest.Server(b, e.db, fmt.Sprintf("bench-%02d", i), 27015+i)
	}
	startRunner(b, e.runner(jobs.RunnerOpts{Workers: jobs.DefaultWorkers}))
	ops := []store.Operation{store.OpStart, store.OpStop}
	ctx := context.Background()

	b.ResetTimer()
	start := time.Now()
	// Four clients enqueue, as a few browsers would.
	var wg sync.WaitGroup
	for c := 0; c < 4; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := c; i < b.N; i += 4 {
				name := fmt.Sprintf("bench-%02d", i%servers)
				// Alternate per server so that no request coalesces.
				op := ops[(i/servers)%2]
				if _, err := e.q.Enqueue(ctx, jobs.EnqueueParams{ServerName: name, Operation: op}); err != nil {
					b.Error(err)
					return
				}
			}
		}(c)
	}
	wg.Wait()
	for countFinished(b, e.db) < b.N {
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "jobs/s")
}

// signalEnable tells when an Enable call begins.
type signalEnable struct {
	*fake.Backend
	began chan time.Time
}

func (s signalEnable) Enable(ctx context.Context, name string, out hostbackend.LineFunc) error {
	s.began <- time.Now()
	return s.Backend.Enable(ctx, name, out)
}

// BenchmarkEnqueueToRunningLatency measures, on an idle runner, the time
// from calling Enqueue to the job's first backend command.
func BenchmarkEnqueueToRunningLatency(b *testing.B) {
	e := newEnv(b, fake.Options{})
	storetest.Server(b, e.db, "alpha", 27015)
	spy := signalEnable{e.fake, make(chan time.Time, 1)}
	// The poll interval is long so that only the wake-up can start jobs.
	startRunner(b, e.runner(jobs.RunnerOpts{Workers: jobs.DefaultWorkers, Backend: spy, PollInterval: time.Hour}))
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)

	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		op := store.OpStart
		if i%2 == 1 {
			op = store.OpRestart
		}
		t0 := time.Now()
		j, err := e.q.Enqueue(ctx, jobs.EnqueueParams{ServerName: "alpha", Operation: op})
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, (<-spy.began).Sub(t0))
		b.StopTimer()
		for job(b, e.db, j.ID).State != store.JobSucceeded { // idle again before the next one
			time.Sleep(100 * time.Microsecond)
		}
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(lat[len(lat)*50/100]), "p50-ms")
	b.ReportMetric(ms(lat[min(len(lat)-1, len(lat)*95/100)]), "p95-ms")
}

// BenchmarkPollerTick500 is one state poller tick over 500 idle servers:
// one Show for all of them and one transaction of conditional writes.
func BenchmarkPollerTick500(b *testing.B) {
	e := newEnv(b, fake.Options{})
	ctx := context.Background()
	bp, err := e.db.GetBlueprintByName(ctx, store.DefaultBlueprintName)
	if err != nil {
		b.Fatal(err)
	}
	// Insert the servers in one transaction: 500 separate commits would
	// take longer than the benchmark.
	tx, err := e.db.Writer().DB.Begin()
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 500; i++ {
		if _, err := tx.Exec(`INSERT INTO servers (name, port, blueprint_id, created_at) VALUES (?, ?, ?, 0)`,
			fmt.Sprintf("srv-%03d", i), 20000+i, bp.ID); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 500; i += 3 {
		e.fake.ExternalEnable(fmt.Sprintf("srv-%03d", i))
	}
	p := newPoller(e, nil, nil)
	e.fake.ResetCalls()

	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if err := p.Tick(ctx); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	calls := e.fake.Calls()
	if len(calls) != b.N {
		b.Fatalf("%d backend calls in %d ticks, want exactly one Show per tick", len(calls), b.N)
	}
	for _, c := range calls {
		if c.Verb != "show" || len(c.Names) != 500 {
			b.Fatalf("call %s with %d names, want show with 500", c.Verb, len(c.Names))
		}
	}
	b.ReportMetric(float64(elapsed)/float64(b.N)/float64(time.Millisecond), "ms/tick")
}
