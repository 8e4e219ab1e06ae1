package text_test

import (
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/text"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		s    string
		kind text.Kind
		max  int
		want string // a part of the sentence; "" for accepted
	}{
		{"a title", "Friday versus, 20:00 — bring friends ☕", text.Line, 100, ""},
		{"an empty title", "", text.Line, 100, ""},
		{"a title in Arabic", "خادم الأصدقاء", text.Line, 100, ""},
		{"a NUL byte", "a\x00b", text.Line, 100, "control character U+0000 (character 2)"},
		{"a NUL byte in server.cfg", "hostname x\n\x00", text.Lines, 0, "U+0000 (character 12)"},
		{"DEL", "a\x7f", text.Line, 100, "U+007F"},
		{"a C1 control", "a\u0085", text.Line, 100, "one line"},
		{"an escape", "\x1b[31mred", text.Line, 100, "control character U+001B"},
		{"a newline in a title", "a\nb", text.Line, 100, "one line"},
		{"a line separator in a title", "a\u2028b", text.Line, 100, "one line"},
		{"a tab in a title", "a\tb", text.Line, 100, "control character U+0009"},
		{"not UTF-8", "a\xffb", text.Line, 100, "UTF-8"},
		{"too long", strings.Repeat("é", 101), text.Line, 100, "at most 100 characters (this has 101)"},
		{"as long as allowed", strings.Repeat("é", 100), text.Line, 100, ""},
		{"a right-to-left override", "\u202enimda", text.Line, 100, "U+202E (character 1): it changes the direction"},
		{"an isolate", "a\u2067b", text.Lines, 0, "U+2067"},
		{"server.cfg with tabs and CRLF", "hostname\t\"x\"\r\nsv_lan 0\n", text.Lines, 0, ""},
		{"a zero-width space in a title", "a\u200bb", text.Line, 100, ""},
		{"a user name", "Ann Smith-Jones", text.Name, 64, ""},
		{"a user name in Cyrillic", "Анна", text.Name, 64, ""},
		{"a user name with an apostrophe", "o'neil", text.Name, 64, ""},
		{"a user name with a zero-width space", "ad\u200bmin", text.Name, 64, "U+200B (character 3): it cannot be seen"},
		{"a user name with a right-to-left mark", "admin\u200f", text.Name, 64, "U+200F"},
		{"a user name with a soft hyphen", "ad\u00admin", text.Name, 64, "U+00AD"},
		{"a user name with a Hangul filler", "admin\u3164", text.Name, 64, "U+3164"},
		{"a user name with a variation selector", "admin\ufe0f", text.Name, 64, "U+FE0F"},
		{"a user name with a no-break space", "ann\u00a0smith", text.Name, 64, "plain spaces only: U+00A0"},
		{"a user name with a private-use character", "ann\ue000", text.Name, 64, "U+E000"},
		{"a user name with a right-to-left override", "\u202enimda", text.Name, 64, "U+202E"},
		{"a user name with a tab", "ann\tb", text.Name, 64, "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := text.Check(tt.s, tt.kind, tt.max)
			if tt.want == "" && got != "" {
				t.Fatalf("Check(%q) = %q, want it accepted", tt.s, got)
			}
			if tt.want != "" && !strings.Contains(got, tt.want) {
				t.Fatalf("Check(%q) = %q, want a sentence with %q", tt.s, got, tt.want)
			}
			if got != "" && !strings.HasSuffix(got, ".") {
				t.Fatalf("Check(%q) = %q: not a sentence", tt.s, got)
			}
		})
	}
}

func TestFold(t *testing.T) {
	same := [][]string{
		{"admin", "Admin", "ADMIN", " admin "},
		{"kate", "Kate", "\u212Aate"}, // the Kelvin sign
		{"σοφία", "ΣΟΦΊΑ", "ςοφία"},
		{"ann smith", "Ann  Smith", "ann\u00a0smith"},
		{"admin", "ad\u200bmin", "admin\u202c"},
	}
	for _, names := range same {
		for _, n := range names[1:] {
			if text.Fold(n) != text.Fold(names[0]) {
				t.Errorf("Fold(%q) = %q, Fold(%q) = %q: want the same key", n, text.Fold(n), names[0], text.Fold(names[0]))
			}
		}
	}
	for _, pair := range [][2]string{{"admin", "admins"}, {"ann", "anna"}, {"admin", "аdmin"}} {
		if text.Fold(pair[0]) == text.Fold(pair[1]) {
			t.Errorf("Fold(%q) = Fold(%q): want different keys", pair[0], pair[1])
		}
	}
	if got := text.Fold("ÄDMIN"); got != "ädmin" {
		t.Errorf("Fold(ÄDMIN) = %q, want the lower case", got)
	}
}
