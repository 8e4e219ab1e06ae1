package jobs

import (
	"sync"
	"sync/atomic"
	"time"
)

// PollBuckets are the upper bounds, in seconds, of the poller's read
// durations as PollStats counts them (a tick asks systemd once for every
// server; over the bus it takes milliseconds, through the show helper a
// few hundred).
var PollBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// PollStats is what the poller has done since it was made, for /metrics.
type PollStats struct {
	// Ticks are the reads of every server; Looks the reads of one (a
	// change a watch reported, a new server).
	Ticks, Looks ReadStats
	// Signals counts the changes a watch reported (NoteSignal).
	Signals uint64
}

// ReadStats counts reads of one kind: how many, how many failed, their
// total duration and a histogram of durations.
type ReadStats struct {
	Count, Errors uint64
	Seconds       float64
	// Buckets[i] counts the reads that took at most PollBuckets[i]
	// (cumulative).
	Buckets []uint64
}

// pollStats is the poller's PollStats as it counts them.
type pollStats struct {
	mu      sync.Mutex
	ticks   ReadStats
	looks   ReadStats
	signals atomic.Uint64
}

func (s *pollStats) note(r *ReadStats, d time.Duration, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Buckets == nil {
		r.Buckets = make([]uint64, len(PollBuckets))
	}
	r.Count++
	if err != nil {
		r.Errors++
	}
	sec := d.Seconds()
	r.Seconds += sec
	for i, le := range PollBuckets {
		if sec <= le {
			r.Buckets[i]++
		}
	}
}

func (s *pollStats) snapshot() PollStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := PollStats{Ticks: s.ticks, Looks: s.looks, Signals: s.signals.Load()}
	out.Ticks.Buckets = append([]uint64(nil), s.ticks.Buckets...)
	out.Looks.Buckets = append([]uint64(nil), s.looks.Buckets...)
	return out
}

// Stats returns what the poller has done since it was made.
func (p *Poller) Stats() PollStats { return p.stats.snapshot() }

// NoteSignal counts one change a watch of the backend reported (the
// watch loop calls it for every report, before the look it causes).
func (p *Poller) NoteSignal() { p.stats.signals.Add(1) }
