package a2s

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The packets below are written out byte by byte from the format on
// Valve's developer wiki ("Server queries"), not produced by the encoders
// under test.

// playersPacket is an A2S_PLAYER answer with two players: "Ellis" with
// score 12 for 61.5 s, and `Zoë "the" kid` with score -1 for 3600 s.
var playersPacket = []byte{
	0xff, 0xff, 0xff, 0xff, // simple header
	0x44,                                // 'D'
	0x02,                                // two players
	0x00, 'E', 'l', 'l', 'i', 's', 0x00, // index 0, name
	0x0c, 0x00, 0x00, 0x00, // score 12
	0x00, 0x00, 0x76, 0x42, // 61.5 as float32
	0x00, 'Z', 'o', 0xc3, 0xab, ' ', '"', 't', 'h', 'e', '"', ' ', 'k', 'i', 'd', 0x00,
	0xff, 0xff, 0xff, 0xff, // score -1
	0x00, 0x00, 0x61, 0x45, // 3600.0
}

var wantPlayers = []Player{
	{Index: 0, Name: "Ellis", Score: 12, Duration: 61.5},
	{Index: 0, Name: `Zoë "the" kid`, Score: -1, Duration: 3600},
}

// rulesPacket is an A2S_RULES answer with two rules.
var rulesPacket = []byte{
	0xff, 0xff, 0xff, 0xff, 0x45, // 'E'
	0x02, 0x00, // two rules
	'm', 'p', '_', 'g', 'a', 'm', 'e', 'm', 'o', 'd', 'e', 0x00, 'c', 'o', 'o', 'p', 0x00,
	's', 'v', '_', 't', 'a', 'g', 's', 0x00, 0x00, // an empty value
}

var wantRules = []Rule{{"mp_gamemode", "coop"}, {"sv_tags", ""}}

func TestParsePlayersReadsTheWireFormat(t *testing.T) {
	got, err := ParsePlayers(playersPacket)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, wantPlayers) {
		t.Errorf("ParsePlayers =\n %+v, want\n %+v", got, wantPlayers)
	}
	if d := got[0].Connected(); d != 61500*time.Millisecond {
		t.Errorf("Connected() = %v, want 1m1.5s", d)
	}
}

func TestEncodePlayersWritesTheWireFormat(t *testing.T) {
	if got := EncodePlayers(wantPlayers); !bytes.Equal(got, playersPacket) {
		t.Errorf("EncodePlayers =\n % x, want\n % x", got, playersPacket)
	}
}

func TestNobodyPlaying(t *testing.T) {
	p := []byte{0xff, 0xff, 0xff, 0xff, 0x44, 0x00}
	if got := EncodePlayers(nil); !bytes.Equal(got, p) {
		t.Errorf("EncodePlayers(nil) = % x, want % x", got, p)
	}
	got, err := ParsePlayers(p)
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("ParsePlayers = %#v, %v; want an empty, non-nil slice", got, err)
	}
}

func TestEncodePlayersSendsAtMost255(t *testing.T) {
	many := make([]Player, 300)
	got, err := ParsePlayers(EncodePlayers(many))
	if err != nil || len(got) != MaxPlayersListed {
		t.Errorf("ParsePlayers(EncodePlayers(300 players)) = %d players, %v; want %d", len(got), err, MaxPlayersListed)
	}
}

func TestConnectedOfStrangeDurations(t *testing.T) {
	for _, d := range []float32{-1, float32(math.NaN()), float32(math.Inf(1)), 1e30} {
		if got := (Player{Duration: d}).Connected(); got != 0 {
			t.Errorf("Connected() of %v = %v, want 0", d, got)
		}
	}
}

func TestRulesWireFormat(t *testing.T) {
	got, err := ParseRules(rulesPacket)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, wantRules) {
		t.Errorf("ParseRules = %+v, want %+v", got, wantRules)
	}
	if enc := EncodeRules(wantRules); !bytes.Equal(enc, rulesPacket) {
		t.Errorf("EncodeRules =\n % x, want\n % x", enc, rulesPacket)
	}
}

func TestNulInsideANameEndsIt(t *testing.T) {
	got, err := ParsePlayers(EncodePlayers([]Player{{Name: "a\x00b"}}))
	if err != nil || got[0].Name != "a" {
		t.Errorf("a name with a NUL came back as %q, %v; want %q", got[0].Name, err, "a")
	}
}

