package game

import (
	"errors"
	"strings"
	"testing"
)

func TestParseVDF(t *testing.T) {
	src := "// a comment before anything\r\n" +
		`"Root"
{
	"plain"		"value"   // a comment after a pair
	"escapes"	"tab\there \"quoted\" back\\slash\nnew line"
	"windows"	"C:\Steam\steamapps"
	bare		word
	"empty"		""
	"cond"		"yes" [$WIN32]
	"Nested"
	{
		"deeper"	{ "key" "inner" }
		"dup"	"first"
		"dup"	"second"
	}
	"multi"	"line one
line two"
}
`
	root, err := parseVDF(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		path []string
		want string
	}{
		{[]string{"Root", "plain"}, "value"},
		{[]string{"root", "PLAIN"}, "value"},
		{[]string{"Root", "escapes"}, "tab\there \"quoted\" back\\slash\nnew line"},
		{[]string{"Root", "windows"}, `C:\Steam\steamapps`},
		{[]string{"Root", "bare"}, "word"},
		{[]string{"Root", "empty"}, ""},
		{[]string{"Root", "cond"}, "yes"},
		{[]string{"Root", "Nested", "deeper", "key"}, "inner"},
		{[]string{"Root", "Nested", "dup"}, "first"},
		{[]string{"Root", "multi"}, "line one\nline two"},
		{[]string{"Root", "missing"}, ""},
		{[]string{"Root", "Nested"}, ""}, // a block has no string value
		{[]string{"Root", "plain", "below"}, ""},
	} {
		equal(t, strings.Join(tt.path, "/"), root.str(tt.path...), tt.want)
	}
	if n := root.get("Root", "Nested"); n == nil || !n.isBlock || len(n.block) != 3 {
		t.Errorf("Root/Nested = %+v, want a block of 3", n)
	}
}

func TestParseVDFRefuses(t *testing.T) {
	for _, tt := range []struct {
		name, src, wantIn string
	}{
		{"an unclosed block", "\"a\"\n{\n\"b\" \"c\"\n", "line 4: a block is not closed"},
		{"an unclosed quote", "\"a\" \"b\n\nc", "line 1: unclosed quote"},
		{"a key without a value", "\"a\" { \"b\" }", "key \"b\" has no value"},
		{"a stray closing brace", "\"a\" \"b\" }", "} without a block"},
		{"a block without a key", "{ \"a\" \"b\" }", "a block without a key"},
		{"an unclosed condition", "\"a\" \"b\" [$WIN32\n", "unclosed [condition]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseVDF(tt.src)
			if !errors.Is(err, errVDF) || !strings.Contains(err.Error(), tt.wantIn) {
				t.Errorf("parseVDF(%q) = %v, want errVDF with %q", tt.src, err, tt.wantIn)
			}
		})
	}
}

func TestParseFirstVDFStopsAfterOnePair(t *testing.T) {
	root, err := parseFirstVDF("\"222860\"\n{\n\t\"common\" { \"name\" \"x\" }\n}\nUnloading Steam API...OK\n{ junk")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "name", root.str("222860", "common", "name"), "x")
	equal(t, "pairs", len(root.block), 1)
}
