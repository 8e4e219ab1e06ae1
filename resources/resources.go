// Package resources keeps what each server costs, as systemd's cgroup
// accounting reports it in every state read (hostbackend.UnitStatus):
// CPU % from the growth of CPUUsageNSec between two reads, memory now and
// its peak against MemoryMax, tasks, uptime and restarts, and an hour of
// samples for the server page's chart. It is fed by the state poller's
// reads (the ticks and every Look, the watch loop's too) and kept in
// memory only: a restarted panel starts the chart afresh.
package resources

import (
	"sync"
	"time"

	"github.com/left4me/left4me/hostbackend"
)

// Defaults of Options.
const (
	// DefaultRetention is how long samples are kept: the chart's hour and
	// one sample interval more.
	DefaultRetention = time.Hour + DefaultSampleEvery
	// DefaultSampleEvery is the least time between two kept samples of
	// one server; reads in between update the figures, not the chart.
	DefaultSampleEvery = 30 * time.Second
	// DefaultMinWindow is the least time over which CPU % is worked out:
	// two reads closer together (the watch loop's looks after an event)
	// keep the CPU % of the last window.
	DefaultMinWindow = 5 * time.Second
)

// Figures is what one running server costs, as last read.
type Figures struct {
	// At is when the figures were read.
	At time.Time
	// CPUPercent is the CPU time used between two reads as a share of
	// one core's time, in % (above 100 with more than one core busy);
	// valid only when HasCPU, which the first read after a start lacks.
	CPUPercent float64
	HasCPU     bool
	// CPUSeconds is the CPU time used since the unit started.
	CPUSeconds float64
	// Memory is the memory in use; MemoryPeak the most since the unit
	// started (systemd's own from version 255, else the most this panel
	// read); MemoryMax the limit, 0 for none.
	Memory, MemoryPeak, MemoryMax uint64
	// Tasks is the number of processes and threads.
	Tasks uint64
	// Since is when the unit became active (its uptime's start); zero
	// when systemd did not say.
	Since time.Time
	// Restarts is systemd's NRestarts: automatic restarts since the unit
	// was last started by hand.
	Restarts int
}

// Uptime is how long the unit has been active at now; 0 when unknown.
func (f Figures) Uptime(now time.Time) time.Duration {
	if f.Since.IsZero() || now.Before(f.Since) {
		return 0
	}
	return now.Sub(f.Since)
}

// MemoryShare is the memory in use as a share of MemoryMax in %; 0 with
// no limit.
func (f Figures) MemoryShare() float64 {
	if f.MemoryMax == 0 {
		return 0
	}
	return 100 * float64(f.Memory) / float64(f.MemoryMax)
}

// Sample is one point of a server's chart.
type Sample struct {
	At         time.Time
	CPUPercent float64 // valid when HasCPU
	HasCPU     bool
	Memory     uint64
	MemoryMax  uint64
}

// Options configures New; the zero value uses the defaults.
type Options struct {
	Retention   time.Duration
	SampleEvery time.Duration
	MinWindow   time.Duration
}

// Book holds the figures and samples of every server, by server id. It
// is safe for concurrent use.
type Book struct {
	opts Options

	mu        sync.Mutex
	servers   map[int64]*server
	lastSweep time.Time
}

type server struct {
	seen    time.Time // the last read
	cur     Figures
	running bool // cur holds the figures of a running unit
	// The CPU % window's start: a read's time and CPU time.
	baseAt  time.Time
	baseCPU uint64
	samples []Sample // oldest first
}

// New returns an empty book.
func New(opts Options) *Book {
	if opts.Retention <= 0 {
		opts.Retention = DefaultRetention
	}
	if opts.SampleEvery <= 0 {
		opts.SampleEvery = DefaultSampleEvery
	}
	if opts.MinWindow <= 0 {
		opts.MinWindow = DefaultMinWindow
	}
	return &Book{opts: opts, servers: map[int64]*server{}}
}

