package a2s

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// A reply too long for one datagram comes in parts, each with this
// 12-byte header (Source's format; GoldSource and a few old Source games
// differ and are not supported):
//
//	FE FF FF FF  <id int32>  <total byte>  <number byte>  <size int16>  <payload>
//
// id is the same in every part of one reply, number counts from 0 to
// total-1, size is the sender's split size; the payloads in number order
// are the reply, starting with its own FF FF FF FF header. When id has
// its high bit set the reply is bzip2-compressed, which Source engines
// from 2006 on never send; such a reply is refused (ErrCompressed).
const (
	headerSplit     = "\xfe\xff\xff\xff"
	splitHeaderSize = 12
	compressedBit   = 0x80000000
)

// SplitSize is how many bytes of a reply one part carries at most: 1248,
// Source's default, so that a part with its header is 1260 bytes of UDP
// payload and fits a 1500-byte MTU with room for IP, UDP and a tunnel.
const SplitSize = 1248

// MaxParts is the most parts a split reply may have, and maxReply the
// most bytes a reassembled reply may hold: enough for 255 players with
// long names or a thousand rules; anything announcing more is refused
// before memory is set aside for it.
const (
	MaxParts = 32
	maxReply = 64 << 10
)

// ErrCompressed reports a split reply whose parts are bzip2-compressed.
var ErrCompressed = errors.New("a2s: compressed split replies are not supported")

// Split returns the packets that carry reply: reply itself when it fits
// one packet (SplitSize bytes or fewer), otherwise parts of SplitSize
// bytes (the last one shorter) under the split header with id (its high
// bit, the compressed flag, cleared). It fails for a reply that would
// need more than MaxParts parts.
func Split(reply []byte, id uint32) ([][]byte, error) {
	if len(reply) <= SplitSize {
		return [][]byte{reply}, nil
	}
	total := (len(reply) + SplitSize - 1) / SplitSize
	if total > MaxParts {
		return nil, fmt.Errorf("a2s: a reply of %d bytes needs %d parts, more than %d", len(reply), total, MaxParts)
	}
	parts := make([][]byte, 0, total)
	for n := range total {
		chunk := reply[n*SplitSize : min((n+1)*SplitSize, len(reply))]
		b := make([]byte, 0, splitHeaderSize+len(chunk))
		b = append(b, headerSplit...)
		b = binary.LittleEndian.AppendUint32(b, id&^compressedBit)
		b = append(b, byte(total), byte(n))
		b = binary.LittleEndian.AppendUint16(b, SplitSize)
		parts = append(parts, append(b, chunk...))
	}
	return parts, nil
}

// isSplit reports whether p starts with the split header.
func isSplit(p []byte) bool { return len(p) >= 4 && string(p[:4]) == headerSplit }

// splitPart is one parsed part of a split reply.
type splitPart struct {
	id            uint32
	total, number int
	payload       []byte
}

// parseSplit reads the header of one part; the payload aliases p.
func parseSplit(p []byte) (splitPart, error) {
	if len(p) < splitHeaderSize || !isSplit(p) {
		return splitPart{}, fmt.Errorf("%w: not a split reply part", ErrMalformed)
	}
	s := splitPart{
		id:      binary.LittleEndian.Uint32(p[4:8]),
		total:   int(p[8]),
		number:  int(p[9]),
		payload: p[splitHeaderSize:],
	}
	switch {
	case s.id&compressedBit != 0:
		return splitPart{}, ErrCompressed
	case s.total == 0 || s.total > MaxParts:
		return splitPart{}, fmt.Errorf("%w: a split reply of %d parts (at most %d)", ErrMalformed, s.total, MaxParts)
	case s.number >= s.total:
		return splitPart{}, fmt.Errorf("%w: part %d of a split reply of %d", ErrMalformed, s.number, s.total)
	}
	return s, nil
}

// maxPending is how many split replies (by id) a reassembler keeps at
// once: a resent request may get a second reply with another id while
// the first one's parts still arrive.
const maxPending = 4

// reassembler collects the parts of the split replies from one server.
// Parts may come in any order and more than once; a part that
// contradicts the ones before it (another total, or a reply over
// maxReply) is an error.
type reassembler struct {
	pending []*partial // oldest first
}

type partial struct {
	id    uint32
	parts [][]byte // by number; nil until it came
	have  int      // parts that came
	size  int      // their bytes
}

// add takes one packet with the split header and returns the whole reply
// once its last missing part came (nil before).
func (r *reassembler) add(p []byte) ([]byte, error) {
	s, err := parseSplit(p)
	if err != nil {
		return nil, err
	}
	var cur *partial
	for _, q := range r.pending {
		if q.id == s.id {
			cur = q
		}
	}
	if cur == nil {
		if len(r.pending) == maxPending {
			r.pending = r.pending[1:]
		}
		cur = &partial{id: s.id, parts: make([][]byte, s.total)}
		r.pending = append(r.pending, cur)
	}
	if len(cur.parts) != s.total {
		return nil, fmt.Errorf("%w: split reply %#x announced %d parts, then %d", ErrMalformed, s.id, len(cur.parts), s.total)
	}
	if cur.parts[s.number] != nil {
		return nil, nil // a duplicate
	}
	if cur.size+len(s.payload) > maxReply {
		return nil, fmt.Errorf("%w: split reply %#x is longer than %d bytes", ErrMalformed, s.id, maxReply)
	}
	cur.parts[s.number] = append([]byte{}, s.payload...)
	cur.have++
	cur.size += len(s.payload)
	if cur.have < len(cur.parts) {
		return nil, nil
	}
	reply := make([]byte, 0, cur.size)
	for _, part := range cur.parts {
		reply = append(reply, part...)
	}
	r.drop(cur)
	return reply, nil
}

func (r *reassembler) drop(done *partial) {
	for i, q := range r.pending {
		if q == done {
			r.pending = append(r.pending[:i], r.pending[i+1:]...)
			return
		}
	}
}
