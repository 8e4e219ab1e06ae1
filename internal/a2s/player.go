package a2s

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// Player is one entry of the A2S_PLAYER answer, in the order of the wire
// format.
type Player struct {
	// Index is the player's slot as the server counts it; L4D2 sends 0
	// for everyone.
	Index byte
	Name  string
	Score int32
	// Duration is how long the player has been connected, in seconds.
	Duration float32
}

// Connected returns Duration as a time.Duration (0 for a negative or
// not-a-number value).
func (p Player) Connected() time.Duration {
	d := float64(p.Duration)
	if !(d > 0) || d > math.MaxInt64/float64(time.Second) {
		return 0
	}
	return time.Duration(d * float64(time.Second))
}

// noChallenge is the challenge an A2S_PLAYER or A2S_RULES request carries
// to ask the server for a real one.
var noChallenge = []byte{0xff, 0xff, 0xff, 0xff}

// PlayerRequest returns an A2S_PLAYER request carrying challenge; nil
// asks for a challenge (FF FF FF FF).
func PlayerRequest(challenge []byte) []byte { return challengedRequest(typePlayerReq, challenge) }

// RulesRequest returns an A2S_RULES request carrying challenge; nil asks
// for a challenge (FF FF FF FF).
func RulesRequest(challenge []byte) []byte { return challengedRequest(typeRulesReq, challenge) }

func challengedRequest(typ byte, challenge []byte) []byte {
	if challenge == nil {
		challenge = noChallenge
	}
	b := append([]byte(headerSimple), typ)
	return append(b, challenge...)
}

// ParsePlayerRequest reports whether p is an A2S_PLAYER request and
// returns its 4-byte challenge (FF FF FF FF when the client asks for one).
func ParsePlayerRequest(p []byte) (challenge []byte, ok bool) {
	return parseChallengedRequest(typePlayerReq, p)
}

// ParseRulesRequest reports whether p is an A2S_RULES request and returns
// its 4-byte challenge (FF FF FF FF when the client asks for one).
func ParseRulesRequest(p []byte) (challenge []byte, ok bool) {
	return parseChallengedRequest(typeRulesReq, p)
}

func parseChallengedRequest(typ byte, p []byte) ([]byte, bool) {
	if len(p) != 9 || string(p[:4]) != headerSimple || p[4] != typ {
		return nil, false
	}
	return p[5:9], true
}

// MaxPlayersListed is the most players an A2S_PLAYER answer can count (its
// count is one byte); EncodePlayers sends the first MaxPlayersListed.
const MaxPlayersListed = 255

// EncodePlayers returns the A2S_PLAYER answer listing players, unsplit
// (see Split).
func EncodePlayers(players []Player) []byte {
	players = players[:min(len(players), MaxPlayersListed)]
	b := append([]byte(headerSimple), typePlayer, byte(len(players)))
	for _, p := range players {
		b = append(b, p.Index)
		b = appendString(b, p.Name)
		b = binary.LittleEndian.AppendUint32(b, uint32(p.Score))
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(p.Duration))
	}
	return b
}

// ParsePlayers decodes an A2S_PLAYER answer (reassembled if it came
// split). The slice is empty, not nil, when nobody plays. Bytes after the
// last player are ignored (The Ship and others append more).
func ParsePlayers(p []byte) ([]Player, error) {
	r := reader{p: p}
	if string(r.bytes(4)) != headerSimple || r.byte() != typePlayer {
		return nil, fmt.Errorf("%w: not an A2S_PLAYER answer", ErrMalformed)
	}
	n := int(r.byte())
	// Each player takes at least 10 bytes: a count larger than what the
	// packet can hold is refused before anything is allocated for it.
	if r.err == nil && n*10 > len(r.p) {
		return nil, fmt.Errorf("%w: %d players announced in %d bytes", ErrMalformed, n, len(r.p))
	}
	players := make([]Player, 0, n)
	for range n {
		var pl Player
		pl.Index = r.byte()
		pl.Name = r.string()
		pl.Score = int32(binary.LittleEndian.Uint32(r.bytes(4)))
		pl.Duration = math.Float32frombits(binary.LittleEndian.Uint32(r.bytes(4)))
		if r.err != nil {
			return nil, r.err
		}
		players = append(players, pl)
	}
	if r.err != nil {
		return nil, r.err
	}
	return players, nil
}
