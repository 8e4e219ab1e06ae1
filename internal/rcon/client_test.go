package rcon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestExecSpeaksTheWireFormat(t *testing.T) {
	serverErr := make(chan error, 1)
	addr, _ := rawServer(t, func(nc net.Conn) {
		serverErr <- func() error {
			expect := func(want []byte) error {
				got := make([]byte, len(want))
				if _, err := io.ReadFull(nc, got); err != nil {
					return err
				}
				if !bytes.Equal(got, want) {
					return fmt.Errorf("client sent % x, want % x", got, want)
				}
				return nil
			}
			if err := expect([]byte{
				0x0c, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 'p', 'w', 0, 0, // AUTH id 1 "pw"
			}); err != nil {
				return err
			}
			nc.Write([]byte{
				0x0a, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, // the empty RESPONSE_VALUE
				0x0a, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, // AUTH_RESPONSE id 1: accepted
			})
			if err := expect([]byte{
				0x10, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 's', 't', 'a', 't', 'u', 's', 0, 0, // EXECCOMMAND id 2
				0x0a, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, // the marker: empty RESPONSE_VALUE id 3
			}); err != nil {
				return err
			}
			nc.Write([]byte{
				0x0f, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 'h', 'e', 'l', 'l', 'o', 0, 0,
				0x10, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, ' ', 'w', 'o', 'r', 'l', 'd', 0, 0,
				0x0a, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, // the marker mirrored
				0x0c, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, // and srcds's packet after it
			})
			_, err := nc.Read(make([]byte, 1)) // until the client closes
			if err != io.EOF {
				return fmt.Errorf("after the answer: %v, want EOF", err)
			}
			return nil
		}()
	})
	c := NewClient(addr, "pw")
	got, err := c.Exec(testCtx(t), "status")
	if err != nil || got != "hello world" {
		t.Fatalf("Exec = %q, %v; want %q", got, err, "hello world")
	}
	c.Close()
	if err := <-serverErr; err != nil {
		t.Fatal(err)
	}
}

func TestExecAgainstServer(t *testing.T) {
	long := strings.Repeat("0123456789abcdef", 1000) + "end" // 16003 bytes: four packets
	srv := &Server{Password: "secret", Handler: func(cmd string) string {
		switch cmd {
		case "long":
			return long
		case "quiet":
			return ""
		}
		return "you said " + cmd
	}}
	addr := startServer(t, srv)
	c := NewClient(addr, "secret")
	defer c.Close()
	ctx := testCtx(t)
	for _, tt := range []struct{ cmd, want string }{
		{"say hi", "you said say hi"},
		{"long", long},
		{"quiet", ""},
		{"long", long}, // nothing left over from before mixes in
		{`say "ünïcödé" ok`, `you said say "ünïcödé" ok`},
		{strings.Repeat("x", MaxBody), "you said " + strings.Repeat("x", MaxBody)},
	} {
		got, err := c.Exec(ctx, tt.cmd)
		if err != nil || got != tt.want {
			t.Fatalf("Exec(%.20q) = %d bytes %.40q, %v; want %d bytes %.40q", tt.cmd, len(got), got, err, len(tt.want), tt.want)
		}
	}
}

func TestWrongPassword(t *testing.T) {
	addr := startServer(t, &Server{Password: "secret", Handler: func(string) string { return "ran" }})
	for _, pw := range []string{"wrong", "", "secret\x00", strings.Repeat("p", MaxBody+1)} {
		c := NewClient(addr, pw)
		_, err := c.Exec(testCtx(t), "status")
		if !errors.Is(err, ErrBadPassword) || err.Error() != "the server refused the RCON password" {
			t.Errorf("password %.10q: err = %v, want ErrBadPassword", pw, err)
		}
		c.Close()
	}
}

