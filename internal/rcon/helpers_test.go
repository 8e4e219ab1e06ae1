package rcon

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testCtx bounds a test's waiting; no test should come near it.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// rawServer accepts loopback connections until the test ends and runs
// handle on each in its own goroutine; accepted counts them.
func rawServer(t *testing.T, handle func(nc net.Conn)) (addr string, accepted *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted = new(atomic.Int32)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			mu.Lock()
			conns = append(conns, nc)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer nc.Close()
				handle(nc)
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, nc := range conns {
			nc.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return l.Addr().String(), accepted
}

// startServer serves srv on a loopback port until the test ends.
func startServer(t *testing.T, srv *Server) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve = %v, want ErrServerClosed", err)
		}
	})
	return l.Addr().String()
}

// rawPacket is a packet as the test reads it off the wire itself.
type rawPacket struct {
	id, typ int32
	body    string
}

// readRaw reads one packet field by field, without the package's reader.
func readRaw(r io.Reader) (rawPacket, error) {
	var size, id, typ int32
	for _, v := range []*int32{&size, &id, &typ} {
		if err := binary.Read(r, binary.LittleEndian, v); err != nil {
			return rawPacket{}, err
		}
	}
	rest := make([]byte, size-8)
	if _, err := io.ReadFull(r, rest); err != nil {
		return rawPacket{}, err
	}
	if !bytes.HasSuffix(rest, []byte{0, 0}) {
		return rawPacket{}, errors.New("no two NULs at the end")
	}
	return rawPacket{id, typ, string(rest[:len(rest)-2])}, nil
}

// pkt builds a packet field by field, without the package's writer.
func pkt(id, typ int32, body string) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, int32(len(body)+10))
	binary.Write(&b, binary.LittleEndian, id)
	binary.Write(&b, binary.LittleEndian, typ)
	b.WriteString(body)
	b.Write([]byte{0, 0})
	return b.Bytes()
}

// authOK reads the AUTH and accepts it as srcds does.
func authOK(nc net.Conn) bool {
	p, err := readRaw(nc)
	if err != nil || p.typ != 3 {
		return false
	}
	_, err = nc.Write(append(pkt(p.id, 0, ""), pkt(p.id, 2, "")...))
	return err == nil
}
