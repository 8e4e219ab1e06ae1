// Package connlimit wraps the panel's listener so that many connections,
// idle or not, never stop it from serving.
//
//   - Running out of descriptors (EMFILE, ENFILE) is not fatal: Accept
//     closes the connection idle the longest to free one and tries again
//     5 ms later, or, when none is idle, waits (5 ms doubling to 1 s) and
//     tries again.
//   - At most Max connections are open, and at most MaxPerAddr from one
//     client address (an IPv6 client counts per /64). A connection over a
//     limit takes the place of the connection idle the longest within that
//     limit (all connections, or that address's); when none of them is
//     idle, the new connection is closed at once.
//
// A connection is idle while the server waits for its client to send: from
// its accept to its first bytes, and from a read that has to wait for the
// client to the next bytes (between a response and the next request, or a
// client sending slowly). One that is being served is never closed to make
// room.
package connlimit

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Options configure a Listener; every field is optional.
type Options struct {
	// Max is how many connections may be open at once; 0 means no limit.
	Max int
	// MaxPerAddr is how many of them one client address may hold; 0
	// means no limit.
	MaxPerAddr int
	// Shared, when set, reports the addresses that carry many clients
	// (a reverse proxy on this host): they count against Max only.
	Shared func(netip.Addr) bool
	// Logger receives what the limits did, at most once a minute
	// (default slog.Default()).
	Logger *slog.Logger
	// MinBackoff and MaxBackoff bound the wait between accepts while
	// descriptors are out and no connection is idle (default 5 ms, 1 s).
	MinBackoff, MaxBackoff time.Duration
	// Now is the clock of the once-a-minute report (default time.Now).
	Now func() time.Time
}

// Listener is a net.Listener with the limits of Options.
type Listener struct {
	net.Listener
	opts Options

	mu      sync.Mutex
	conns   map[*conn]struct{}
	perAddr map[netip.Addr]int
	seq     atomic.Uint64 // orders the starts of idle waits
	report  report

	closeOnce sync.Once
	closed    chan struct{}
}

// New wraps ln.
func New(ln net.Listener, opts Options) *Listener {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 5 * time.Millisecond
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(time.Second, opts.MinBackoff)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Listener{
		Listener: ln, opts: opts,
		conns: map[*conn]struct{}{}, perAddr: map[netip.Addr]int{},
		closed: make(chan struct{}),
	}
}

// Accept returns the next connection within the limits. It returns an
// error only when the listener is closed or fails for good.
func (l *Listener) Accept() (net.Conn, error) {
	var wait time.Duration
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			if !outOfDescriptors(err) {
				return nil, err
			}
			// The descriptor of a closed connection is released once its
			// reader returns, a moment later: pause before the next try
			// so that one missing descriptor costs one idle connection.
			pause := l.opts.MinBackoff
			if l.evict(nil) != nil {
				wait = 0
				l.event(func(r *report) { r.outOfFDs++; r.evicted++; r.lastErr = err })
			} else {
				wait = min(max(2*wait, l.opts.MinBackoff), l.opts.MaxBackoff)
				pause = wait
				l.event(func(r *report) { r.outOfFDs++; r.lastErr = err })
			}
			t := time.NewTimer(pause)
			select {
			case <-t.C:
			case <-l.closed: // the next Accept reports the close
				t.Stop()
			}
			continue
		}
		wait = 0
		if lc := l.admit(c); lc != nil {
			return lc, nil
		}
	}
}

// Close closes the listener; open connections stay open.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// Open returns how many accepted connections are open.
func (l *Listener) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