func TestAServerWithoutPasswordRefusesEveryone(t *testing.T) {
	addr := startServer(t, &Server{Handler: func(string) string { return "ran" }})
	_, err := NewClient(addr, "").Exec(testCtx(t), "status")
	if !errors.Is(err, ErrBadPassword) {
		t.Errorf("err = %v, want ErrBadPassword", err)
	}
}

func TestAPasswordRevokedMidConnection(t *testing.T) {
	addr, _ := rawServer(t, func(nc net.Conn) {
		if !authOK(nc) {
			return
		}
		readRaw(nc)
		nc.Write(pkt(-1, 2, ""))
		readRaw(nc)
	})
	_, err := NewClient(addr, "pw").Exec(testCtx(t), "status")
	if !errors.Is(err, ErrBadPassword) {
		t.Errorf("err = %v, want ErrBadPassword", err)
	}
}

func TestCommandsThatAreNotOneLineOrTooLongAreRefusedUnsent(t *testing.T) {
	addr, accepted := rawServer(t, func(nc net.Conn) {})
	c := NewClient(addr, "pw")
	var p Pool
	for _, tt := range []struct {
		cmd  string
		want error
	}{
		{"say hi\nquit", ErrNotOneLine},
		{"say hi\rquit", ErrNotOneLine},
		{"say hi\x00quit", ErrNotOneLine},
		{"kick x\n", ErrNotOneLine},
		{strings.Repeat("x", MaxBody+1), ErrTooLong},
	} {
		if _, err := c.Exec(testCtx(t), tt.cmd); !errors.Is(err, tt.want) {
			t.Errorf("Exec(%.20q) = %v, want %v", tt.cmd, err, tt.want)
		}
		if _, err := p.Exec(testCtx(t), addr, "pw", tt.cmd); !errors.Is(err, tt.want) {
			t.Errorf("Pool.Exec(%.20q) = %v, want %v", tt.cmd, err, tt.want)
		}
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("refused commands opened %d connections", n)
	}
	if err := CheckCommand(strings.Repeat("x", MaxBody+1)); err == nil || !strings.Contains(err.Error(), "4097 bytes") {
		t.Errorf("CheckCommand of 4097 bytes = %v, want it to say how long", err)
	}
}

func TestAServerThatClosesMidAnswer(t *testing.T) {
	var commands atomic.Int32
	addr, accepted := rawServer(t, func(nc net.Conn) {
		if !authOK(nc) {
			return
		}
		p, err := readRaw(nc)
		if err != nil {
			return
		}
		commands.Add(1)
		nc.Write(pkt(p.id, 0, "first part of the answer"))
	})
	_, err := NewClient(addr, "pw").Exec(testCtx(t), "kick Bob")
	if err == nil || !strings.Contains(err.Error(), "the command may have run") {
		t.Fatalf("err = %v, want one saying the command may have run", err)
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, syscallReset) {
		t.Errorf("err = %v, want the closed connection in its chain", err)
	}
	if n, a := commands.Load(), accepted.Load(); n != 1 || a != 1 {
		t.Errorf("the server got the command %d times over %d connections; want once, not retried", n, a)
	}
}

// syscallReset: a server closing with bytes unread resets the connection.
var syscallReset = syscall.ECONNRESET

func TestAServerThatClosesDuringAuthentication(t *testing.T) {
	addr, _ := rawServer(t, func(nc net.Conn) { readRaw(nc) })
	_, err := NewClient(addr, "pw").Exec(testCtx(t), "status")
	if err == nil || !strings.Contains(err.Error(), "authentication") || errors.Is(err, ErrBadPassword) {
		t.Errorf("err = %v, want a broken connection during authentication", err)
	}
}

