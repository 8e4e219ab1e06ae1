// Package text is the one rule for the free text a user may give the
// panel — a server's title, a blueprint's name and server.cfg, an API
// token's name, a user's name — and the key that makes two user names the
// same account name. The web forms, the JSON API, the shell commands and
// the store all ask Check, so a refusal reads the same everywhere.
//
// What is refused, and why:
//   - bytes that are not UTF-8: the panel shows and serves text as UTF-8;
//   - control characters (C0, DEL, C1), NUL above all: the store writes
//     values into the SQL text it hands SQLite as a C string, which ends
//     at the first NUL; the others have no business in a title either;
//   - the bidirectional embeddings, overrides and isolates (U+202A–U+202E,
//     U+2066–U+2069): they make text read differently than it is stored
//     ("\u202enimda" shows as "admin");
//   - in a user name also every invisible or format character (zero-width
//     space and joiners, soft hyphen, direction marks, variation
//     selectors), white space other than the plain space, and code points
//     that are no letter, mark, digit, punctuation or symbol (private use,
//     unassigned): a name must not pass for another.
//
// Lines (server.cfg) keeps tabs and line breaks, the one place they belong.
package text

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind is what a field holds.
type Kind int

const (
	// Line is one line of text the panel shows: a server title, a
	// blueprint or API token name.
	Line Kind = iota
	// Lines is the text of a file: server.cfg. Tabs and line breaks (LF,
	// CR) are allowed.
	Lines
	// Name is a user name: one line that cannot pass for another.
	Name
)

// Check returns "" when s is acceptable as a field of kind with at most
// max characters (max 0: no limit), or otherwise a sentence saying what to
// change, naming the first offending character and where it is. Whether
// a field may be empty is the caller's rule.
func Check(s string, kind Kind, max int) string {
	if !utf8.ValidString(s) {
		return "Use UTF-8 text: this holds bytes that are not."
	}
	if n := utf8.RuneCountInString(s); max > 0 && n > max {
		return fmt.Sprintf("Use at most %d characters (this has %d).", max, n)
	}
	pos := 0
	for _, r := range s {
		pos++
		if msg := checkRune(r, kind); msg != "" {
			return fmt.Sprintf(msg, r, pos)
		}
	}
	return ""
}

// checkRune returns a format with %U for r and %d for its position, or ""
// when r is fine in kind.
func checkRune(r rune, kind Kind) string {
	switch {
	case kind == Lines && (r == '\t' || r == '\n' || r == '\r'):
		return ""
	case kind != Lines && (r == '\n' || r == '\r' || r == 0x85 || r == 0x2028 || r == 0x2029):
		return "Use one line: remove the line break %U (character %d)."
	case unicode.IsControl(r):
		return "Remove the control character %U (character %d)."
	case isBidiControl(r):
		return "Remove %U (character %d): it changes the direction text is shown in, so it would not read as it is stored."
	case kind != Name:
		return ""
	case unicode.In(r, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector):
		return "Remove %U (character %d): it cannot be seen, so the name could pass for another."
	case unicode.IsSpace(r) && r != ' ':
		return "Use plain spaces only: %U (character %d) is another kind of space."
	case r != ' ' && !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S):
		return "Remove %U (character %d): use letters, digits, marks, punctuation, symbols and spaces."
	}
	return ""
}

// isBidiControl reports whether r is an explicit bidirectional embedding,
// override or isolate (or their terminators).
func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}

// Fold returns the key of a user name: two names with the same key are
// the same account name. It folds case the way Unicode's simple case
// folding does (Admin, ADMIN and admin; K, k and the Kelvin sign U+212A),
// drops the characters that cannot be seen, trims the name and counts a
// run of spaces as one, since a browser shows it as one.
func Fold(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	space := false
	for _, r := range strings.TrimSpace(name) {
		if isBidiControl(r) || unicode.In(r, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector) {
			continue
		}
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(foldRune(r))
	}
	return b.String()
}

// foldRune maps every rune of a case-folding orbit (unicode.SimpleFold) to
// the same one: the lower case of the orbit's smallest member.
func foldRune(r rune) rune {
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		least = min(least, f)
	}
	return unicode.ToLower(least)
}
