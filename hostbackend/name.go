package hostbackend

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// NameRule is the instance-name rule in human words, for hints and errors.
const NameRule = "1 to 32 characters: lowercase letters a-z, digits, '-' and '_', starting with a letter or digit"

// MaxNameLen is the longest instance name allowed.
const MaxNameLen = 32

// ValidateName reports whether name follows the one instance-name rule,
// ^[a-z0-9][a-z0-9_-]{0,31}$, mirrored in every root helper. It returns an
// error wrapping ErrInvalidName that says what is wrong in the user's
// terms: the length in characters, the first character refused as they
// typed it ("café" contains “é”, not a byte of it).
//
// The rule is checked byte by byte rather than with a regexp so that it
// cannot be loosened by a regexp flag or a Unicode class by accident; the
// message decodes the character only once the byte is refused.
func ValidateName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: the name is empty; use %s", ErrInvalidName, NameRule)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '-' || c == '_') && i > 0:
		case c == '-' || c == '_':
			return fmt.Errorf("%w: “%s” starts with “%c”; it must start with a lowercase letter or digit", ErrInvalidName, shown(name), c)
		default:
			return fmt.Errorf("%w: “%s” contains %s; use %s", ErrInvalidName, shown(name), character(name[i:]), NameRule)
		}
	}
	if len(name) > MaxNameLen {
		return fmt.Errorf("%w: the name is %d characters long, at most %d are allowed", ErrInvalidName, len(name), MaxNameLen)
	}
	return nil
}

// character names the first character of s for a message: “é” as typed,
// or in words when it cannot be seen.
func character(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	switch {
	case r == utf8.RuneError && size <= 1:
		return fmt.Sprintf("the byte 0x%02X, which is not UTF-8 text", s[0])
	case r == ' ':
		return "a space"
	case unicode.IsUpper(r) && unicode.IsPrint(r):
		return fmt.Sprintf("the capital “%c” (use “%c”)", r, unicode.ToLower(r))
	case unicode.IsPrint(r):
		return fmt.Sprintf("“%c”", r)
	}
	return fmt.Sprintf("the invisible character U+%04X", r)
}

// shown is name as a message may quote it: at most 40 characters, and
// any character that cannot be seen as a dot.
func shown(name string) string {
	var b strings.Builder
	n := 0
	for _, r := range name {
		if n == 40 {
			b.WriteString("…")
			break
		}
		if !unicode.IsPrint(r) || r == utf8.RuneError {
			r = '·'
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// UnitName returns the systemd unit of the instance.
func UnitName(name string) string {
	return "left4me-server@" + name + ".service"
}