func TestPlayerAndRulesRequests(t *testing.T) {
	for _, tt := range []struct {
		name  string
		p     []byte
		parse func([]byte) ([]byte, bool)
		want  []byte
	}{
		{"A2S_PLAYER asking for a challenge", PlayerRequest(nil), ParsePlayerRequest, []byte{0xff, 0xff, 0xff, 0xff}},
		{"A2S_PLAYER with a challenge", PlayerRequest([]byte{1, 2, 3, 4}), ParsePlayerRequest, []byte{1, 2, 3, 4}},
		{"A2S_RULES by hand", []byte{0xff, 0xff, 0xff, 0xff, 0x56, 9, 8, 7, 6}, ParseRulesRequest, []byte{9, 8, 7, 6}},
		{"A2S_PLAYER by hand", []byte{0xff, 0xff, 0xff, 0xff, 0x55, 0xff, 0xff, 0xff, 0xff}, ParsePlayerRequest, []byte{0xff, 0xff, 0xff, 0xff}},
		{"A2S_RULES is not A2S_PLAYER", RulesRequest(nil), ParsePlayerRequest, nil},
		{"a short challenge", []byte{0xff, 0xff, 0xff, 0xff, 0x55, 1, 2}, ParsePlayerRequest, nil},
		{"an A2S_INFO request", Request(nil), ParseRulesRequest, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.parse(tt.p)
			if ok != (tt.want != nil) || !bytes.Equal(got, tt.want) {
				t.Errorf("parse(% x) = % x, %v; want % x", tt.p, got, ok, tt.want)
			}
		})
	}
	if got := RulesRequest(nil); !bytes.Equal(got, []byte{0xff, 0xff, 0xff, 0xff, 0x56, 0xff, 0xff, 0xff, 0xff}) {
		t.Errorf("RulesRequest(nil) = % x", got)
	}
}

func TestParseRefusesBrokenPlayersAndRules(t *testing.T) {
	for _, tt := range []struct {
		name  string
		p     []byte
		parse func([]byte) error
	}{
		{"players cut in a score", playersPacket[:15], parsePlayersErr},
		{"players cut in a name", playersPacket[:25], parsePlayersErr},
		{"players announcing more than it holds", append([]byte{0xff, 0xff, 0xff, 0xff, 0x44, 0xff}, make([]byte, 20)...), parsePlayersErr},
		{"rules for players", rulesPacket, parsePlayersErr},
		{"players for rules", playersPacket, parseRulesErr},
		{"rules cut in a value", rulesPacket[:len(rulesPacket)-1], parseRulesErr},
		{"rules announcing 65535", []byte{0xff, 0xff, 0xff, 0xff, 0x45, 0xff, 0xff, 0, 0}, parseRulesErr},
		{"rules without a count", []byte{0xff, 0xff, 0xff, 0xff, 0x45, 0x01}, parseRulesErr},
		{"nothing", nil, parseRulesErr},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.parse(tt.p); !errors.Is(err, ErrMalformed) {
				t.Errorf("error = %v, want ErrMalformed", err)
			}
		})
	}
}

func parsePlayersErr(p []byte) error { _, err := ParsePlayers(p); return err }
func parseRulesErr(p []byte) error   { _, err := ParseRules(p); return err }

// part builds one part of a split reply by hand.
func part(id uint32, total, number byte, payload string) []byte {
	b := []byte{0xfe, 0xff, 0xff, 0xff,
		byte(id), byte(id >> 8), byte(id >> 16), byte(id >> 24),
		total, number,
		0xe0, 0x04} // 1248
	return append(b, payload...)
}

func TestSplitWritesSourcesFormat(t *testing.T) {
	reply := append([]byte("\xff\xff\xff\xffE"), strings.Repeat("x", 2*SplitSize)...)
	parts, err := Split(reply, 0x01020304)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 3 {
		t.Fatalf("%d bytes in %d parts, want 3", len(reply), len(parts))
	}
	want0 := part(0x01020304, 3, 0, string(reply[:SplitSize]))
	if !bytes.Equal(parts[0], want0) {
		t.Errorf("first part starts % x, want % x", parts[0][:20], want0[:20])
	}
	if want2 := part(0x01020304, 3, 2, string(reply[2*SplitSize:])); !bytes.Equal(parts[2], want2) {
		t.Errorf("last part = % x…, want % x…", parts[2][:20], want2[:20])
	}
	if len(parts[0]) != 1260 {
		t.Errorf("a full part is %d bytes, want 1260", len(parts[0]))
	}
	if one, _ := Split(reply[:SplitSize], 1); len(one) != 1 || !bytes.Equal(one[0], reply[:SplitSize]) {
		t.Errorf("a reply of %d bytes was split", SplitSize)
	}
	if parts, _ := Split(reply, 0x80000001); parts[0][7] != 0 {
		t.Errorf("Split set the compressed bit: % x", parts[0][:12])
	}
	if _, err := Split(make([]byte, MaxParts*SplitSize+1), 1); err == nil {
		t.Errorf("Split of a reply needing %d parts: no error", MaxParts+1)
	}
}

