package connlimit_test

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/left4me/left4me/internal/connlimit"
)

// logBuffer is a log sink safe for concurrent use.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *logBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// server accepts on a connlimit.Listener over loopback and serves every
// connection like an HTTP server: it reads, and (busy) stops reading after
// the first bytes, as if a handler were running.
type server struct {
	t        *testing.T
	ln       *connlimit.Listener
	logs     *logBuffer
	accepted chan net.Conn
	read     chan struct{}
	hold     chan struct{}
}

func newServer(t *testing.T, opts connlimit.Options) *server {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, logs: &logBuffer{}, accepted: make(chan net.Conn, 100), read: make(chan struct{}, 100), hold: make(chan struct{})}
	opts.Logger = slog.New(slog.NewTextHandler(s.logs, nil))
	s.ln = connlimit.New(inner, opts)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := s.ln.Accept()
			if err != nil {
				return
			}
			s.accepted <- c
			go func() {
				defer c.Close()
				if _, err := c.Read(make([]byte, 1)); err != nil {
					return
				}
				s.read <- struct{}{}
				<-s.hold // a handler that never ends: the connection stays busy
			}()
		}
	}()
	t.Cleanup(func() {
		close(s.hold)
		s.ln.Close()
		<-done
	})
	return s
}

// client is one loopback connection from a chosen source address.
type client struct {
	net.Conn
	closed chan struct{} // closed when the server closes the connection
}

// dial connects from 127.0.0.from and waits until the server either
// accepted the connection or closed it.
func (s *server) dial(from byte) *client {
	s.t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, from)}}
	c, err := d.Dial("tcp", s.ln.Addr().String())
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { c.Close() })
	cl := &client{Conn: c, closed: make(chan struct{})}
	go func() {
		_, _ = c.Read(make([]byte, 1))
		close(cl.closed)
	}()
	select {
	case <-s.accepted:
	case <-cl.closed:
	case <-time.After(5 * time.Second):
		s.t.Fatalf("the server neither accepted nor closed a connection from 127.0.0.%d", from)
	}
	return cl
}

// busy sends a byte and waits until the server read it.
func (s *server) busy(c *client) {
	s.t.Helper()
	if _, err := c.Write([]byte{'G'}); err != nil {
		s.t.Fatal(err)
	}
	select {
	case <-s.read:
	case <-time.After(5 * time.Second):
		s.t.Fatal("the server never read the byte")
	}
}

// wantClosed checks which of cs the server closed, waiting for each closed
// one up to 5 s.
func wantClosed(t *testing.T, cs []*client, closed ...int) {
	t.Helper()
	want := map[int]bool{}
	for _, i := range closed {
		want[i] = true
		select {
		case <-cs[i].closed:
		case <-time.After(5 * time.Second):
			t.Fatalf("connection %d is open, want it closed", i)
		}
	}
	for i, c := range cs {
		select {
		case <-c.closed:
			if !want[i] {
				t.Errorf("connection %d was closed, want it open", i)
			}
		default:
		}
	}
}

func TestAnAddressOverItsLimitTakesThePlaceOfItsLongestIdleConnection(t *testing.T) {
	s := newServer(t, connlimit.Options{MaxPerAddr: 3})
	var cs []*client
	for range 5 {
		cs = append(cs, s.dial(2))
	}
	other := s.dial(3)
	wantClosed(t, append(cs, other), 0, 1)
	if n := s.ln.Open(); n != 4 {
		t.Fatalf("open = %d, want 3 from 127.0.0.2 and 1 from 127.0.0.3", n)
	}
	if !strings.Contains(s.logs.String(), "connection limits reached") {
		t.Errorf("the log does not say the limit was reached:\n%s", s.logs)
	}
}

func TestOverTheTotalLimitTheLongestIdleConnectionMakesRoom(t *testing.T) {
	s := newServer(t, connlimit.Options{Max: 4})
	var cs []*client
	for i := range 6 {
		cs = append(cs, s.dial(byte(10+i)))
	}
	wantClosed(t, cs, 0, 1)
	// A connection that sent something since is no longer the idlest.
	s.busy(cs[2])
	cs = append(cs, s.dial(20))
	wantClosed(t, cs, 0, 1, 3)
}

func TestAConnectionBeingServedIsNeverClosedToMakeRoom(t *testing.T) {
	s := newServer(t, connlimit.Options{Max: 2, MaxPerAddr: 2})
	a, b := s.dial(2), s.dial(2)
	s.busy(a)
	s.busy(b)
	sameAddr := s.dial(2)
	other := s.dial(3)
	wantClosed(t, []*client{a, b, sameAddr, other}, 2, 3)
	if n := s.ln.Open(); n != 2 {
		t.Fatalf("open = %d, want the 2 busy ones", n)
	}
	if !strings.Contains(s.logs.String(), "refused=") {
		t.Errorf("the log does not count the refused connection:\n%s", s.logs)
	}
}

func TestASharedAddressCountsOnlyAgainstTheTotal(t *testing.T) {
	s := newServer(t, connlimit.Options{MaxPerAddr: 1, Shared: func(a netip.Addr) bool { return a == netip.MustParseAddr("127.0.0.1") }})
	cs := []*client{s.dial(1), s.dial(1), s.dial(1), s.dial(2), s.dial(2)}
	wantClosed(t, cs, 3)
}

// fdListener fails like a process out of descriptors until it is given
// connections.
type fdListener struct {
	net.Listener
	mu     sync.Mutex
	fails  int // accepts to fail before the next success
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func (f *fdListener) Accept() (net.Conn, error) {
	f.mu.Lock()
	fail := f.fails != 0
	if f.fails > 0 {
		f.fails--
	}
	f.mu.Unlock()
	select {
	case <-f.closed:
		return nil, net.ErrClosed
	default:
	}
	if fail {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	select {
	case c := <-f.conns:
		return c, nil
	case <-f.closed:
		return nil, net.ErrClosed
	}
}

func (f *fdListener) Close() error { f.once.Do(func() { close(f.closed) }); return nil }

func TestRunningOutOfDescriptorsIsNotFatal(t *testing.T) {
	f := &fdListener{fails: 5, conns: make(chan net.Conn, 2), closed: make(chan struct{})}
	logs := &logBuffer{}
	ln := connlimit.New(f, connlimit.Options{Logger: slog.New(slog.NewTextHandler(logs, nil)), MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond})

	// Nothing idle to close: Accept waits and tries again.
	c1, peer1 := net.Pipe()
	defer peer1.Close()
	f.conns <- c1
	got, err := ln.Accept()
	if err != nil {
		t.Fatalf("Accept = %v after 5 failures for want of descriptors, want the next connection", err)
	}
	if l := logs.String(); strings.Count(l, "out of file descriptors") != 1 || !strings.Contains(l, "too many open files") {
		t.Errorf("want one log line naming the failure (at most one a minute), got:\n%s", l)
	}

	// With a connection idle, it is closed to free a descriptor.
	f.mu.Lock()
	f.fails = 1
	f.mu.Unlock()
	c2, peer2 := net.Pipe()
	defer peer2.Close()
	f.conns <- c2
	if _, err := ln.Accept(); err != nil {
		t.Fatal(err)
	}
	if _, err := got.Read(make([]byte, 1)); !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("the idle connection read %v, want it closed to free a descriptor", err)
	}

	// Closing the listener ends an Accept that is waiting out a failure.
	f.mu.Lock()
	f.fails = -1 // for ever
	f.mu.Unlock()
	done := make(chan error, 1)
	go func() { _, err := ln.Accept(); done <- err }()
	ln.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Accept after Close = %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Accept did not return after Close")
	}
}