// Observe records what a read of server id at the time at said. A unit
// that does not run has no figures: its server's current figures go, its
// samples stay (a gap in the chart). A server not read for Retention (one
// deleted) is forgotten. A nil book records nothing.
func (b *Book) Observe(id int64, at time.Time, u *hostbackend.UnitStatus) {
	if b == nil || u == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.servers[id]
	if s == nil {
		s = &server{}
		b.servers[id] = s
	}
	s.seen = at
	b.sweep(at)
	if u.State() != hostbackend.StateRunning || (u.CPUUsageNSec == 0 && u.MemoryCurrent == 0 && u.TasksCurrent == 0) {
		// Not running, or systemd keeps no accounting for it.
		s.running, s.cur = false, Figures{}
		s.prune(at, b.opts.Retention)
		return
	}
	prev, wasRunning := s.cur, s.running
	restarted := !wasRunning || !u.ActiveEnterTimestamp.Equal(prev.Since) || u.CPUUsageNSec < s.baseCPU || at.Before(s.baseAt)
	f := Figures{
		At: at, CPUSeconds: float64(u.CPUUsageNSec) / 1e9,
		Memory: u.MemoryCurrent, MemoryPeak: u.MemoryPeak, MemoryMax: u.MemoryMax,
		Tasks: u.TasksCurrent, Since: u.ActiveEnterTimestamp, Restarts: u.NRestarts,
	}
	switch {
	case restarted:
		s.baseAt, s.baseCPU = at, u.CPUUsageNSec
	case at.Sub(s.baseAt) >= b.opts.MinWindow:
		f.CPUPercent = 100 * float64(u.CPUUsageNSec-s.baseCPU) / float64(at.Sub(s.baseAt))
		f.HasCPU = true
		s.baseAt, s.baseCPU = at, u.CPUUsageNSec
	default:
		f.CPUPercent, f.HasCPU = prev.CPUPercent, prev.HasCPU
	}
	if f.MemoryPeak == 0 { // systemd before 255: the most this panel saw
		f.MemoryPeak = f.Memory
		if !restarted {
			f.MemoryPeak = max(f.MemoryPeak, prev.MemoryPeak)
		}
	}
	s.cur, s.running = f, true

	if n := len(s.samples); n == 0 || at.Sub(s.samples[n-1].At) >= b.opts.SampleEvery {
		s.samples = append(s.samples, Sample{At: at, CPUPercent: f.CPUPercent, HasCPU: f.HasCPU, Memory: f.Memory, MemoryMax: f.MemoryMax})
	} else if !s.samples[n-1].HasCPU && f.HasCPU {
		// The first CPU % after a start: the sample gets it.
		s.samples[n-1].CPUPercent, s.samples[n-1].HasCPU = f.CPUPercent, true
	}
	s.prune(at, b.opts.Retention)
}

// prune drops the samples older than keep before now.
func (s *server) prune(now time.Time, keep time.Duration) {
	cut := 0
	for cut < len(s.samples) && now.Sub(s.samples[cut].At) > keep {
		cut++
	}
	if cut > 0 {
		s.samples = append(s.samples[:0:0], s.samples[cut:]...)
	}
}

// sweep forgets, once per Retention, the servers not read for as long.
func (b *Book) sweep(now time.Time) {
	if now.Sub(b.lastSweep) < b.opts.Retention {
		return
	}
	b.lastSweep = now
	for id, s := range b.servers {
		if now.Sub(s.seen) > b.opts.Retention {
			delete(b.servers, id)
		}
	}
}

// Figures returns the current figures of server id; false when it does
// not run or was not read yet. A nil book has none.
func (b *Book) Figures(id int64) (Figures, bool) {
	if b == nil {
		return Figures{}, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.servers[id]
	if s == nil || !s.running {
		return Figures{}, false
	}
	return s.cur, true
}

// All returns the current figures of every running server, by id.
func (b *Book) All() map[int64]Figures {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[int64]Figures, len(b.servers))
	for id, s := range b.servers {
		if s.running {
			out[id] = s.cur
		}
	}
	return out
}

// Samples returns server id's samples of the span before now, oldest
// first (a copy).
func (b *Book) Samples(id int64, since time.Time) []Sample {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.servers[id]
	if s == nil {
		return nil
	}
	var out []Sample
	for _, x := range s.samples {
		if !x.At.Before(since) {
			out = append(out, x)
		}
	}
	return out
}
