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
	duration := fs.Duration("duration", 10*time.Second, "how long the load lasts")
	path := fs.String("path", "/servers/status", "the page every client polls")
	pid := fs.Int("pid", 0, "the panel's process id: print its resident memory (VmRSS) when idle and after the load")
	settle := fs.Duration("settle", 5*time.Second, "how long the panel idles after seeding before its memory is read")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if err := checkLoopback(*addr); err != nil {
		return err
	}
	if *clients < 1 || *duration <= 0 || !strings.HasPrefix(*path, "/") {
		return errors.New("-clients must be at least 1, -duration positive and -path start with /")
	}

	b := newBrowser("http://" + *addr)
	if err := b.waitReady(ctx, 20*time.Second); err != nil {
		return err
	}
	if err := b.login(ctx, *user, *password); err != nil {
		return err
	}
	if *seed > 0 {
		created, err := b.seed(ctx, *seed)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "seeded %d servers\n", created)
	}
	n, err := b.countServers(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "the panel has %d servers\n", n)
	if *pid > 0 {
		select {
		case <-time.After(*settle):
		case <-ctx.Done():
			return ctx.Err()
		}
		rss, err := vmRSS(*pid)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "idle RSS (pid %d, after %s idle): %.1f MB  (target ≤ %d MB: %s)\n",
			*pid, *settle, mb(rss), targetRSS>>20, verdict(rss <= targetRSS))
	}

	r := load(ctx, loadOpts{URL: "http://" + *addr + *path, Session: b.session(), Clients: *clients, Duration: *duration})
	fmt.Fprintf(stdout, "GET %s: %d clients for %s: %d requests, %d errors\n", *path, *clients, r.Elapsed.Round(time.Millisecond), r.Requests, r.Errors)
	if r.FirstErr != "" {
		fmt.Fprintf(stdout, "  first error: %s\n", r.FirstErr)
	}
	fmt.Fprintf(stdout, "  %.0f req/s  (target ≥ %d: %s)\n", r.RPS(), targetRPS, verdict(r.RPS() >= targetRPS))
	fmt.Fprintf(stdout, "  latency p50 %s  p95 %s  p99 %s  max %s  (target p95 ≤ %s: %s)\n",
		ms(r.Percentile(50)), ms(r.Percentile(95)), ms(r.Percentile(99)), ms(r.Percentile(100)), ms(targetP95), verdict(r.Percentile(95) <= targetP95))
	if *pid > 0 {
		if rss, err := vmRSS(*pid); err == nil {
			fmt.Fprintf(stdout, "RSS after the load: %.1f MB\n", mb(rss))
		}
	}
	if r.Errors > 0 {
		return fmt.Errorf("%d of %d requests failed", r.Errors, r.Requests)
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

func mb(b int64) float64 { return float64(b) / (1 << 20) }

func ms(d time.Duration) string { return strconv.FormatFloat(d.Seconds()*1000, 'f', 2, 64) + " ms" }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}
