package a2s

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

func newClient(t *testing.T, opts ClientOpts) *Client {
	t.Helper()
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	c, err := NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// manyPlayers is a player list long enough to need three parts.
func manyPlayers(n int) []Player {
	players := make([]Player, n)
	for i := range players {
		players[i] = Player{Name: fmt.Sprintf(`Zoë "%d" %s`, i, strings.Repeat("x", 20)), Score: int32(i), Duration: float32(i) * 1.5}
	}
	return players
}

func TestClientAsksForInfoPlayersAndRules(t *testing.T) {
	rules := []Rule{{"mp_gamemode", "coop"}, {"sv_tags", "left4me"}}
	s := &gameServer{info: EncodeInfo(sample), players: EncodePlayers(wantPlayers), rules: EncodeRules(rules)}
	addr := startServer(t, s)
	c := newClient(t, ClientOpts{})
	res := c.Query(context.Background(), addr, WantInfo|WantPlayers|WantRules)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if res.Info == nil || !reflect.DeepEqual(*res.Info, sample) {
		t.Errorf("Info = %+v, want %+v", res.Info, sample)
	}
	if !reflect.DeepEqual(res.Players, wantPlayers) || !reflect.DeepEqual(res.Rules, rules) {
		t.Errorf("Players = %+v, Rules = %+v", res.Players, res.Rules)
	}
	if res.RTT <= 0 || res.Addr != addr {
		t.Errorf("RTT = %v, Addr = %q", res.RTT, res.Addr)
	}
	// One request to get the challenge, then one of each kind with it.
	if n := s.requests.Load(); n != 4 {
		t.Errorf("the server got %d requests, want 4", n)
	}
}

func TestClientReassemblesSplitReplies(t *testing.T) {
	players := manyPlayers(100)
	for _, reverse := range []bool{false, true} {
		t.Run(fmt.Sprintf("reverse=%v", reverse), func(t *testing.T) {
			s := &gameServer{info: EncodeInfo(sample), players: EncodePlayers(players), reverse: reverse}
			if len(s.players) <= 2*SplitSize {
				t.Fatalf("the reply of %d bytes does not need three parts", len(s.players))
			}
			addr := startServer(t, s)
			res := newClient(t, ClientOpts{}).Query(context.Background(), addr, WantPlayers)
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			if !reflect.DeepEqual(res.Players, players) {
				t.Errorf("got %d players, want the 100 sent", len(res.Players))
			}
			if res.Info != nil {
				t.Errorf("Info = %+v without asking for it", res.Info)
			}
		})
	}
}

func TestClientWithAServerThatDoesNotChallengeInfo(t *testing.T) {
	s := &gameServer{noChallenge: true, info: EncodeInfo(sample), players: EncodePlayers(nil)}
	addr := startServer(t, s)
	res := newClient(t, ClientOpts{}).Query(context.Background(), addr, WantInfo|WantPlayers)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if res.Info == nil || res.Info.Name != sample.Name || res.Players == nil || len(res.Players) != 0 {
		t.Errorf("Info = %+v, Players = %#v; want the sample and no players", res.Info, res.Players)
	}
}

func TestClientNoAnswer(t *testing.T) {
	addr := silentServer(t)
	res := newClient(t, ClientOpts{Timeout: 200 * time.Millisecond}).Query(context.Background(), addr, WantInfo)
	if !errors.Is(res.Err, ErrNoAnswer) {
		t.Fatalf("Err = %v, want ErrNoAnswer", res.Err)
	}
	if want := "a2s " + addr + ": no answer within 200ms"; res.Err.Error() != want {
		t.Errorf("Err = %q, want %q", res.Err, want)
	}
	if res.Info != nil || res.RTT != 0 {
		t.Errorf("Info = %+v, RTT = %v from a silent server", res.Info, res.RTT)
	}
}

func TestClientKeepsWhatCameWhenTheRestDoesNot(t *testing.T) {
	// A server that answers A2S_INFO but ignores A2S_PLAYER.
	s := &gameServer{info: EncodeInfo(sample)}
	addr := startServer(t, s)
	res := newClient(t, ClientOpts{Timeout: 300 * time.Millisecond}).Query(context.Background(), addr, WantInfo|WantPlayers)
	if !errors.Is(res.Err, ErrNoAnswer) || !strings.Contains(res.Err.Error(), "no answer to A2S_PLAYER within 300ms") {
		t.Errorf("Err = %v, want no answer to A2S_PLAYER", res.Err)
	}
	if res.Info == nil || res.Info.Map != sample.Map {
		t.Errorf("Info = %+v, want the answer that came", res.Info)
	}
}

func TestClientSeesARefusal(t *testing.T) {
	// A port nobody listens on: the host answers ICMP port unreachable.
	l, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	addr := l.LocalAddr().String()
	l.Close()
	res := newClient(t, ClientOpts{Timeout: 5 * time.Second}).Query(context.Background(), addr, WantInfo)
	if res.Err == nil {
		t.Fatal("a closed port answered")
	}
	if !errors.Is(res.Err, ErrRefused) && !errors.Is(res.Err, ErrNoAnswer) {
		t.Errorf("Err = %v, want ErrRefused (or ErrNoAnswer where ICMP cannot be seen)", res.Err)
	}
	t.Logf("a closed port: %v", res.Err)
}

func TestSweepWithRefusalsAndAnswersMixed(t *testing.T) {
	// ICMP errors for some servers must not spoil the queries of others
	// (on Linux a send reports a pending ICMP error of another address).
	var addrs []string
	for i := range 30 {
		if i%2 == 0 {
			addrs = append(addrs, startServer(t, &gameServer{info: EncodeInfo(sample), players: EncodePlayers(wantPlayers)}))
			continue
		}
		l, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, l.LocalAddr().String())
		l.Close()
	}
	c := newClient(t, ClientOpts{Timeout: 2 * time.Second})
	for round := range 3 {
		for i, r := range c.Sweep(context.Background(), addrs, WantInfo|WantPlayers) {
			switch {
			case i%2 == 0 && (r.Err != nil || len(r.Players) != len(wantPlayers)):
				t.Errorf("round %d, live server %d: %d players, %v", round, i, len(r.Players), r.Err)
			case i%2 == 1 && !errors.Is(r.Err, ErrRefused) && !errors.Is(r.Err, ErrNoAnswer):
				t.Errorf("round %d, closed port %d: %v, want a refusal", round, i, r.Err)
			}
		}
	}
}

