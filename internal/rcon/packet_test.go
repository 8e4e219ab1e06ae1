package rcon

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

func TestAppendPacketWritesTheWireForm(t *testing.T) {
	got := appendPacket(nil, 7, typeAuth, "pw")
	want := []byte{
		0x0c, 0, 0, 0, // size: 4 + 4 + 2 + 2
		0x07, 0, 0, 0, // id
		0x03, 0, 0, 0, // SERVERDATA_AUTH
		'p', 'w', 0, 0,
	}
	if !bytes.Equal(got, want) {
		t.Errorf("appendPacket = % x, want % x", got, want)
	}
	got = appendPacket(nil, -1, typeAuthResponse, "")
	want = []byte{0x0a, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0}
	if !bytes.Equal(got, want) {
		t.Errorf("appendPacket(-1, AUTH_RESPONSE) = % x, want % x", got, want)
	}
}

func TestReadPacket(t *testing.T) {
	for _, tt := range []struct {
		name    string
		in      string
		want    packet
		wantErr error
	}{
		{"an empty RESPONSE_VALUE", "\x0a\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00",
			packet{id: 5, typ: 0}, nil},
		{"an AUTH_RESPONSE refusing", "\x0a\x00\x00\x00\xff\xff\xff\xff\x02\x00\x00\x00\x00\x00",
			packet{id: -1, typ: 2}, nil},
		{"a body", "\x0f\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00hello\x00\x00",
			packet{id: 2, typ: 0, body: "hello"}, nil},
		{"the packet srcds sends after a mirrored marker", "\x0c\x00\x00\x00\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00",
			packet{id: 9, typ: 0}, nil},
		{"one terminator only", "\x0a\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00ab",
			packet{id: 1, typ: 0, body: "ab"}, nil},
		{"a size below the minimum", "\x09\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00", packet{}, ErrMalformed},
		{"a negative size", "\xff\xff\xff\xff", packet{}, ErrMalformed},
		{"a size of 2 GiB", "\xff\xff\xff\x7f", packet{}, ErrMalformed},
		{"one byte over the maximum", "\x0b\x10\x00\x00", packet{}, ErrMalformed},
		{"nothing", "", packet{}, io.EOF},
		{"half a size", "\x0a\x00", packet{}, io.ErrUnexpectedEOF},
		{"a packet cut short", "\x0a\x00\x00\x00\x01\x00", packet{}, io.ErrUnexpectedEOF},
		{"a size and nothing after it", "\x0a\x00\x00\x00", packet{}, io.ErrUnexpectedEOF},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readPacket(strings.NewReader(tt.in), new([maxSize]byte))
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("readPacket = %+v, %v; want %+v, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestReadPacketTakesTheLongestBody(t *testing.T) {
	body := strings.Repeat("x", MaxBody)
	got, err := readPacket(bytes.NewReader(appendPacket(nil, 3, 0, body)), new([maxSize]byte))
	if err != nil || got.body != body {
		t.Fatalf("readPacket of a %d-byte body = %d bytes, %v", MaxBody, len(got.body), err)
	}
}

func TestReadPacketRefusesAHugeSizeWithoutAllocating(t *testing.T) {
	buf := new([maxSize]byte)
	in := []byte("\xff\xff\xff\x7f")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 100 {
		if _, err := readPacket(bytes.NewReader(in), buf); !errors.Is(err, ErrMalformed) {
			t.Fatalf("err = %v, want ErrMalformed", err)
		}
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("refusing a 2 GiB size field 100 times allocated %d bytes", n)
	}
}
