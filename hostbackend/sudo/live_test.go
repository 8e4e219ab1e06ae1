package sudo_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"testing"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/sudo"
	"github.com/left4me/left4me/internal/a2s"
	"github.com/left4me/left4me/internal/rcon"
)

// gameOnLoopback is a stand-in srcds on one port of 127.0.0.1: A2S over
// UDP (with the challenge) and RCON over TCP, as the real one listens.
func gameOnLoopback(t *testing.T, password string) int {
	t.Helper()
	for range 20 {
		udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		port := udp.LocalAddr().(*net.UDPAddr).Port
		tcp, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			udp.Close() // the TCP port is taken: another pair
			continue
		}
		srv := &rcon.Server{Password: password, Handler: func(cmd string) string { return "ran " + cmd + "\n" }}
		go srv.Serve(tcp)
		t.Cleanup(func() { srv.Close(); udp.Close() })
		go answerA2S(udp)
		return port
	}
	t.Fatal("no free port pair on loopback")
	return 0
}

func answerA2S(conn *net.UDPConn) {
	challenge := [4]byte{1, 2, 3, 4}
	buf := make([]byte, 1500)
	for {
		n, from, err := conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		p := buf[:n]
		var reply []byte
		if c, ok := a2s.ParseRequest(p); ok {
			reply = a2s.EncodeChallenge(challenge)
			if string(c) == string(challenge[:]) {
				reply = a2s.EncodeInfo(a2s.Info{Name: "Game night", Map: "c1m1_hotel", Game: "L4D2 - Co-op", Version: "2.2.4.3",
					Players: 2, MaxPlayers: 8, VAC: 1})
			}
		} else if c, ok := a2s.ParsePlayerRequest(p); ok {
			reply = a2s.EncodeChallenge(challenge)
			if string(c) == string(challenge[:]) {
				reply = a2s.EncodePlayers([]a2s.Player{{Name: "Zoë", Score: 3, Duration: 90}, {Name: `"Quote" Man`, Duration: 5}})
			}
		}
		if reply != nil {
			conn.WriteToUDP(reply, from)
		}
	}
}

func newLiveBackend(t *testing.T) *sudo.Backend {
	b, err := sudo.New(hostbackend.Config{StateRoot: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTheSudoBackendAsksTheGamesOnLoopback(t *testing.T) {
	b := newLiveBackend(t)
	ctx := context.Background()
	port := gameOnLoopback(t, "pw-0123456789")
	deadUDP, _ := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}) // a socket that never answers
	defer deadUDP.Close()
	dead := deadUDP.LocalAddr().(*net.UDPAddr).Port

	got := b.LiveQuery(ctx, []hostbackend.LiveTarget{{Name: "coop-1", Port: port}, {Name: "hung", Port: dead}})
	if len(got) != 2 {
		t.Fatalf("%d answers for 2 targets", len(got))
	}
	in := got[0]
	if !in.Answered || in.Name != "coop-1" || in.HostName != "Game night" || in.Map != "c1m1_hotel" || in.Players != 2 ||
		in.MaxPlayers != 8 || !in.Secure || in.RTT <= 0 || len(in.PlayerList) != 2 || in.PlayerList[0].Name != "Zoë" {
		t.Errorf("the answering game: %+v", in)
	}
	if hung := got[1]; hung.Answered || hung.Name != "hung" || hung.Err == "" {
		t.Errorf("the silent one: %+v", hung)
	}

	tg := hostbackend.LiveTarget{Name: "coop-1", Port: port}
	if out, err := b.RCON(ctx, tg, "pw-0123456789", "status"); err != nil || out != "ran status\n" {
		t.Errorf("rcon status: %q, %v", out, err)
	}
	if _, err := b.RCON(ctx, tg, "wrong", "status"); !errors.Is(err, hostbackend.ErrRCONPassword) {
		t.Errorf("a wrong password: %v, want ErrRCONPassword", err)
	}
	if _, err := b.RCON(ctx, hostbackend.LiveTarget{Name: "../x", Port: port}, "pw-0123456789", "status"); err == nil {
		t.Error("RCON took a name the rule refuses")
	}
}