func TestClientIgnoresPacketsFromOthers(t *testing.T) {
	addr := silentServer(t)
	c := newClient(t, ClientOpts{Timeout: 500 * time.Millisecond})
	stranger, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	go func() {
		// While the query waits, someone else sends a valid answer.
		for range 20 {
			stranger.WriteTo(EncodeInfo(sample), c.LocalAddr())
			time.Sleep(10 * time.Millisecond)
		}
	}()
	res := c.Query(context.Background(), addr, WantInfo)
	if !errors.Is(res.Err, ErrNoAnswer) || res.Info != nil {
		t.Errorf("Query = %+v, %v; want no answer despite the stranger's packets", res.Info, res.Err)
	}
}

func TestClientRefusesGarbage(t *testing.T) {
	for _, tt := range []struct {
		name  string
		reply []byte
		want  error
	}{
		{"a truncated info", EncodeInfo(sample)[:10], ErrMalformed},
		{"an unknown type", []byte("\xff\xff\xff\xffZhello"), ErrMalformed},
		{"no header", []byte("hello"), ErrMalformed},
		{"a compressed split reply", part(0x80000001, 2, 0, "\xff\xff\xff\xffI"), ErrCompressed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			addr := serve(t, func([]byte) []byte { return tt.reply })
			res := newClient(t, ClientOpts{}).Query(context.Background(), addr, WantInfo)
			if !errors.Is(res.Err, tt.want) {
				t.Errorf("Err = %v, want %v", res.Err, tt.want)
			}
		})
	}
}