// outOfDescriptors reports whether an accept failed for want of a
// descriptor (the process's or the system's) or of kernel memory: passing
// states that end as connections close.
func outOfDescriptors(err error) bool {
	for _, e := range []error{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// admit registers c within the limits, making room by closing the longest
// idle connection; it closes c and returns nil when there is no room.
func (l *Listener) admit(c net.Conn) *conn {
	key, limited := l.key(c)
	l.mu.Lock()
	var victims []*conn
	full := false
	if limited && l.opts.MaxPerAddr > 0 && l.perAddr[key] >= l.opts.MaxPerAddr {
		v := l.idlest(func(x *conn) bool { return x.limited && x.key == key })
		full = v == nil
		victims = append(victims, v)
	}
	if !full && l.opts.Max > 0 && len(l.conns) >= l.opts.Max {
		v := l.idlest(nil)
		full = v == nil
		victims = append(victims, v)
	}
	var lc *conn
	if !full {
		lc = &conn{Conn: c, l: l, key: key, limited: limited}
		lc.idle.Store(l.seq.Add(1)) // waits for its first request
		l.conns[lc] = struct{}{}
		if limited {
			l.perAddr[key]++
		}
	}
	l.mu.Unlock()

	evicted := 0
	for _, v := range victims {
		if v != nil {
			_ = v.Conn.Close()
			evicted++
		}
	}
	if full {
		_ = c.Close()
	}
	if evicted > 0 || full {
		l.event(func(r *report) {
			r.evicted += evicted
			if full {
				r.refused++
			}
		})
	}
	return lc
}

// evict closes the connection idle the longest among those match accepts
// (all when nil), and returns it; nil when none is idle.
func (l *Listener) evict(match func(*conn) bool) *conn {
	l.mu.Lock()
	v := l.idlest(match)
	l.mu.Unlock()
	if v != nil {
		_ = v.Conn.Close()
	}
	return v
}

// idlest finds the connection idle the longest among those match accepts
// and forgets it (the caller closes it); nil when none is idle. l.mu is
// held.
func (l *Listener) idlest(match func(*conn) bool) *conn {
	var best *conn
	var bestSeq uint64
	for c := range l.conns {
		s := c.idle.Load()
		if s == 0 || c.closed.Load() || (match != nil && !match(c)) {
			continue
		}
		if best == nil || s < bestSeq {
			best, bestSeq = c, s
		}
	}
	if best != nil && best.closed.CompareAndSwap(false, true) {
		l.forgetLocked(best)
	}
	return best
}

func (l *Listener) forgetLocked(c *conn) {
	delete(l.conns, c)
	if c.limited {
		if l.perAddr[c.key]--; l.perAddr[c.key] <= 0 {
			delete(l.perAddr, c.key)
		}
	}
}

// key is the client address c counts against, and whether MaxPerAddr
// applies to it.
func (l *Listener) key(c net.Conn) (netip.Addr, bool) {
	ta, ok := c.RemoteAddr().(*net.TCPAddr)
	if !ok {
		return netip.Addr{}, false
	}
	a, ok := netip.AddrFromSlice(ta.IP)
	if !ok {
		return netip.Addr{}, false
	}
	a = a.Unmap()
	if l.opts.Shared != nil && l.opts.Shared(a) {
		return a, false
	}
	if a.Is6() {
		// One client usually holds a whole /64.
		p, _ := a.Prefix(64)
		a = p.Addr()
	}
	return a, true
}

// conn is an accepted connection that tracks when it waits for its client.
type conn struct {
	net.Conn
	l       *Listener
	key     netip.Addr
	limited bool
	// idle is 0 while the connection is being served, else the sequence
	// number of the start of its current wait for the client.
	idle   atomic.Uint64
	closed atomic.Bool
}

func (c *conn) Read(p []byte) (int, error) {
	if c.idle.Load() == 0 { // a wait begins; it began at accept for a new one
		c.idle.Store(c.l.seq.Add(1))
	}
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.idle.Store(0)
	}
	return n, err
}

func (c *conn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.l.mu.Lock()
		c.l.forgetLocked(c)
		c.l.mu.Unlock()
	}
	return c.Conn.Close()
}

// report gathers what the limits did, for one log line a minute.
type report struct {
	logged                     time.Time
	refused, evicted, outOfFDs int
	lastErr                    error
}

// event records what happened and logs the tally when a minute passed
// since the last line (the first event logs at once).
func (l *Listener) event(f func(*report)) {
	l.mu.Lock()
	r := &l.report
	f(r)
	now := l.opts.Now()
	if !r.logged.IsZero() && now.Sub(r.logged) < time.Minute {
		l.mu.Unlock()
		return
	}
	msg := "connection limits reached: closing idle connections to make room, refusing new ones when none is idle"
	attrs := []any{"open", len(l.conns), "max", l.opts.Max, "max_per_addr", l.opts.MaxPerAddr,
		"closed_idle", r.evicted, "refused", r.refused}
	if r.outOfFDs > 0 {
		msg = "out of file descriptors accepting connections: closing idle ones and retrying (raise LimitNOFILE or lower LEFT4ME_MAX_CONNS)"
		attrs = append(attrs, "failed_accepts", r.outOfFDs, "err", r.lastErr.Error())
	}
	*r = report{logged: now}
	l.mu.Unlock()
	l.opts.Logger.Warn(msg, attrs...)
}
