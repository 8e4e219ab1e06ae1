package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// idleConn is a raw loopback connection that never sends a byte.
type idleConn struct {
	net.Conn
	closed chan struct{} // closed when the panel closes the connection
}

// dialIdle opens n idle connections to addr from 127.0.0.from, one after
// the other (so the panel accepts them in this order).
func dialIdle(t *testing.T, addr string, from byte, n int) []*idleConn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, from)}}
	var cs []*idleConn
	for range n {
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		ic := &idleConn{Conn: c, closed: make(chan struct{})}
		go func() {
			_, _ = c.Read(make([]byte, 1))
			close(ic.closed)
		}()
		cs = append(cs, ic)
	}
	return cs
}

// healthzFrom asks addr's /healthz on a new connection from 127.0.0.from
// and returns the status.
func healthzFrom(t *testing.T, addr string, from byte, timeout time.Duration) (int, error) {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, from)}}
	client := &http.Client{Timeout: timeout, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
	resp, err := client.Get("http://" + addr + "/healthz")
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// wantClosedFirst checks that the panel closed exactly the first n of cs
// (waiting up to 5 s for each).
func wantClosedFirst(t *testing.T, cs []*idleConn, n int) {
	t.Helper()
	for i := range n {
		select {
		case <-cs[i].closed:
		case <-time.After(5 * time.Second):
			t.Fatalf("connection %d of %d is still open; want the %d idle the longest closed", i, len(cs), n)
		}
	}
	for i := n; i < len(cs); i++ {
		select {
		case <-cs[i].closed:
			t.Fatalf("connection %d of %d was closed; want only the %d idle the longest closed", i, len(cs), n)
		default:
		}
	}
}

func TestServeHoldsItsConnectionLimitsOnRawConnections(t *testing.T) {
	t.Run("one address's idle connections beyond its limit are closed, oldest first, and others are served", func(t *testing.T) {
		p := startPanel(t, "-max-conns-per-addr", "8")
		cs := dialIdle(t, p.Addr, 2, 20)
		// The panel accepts in order, so once it answered this it has
		// taken in all 20.
		if code, err := healthzFrom(t, p.Addr, 3, 5*time.Second); err != nil || code != 200 {
			t.Fatalf("healthz from another address: %d, %v", code, err)
		}
		wantClosedFirst(t, cs, 12)
		if !strings.Contains(p.Logs.String(), "connection limits reached") {
			t.Errorf("the log does not say the limit was reached:\n%s", p.Logs)
		}
	})
	t.Run("beyond the total the idle connections are closed, oldest first, and a new client is served", func(t *testing.T) {
		p := startPanel(t, "-max-conns", "30", "-max-conns-per-addr", "0")
		var cs []*idleConn
		for from := byte(10); from < 15; from++ {
			cs = append(cs, dialIdle(t, p.Addr, from, 10)...)
		}
		if code, err := healthzFrom(t, p.Addr, 1, 5*time.Second); err != nil || code != 200 {
			t.Fatalf("healthz with 50 idle connections open: %d, %v", code, err)
		}
		// 50 idle and the health check's: 21 made room.
		wantClosedFirst(t, cs, 21)
	})
}

// Environment of the serve child process.
const envServeNofile = "LEFT4ME_TEST_SERVE_NOFILE"

// TestHelperServeProcess is not a test: it is the `left4me serve` that
// TestServeKeepsServingWhenDescriptorsRunOut runs with a low descriptor
// limit.
func TestHelperServeProcess(t *testing.T) {
	n, err := strconv.ParseUint(os.Getenv(envServeNofile), 10, 64)
	if err != nil {
		t.Skip("runs only as the child of TestServeKeepsServingWhenDescriptorsRunOut")
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: n, Max: n}); err != nil {
		fmt.Fprintln(os.Stderr, "setrlimit:", err)
		os.Exit(3)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	err = run(ctx, []string{"serve"}, os.Stdout, os.Stderr, os.Getenv)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "left4me:", err)
		os.Exit(exitCode(err))
	}
	os.Exit(0)
}

func TestServeKeepsServingWhenDescriptorsRunOut(t *testing.T) {
	const nofile = 96
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperServeProcess$")
	cmd.Env = append(os.Environ(), envServeNofile+"="+strconv.Itoa(nofile),
		"LEFT4ME_BACKEND=fake", "LEFT4ME_DB="+filepath.Join(dir, "left4me.db"), "LEFT4ME_STATE_ROOT="+dir,
		"LEFT4ME_ADDR=127.0.0.1:0",
		// No limit of its own: the descriptors are what runs out.
		"LEFT4ME_MAX_CONNS=0", "LEFT4ME_MAX_CONNS_PER_ADDR=0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	listening := make(chan string, 1)
	exited := make(chan struct{}) // closed once serve exited, with waitErr
	var waitErr error
	go func() {
		url := regexp.MustCompile(`url=http://(127\.0\.0\.1:\d+)/`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			fmt.Fprintln(logs, sc.Text())
			if m := url.FindStringSubmatch(sc.Text()); m != nil && strings.Contains(sc.Text(), "is listening") {
				listening <- m[1]
			}
		}
		waitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
		}
	})
	var addr string
	select {
	case addr = <-listening:
	case <-exited:
		t.Fatalf("serve exited before listening: %v\n%s", waitErr, logs)
	case <-time.After(20 * time.Second):
		t.Fatalf("serve never listened:\n%s", logs)
	}
	if code, err := healthzFrom(t, addr, 1, 5*time.Second); err != nil || code != 200 {
		t.Fatalf("healthz before the flood: %d, %v", code, err)
	}

	// Three times the descriptors the panel may have, all idle.
	cs := dialIdle(t, addr, 2, 3*nofile)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "too many open files") {
		select {
		case <-exited:
			t.Fatalf("serve exited when descriptors ran out: %v\n%s", waitErr, logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve never ran out of descriptors (limit %d, %d connections):\n%s", nofile, len(cs), logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	peak := countFDs(cmd.Process.Pid)

	// A new client is answered while the flood holds every descriptor.
	if code, err := healthzFrom(t, addr, 3, 10*time.Second); err != nil || code != 200 {
		t.Fatalf("healthz while out of descriptors: %d, %v\n%s", code, err, logs)
	}
	open := 0
	for _, c := range cs {
		select {
		case <-c.closed:
		default:
			open++
		}
	}
	t.Logf("limit %d descriptors: %d open in the panel, %d of %d idle connections still open after the health check", nofile, peak, open, len(cs))
	if open == 0 || open >= nofile {
		t.Errorf("%d idle connections open; want some, fewer than the descriptor limit %d", open, nofile)
	}
	select {
	case <-exited:
		t.Fatalf("serve exited: %v\n%s", waitErr, logs)
	default:
	}

	// It stops cleanly afterwards (without waiting out the flood's
	// connections).
	for _, c := range cs {
		c.Close()
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
		if waitErr != nil {
			t.Fatalf("serve after SIGTERM: %v\n%s", waitErr, logs)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("serve did not stop on SIGTERM:\n%s", logs)
	}
}

// countFDs counts pid's open descriptors (-1 if /proc cannot tell).
func countFDs(pid int) int {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return len(fds)
}