func TestReconnectsWhenTheKeptConnectionBroke(t *testing.T) {
	var commands atomic.Int32
	conns := make(chan net.Conn, 4)
	addr, accepted := rawServer(t, func(nc net.Conn) {
		conns <- nc
		if !authOK(nc) {
			return
		}
		for {
			p, err := readRaw(nc)
			if err != nil {
				return
			}
			if p.typ == 2 {
				commands.Add(1)
				nc.Write(pkt(p.id, 0, "ran "+p.body))
			} else {
				nc.Write(pkt(p.id, 0, ""))
			}
		}
	})
	c := NewClient(addr, "pw")
	defer c.Close()
	ctx := testCtx(t)
	if got, err := c.Exec(ctx, "status"); err != nil || got != "ran status" {
		t.Fatalf("first Exec = %q, %v", got, err)
	}
	(<-conns).Close() // the server restarted
	waitPeerClosed(t, c)
	if got, err := c.Exec(ctx, "kick Bob"); err != nil || got != "ran kick Bob" {
		t.Fatalf("Exec after the break = %q, %v; want it run over a new connection", got, err)
	}
	if n, a := commands.Load(), accepted.Load(); n != 2 || a != 2 {
		t.Errorf("%d commands over %d connections, want 2 over 2", n, a)
	}
}

// waitPeerClosed waits until the client's side has seen the server close
// the kept connection (the FIN crosses loopback on its own time).
func waitPeerClosed(t *testing.T, c *Client) {
	t.Helper()
	<-c.turn
	defer func() { c.turn <- struct{}{} }()
	for deadline := time.Now().Add(5 * time.Second); !peerClosed(c.nc); {
		if time.Now().After(deadline) {
			t.Fatal("the client never saw the connection close")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestReconnectsAfterTheServerRestarts(t *testing.T) {
	handler := func(cmd string) string { return "ran " + cmd }
	srv := &Server{Password: "pw", Handler: handler}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	go srv.Serve(l)
	c := NewClient(addr, "pw")
	defer c.Close()
	ctx := testCtx(t)
	if _, err := c.Exec(ctx, "status"); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	waitPeerClosed(t, c)
	srv2 := &Server{Password: "pw", Handler: handler}
	l2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	go srv2.Serve(l2)
	defer srv2.Close()
	if got, err := c.Exec(ctx, "status"); err != nil || got != "ran status" {
		t.Fatalf("Exec after the restart = %q, %v", got, err)
	}
}

func TestNoServerListening(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = NewClient(addr, "pw").Exec(testCtx(t), "status")
	if err == nil || !strings.Contains(err.Error(), "connect to RCON at "+addr) {
		t.Errorf("err = %v, want a failed connect naming the address", err)
	}
}

func TestTimeouts(t *testing.T) {
	silentAfterAuth, _ := rawServer(t, func(nc net.Conn) {
		if authOK(nc) {
			io.Copy(io.Discard, nc)
		}
	})
	silent, _ := rawServer(t, func(nc net.Conn) { io.Copy(io.Discard, nc) })

	t.Run("a command never answered may have run", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := NewClient(silentAfterAuth, "pw").Exec(ctx, "status")
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "may have run") {
			t.Errorf("err = %v, want the deadline and that the command may have run", err)
		}
	})
	t.Run("an authentication never answered", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := NewClient(silent, "pw").Exec(ctx, "status")
		if !errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "may have run") {
			t.Errorf("err = %v, want the deadline, the command not sent", err)
		}
	})
	t.Run("the client's timeout without a deadline", func(t *testing.T) {
		c := NewClient(silentAfterAuth, "pw")
		c.Timeout = 50 * time.Millisecond
		_, err := c.Exec(context.Background(), "status")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want the deadline", err)
		}
	})
	t.Run("a context's own deadline rather than the client's timeout", func(t *testing.T) {
		addr := startServer(t, &Server{Password: "pw", Handler: func(string) string { return "ok" }})
		c := NewClient(addr, "pw")
		defer c.Close()
		c.Timeout = time.Nanosecond
		if got, err := c.Exec(testCtx(t), "status"); err != nil || got != "ok" {
			t.Errorf("Exec = %q, %v; want the context's deadline to count", got, err)
		}
	})
	t.Run("a cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		c := NewClient(silentAfterAuth, "pw")
		done := make(chan error, 1)
		go func() {
			_, err := c.Exec(ctx, "status")
			done <- err
		}()
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
	t.Run("waiting for the connection's turn", func(t *testing.T) {
		c := NewClient(silentAfterAuth, "pw")
		c.Timeout = time.Minute
		<-c.turn // another command holds the connection
		defer func() { c.turn <- struct{}{} }()
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if _, err := c.Exec(ctx, "status"); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want the deadline", err)
		}
	})
}

