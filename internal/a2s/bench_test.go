package a2s

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// benchPlayers is what every answering server of the benchmark lists.
var benchPlayers = []Player{{Name: "Ellis", Score: 3, Duration: 61}, {Name: `Zoë "the" kid`, Score: 12, Duration: 600},
	{Name: "Coach", Duration: 5}, {Name: "Nick", Score: 1, Duration: 3000}}

// startBenchServers starts the benchmark's 100 answering servers (as
// fakesrcds answers: challenge, A2S_INFO, A2S_PLAYER with 4 players) and
// 10 silent ones, and returns their addresses.
func startBenchServers(tb testing.TB) []string {
	var addrs []string
	for i := range 100 {
		info := sample
		info.Name = fmt.Sprintf("Game night %d", i)
		info.Players = byte(len(benchPlayers))
		addrs = append(addrs, startServer(tb, &gameServer{info: EncodeInfo(info), players: EncodePlayers(benchPlayers)}))
	}
	for range 10 {
		addrs = append(addrs, silentServer(tb))
	}
	return addrs
}

// BenchmarkSweep is the panel's live sweep: one client asks the 100
// answering and 10 silent servers of startBenchServers for info and
// players, every iteration one sweep (after one not measured). The
// silent servers make each sweep last the 1 s timeout. It reports wall-ms/sweep and cpu-ms/sweep, the
// user and system time of the process (getrusage) around each sweep:
//
//   - in-process: the servers are goroutines of this process, so
//     cpu-ms is the client's and the 100 servers' together;
//   - servers-apart: the servers run in a child process (this test
//     binary, TestHelperBenchServers), so cpu-ms is the client's alone,
//     the panel's share, and server-cpu-ms the servers', which the child
//     reads from its own getrusage when asked.
func BenchmarkSweep(b *testing.B) {
	b.Run("in-process", func(b *testing.B) {
		sweep(b, startBenchServers(b), func() time.Duration { return 0 })
	})
	b.Run("servers-apart", func(b *testing.B) {
		addrs, serverCPU := childServers(b)
		sweep(b, addrs, serverCPU)
	})
}

func sweep(b *testing.B, addrs []string, serverCPU func() time.Duration) {
	c, err := NewClient(ClientOpts{Listen: "127.0.0.1:0"})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	// One sweep first: the panel's client lives as long as the panel, so
	// what it pays every 10 s is a sweep on a socket and goroutine stacks
	// that already exist (the very first one costs about twice as much).
	c.Sweep(context.Background(), addrs, WantInfo|WantPlayers)
	var wall, cpu, scpu time.Duration
	b.ResetTimer()
	for range b.N {
		sBefore := serverCPU()
		before := cpuTime(b)
		start := time.Now()
		results := c.Sweep(context.Background(), addrs, WantInfo|WantPlayers)
		wall += time.Since(start)
		cpu += cpuTime(b) - before
		scpu += serverCPU() - sBefore
		answered := 0
		for _, r := range results {
			if r.Err == nil && len(r.Players) == len(benchPlayers) {
				answered++
			}
		}
		if answered != 100 {
			b.Fatalf("%d servers answered, want 100", answered)
		}
	}
	b.ReportMetric(float64(wall.Microseconds())/1000/float64(b.N), "wall-ms/sweep")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/sweep")
	if scpu > 0 {
		b.ReportMetric(float64(scpu.Microseconds())/1000/float64(b.N), "server-cpu-ms/sweep")
	}
}

// cpuTime is the user and system time this process has used.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

const envBenchServers = "A2S_BENCH_SERVERS"

// childServers runs TestHelperBenchServers in a child process and
// returns its servers' addresses and a function that asks it for its CPU
// time so far.
func childServers(b *testing.B) ([]string, func() time.Duration) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperBenchServers$", "-test.count=1")
	cmd.Env = append(os.Environ(), envBenchServers+"=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { in.Close(); cmd.Wait() })
	out := bufio.NewScanner(outPipe)
	var addrs []string
	for out.Scan() && out.Text() != "ready" {
		addrs = append(addrs, out.Text())
	}
	if len(addrs) != 110 {
		b.Fatalf("the child started %d servers, want 110", len(addrs))
	}
	return addrs, func() time.Duration {
		io.WriteString(in, "cpu\n")
		if !out.Scan() {
			b.Fatal("the child did not say its CPU time")
		}
		ns, err := strconv.ParseInt(strings.TrimSpace(out.Text()), 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		return time.Duration(ns)
	}
}

// TestHelperBenchServers is not a test: it is the child process of
// BenchmarkSweep/servers-apart. It starts the benchmark's servers, prints
// their addresses and "ready", then answers each "cpu" line on stdin with
// its CPU time in nanoseconds, until stdin ends.
func TestHelperBenchServers(t *testing.T) {
	if os.Getenv(envBenchServers) != "1" {
		t.Skip("runs only as the child of BenchmarkSweep")
	}
	for _, a := range startBenchServers(t) {
		fmt.Println(a)
	}
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		fmt.Println(int64(cpuTime(t)))
	}
}
