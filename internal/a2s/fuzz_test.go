package a2s

import (
	"bytes"
	"testing"
)

// FuzzParsers feeds arbitrary packets to every parser, to the split
// reassembler and to a query's handling of its server's packets: none may
// panic, and what parses encodes back to something
// that parses to the same. Its seeds (real packets) run in make test;
// make fuzz explores.
func FuzzParsers(f *testing.F) {
	f.Add(EncodeInfo(sample))
	f.Add(playersPacket)
	f.Add(rulesPacket)
	f.Add(EncodeChallenge([4]byte{1, 2, 3, 4}))
	f.Add(PlayerRequest(nil))
	f.Add(Request([]byte{1, 2, 3, 4}))
	f.Add(part(7, 2, 1, "\xff\xff\xff\xffD\x00"))
	f.Add(part(0x80000007, 2, 0, "x"))
	if parts, err := Split(EncodePlayers(manyPlayers(60)), 9); err == nil {
		f.Add(bytes.Join(parts, nil)) // several parts in one input
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		if info, err := ParseInfo(p); err == nil {
			if again, err := ParseInfo(EncodeInfo(info)); err != nil || again != info {
				t.Errorf("info %+v came back as %+v, %v", info, again, err)
			}
		}
		if players, err := ParsePlayers(p); err == nil {
			enc := EncodePlayers(players)
			again, err := ParsePlayers(enc)
			if err != nil || !bytes.Equal(EncodePlayers(again), enc) {
				t.Errorf("players %+v came back as %+v, %v", players, again, err)
			}
		}
		if rules, err := ParseRules(p); err == nil {
			enc := EncodeRules(rules)
			again, err := ParseRules(enc)
			if err != nil || !bytes.Equal(EncodeRules(again), enc) {
				t.Errorf("rules %+v came back as %+v, %v", rules, again, err)
			}
		}
		ParseRequest(p)
		ParsePlayerRequest(p)
		ParseRulesRequest(p)
		// The input as one packet, and cut at every split header as a
		// series of packets from one server.
		var r reassembler
		r.add(p)
		// And to a query as packets from its server.
		q := query{need: WantInfo | WantPlayers | WantRules, res: &Result{}, write: func([]byte) error { return nil }}
		q.handle(p)
		for i, rest := 0, p; i < 64 && len(rest) > 0; i++ {
			next := bytes.Index(rest[1:], []byte(headerSplit))
			packet := rest
			if next >= 0 {
				packet, rest = rest[:next+1], rest[next+1:]
			} else {
				rest = nil
			}
			if whole, err := r.add(packet); err == nil && len(whole) > maxReply {
				t.Fatalf("reassembled %d bytes, more than %d", len(whole), maxReply)
			}
			q.handle(packet)
		}
	})
}
