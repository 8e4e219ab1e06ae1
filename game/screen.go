package game

import (
	"strings"
	"unicode/utf8"
)

// screen turns the bytes a program writes to its terminal into lines. It
// reads a stream, not lines: a line ends at "\n" or "\r" ("\r\n" is one
// end), terminal escape sequences (CSI, OSC, charset selections, ...) are
// dropped, a backspace takes back the character before it, other control
// characters are dropped, and lines of white space only are not emitted.
// What is not yet ended by a newline stays in partial: a prompt steamcmd
// waits on ends without one.
type screen struct {
	line   []byte
	state  escState
	lastCR bool // the previous byte ended a line with "\r"
}

type escState int

const (
	stText escState = iota
	stEsc
	stCSI
	stString    // OSC, DCS, SOS, PM, APC: up to BEL or ESC \
	stStringEsc // ESC inside a string: "\" ends it
	stCharset   // ESC ( X and friends: one more byte
)

// maxLine bounds a line that never ends; the excess is emitted as a line.
const maxLine = 64 << 10

// feed consumes p and calls emit for every line it completes.
func (s *screen) feed(p []byte, emit func(string)) {
	for _, c := range p {
		switch s.state {
		case stEsc:
			switch c {
			case '[':
				s.state = stCSI
			case ']', 'P', 'X', '^', '_':
				s.state = stString
			case '(', ')', '*', '+', '-', '.', '/', '#', '%':
				s.state = stCharset
			default:
				s.state = stText
			}
			continue
		case stCSI:
			// Parameters and intermediates are 0x20-0x3f, the final byte
			// 0x40-0x7e; anything else breaks the sequence off.
			if c < 0x20 || c > 0x3f {
				s.state = stText
			}
			continue
		case stString:
			switch c {
			case 0x07:
				s.state = stText
			case 0x1b:
				s.state = stStringEsc
			}
			continue
		case stStringEsc:
			s.state = stText
			continue
		case stCharset:
			s.state = stText
			continue
		}
		cr := false
		switch {
		case c == 0x1b:
			s.state = stEsc
		case c == '\r':
			s.end(emit)
			cr = true
		case c == '\n':
			if !s.lastCR {
				s.end(emit)
			}
		case c == '\b':
			if len(s.line) > 0 {
				_, size := utf8.DecodeLastRune(s.line)
				s.line = s.line[:len(s.line)-size]
			}
		case c == '\t' || c >= 0x20 && c != 0x7f:
			s.line = append(s.line, c)
			if len(s.line) >= maxLine {
				s.end(emit)
			}
		}
		s.lastCR = cr
	}
}

// partial is the text after the last line end: a prompt, or a line still
// being written.
func (s *screen) partial() string { return string(s.line) }

// flush emits the partial text as a line of its own.
func (s *screen) flush(emit func(string)) {
	s.end(emit)
	s.lastCR = false
}

func (s *screen) end(emit func(string)) {
	line := strings.ToValidUTF8(string(s.line), "\uFFFD")
	s.line = s.line[:0]
	if strings.TrimSpace(line) != "" {
		emit(line)
	}
}
