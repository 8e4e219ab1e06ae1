package rcon

import (
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// dialRaw opens a connection to addr that the test speaks on itself.
func dialRaw(t *testing.T, addr string) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { nc.Close() })
	return nc
}

func expectRaw(t *testing.T, nc net.Conn, want ...rawPacket) {
	t.Helper()
	for _, w := range want {
		got, err := readRaw(nc)
		if err != nil || got != w {
			t.Fatalf("server sent %+v, %v; want %+v", got, err, w)
		}
	}
}

func TestServerAnswersAsSrcdsDoes(t *testing.T) {
	answer := strings.Repeat("a", MaxBody) + strings.Repeat("b", MaxBody) + "c"
	addr := startServer(t, &Server{Password: "pw", Handler: func(cmd string) string {
		if cmd == "long" {
			return answer
		}
		return ""
	}})
	nc := dialRaw(t, addr)

	nc.Write(pkt(10, 3, "pw"))
	expectRaw(t, nc, rawPacket{10, 0, ""}, rawPacket{10, 2, ""})

	nc.Write(append(pkt(11, 2, "long"), pkt(12, 0, "")...))
	expectRaw(t, nc,
		rawPacket{11, 0, strings.Repeat("a", MaxBody)},
		rawPacket{11, 0, strings.Repeat("b", MaxBody)},
		rawPacket{11, 0, "c"},
		rawPacket{12, 0, ""},         // the marker mirrored
		rawPacket{12, 0, "\x00\x01"}, // and the bytes 00 01 00 00 after it
	)

	nc.Write(pkt(13, 2, "nothing to say"))
	expectRaw(t, nc, rawPacket{13, 0, ""}) // one empty packet

	nc.Write(append(pkt(14, 7, "unknown type"), pkt(15, 2, "still here")...))
	expectRaw(t, nc, rawPacket{15, 0, ""})
}

func TestServerRefusesAWrongPasswordAndClosesAfterMaxFailures(t *testing.T) {
	var ran atomic.Bool
	addr := startServer(t, &Server{Password: "pw", MaxFailures: 3, Handler: func(string) string { ran.Store(true); return "" }})
	nc := dialRaw(t, addr)
	for i := range int32(3) {
		nc.Write(pkt(20+i, 3, "guess"))
		expectRaw(t, nc, rawPacket{20 + i, 0, ""}, rawPacket{-1, 2, ""})
	}
	if _, err := readRaw(nc); err != io.EOF {
		t.Errorf("after the third failure: %v, want the connection closed", err)
	}
	if ran.Load() {
		t.Error("a command ran")
	}
}

func TestServerClosesOnACommandBeforeAuthentication(t *testing.T) {
	var ran atomic.Bool
	addr := startServer(t, &Server{Password: "pw", Handler: func(string) string { ran.Store(true); return "" }})
	nc := dialRaw(t, addr)
	nc.Write(pkt(1, 2, "status"))
	if _, err := readRaw(nc); err != io.EOF {
		t.Errorf("err = %v, want the connection closed", err)
	}
	nc = dialRaw(t, addr)
	nc.Write(pkt(1, 3, "wrong"))
	expectRaw(t, nc, rawPacket{1, 0, ""}, rawPacket{-1, 2, ""})
	nc.Write(pkt(2, 2, "status"))
	if _, err := readRaw(nc); err != io.EOF {
		t.Errorf("after a refused login: %v, want the connection closed", err)
	}
	if ran.Load() {
		t.Error("a command ran")
	}
}

func TestServerClosesOnAHostileSize(t *testing.T) {
	addr := startServer(t, &Server{Password: "pw", Handler: func(string) string { return "" }})
	for _, size := range []string{"\xff\xff\xff\x7f", "\xff\xff\xff\xff", "\x03\x00\x00\x00", "\x0b\x10\x00\x00"} {
		nc := dialRaw(t, addr)
		nc.Write(pkt(1, 3, "pw"))
		expectRaw(t, nc, rawPacket{1, 0, ""}, rawPacket{1, 2, ""})
		nc.Write([]byte(size))
		if _, err := readRaw(nc); err == nil {
			t.Errorf("size % x: the connection stayed open", size)
		}
	}
}

func TestServerListensOnLoopbackOnly(t *testing.T) {
	srv := &Server{Password: "pw"}
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:27015", "localhost"} {
		if err := srv.ListenAndServe(addr); err == nil || !strings.Contains(err.Error(), addr) {
			t.Errorf("ListenAndServe(%q) = %v, want a refusal naming it", addr, err)
		}
	}
	l, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Skip("no wildcard listener here:", err)
	}
	if err := srv.Serve(l); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("Serve on %s = %v, want a refusal", l.Addr(), err)
	}
}

func TestServerCloseEndsServe(t *testing.T) {
	srv := &Server{Password: "pw", Handler: func(string) string { return "ok" }}
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe("127.0.0.1:0") }()
	srv.Close()
	if err := <-done; !errors.Is(err, ErrServerClosed) {
		t.Errorf("ListenAndServe after Close = %v, want ErrServerClosed", err)
	}
}
