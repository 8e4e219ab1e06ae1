// Package a2s speaks the part of Valve's Source server query protocol
// that left4me needs, over UDP: A2S_INFO, A2S_PLAYER and A2S_RULES, with
// the challenge current Source servers demand, and replies split over
// several packets.
//
// A query goes like this (all integers little-endian):
//
//	client → server  FF FF FF FF 54 "Source Engine Query\0"
//	server → client  FF FF FF FF 41 <4-byte challenge>
//	client → server  FF FF FF FF 54 "Source Engine Query\0" <challenge>
//	server → client  FF FF FF FF 49 <info>
//
// A2S_PLAYER and A2S_RULES always carry a challenge; FF FF FF FF asks
// for one:
//
//	client → server  FF FF FF FF 55 <challenge>       (A2S_PLAYER)
//	server → client  FF FF FF FF 44 <count byte>
//	                 then per player: <index byte> <name\0> <score int32> <seconds float32>
//	client → server  FF FF FF FF 56 <challenge>       (A2S_RULES)
//	server → client  FF FF FF FF 45 <count int16>
//	                 then per rule: <name\0> <value\0>
//
// A reply too long for one packet comes in parts with the header
// FE FF FF FF (see Split). Strings are kept as the bytes that came:
// srcds sends UTF-8, but nothing here checks it.
//
// The server side (EncodeChallenge, ParseRequest, ParsePlayerRequest,
// ParseRulesRequest, EncodeInfo, EncodePlayers, EncodeRules, Split) is
// used by the stand-in game server cmd/fakesrcds; the client side is
// Client, which queries many servers at once from one socket (the panel's
// live sweep), and Query, one server's A2S_INFO (the end-to-end test bed).
package a2s

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// Packet headers.
const (
	headerSimple    = "\xff\xff\xff\xff"
	typeInfoRequest = 0x54 // 'T'
	typeChallenge   = 0x41 // 'A'
	typeInfo        = 0x49 // 'I'
	typePlayerReq   = 0x55 // 'U'
	typePlayer      = 0x44 // 'D'
	typeRulesReq    = 0x56 // 'V'
	typeRules       = 0x45 // 'E'
	queryPayload    = "Source Engine Query\x00"
	// Extra data flags: what follows the version, in this order.
	edfPort     = 0x80 // the game port
	edfSteamID  = 0x10 // the server's Steam ID
	edfSourceTV = 0x40 // SourceTV's port and name
	edfKeywords = 0x20 // the tags (sv_tags)
	edfGameID   = 0x01 // the full 64-bit game ID
)

// Info is the A2S_INFO answer, in the order of the wire format.
type Info struct {
	Protocol    byte
	Name        string
	Map         string
	Folder      string
	Game        string
	AppID       uint16
	Players     byte
	MaxPlayers  byte
	Bots        byte
	ServerType  byte // 'd' dedicated, 'l' listen, 'p' SourceTV
	Environment byte // 'l' Linux, 'w' Windows, 'm' macOS
	Visibility  byte // 0 public, 1 password
	VAC         byte // 0 unsecured, 1 secured
	Version     string
	// The extra data, each zero when absent.
	Port         uint16 // the game port
	SteamID      uint64 // the server's Steam ID
	SourceTVPort uint16
	SourceTVName string
	Keywords     string // the server's tags (sv_tags)
	GameID       uint64 // the app ID in its low 24 bits
}

// ErrMalformed reports a packet that is not what the protocol allows.
var ErrMalformed = errors.New("a2s: malformed packet")

// Request returns an A2S_INFO request, with the challenge appended when
// challenge is not nil.
func Request(challenge []byte) []byte {
	b := make([]byte, 0, 5+len(queryPayload)+4)
	b = append(b, headerSimple...)
	b = append(b, typeInfoRequest)
	b = append(b, queryPayload...)
	return append(b, challenge...)
}

// ParseRequest reports whether p is an A2S_INFO request and returns the
// challenge it carries: nil when there is none.
func ParseRequest(p []byte) (challenge []byte, ok bool) {
	prefix := headerSimple + string(rune(typeInfoRequest)) + queryPayload
	if !bytes.HasPrefix(p, []byte(prefix)) {
		return nil, false
	}
	rest := p[len(prefix):]
	switch len(rest) {
	case 0:
		return nil, true
	case 4:
		return rest, true
	default:
		return nil, false
	}
}

// EncodeChallenge returns the S2C_CHALLENGE answer carrying challenge.
func EncodeChallenge(challenge [4]byte) []byte {
	b := append([]byte(headerSimple), typeChallenge)
	return append(b, challenge[:]...)
}

// EncodeInfo returns the A2S_INFO answer for info. The extra data
// carries the fields of it that are not zero (SourceTV's name with its
// port).
func EncodeInfo(info Info) []byte {
	b := append([]byte(headerSimple), typeInfo, info.Protocol)
	for _, s := range []string{info.Name, info.Map, info.Folder, info.Game} {
		b = appendString(b, s)
	}
	b = binary.LittleEndian.AppendUint16(b, info.AppID)
	b = append(b, info.Players, info.MaxPlayers, info.Bots,
		info.ServerType, info.Environment, info.Visibility, info.VAC)
	b = appendString(b, info.Version)
	var edf byte
	for _, f := range []struct {
		flag byte
		set  bool
	}{{edfPort, info.Port != 0}, {edfSteamID, info.SteamID != 0}, {edfSourceTV, info.SourceTVPort != 0 || info.SourceTVName != ""},
		{edfKeywords, info.Keywords != ""}, {edfGameID, info.GameID != 0}} {
		if f.set {
			edf |= f.flag
		}
	}
	if edf == 0 {
		return b
	}
	b = append(b, edf)
	if edf&edfPort != 0 {
		b = binary.LittleEndian.AppendUint16(b, info.Port)
	}
	if edf&edfSteamID != 0 {
		b = binary.LittleEndian.AppendUint64(b, info.SteamID)
	}
	if edf&edfSourceTV != 0 {
		b = binary.LittleEndian.AppendUint16(b, info.SourceTVPort)
		b = appendString(b, info.SourceTVName)
	}
	if edf&edfKeywords != 0 {
		b = appendString(b, info.Keywords)
	}
	if edf&edfGameID != 0 {
		b = binary.LittleEndian.AppendUint64(b, info.GameID)
	}
	return b
}

