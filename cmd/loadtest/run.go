package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// The targets of the web panel (issue 4), printed beside what was measured.
const (
	targetRPS = 2000
	targetP95 = 10 * time.Millisecond
	targetRSS = 40 << 20
	// Issue 10: the panel's peak memory under 300 concurrent logins.
	targetStormRSS = 150 << 20
)

// run parses args, logs in, seeds, measures the idle RSS of -pid, loads
// the panel and prints the figures to stdout.
func run(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", "127.0.0.1:8080", "the panel's address; only loopback addresses are accepted")
	user := fs.String("user", "loadtest", "the panel user to log in as (an admin when -seed is used)")
	password := fs.String("password", getenv("LEFT4ME_LOADTEST_PASSWORD"), "the user's password (default: env LEFT4ME_LOADTEST_PASSWORD)")
	seed := fs.Int("seed", 0, "first create servers load-1, load-2, … until the panel has this many")
	clients := fs.Int("clients", 50, "concurrent clients")
	duration := fs.Duration("duration", 10*time.Second, "how long the load lasts; 0: only log in (and seed)")
	rate := fs.Float64("rate", 0, "requests per second for all clients together, on a schedule; 0: each client as fast as it is answered")
	path := fs.String("path", "/servers/status", "the page every client polls")
	pid := fs.Int("pid", 0, "the panel's process id: print its resident memory (VmRSS) before the login and after the load, and its CPU time per request; with -crash, the panel to kill")
	settle := fs.Duration("settle", 5*time.Second, "with -pid, how long the panel idles before its memory is read")
	logins := fs.Int("logins", 0, "instead of the load: compare wrong-password logins for -user with names nobody has, then post this many logins at once, each from its own loopback address, and print the panel's peak RSS (with -pid) and /healthz's latency meanwhile")
	tokens := fs.String("tokens", "", "for -actions and -crash: a file of API tokens (left4me create-token), one a line; each token's requests come from its own loopback address, 127.79.0.1 and on")
	actions := fs.Int("actions", 0, "instead of the load: send this many start, stop and restart requests at once over the servers load-1, load-2, … through the API, wait for every job to end, and check that every accepted request has its job and every server ends as its last accepted request asked")
	crash := fs.Int("crash", 0, "instead of the load: queue jobs on the servers load-1 … load-N/2 through the API, kill -9 the panel -pid when this many are queued or running, start it again with -restart, and check that every job ends and every server ends as its last request asked; needs -pid and -restart")
	restart := fs.String("restart", "", "with -crash: the shell command that starts the panel again on the same database (run with sh -c; the load test stops it at the end)")
	planSeed := fs.Uint64("plan-seed", 1, "for -actions and -crash: the seed of the random choice of operations")
	wait := fs.Duration("wait", 3*time.Minute, "for -actions and -crash: how long the jobs may take to end, and the servers to settle")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if err := checkLoopback(*addr); err != nil {
		return err
	}
	if *clients < 1 || *duration < 0 || *rate < 0 || !strings.HasPrefix(*path, "/") {
		return errors.New("-clients must be at least 1, -duration and -rate not negative, and -path start with /")
	}
	if (*actions > 0 || *crash > 0) && *tokens == "" {
		return errors.New("-actions and -crash need -tokens FILE: API tokens, one a line (left4me create-token USER NAME)")
	}
	if *crash > 0 && (*pid <= 0 || *restart == "") {
		return errors.New("-crash needs -pid (the panel to kill) and -restart (the command that starts it again)")
	}

	b := newBrowser("http://" + *addr)
	if err := b.waitReady(ctx, 20*time.Second); err != nil {
		return err
	}
	if *actions > 0 || *crash > 0 {
		return runAPIModes(ctx, stdout, "http://"+*addr, *tokens, *actions, crashOpts{
			N: *crash, PID: *pid, Restart: *restart, Seed: *planSeed, Timeout: *wait, Output: os.Stderr,
		})
	}
	if *pid > 0 && *logins == 0 {
		// Before the login: a login hashes with argon2id, which takes
		// 19 MiB that the runtime returns only after its next collection.
		select {
		case <-time.After(*settle):
		case <-ctx.Done():
			return ctx.Err()
		}
		rss, err := vmRSS(*pid)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "idle RSS of the panel (pid %d, %s after start, before any login): %.1f MB  (target ≤ %d MB: %s)\n",
			*pid, *settle, mb(rss), targetRSS>>20, verdict(rss <= targetRSS))
	}
	if *logins > 0 {
		return runStorm(ctx, stdout, "http://"+*addr, *user, *logins, *pid)
	}
	if err := b.login(ctx, *user, *password); err != nil {
		return err
	}
	if *seed > 0 {
		created, err := b.seed(ctx, *seed)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "seeded %d servers (every other one started)\n", created)
	}
	n, err := b.countServers(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "the panel has %d servers\n", n)
	if *duration == 0 {
		return nil
	}
	cpu0, cpuErr := cpuTime(*pid)
	self0, selfErr := cpuTime(os.Getpid())

	r := load(ctx, loadOpts{URL: "http://" + *addr + *path, Session: b.session(), Clients: *clients, Duration: *duration, Rate: *rate})
	pace := "each as fast as answered"
	if *rate > 0 {
		pace = fmt.Sprintf("%g requests/s offered in all", *rate)
	}
	fmt.Fprintf(stdout, "GET %s: %d clients (%s) for %s: %d requests, %d errors\n", *path, *clients, pace, r.Elapsed.Round(time.Millisecond), r.Requests, r.Errors)
	if r.FirstErr != "" {
		fmt.Fprintf(stdout, "  first error: %s\n", r.FirstErr)
	}
	p50, p95, p99, top := ms(r.Percentile(50)), ms(r.Percentile(95)), ms(r.Percentile(99)), ms(r.Percentile(100))
	if *rate > 0 { // the targets are about the closed loop
		fmt.Fprintf(stdout, "  %.0f req/s  latency p50 %s  p95 %s  p99 %s  max %s\n", r.RPS(), p50, p95, p99, top)
	} else {
		fmt.Fprintf(stdout, "  %.0f req/s  (target ≥ %d: %s)\n", r.RPS(), targetRPS, verdict(r.RPS() >= targetRPS))
		fmt.Fprintf(stdout, "  latency p50 %s  p95 %s  p99 %s  max %s  (target p95 ≤ %s: %s)\n",
			p50, p95, p99, top, ms(targetP95), verdict(r.Percentile(95) <= targetP95))
	}
	if *pid > 0 {
		if cpu1, err := cpuTime(*pid); err == nil && cpuErr == nil && r.Requests > 0 {
			fmt.Fprintf(stdout, "  panel CPU time per request: %s (%.2f of the machine's cores busy with the panel)\n",
				ms((cpu1-cpu0)/time.Duration(r.Requests)), (cpu1-cpu0).Seconds()/r.Elapsed.Seconds())
		}
		// On loopback the load generator takes its share of the same
		// cores: what it used says how much the panel could have had.
		if self1, err := cpuTime(os.Getpid()); err == nil && selfErr == nil && r.Requests > 0 {
			fmt.Fprintf(stdout, "  load generator CPU time per request: %s (%.2f cores)\n",
				ms((self1-self0)/time.Duration(r.Requests)), (self1-self0).Seconds()/r.Elapsed.Seconds())
		}
		if rss, err := vmRSS(*pid); err == nil {
			fmt.Fprintf(stdout, "RSS after the load: %.1f MB\n", mb(rss))
		}
	}
	if r.Errors > 0 {
		return fmt.Errorf("%d of %d requests failed", r.Errors, r.Requests)
	}
	return nil
}

