package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// stormOpts is one login storm: Clients browsers, each on its own loopback
// source address, fetch the login form, then all POST /login at the same
// moment with a name nobody has and a wrong password, as an attacker
// spreading over many addresses would.
type stormOpts struct {
	Base    string // http://ADDR
	Clients int
	PID     int // the panel's process: its VmRSS is sampled during the storm; 0: not sampled
}

// stormResult is what a storm measured.
type stormResult struct {
	Statuses  map[int]int     // answers to the POSTs by status
	Errors    int             // POSTs without an answer
	FirstErr  string          //
	Logins    []time.Duration // sorted latencies of the answered POSTs
	Healthz   []time.Duration // sorted latencies of GET /healthz during the storm
	HealthBad int             // /healthz answers that were not 200, or none
	RSSBefore int64           // VmRSS just before the POSTs
	PeakRSS   int64           // the highest VmRSS sampled during the storm
	Elapsed   time.Duration   // from the first POST to the last answer
}

// sourceAddr is client i's loopback source address, 127.77.X.Y: Linux
// routes all of 127.0.0.0/8 to the loopback interface, so every client is
// a different address to the panel without any set-up.
func sourceAddr(block byte, i int) net.IP {
	return net.IPv4(127, block, byte(i/254), byte(i%254+1))
}

// loginClient is a browser bound to one source address.
type loginClient struct {
	base   string
	client *http.Client
	csrf   string
}

func newLoginClient(base string, src net.IP) *loginClient {
	jar, _ := cookiejar.New(nil)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: src}, Timeout: 10 * time.Second}
	return &loginClient{base: base, client: &http.Client{
		Jar:           jar,
		Timeout:       2 * time.Minute, // the panel before issue 10 took half a minute
		Transport:     &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 1, DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// form fetches the login form: the CSRF cookie and the page's token.
func (lc *loginClient) form(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, lc.base+"/login", nil)
	if err != nil {
		return err
	}
	resp, err := lc.client.Do(req)
	if err != nil {
		return fmt.Errorf("GET /login: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /login: %s", resp.Status)
	}
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		return fmt.Errorf("GET /login: %w", err)
	}
	lc.csrf = doc.Find(`meta[name="csrf-token"]`).AttrOr("content", "")
	if lc.csrf == "" {
		return fmt.Errorf("GET /login: no CSRF token on the page")
	}
	return nil
}