func appendString(b []byte, s string) []byte {
	// A NUL inside would end the string early on the wire.
	s, _, _ = strings.Cut(s, "\x00")
	return append(append(b, s...), 0)
}

// ParseInfo decodes an A2S_INFO answer.
func ParseInfo(p []byte) (Info, error) {
	r := reader{p: p}
	if string(r.bytes(4)) != headerSimple || r.byte() != typeInfo {
		return Info{}, fmt.Errorf("%w: not an A2S_INFO answer", ErrMalformed)
	}
	var in Info
	in.Protocol = r.byte()
	in.Name = r.string()
	in.Map = r.string()
	in.Folder = r.string()
	in.Game = r.string()
	in.AppID = binary.LittleEndian.Uint16(r.bytes(2))
	in.Players = r.byte()
	in.MaxPlayers = r.byte()
	in.Bots = r.byte()
	in.ServerType = r.byte()
	in.Environment = r.byte()
	in.Visibility = r.byte()
	in.VAC = r.byte()
	in.Version = r.string()
	if r.err != nil {
		return Info{}, r.err
	}
	if len(r.p) == 0 {
		return in, nil
	}
	edf := r.byte()
	if edf&edfPort != 0 {
		in.Port = binary.LittleEndian.Uint16(r.bytes(2))
	}
	if edf&edfSteamID != 0 {
		in.SteamID = binary.LittleEndian.Uint64(r.bytes(8))
	}
	if edf&edfSourceTV != 0 {
		in.SourceTVPort = binary.LittleEndian.Uint16(r.bytes(2))
		in.SourceTVName = r.string()
	}
	if edf&edfKeywords != 0 {
		in.Keywords = r.string()
	}
	if edf&edfGameID != 0 {
		in.GameID = binary.LittleEndian.Uint64(r.bytes(8))
	}
	if r.err != nil {
		return Info{}, r.err
	}
	return in, nil
}

// reader reads a packet front to back; the first short read sets err and
// every later read returns zeros.
type reader struct {
	p   []byte
	err error
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil || len(r.p) < n {
		r.err = fmt.Errorf("%w: truncated", ErrMalformed)
		return make([]byte, n)
	}
	b := r.p[:n]
	r.p = r.p[n:]
	return b
}

func (r *reader) byte() byte { return r.bytes(1)[0] }

func (r *reader) string() string {
	if r.err != nil {
		return ""
	}
	i := bytes.IndexByte(r.p, 0)
	if i < 0 {
		r.err = fmt.Errorf("%w: unterminated string", ErrMalformed)
		return ""
	}
	s := string(r.p[:i])
	r.p = r.p[i+1:]
	return s
}

// resendEvery is how long Query waits for an answer before it sends its
// request again: UDP may drop a packet, and a server that is just
// starting may not listen yet.
const resendEvery = 500 * time.Millisecond

// Query asks the server at addr (host:port) for its A2S_INFO, answering
// one challenge if the server sends one. It resends its request every
// half second until an answer comes or ctx ends; give ctx a deadline.
func Query(ctx context.Context, addr string) (Info, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp", addr)
	if err != nil {
		return Info{}, fmt.Errorf("a2s query %s: %w", addr, err)
	}
	defer conn.Close()

	req := Request(nil)
	buf := make([]byte, 1400)
	challenges := 0
	var lastErr error
	for {
		if err := ctx.Err(); err != nil {
			if lastErr != nil {
				return Info{}, fmt.Errorf("a2s query %s: %w (last error: %v)", addr, err, lastErr)
			}
			return Info{}, fmt.Errorf("a2s query %s: %w", addr, err)
		}
		if _, err := conn.Write(req); err != nil {
			// On loopback a write fails with "connection refused" when an
			// earlier datagram found no listener: nobody listens yet.
			lastErr = err
			wait(ctx, resendEvery)
			continue
		}
		conn.SetReadDeadline(time.Now().Add(resendEvery))
		n, err := conn.Read(buf)
		if err != nil {
			lastErr = err
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				wait(ctx, resendEvery) // refused: pause before the resend
			}
			continue
		}
		p := buf[:n]
		switch {
		case n == 9 && string(p[:4]) == headerSimple && p[4] == typeChallenge:
			challenges++
			if challenges > 3 {
				return Info{}, fmt.Errorf("a2s query %s: the server keeps sending challenges", addr)
			}
			req = Request(bytes.Clone(p[5:9]))
		case n >= 5 && string(p[:4]) == headerSimple && p[4] == typeInfo:
			info, err := ParseInfo(p)
			if err != nil {
				return Info{}, fmt.Errorf("a2s query %s: %w", addr, err)
			}
			return info, nil
		default:
			return Info{}, fmt.Errorf("a2s query %s: %w: unexpected answer % x", addr, ErrMalformed, p[:min(n, 16)])
		}
	}
}

// wait returns after d or when ctx ends, whichever comes first.
func wait(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