// runAPIModes runs -actions (when actions > 0), then -crash (when
// co.N > 0), with the tokens in tokenFile.
func runAPIModes(ctx context.Context, stdout io.Writer, base, tokenFile string, actions int, co crashOpts) error {
	toks, err := readTokens(tokenFile)
	if err != nil {
		return err
	}
	if actions > 0 {
		if err := runActions(ctx, stdout, actionsOpts{Base: base, Tokens: toks, N: actions, Seed: co.Seed, Timeout: co.Timeout}); err != nil {
			return err
		}
	}
	if co.N > 0 {
		co.Base, co.Tokens = base, toks
		return runCrash(ctx, stdout, co)
	}
	return nil
}

// checkLoopback refuses any address but a loopback IP and a port: the load
// test must not be pointed at another machine.
func checkLoopback(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	ip := net.ParseIP(host)
	if err != nil || port == "" || ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-addr %q: only a loopback address is accepted, e.g. 127.0.0.1:8080 or [::1]:8080", addr)
	}
	return nil
}

// vmRSS returns the resident memory of process pid in bytes, from
// /proc/PID/status.
func vmRSS(pid int) (int64, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("read the panel's memory: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/%d/status: VmRSS %q: %w", pid, v, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no VmRSS line", pid)
}

// cpuTime returns the user and system CPU time process pid has used, from
// /proc/PID/stat (in clock ticks of 1/100 s, Linux's USER_HZ).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name, field 2, may hold spaces: count from after it.
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad utime or stime", pid)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

func ms(d time.Duration) string { return strconv.FormatFloat(d.Seconds()*1000, 'f', 2, 64) + " ms" }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}