func TestReassembly(t *testing.T) {
	whole := "\xff\xff\xff\xffEabcdefghi"
	a, b, c := part(7, 3, 0, whole[:5]), part(7, 3, 1, whole[5:10]), part(7, 3, 2, whole[10:])
	other := part(8, 2, 0, "\xff\xff\xff\xffD")
	for _, tt := range []struct {
		name    string
		packets [][]byte
	}{
		{"in order", [][]byte{a, b, c}},
		{"out of order", [][]byte{c, a, b}},
		{"with duplicates", [][]byte{b, b, a, b, a, c}},
		{"interleaved with another reply", [][]byte{b, other, c, a}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var r reassembler
			for i, p := range tt.packets {
				got, err := r.add(p)
				if err != nil {
					t.Fatalf("packet %d: %v", i, err)
				}
				last := i == len(tt.packets)-1
				if last && string(got) != whole {
					t.Errorf("after the last part: %q, want %q", got, whole)
				}
				if !last && got != nil {
					t.Errorf("after packet %d of %d: %q, want nothing yet", i+1, len(tt.packets), got)
				}
			}
		})
	}
}

func TestReassemblyRefuses(t *testing.T) {
	for _, tt := range []struct {
		name    string
		packets [][]byte
		want    error
	}{
		{"a compressed reply", [][]byte{part(0x80000007, 2, 0, "\xff\xff\xff\xff")}, ErrCompressed},
		{"zero parts", [][]byte{part(1, 0, 0, "x")}, ErrMalformed},
		{"more parts than allowed", [][]byte{part(1, MaxParts+1, 0, "x")}, ErrMalformed},
		{"a part numbered past the total", [][]byte{part(1, 2, 2, "x")}, ErrMalformed},
		{"a header cut short", [][]byte{part(1, 2, 0, "")[:11]}, ErrMalformed},
		{"parts disagreeing on the total", [][]byte{part(1, 2, 0, "x"), part(1, 3, 1, "y")}, ErrMalformed},
		{"a reply over the size cap", [][]byte{part(1, 2, 0, strings.Repeat("x", maxReply)), part(1, 2, 1, "y")}, ErrMalformed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var r reassembler
			var err error
			for _, p := range tt.packets {
				if _, err = r.add(p); err != nil {
					break
				}
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
		})
	}
	if ErrCompressed.Error() != "a2s: compressed split replies are not supported" {
		t.Errorf("ErrCompressed says %q", ErrCompressed)
	}
}

func TestReassemblyKeepsAFewRepliesAtOnce(t *testing.T) {
	var r reassembler
	for id := range uint32(100) {
		if _, err := r.add(part(id, 2, 0, "x")); err != nil {
			t.Fatal(err)
		}
	}
	if len(r.pending) != maxPending {
		t.Errorf("%d replies pending, want at most %d", len(r.pending), maxPending)
	}
	if got, _ := r.add(part(99, 2, 1, "y")); string(got) != "xy" {
		t.Errorf("the newest reply completed as %q, want %q", got, "xy")
	}
}

func TestSplitRoundTrip(t *testing.T) {
	players := make([]Player, 200)
	for i := range players {
		players[i] = Player{Name: strings.Repeat("ü", 30) + string(rune('a'+i%26)), Score: int32(i), Duration: float32(i)}
	}
	parts, err := Split(EncodePlayers(players), 42)
	if err != nil {
		t.Fatal(err)
	}
	var r reassembler
	var whole []byte
	for i := len(parts) - 1; i >= 0; i-- {
		if whole, err = r.add(parts[i]); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ParsePlayers(whole)
	if err != nil || !reflect.DeepEqual(got, players) {
		t.Errorf("200 players through %d parts came back as %d players, %v", len(parts), len(got), err)
	}
}
