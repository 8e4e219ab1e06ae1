package a2s

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"
)

// BenchmarkSweep is the panel's live sweep: 100 servers answering on
// loopback as fakesrcds does (challenge, A2S_INFO, A2S_PLAYER with 4
// players), 10 more that never answer, one client asking all 110 for
// info and players. The answering servers are goroutines of this
// process, so the CPU reported (user+system, getrusage of the process
// around each sweep) is the client's and the 100 servers' together: an
// upper bound for the panel's share. The silent servers make every sweep
// last the 1 s timeout.
func BenchmarkSweep(b *testing.B) {
	players := []Player{{Name: "Ellis", Score: 3, Duration: 61}, {Name: `Zoë "the" kid`, Score: 12, Duration: 600},
		{Name: "Coach", Duration: 5}, {Name: "Nick", Score: 1, Duration: 3000}}
	var addrs []string
	for i := range 100 {
		info := sample
		info.Name = fmt.Sprintf("Game night %d", i)
		info.Players = byte(len(players))
		addrs = append(addrs, startServer(b, &gameServer{info: EncodeInfo(info), players: EncodePlayers(players)}))
	}
	for range 10 {
		addrs = append(addrs, silentServer(b))
	}
	c, err := NewClient(ClientOpts{Listen: "127.0.0.1:0"})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	var wall, cpu time.Duration
	b.ResetTimer()
	for range b.N {
		before := cpuTime(b)
		start := time.Now()
		results := c.Sweep(context.Background(), addrs, WantInfo|WantPlayers)
		wall += time.Since(start)
		cpu += cpuTime(b) - before
		answered := 0
		for _, r := range results {
			if r.Err == nil && len(r.Players) == len(players) {
				answered++
			}
		}
		if answered != 100 {
			b.Fatalf("%d servers answered, want 100", answered)
		}
	}
	b.ReportMetric(float64(wall.Milliseconds())/float64(b.N), "wall-ms/sweep")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/sweep")
}

// cpuTime is the user and system time the process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
