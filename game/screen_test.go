package game

import (
	"strings"
	"testing"
)

// feedAll feeds chunks and returns the lines and what is left partial.
func feedAll(chunks ...string) ([]string, string) {
	var s screen
	var lines []string
	for _, c := range chunks {
		s.feed([]byte(c), func(l string) { lines = append(lines, l) })
	}
	return lines, s.partial()
}

func TestScreen(t *testing.T) {
	for _, tt := range []struct {
		name        string
		chunks      []string
		wantLines   []string
		wantPartial string
	}{
		{"a terminal's CRLF is one line end", []string{"Loading Steam API...OK\r\nnext\r\n"},
			[]string{"Loading Steam API...OK", "next"}, ""},
		{"plain newlines", []string{"a\nb\n"}, []string{"a", "b"}, ""},
		{"a carriage return overwrites: each version is a line",
			[]string{"[  0%] Checking for available updates...\r[----] Verifying installation...\r\n"},
			[]string{"[  0%] Checking for available updates...", "[----] Verifying installation..."}, ""},
		{"a line split across reads", []string{" Update state (0x61) down", "loading, progress: 4.11 (1 / 2)\r", "\n"},
			[]string{" Update state (0x61) downloading, progress: 4.11 (1 / 2)"}, ""},
		{"CR at the end of one read, LF at the start of the next", []string{"one\r", "\ntwo\r\n"}, []string{"one", "two"}, ""},
		{"a prompt without a newline stays partial", []string{"Steam Guard\r\n code from that message.\r\nSteam Guard code:"},
			[]string{"Steam Guard", " code from that message."}, "Steam Guard code:"},
		{"colour and cursor sequences are dropped", []string{"\x1b[1;31mERROR!\x1b[0m Failed\x1b[K\r\n\x1b[?25l\x1b[2J"},
			[]string{"ERROR! Failed"}, ""},
		{"an escape split across reads", []string{"a\x1b", "[3", "2mb\r\n"}, []string{"ab"}, ""},
		{"an OSC title ended by BEL and one ended by ESC \\", []string{"\x1b]0;steamcmd\x07x\x1b]2;t\x1b\\y\n"},
			[]string{"xy"}, ""},
		{"charset selection", []string{"\x1b(Bok\n"}, []string{"ok"}, ""},
		{"backspace takes back a character", []string{"passw\bword\n"}, []string{"password"}, ""},
		{"other control characters go, tabs stay", []string{"a\x07\tb\x00c\n"}, []string{"a\tbc"}, ""},
		{"blank lines are not lines", []string{"\r\n\r\n   \r\nx\n\n"}, []string{"x"}, ""},
		{"invalid UTF-8 is replaced", []string{"caf\xe9\n"}, []string{"caf\uFFFD"}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			lines, partial := feedAll(tt.chunks...)
			equal(t, "lines", lines, tt.wantLines)
			equal(t, "partial", partial, tt.wantPartial)
		})
	}
}

func TestScreenByteAtATime(t *testing.T) {
	in := "\x1b[0mLogging in user 'x' to Steam Public...\r\nTwo-factor code:"
	var chunks []string
	for i := range len(in) {
		chunks = append(chunks, in[i:i+1])
	}
	lines, partial := feedAll(chunks...)
	equal(t, "lines", lines, []string{"Logging in user 'x' to Steam Public..."})
	equal(t, "partial", partial, "Two-factor code:")
}

func TestScreenEndlessLineIsCut(t *testing.T) {
	lines, partial := feedAll(strings.Repeat("x", maxLine+10))
	if len(lines) != 1 || len(lines[0]) != maxLine || len(partial) != 10 {
		t.Errorf("got %d lines (first %d bytes) and %d partial bytes", len(lines), len(lines[0]), len(partial))
	}
}

func TestScreenFlush(t *testing.T) {
	var s screen
	var lines []string
	emit := func(l string) { lines = append(lines, l) }
	s.feed([]byte("password: "), emit)
	s.flush(emit)
	s.feed([]byte("\r\nLogging in\r\n"), emit)
	equal(t, "lines", lines, []string{"password: ", "Logging in"})
}

func TestDetectPrompt(t *testing.T) {
	for _, tt := range []struct {
		partial string
		want    Prompt
		wantOK  bool
	}{
		{"password: ", Prompt{PromptPassword, "password:"}, true},
		{"Password:", Prompt{PromptPassword, "Password:"}, true},
		{"Steam Guard code:", Prompt{PromptSteamGuard, "Steam Guard code:"}, true},
		{"Two-factor code:  ", Prompt{PromptTwoFactor, "Two-factor code:"}, true},
		{"Logging in user 'x' to Steam Public...", Prompt{}, false},
		{"Steam>", Prompt{}, false},
		{"password: hunter", Prompt{}, false},
		{"", Prompt{}, false},
	} {
		got, ok := detectPrompt(tt.partial)
		equal(t, "ok of "+tt.partial, ok, tt.wantOK)
		equal(t, "prompt of "+tt.partial, got, tt.want)
	}
}