// try posts one login and returns the status and how long the answer took.
func (lc *loginClient) try(ctx context.Context, name, password string) (int, time.Duration, error) {
	form := url.Values{"name": {name}, "password": {password}, "_csrf": {lc.csrf}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, lc.base+"/login", strings.NewReader(form.Encode()))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	t0 := time.Now()
	resp, err := lc.client.Do(req)
	if err != nil {
		return 0, 0, fmt.Errorf("POST /login: %w", err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, time.Since(t0), err
}

func (lc *loginClient) close() { lc.client.CloseIdleConnections() }

// storm runs o: every client fetches the form, then all post at once while
// /healthz is asked every 20 ms and the panel's VmRSS is read every 5 ms.
func storm(ctx context.Context, o stormOpts) (stormResult, error) {
	res := stormResult{Statuses: map[int]int{}}
	clients := make([]*loginClient, o.Clients)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var formErr error
	for i := range clients {
		clients[i] = newLoginClient(o.Base, sourceAddr(77, i))
		defer clients[i].close()
		wg.Go(func() {
			if err := clients[i].form(ctx); err != nil {
				mu.Lock()
				formErr = fmt.Errorf("client %d (%s): %w", i, sourceAddr(77, i), err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if formErr != nil {
		return res, formErr
	}
	if o.PID > 0 {
		rss, err := vmRSS(o.PID)
		if err != nil {
			return res, err
		}
		res.RSSBefore, res.PeakRSS = rss, rss
	}

	done := make(chan struct{})
	var probes sync.WaitGroup
	if o.PID > 0 {
		probes.Go(func() {
			tick := time.NewTicker(5 * time.Millisecond)
			defer tick.Stop()
			for {
				if rss, err := vmRSS(o.PID); err == nil && rss > res.PeakRSS {
					res.PeakRSS = rss // only this goroutine writes it until probes.Wait
				}
				select {
				case <-done:
					return
				case <-tick.C:
				}
			}
		})
	}
	probes.Go(func() {
		hc := &http.Client{Timeout: 10 * time.Second}
		defer hc.CloseIdleConnections()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			t0 := time.Now()
			ok := false
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.Base+"/healthz", nil)
			if err != nil {
				return
			}
			if resp, err := hc.Do(req); err == nil {
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				ok = err == nil && resp.StatusCode == http.StatusOK
			}
			mu.Lock()
			res.Healthz = append(res.Healthz, time.Since(t0))
			if !ok {
				res.HealthBad++
			}
			mu.Unlock()
		}
	})

	start := make(chan struct{})
	for i, lc := range clients {
		wg.Go(func() {
			<-start
			status, took, err := lc.try(ctx, fmt.Sprintf("storm-%d", i), "wrong password")
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				res.Errors++
				if res.FirstErr == "" {
					res.FirstErr = err.Error()
				}
				return
			}
			res.Statuses[status]++
			res.Logins = append(res.Logins, took)
		})
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	res.Elapsed = time.Since(t0)
	close(done)
	probes.Wait()
	slices.Sort(res.Logins)
	slices.Sort(res.Healthz)
	return res, nil
}

// timingResult compares wrong-password logins naming a real user with
// logins naming nobody.
type timingResult struct {
	Known, Unknown []time.Duration // sorted
}

// loginTiming posts n wrong-password logins for known and n for names
// nobody has, in pairs in a random order (so that a garbage collection
// every other hash does not always land on the same kind), one at a time
// (nothing else loads the panel), each from a fresh loopback address so
// that no per-address limit cuts in. The unknown names differ every time;
// the known name takes n failures, so keep n below the panel's free
// failures per name.
func loginTiming(ctx context.Context, base, known string, n int) (timingResult, error) {
	var r timingResult
	var names []string
	for i := range n {
		pair := []string{known, fmt.Sprintf("nobody-%d", i)}
		rand.Shuffle(2, func(a, b int) { pair[a], pair[b] = pair[b], pair[a] })
		names = append(names, pair...)
	}
	for i, name := range names {
		lc := newLoginClient(base, sourceAddr(78, i))
		err := lc.form(ctx)
		var status int
		var took time.Duration
		if err == nil {
			status, took, err = lc.try(ctx, name, "wrong password")
		}
		lc.close()
		if err != nil {
			return r, err
		}
		if status != http.StatusUnauthorized {
			return r, fmt.Errorf("timing: a wrong password for %q was answered %d, want 401", name, status)
		}
		if name == known {
			r.Known = append(r.Known, took)
		} else {
			r.Unknown = append(r.Unknown, took)
		}
	}
	slices.Sort(r.Known)
	slices.Sort(r.Unknown)
	return r, nil
}

// median of sorted ds, or 0.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return ds[len(ds)/2]
}

// nearestRank is the p-th percentile of sorted ds, or 0.
func nearestRank(ds []time.Duration, p float64) time.Duration {
	return result{Latencies: ds}.Percentile(p)
}

// runStorm prints how long wrong passwords take for user and for names
// nobody has, then the figures of a storm of n logins.
func runStorm(ctx context.Context, stdout io.Writer, base, user string, n, pid int) error {
	const samples = 8 // below the panel's free failures per name (10)
	tr, err := loginTiming(ctx, base, user, samples)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrong password, one login at a time (%d each): user %q median %s (%s–%s), names nobody has median %s (%s–%s)\n",
		samples, user, ms(median(tr.Known)), ms(tr.Known[0]), ms(tr.Known[len(tr.Known)-1]),
		ms(median(tr.Unknown)), ms(tr.Unknown[0]), ms(tr.Unknown[len(tr.Unknown)-1]))

	r, err := storm(ctx, stormOpts{Base: base, Clients: n, PID: pid})
	if err != nil {
		return err
	}
	var codes []string
	for _, code := range slices.Sorted(maps.Keys(r.Statuses)) {
		codes = append(codes, fmt.Sprintf("%d × %d", r.Statuses[code], code))
	}
	fmt.Fprintf(stdout, "%d logins at once from %d loopback addresses, answered within %s: %s; %d without an answer\n",
		n, n, r.Elapsed.Round(time.Millisecond), strings.Join(codes, ", "), r.Errors)
	if r.FirstErr != "" {
		fmt.Fprintf(stdout, "  first error: %s\n", r.FirstErr)
	}
	fmt.Fprintf(stdout, "  login latency p50 %s  p95 %s  max %s\n",
		ms(nearestRank(r.Logins, 50)), ms(nearestRank(r.Logins, 95)), ms(nearestRank(r.Logins, 100)))
	fmt.Fprintf(stdout, "  GET /healthz meanwhile: %d asked, %d not 200, p50 %s  p95 %s  max %s\n",
		len(r.Healthz), r.HealthBad, ms(nearestRank(r.Healthz, 50)), ms(nearestRank(r.Healthz, 95)), ms(nearestRank(r.Healthz, 100)))
	if pid > 0 {
		fmt.Fprintf(stdout, "  panel RSS %.1f MB before, peak %.1f MB during the storm  (target ≤ %d MB: %s)\n",
			mb(r.RSSBefore), mb(r.PeakRSS), targetStormRSS>>20, verdict(r.PeakRSS <= targetStormRSS))
	}
	if r.Errors > 0 || r.HealthBad > 0 {
		return fmt.Errorf("%d logins without an answer, %d /healthz answers not 200", r.Errors, r.HealthBad)
	}
	return nil
}
