// Package rcon speaks Valve's Source RCON protocol over TCP: a client
// (Client, and Pool for one kept-open connection per game server), a
// minimal server that behaves like srcds (Server, for cmd/fakesrcds, the
// simulated host and the tests), and a parser and formatter for L4D2's
// `status` answer (ParseStatus, FormatStatus).
//
// Every packet is, all integers little-endian int32:
//
//	size   the bytes that follow: 4 (id) + 4 (type) + len(body) + 2
//	id     chosen by the client, echoed by the server
//	type   3 SERVERDATA_AUTH, 2 SERVERDATA_EXECCOMMAND (client → server)
//	       2 SERVERDATA_AUTH_RESPONSE, 0 SERVERDATA_RESPONSE_VALUE (server → client)
//	body   a string without NUL
//	       two NUL bytes: the body's terminator and an empty second string
//
// Authentication: the client sends AUTH with the password; srcds answers
// with an empty RESPONSE_VALUE and then an AUTH_RESPONSE whose id is the
// request's, or -1 when the password is wrong.
//
// A long answer spans several RESPONSE_VALUE packets, and nothing says
// which one is the last. So the client sends an empty RESPONSE_VALUE with
// a marker id right after the command: srcds handles packets in order and
// mirrors that one back (followed by a packet with the body 00 01 00 00),
// so the answer is complete when the marker comes back.
package rcon

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Packet types. EXECCOMMAND and AUTH_RESPONSE share the value 2; the
// direction tells them apart.
const (
	typeResponseValue = 0
	typeExecCommand   = 2
	typeAuthResponse  = 2
	typeAuth          = 3
)

// MaxBody is the longest body sent in one packet: a longer command is
// refused, a longer answer is split.
const MaxBody = 4096

const (
	minSize = 4 + 4 + 2         // id, type and the two NULs
	maxSize = minSize + MaxBody // the longest packet read or written
)

// ErrMalformed reports a packet the protocol does not allow, such as a size
// field out of range. The connection it came on is closed.
var ErrMalformed = errors.New("the RCON peer sent a malformed packet")

type packet struct {
	id   int32
	typ  int32
	body string
}

// appendPacket appends the wire form of one packet to b. The body must
// not be longer than MaxBody; callers check.
func appendPacket(b []byte, id, typ int32, body string) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(minSize+len(body)))
	b = binary.LittleEndian.AppendUint32(b, uint32(id))
	b = binary.LittleEndian.AppendUint32(b, uint32(typ))
	b = append(b, body...)
	return append(b, 0, 0)
}

// readPacket reads one packet into buf. A size field out of range is
// refused before anything more is read. The body ends at its first NUL
// (srcds reads it as a C string), which also tolerates peers that send
// one terminator or odd bytes after it.
func readPacket(r io.Reader, buf *[maxSize]byte) (packet, error) {
	if _, err := io.ReadFull(r, buf[:4]); err != nil {
		return packet{}, err
	}
	size := int32(binary.LittleEndian.Uint32(buf[:4]))
	if size < minSize || size > maxSize {
		return packet{}, fmt.Errorf("%w: size %d is not between %d and %d", ErrMalformed, size, minSize, maxSize)
	}
	p := buf[:size]
	if _, err := io.ReadFull(r, p); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return packet{}, err
	}
	body := p[8:]
	for i, c := range body {
		if c == 0 {
			body = body[:i]
			break
		}
	}
	return packet{
		id:   int32(binary.LittleEndian.Uint32(p[0:4])),
		typ:  int32(binary.LittleEndian.Uint32(p[4:8])),
		body: string(body),
	}, nil
}
