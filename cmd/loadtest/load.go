package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// loadOpts is one load run of duration. Without a rate, every client sends
// its next GET as soon as it has read the last answer (a closed loop: the
// panel's capacity). With one, the clients share Rate requests a second on
// a fixed schedule, and a request's latency counts from when it was due,
// so a panel that falls behind shows it (an open loop: browsers polling).
type loadOpts struct {
	URL      string
	Session  string // the session cookie's value
	Clients  int
	Duration time.Duration
	Rate     float64 // requests per second for all clients; 0: as fast as answered
}

// result is what a load run measured.
type result struct {
	Requests  int
	Errors    int
	FirstErr  string
	Elapsed   time.Duration
	Latencies []time.Duration // sorted, of the successful requests
}

// RPS is successful requests per second.
func (r result) RPS() float64 { return float64(len(r.Latencies)) / r.Elapsed.Seconds() }

// Percentile returns the p-th percentile latency (0 < p ≤ 100), nearest
// rank, or 0 without successful requests.
func (r result) Percentile(p float64) time.Duration {
	n := len(r.Latencies)
	if n == 0 {
		return 0
	}
	i := int(float64(n)*p/100+0.5) - 1
	return r.Latencies[max(0, min(i, n-1))]
}

// load polls o.URL as htmx polls the status fragment (HX-Request, the
// session cookie, keep-alive) from o.Clients goroutines until o.Duration
// has passed or ctx ends. A request counts as an error unless it is a
// 200 read to the end.
func load(ctx context.Context, o loadOpts) result {
	transport := &http.Transport{MaxIdleConnsPerHost: o.Clients, MaxConnsPerHost: o.Clients, DisableCompression: true}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()

	var (
		mu  sync.Mutex
		res result
		wg  sync.WaitGroup
	)
	start := time.Now()
	var every time.Duration // between one client's requests, with a rate
	if o.Rate > 0 {
		every = time.Duration(float64(time.Second) * float64(o.Clients) / o.Rate)
	}
	for c := range o.Clients {
		wg.Go(func() {
			var lat []time.Duration
			var errs int
			var firstErr string
			due := start.Add(every * time.Duration(c) / time.Duration(o.Clients))
			for ctx.Err() == nil {
				t0 := time.Now()
				if every > 0 {
					select {
					case <-time.After(time.Until(due)):
					case <-ctx.Done():
					}
					if ctx.Err() != nil {
						break
					}
					t0, due = due, due.Add(every)
				}
				err := fetch(ctx, client, o)
				if ctx.Err() != nil {
					break // cut off by the end of the run: not counted
				}
				if err != nil {
					errs++
					if firstErr == "" {
						firstErr = err.Error()
					}
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			defer mu.Unlock()
			res.Latencies = append(res.Latencies, lat...)
			res.Errors += errs
			if res.FirstErr == "" {
				res.FirstErr = firstErr
			}
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.Requests = len(res.Latencies) + res.Errors
	slices.Sort(res.Latencies)
	return res
}

func fetch(ctx context.Context, client *http.Client, o loadOpts) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.URL, nil)
	if err != nil {
		return err
	}
	req.Header.Set("HX-Request", "true")
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: o.Session})
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", o.URL, resp.Status)
	}
	return nil
}