func TestClientGivesUpOnEndlessChallenges(t *testing.T) {
	n := byte(0)
	addr := serve(t, func([]byte) []byte { n++; return EncodeChallenge([4]byte{n}) })
	res := newClient(t, ClientOpts{}).Query(context.Background(), addr, WantInfo)
	if res.Err == nil || !strings.Contains(res.Err.Error(), "keeps sending challenges") {
		t.Errorf("Err = %v, want a complaint about challenges", res.Err)
	}
}

func TestSweep(t *testing.T) {
	var addrs []string
	for i := range 20 {
		info := sample
		info.Name = fmt.Sprintf("server %d", i)
		addrs = append(addrs, startServer(t, &gameServer{info: EncodeInfo(info), players: EncodePlayers(manyPlayers(i))}))
	}
	silent := silentServer(t)
	addrs = append(addrs, silent, addrs[3], "not an address")
	c := newClient(t, ClientOpts{Timeout: 500 * time.Millisecond, Concurrency: 8})
	results := c.Sweep(context.Background(), addrs, WantInfo|WantPlayers)
	if len(results) != len(addrs) {
		t.Fatalf("%d results for %d addresses", len(results), len(addrs))
	}
	for i, res := range results[:20] {
		if res.Err != nil {
			t.Errorf("server %d: %v", i, res.Err)
			continue
		}
		if want := fmt.Sprintf("server %d", i); res.Addr != addrs[i] || res.Info.Name != want || len(res.Players) != i {
			t.Errorf("result %d: %s %q with %d players, want %s %q with %d", i, res.Addr, res.Info.Name, len(res.Players), addrs[i], want, i)
		}
	}
	if !errors.Is(results[20].Err, ErrNoAnswer) {
		t.Errorf("the silent server: %v, want ErrNoAnswer", results[20].Err)
	}
	if r := results[21]; r.Err != nil || r.Info.Name != "server 3" {
		t.Errorf("the same address twice: %+v, %v", r.Info, r.Err)
	}
	if r := results[22]; r.Err == nil || !strings.HasPrefix(r.Err.Error(), "a2s not an address: ") {
		t.Errorf("a bad address: %v", r.Err)
	}
}

func TestClientClosed(t *testing.T) {
	addr := silentServer(t)
	c := newClient(t, ClientOpts{Timeout: time.Minute})
	done := make(chan Result)
	go func() { done <- c.Query(context.Background(), addr, WantInfo) }()
	// Close while the query waits for its answer.
	for deadline := time.Now().Add(5 * time.Second); ; {
		c.mu.Lock()
		n := len(c.exchanges)
		c.mu.Unlock()
		if n == 1 || time.Now().After(deadline) {
			break
		}
		runtime.Gosched()
	}
	c.Close()
	select {
	case res := <-done:
		if res.Err == nil {
			t.Error("a query on a closed client succeeded")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close left a query waiting")
	}
}

func TestClientQueriesOneAddressAtATime(t *testing.T) {
	// Replies are told apart by address only: concurrent queries of one
	// server take turns, and each gets its whole answer.
	addr := startServer(t, &gameServer{info: EncodeInfo(sample), players: EncodePlayers(manyPlayers(100))})
	c := newClient(t, ClientOpts{})
	addrs := make([]string, 10)
	for i := range addrs {
		addrs[i] = addr
	}
	for i, r := range c.Sweep(context.Background(), addrs, WantInfo|WantPlayers) {
		if r.Err != nil || r.Info == nil || len(r.Players) != 100 {
			t.Errorf("query %d: %d players, %v", i, len(r.Players), r.Err)
		}
	}
}
