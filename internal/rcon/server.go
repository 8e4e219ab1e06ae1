package rcon

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"sync"
)

// DefaultMaxFailures is Server.MaxFailures when it is zero.
const DefaultMaxFailures = 5

// ErrServerClosed is what Serve returns after Close.
var ErrServerClosed = errors.New("rcon: server closed")

// Server is a minimal RCON server that answers as srcds does: an empty
// RESPONSE_VALUE before every AUTH_RESPONSE, id -1 for a wrong password,
// the connection closed after MaxFailures wrong passwords (srcds's
// sv_rcon_maxfailures; srcds also bans the address, which on loopback
// would shut out every client), an answer longer than MaxBody split into
// several packets, and an empty RESPONSE_VALUE mirrored, followed by the
// packet with the body 00 01 00 00 srcds sends after it. A command before
// a successful AUTH, or a packet of a size out of range, closes the
// connection.
//
// It listens on loopback only: it stands in for a game server in tests,
// in cmd/fakesrcds and on the simulated host.
type Server struct {
	// Password is the RCON password; an empty one refuses every login,
	// as srcds does while rcon_password is unset.
	Password string
	// Handler answers a command; it is called from one goroutine per
	// connection, so it must be safe for concurrent use.
	Handler func(command string) string
	// MaxFailures is how many wrong passwords a connection may send
	// before it is closed; DefaultMaxFailures when 0.
	MaxFailures int

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[net.Conn]struct{}
	closed    bool
	wg        sync.WaitGroup
}

// ListenAndServe listens on addr, which must be a loopback address such
// as 127.0.0.1:27015, and serves until Close.
func (s *Server) ListenAndServe(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("rcon server address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("rcon server address %q: the test server listens on a loopback address only (127.0.0.1)", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// Serve accepts connections on l until Close and returns ErrServerClosed
// then. l must listen on a loopback address; Serve closes it.
func (s *Server) Serve(l net.Listener) error {
	defer l.Close()
	if a, ok := l.Addr().(*net.TCPAddr); !ok || !a.IP.IsLoopback() {
		return fmt.Errorf("rcon server address %s: the test server listens on a loopback address only (127.0.0.1)", l.Addr())
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrServerClosed
	}
	if s.listeners == nil {
		s.listeners = make(map[net.Listener]struct{})
		s.conns = make(map[net.Conn]struct{})
	}
	s.listeners[l] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	for {
		nc, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return ErrServerClosed
		}
		s.conns[nc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			s.serveConn(nc)
			s.mu.Lock()
			delete(s.conns, nc)
			s.mu.Unlock()
			nc.Close()
		}()
	}
}

// Close stops every listener and connection and waits for their
// goroutines (and so for a Handler still running).
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for l := range s.listeners {
		l.Close()
	}
	for nc := range s.conns {
		nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

func (s *Server) serveConn(nc net.Conn) {
	r := bufio.NewReader(nc)
	w := bufio.NewWriter(nc)
	buf := new([maxSize]byte)
	maxFailures := s.MaxFailures
	if maxFailures <= 0 {
		maxFailures = DefaultMaxFailures
	}
	authed, failures := false, 0
	for {
		p, err := readPacket(r, buf)
		if err != nil {
			return
		}
		var out []byte
		switch p.typ {
		case typeAuth:
			authed = s.Password != "" && p.body == s.Password
			id := p.id
			if !authed {
				id = -1
				failures++
			}
			out = appendPacket(out, p.id, typeResponseValue, "")
			out = appendPacket(out, id, typeAuthResponse, "")
		case typeExecCommand:
			if !authed {
				return
			}
			answer := ""
			if s.Handler != nil {
				answer = s.Handler(p.body)
			}
			for first := true; first || answer != ""; first = false {
				n := min(len(answer), MaxBody)
				out = appendPacket(out, p.id, typeResponseValue, answer[:n])
				answer = answer[n:]
			}
		case typeResponseValue:
			if !authed {
				return
			}
			out = appendPacket(out, p.id, typeResponseValue, "")
			// The body 00 01 and the two NULs: the bytes 00 01 00 00.
			out = appendPacket(out, p.id, typeResponseValue, "\x00\x01")
		default:
			continue // srcds passes over unknown types
		}
		if _, err := w.Write(out); err != nil {
			return
		}
		// Flush when the client has sent nothing more, so an answer
		// and the marker's echo that follows it go out together.
		if r.Buffered() == 0 {
			if err := w.Flush(); err != nil {
				return
			}
		}
		if failures >= maxFailures {
			w.Flush()
			return
		}
	}
}
