package a2s

import (
	"bytes"
	"context"
	"errors"
	"net"
	"reflect"
	"testing"
	"time"
)

var sample = Info{
	Protocol: 17, Name: "left4me test", Map: "c2m1_highway", Folder: "left4dead2",
	Game: "Left 4 Dead 2", AppID: 550, Players: 1, MaxPlayers: 4, Bots: 2,
	ServerType: 'd', Environment: 'l', Visibility: 0, VAC: 1, Version: "2.2.4.3", Port: 27016,
}

func TestInfoRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		name string
		info Info
	}{
		{"with the port in the extra data", sample},
		{"without extra data", func() Info { i := sample; i.Port = 0; return i }()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseInfo(EncodeInfo(tt.info))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.info) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, tt.info)
			}
		})
	}
}

// l4d2Info is an A2S_INFO answer shaped as L4D2 sends it, written out by
// hand: extra data flags B1 (port, Steam ID, keywords, game ID).
var l4d2Info = []byte{
	0xff, 0xff, 0xff, 0xff, 'I', 0x11,
	'G', 'a', 'm', 'e', ' ', 'n', 'i', 'g', 'h', 't', 0,
	'c', '1', 'm', '1', '_', 'h', 'o', 't', 'e', 'l', 0,
	'l', 'e', 'f', 't', '4', 'd', 'e', 'a', 'd', '2', 0,
	'L', 'e', 'f', 't', ' ', '4', ' ', 'D', 'e', 'a', 'd', ' ', '2', 0,
	0x26, 0x02, // app 550
	3, 8, 0, 'd', 'l', 0, 1, // players, max, bots, dedicated, Linux, public, VAC
	'2', '.', '2', '.', '4', '.', '3', 0,
	0xb1,
	0x87, 0x69, // port 27015
	0x2a, 0x00, 0x00, 0x00, 0x01, 0x00, 0x40, 0x01, // Steam ID 0x014000010000002a
	'c', 'o', 'o', 'p', ',', 'e', 'm', 'p', 't', 'y', 0,
	0x26, 0x02, 0, 0, 0, 0, 0, 0, // game ID 550
}

func TestParseInfoOfL4D2(t *testing.T) {
	got, err := ParseInfo(l4d2Info)
	if err != nil {
		t.Fatal(err)
	}
	want := Info{Protocol: 17, Name: "Game night", Map: "c1m1_hotel", Folder: "left4dead2", Game: "Left 4 Dead 2",
		AppID: 550, Players: 3, MaxPlayers: 8, ServerType: 'd', Environment: 'l', VAC: 1, Version: "2.2.4.3",
		Port: 27015, SteamID: 0x014000010000002a, Keywords: "coop,empty", GameID: 550}
	if got != want {
		t.Errorf("ParseInfo =\n %+v, want\n %+v", got, want)
	}
	if enc := EncodeInfo(want); !bytes.Equal(enc, l4d2Info) {
		t.Errorf("EncodeInfo =\n % x, want\n % x", enc, l4d2Info)
	}
	withTV := want
	withTV.SourceTVPort, withTV.SourceTVName = 27020, "SourceTV"
	if again, err := ParseInfo(EncodeInfo(withTV)); err != nil || again != withTV {
		t.Errorf("with SourceTV: %+v, %v", again, err)
	}
	for _, cut := range []int{1, 5, 12, 20} {
		if _, err := ParseInfo(l4d2Info[:len(l4d2Info)-cut]); !errors.Is(err, ErrMalformed) {
			t.Errorf("cut %d bytes short: %v, want ErrMalformed", cut, err)
		}
	}
}

func TestEncodeInfoWireFormat(t *testing.T) {
	in := Info{Protocol: 17, Name: "n", Map: "m", Folder: "f", Game: "g", AppID: 550,
		MaxPlayers: 8, ServerType: 'd', Environment: 'l', VAC: 1, Version: "v"}
	want := "\xff\xff\xff\xffI\x11n\x00m\x00f\x00g\x00\x26\x02\x00\x08\x00dl\x00\x01v\x00"
	if got := string(EncodeInfo(in)); got != want {
		t.Errorf("EncodeInfo = %q, want %q", got, want)
	}
}

func TestParseInfoRefusesBrokenPackets(t *testing.T) {
	full := EncodeInfo(sample)
	for _, tt := range []struct {
		name string
		p    []byte
	}{
		{"an empty packet", nil},
		{"a challenge", EncodeChallenge([4]byte{1, 2, 3, 4})},
		{"a packet cut in a string", full[:8]},
		{"a packet cut before the version", full[:len(full)-12]},
		{"a packet cut in the extra port", full[:len(full)-1]},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseInfo(tt.p); !errors.Is(err, ErrMalformed) {
				t.Errorf("ParseInfo error = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestParseRequest(t *testing.T) {
	for _, tt := range []struct {
		name          string
		p             []byte
		wantOK        bool
		wantChallenge []byte
	}{
		{"a request without a challenge", Request(nil), true, nil},
		{"a request with a challenge", Request([]byte{9, 8, 7, 6}), true, []byte{9, 8, 7, 6}},
		{"a request with a short challenge", append(Request(nil), 1, 2), false, nil},
		{"another query type", []byte("\xff\xff\xff\xffU\xff\xff\xff\xff"), false, nil},
		{"garbage", []byte("hello"), false, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := ParseRequest(tt.p)
			if ok != tt.wantOK || !reflect.DeepEqual(c, tt.wantChallenge) {
				t.Errorf("ParseRequest = %v, %v; want %v, %v", c, ok, tt.wantChallenge, tt.wantOK)
			}
		})
	}
}

// serve answers on a loopback UDP socket with handle until the test ends.
func serve(t *testing.T, handle func(req []byte) []byte) string {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { conn.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, from, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			if out := handle(buf[:n]); out != nil {
				conn.WriteTo(out, from)
			}
		}
	}()
	return conn.LocalAddr().String()
}

func TestQueryAnswersTheChallenge(t *testing.T) {
	challenge := [4]byte{0xde, 0xad, 0xbe, 0xef}
	requests := make(chan []byte, 10)
	addr := serve(t, func(req []byte) []byte {
		c, ok := ParseRequest(req)
		if !ok {
			return nil
		}
		requests <- c
		if string(c) != string(challenge[:]) {
			return EncodeChallenge(challenge)
		}
		return EncodeInfo(sample)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := Query(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, sample) {
		t.Errorf("Query = %+v, want %+v", got, sample)
	}
	if first, second := <-requests, <-requests; first != nil || string(second) != string(challenge[:]) {
		t.Errorf("requests carried challenges %x then %x, want none then %x", first, second, challenge)
	}
}

func TestQueryWithoutChallenge(t *testing.T) {
	addr := serve(t, func(req []byte) []byte { return EncodeInfo(sample) })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if got, err := Query(ctx, addr); err != nil || got.Map != sample.Map {
		t.Errorf("Query = %+v, %v; want map %s", got, err, sample.Map)
	}
}

func TestQueryGivesUpWhenTheContextEnds(t *testing.T) {
	addr := serve(t, func(req []byte) []byte { return nil }) // never answers
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := Query(ctx, addr); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Query error = %v, want DeadlineExceeded", err)
	}
}

func TestQueryRefusesEndlessChallenges(t *testing.T) {
	n := byte(0)
	addr := serve(t, func(req []byte) []byte { n++; return EncodeChallenge([4]byte{n}) })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := Query(ctx, addr); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Query error = %v, want a complaint about challenges", err)
	}
}