func TestHostileSizesFromTheServer(t *testing.T) {
	for _, size := range []string{"\xff\xff\xff\x7f", "\xff\xff\xff\xff", "\x00\x00\x00\x00", "\x09\x00\x00\x00", "\x0b\x10\x00\x00"} {
		addr, _ := rawServer(t, func(nc net.Conn) {
			if !authOK(nc) {
				return
			}
			readRaw(nc)
			nc.Write([]byte(size))
			io.Copy(io.Discard, nc)
		})
		_, err := NewClient(addr, "pw").Exec(testCtx(t), "status")
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("size field % x: err = %v, want ErrMalformed", size, err)
		}
	}
}

func TestAnAnswerTooLong(t *testing.T) {
	addr := startServer(t, &Server{Password: "pw", Handler: func(cmd string) string {
		if cmd == "cvarlist" {
			return strings.Repeat("x", MaxAnswer+1)
		}
		return "ok"
	}})
	c := NewClient(addr, "pw")
	defer c.Close()
	if _, err := c.Exec(testCtx(t), "cvarlist"); !errors.Is(err, ErrAnswerTooLong) {
		t.Errorf("err = %v, want ErrAnswerTooLong", err)
	}
	if got, err := c.Exec(testCtx(t), "status"); err != nil || got != "ok" {
		t.Errorf("the next command = %q, %v; want it answered on a new connection", got, err)
	}
}

func TestClosedClient(t *testing.T) {
	addr := startServer(t, &Server{Password: "pw", Handler: func(string) string { return "ok" }})
	c := NewClient(addr, "pw")
	if _, err := c.Exec(testCtx(t), "status"); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := c.Exec(testCtx(t), "status"); !errors.Is(err, ErrClosed) {
		t.Errorf("err = %v, want ErrClosed", err)
	}
}

