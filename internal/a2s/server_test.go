package a2s

import (
	"bytes"
	"net"
	"sync/atomic"
	"testing"
)

// gameServer answers A2S queries on a loopback socket as srcds does:
// every request must carry its challenge, long replies are split.
type gameServer struct {
	conn      *net.UDPConn
	challenge [4]byte
	// The replies, unsplit; nil ones are never sent.
	info     []byte
	players  []byte
	rules    []byte
	requests atomic.Int64
	// noChallenge answers A2S_INFO without asking for the challenge, as
	// servers before 2020 did.
	noChallenge bool
	// reverse sends the parts of a split reply last first.
	reverse bool
	// silent never answers, like a hung srcds.
	silent bool
}

// startServer starts s on 127.0.0.1 until the test (or benchmark) ends
// and returns its address.
func startServer(tb testing.TB, s *gameServer) string {
	tb.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	s.conn = conn
	if s.challenge == [4]byte{} {
		s.challenge = [4]byte{0x4a, 0x7f, 0x00, 0x01}
	}
	done := make(chan struct{})
	tb.Cleanup(func() { conn.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, from, err := conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			s.requests.Add(1)
			for _, out := range s.answer(buf[:n]) {
				conn.WriteToUDPAddrPort(out, from)
			}
		}
	}()
	return conn.LocalAddr().String()
}

func (s *gameServer) answer(req []byte) [][]byte {
	if s.silent {
		return nil
	}
	var got, reply []byte
	if c, ok := ParseRequest(req); ok {
		if s.noChallenge {
			return [][]byte{s.info}
		}
		got, reply = c, s.info
	} else if c, ok := ParsePlayerRequest(req); ok {
		got, reply = c, s.players
	} else if c, ok := ParseRulesRequest(req); ok {
		got, reply = c, s.rules
	} else {
		return nil
	}
	if reply == nil {
		return nil // a kind this server does not answer
	}
	if !bytes.Equal(got, s.challenge[:]) {
		return [][]byte{EncodeChallenge(s.challenge)}
	}
	parts, err := Split(reply, uint32(s.requests.Load()))
	if err != nil {
		panic(err)
	}
	if s.reverse {
		for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
			parts[i], parts[j] = parts[j], parts[i]
		}
	}
	return parts
}

// silentServer reads and never answers, like a hung srcds.
func silentServer(tb testing.TB) string {
	return startServer(tb, &gameServer{silent: true})
}