func TestPoolRunsConcurrentCommandsOverOneConnection(t *testing.T) {
	var accepted atomic.Int32
	srv := &Server{Password: "pw", Handler: func(cmd string) string {
		// Long answers, so that packets of different commands would mix
		// if commands did.
		return strings.Repeat(cmd+";", 5000/len(cmd))
	}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(countingListener{l, &accepted})
	defer srv.Close()
	addr := l.Addr().String()

	var p Pool
	defer p.Close()
	ctx := testCtx(t)
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for g := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				cmd := fmt.Sprintf("say %d-%d", g, i)
				got, err := p.Exec(ctx, addr, "pw", cmd)
				if want := strings.Repeat(cmd+";", 5000/len(cmd)); err != nil || got != want {
					errs <- fmt.Errorf("Exec(%q) = %.30q…, %v", cmd, got, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := accepted.Load(); n != 1 {
		t.Errorf("the pool opened %d connections to one server, want 1", n)
	}
}

type countingListener struct {
	net.Listener
	n *atomic.Int32
}

func (l countingListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return nc, err
}

func TestPoolLogsInAgainWithANewPassword(t *testing.T) {
	pw := "first"
	var mu sync.Mutex
	addr, accepted := rawServer(t, func(nc net.Conn) {
		p, err := readRaw(nc)
		mu.Lock()
		ok := err == nil && p.body == pw
		mu.Unlock()
		id := p.id
		if !ok {
			id = -1
		}
		nc.Write(append(pkt(p.id, 0, ""), pkt(id, 2, "")...))
		for {
			p, err := readRaw(nc)
			if err != nil {
				return
			}
			nc.Write(pkt(p.id, 0, ""))
		}
	})
	var p Pool
	defer p.Close()
	ctx := testCtx(t)
	if _, err := p.Exec(ctx, addr, "first", "status"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	pw = "second" // a new server took the port
	mu.Unlock()
	if _, err := p.Exec(ctx, addr, "second", "status"); err != nil {
		t.Fatalf("with the new password: %v", err)
	}
	if _, err := p.Exec(ctx, addr, "first", "status"); !errors.Is(err, ErrBadPassword) {
		t.Fatalf("with the old password: %v, want ErrBadPassword", err)
	}
	if n := accepted.Load(); n != 3 {
		t.Errorf("%d connections, want 3", n)
	}
	p.Forget(addr)
	p.Close()
	if _, err := p.Exec(ctx, addr, "second", "status"); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
}

// breakingConn writes only the first keep bytes of its third write (the
// second command after the login), then closes as a reset connection would.
type breakingConn struct {
	net.Conn
	writes, keep int
}

func (c *breakingConn) Write(b []byte) (int, error) {
	c.writes++
	if c.writes != 3 {
		return c.Conn.Write(b)
	}
	n, _ := c.Conn.Write(b[:c.keep])
	c.Conn.Close()
	return n, syscall.EPIPE
}

func TestACommandIsSentAgainOnlyIfItWasNotSent(t *testing.T) {
	const cmd = "kick Bob"
	cmdLen := len(appendPacket(nil, 2, typeExecCommand, cmd))
	for _, tt := range []struct {
		name      string
		keep      int
		wantRetry bool
	}{
		{"nothing written", 0, true},
		{"part of the command written", cmdLen - 1, true},
		{"the command written, the marker not", cmdLen, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var commands atomic.Int32
			addr, accepted := rawServer(t, func(nc net.Conn) {
				if !authOK(nc) {
					return
				}
				for {
					p, err := readRaw(nc)
					if err != nil {
						return
					}
					if p.typ == 2 {
						n := commands.Add(1)
						nc.Write(pkt(p.id, 0, fmt.Sprintf("ran %s #%d", p.body, n)))
					} else {
						nc.Write(pkt(p.id, 0, ""))
					}
				}
			})
			c := NewClient(addr, "pw")
			defer c.Close()
			var d net.Dialer
			dials := 0
			c.dial = func(ctx context.Context, addr string) (net.Conn, error) {
				nc, err := d.DialContext(ctx, "tcp", addr)
				if dials++; dials == 1 && err == nil {
					nc = &breakingConn{Conn: nc, keep: tt.keep}
				}
				return nc, err
			}
			ctx := testCtx(t)
			if _, err := c.Exec(ctx, "status"); err != nil { // logs in; the next write breaks
				t.Fatal(err)
			}
			got, err := c.Exec(ctx, cmd)
			if tt.wantRetry {
				if err != nil || got != "ran kick Bob #2" {
					t.Errorf("Exec = %q, %v; want it run once, over a new connection", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "may have run") {
				t.Errorf("Exec = %q, %v; want an error saying the command may have run", got, err)
			}
			if n := accepted.Load(); n != 1 {
				t.Errorf("%d connections: the sent command was tried again", n)
			}
		})
	}
}

func TestAnAuthenticationAnswerForAnotherID(t *testing.T) {
	addr, _ := rawServer(t, func(nc net.Conn) {
		p, err := readRaw(nc)
		if err != nil {
			return
		}
		nc.Write(append(pkt(p.id, 0, ""), pkt(p.id+100, 2, "")...))
		io.Copy(io.Discard, nc)
	})
	_, err := NewClient(addr, "pw").Exec(testCtx(t), "status")
	if !errors.Is(err, ErrMalformed) || strings.Contains(err.Error(), "may have run") {
		t.Errorf("err = %v, want ErrMalformed, the command not sent", err)
	}
}
