package game

import (
	"errors"
	"fmt"
	"strings"
)

// Valve's KeyValues text (VDF): "key" "value" pairs and "key" { ... }
// blocks, quoted or bare words, backslash escapes inside quotes, //
// comments to the end of a line, and optional [$CONDITION] tags after a
// key or value, which this reader skips. Keys compare without case, as in
// Valve's own reader. appmanifest_*.acf and app_info_print both use it.

// kv is one key with either a value or a block of keys.
type kv struct {
	key     string
	value   string
	block   []*kv
	isBlock bool
}

// get follows path through nested blocks and returns the first match, or
// nil.
func (n *kv) get(path ...string) *kv {
	cur := n
	for _, name := range path {
		if cur == nil || !cur.isBlock {
			return nil
		}
		var next *kv
		for _, c := range cur.block {
			if strings.EqualFold(c.key, name) {
				next = c
				break
			}
		}
		cur = next
	}
	return cur
}

// str returns the value at path, or "" when it is missing or a block.
func (n *kv) str(path ...string) string {
	v := n.get(path...)
	if v == nil || v.isBlock {
		return ""
	}
	return v.value
}

// errVDF wraps every syntax error.
var errVDF = errors.New("not valid KeyValues text")

type vdfToken struct {
	kind byte // '"' string (quoted or bare), '{', '}', 0 end of input
	text string
	line int
}

type vdfLexer struct {
	src  string
	pos  int
	line int
}

func (l *vdfLexer) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: line %d: %s", errVDF, l.line, fmt.Sprintf(format, args...))
}

// next returns the next token, skipping white space, comments and
// conditional tags.
func (l *vdfLexer) next() (vdfToken, error) {
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == '\n':
			l.line++
			l.pos++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			l.pos++
		case c == '/' && strings.HasPrefix(l.src[l.pos:], "//"):
			for l.pos < len(l.src) && l.src[l.pos] != '\n' {
				l.pos++
			}
		case c == '[':
			end := strings.IndexAny(l.src[l.pos:], "]\n")
			if end < 0 || l.src[l.pos+end] != ']' {
				return vdfToken{}, l.errorf("unclosed [condition]")
			}
			l.pos += end + 1
		case c == '{' || c == '}':
			l.pos++
			return vdfToken{kind: c, line: l.line}, nil
		case c == '"':
			return l.quoted()
		default:
			start := l.pos
			for l.pos < len(l.src) && !strings.ContainsRune(" \t\r\n\f\v{}\"", rune(l.src[l.pos])) {
				l.pos++
			}
			return vdfToken{kind: '"', text: l.src[start:l.pos], line: l.line}, nil
		}
	}
	return vdfToken{line: l.line}, nil
}

func (l *vdfLexer) quoted() (vdfToken, error) {
	startLine := l.line
	l.pos++ // the opening quote
	var b strings.Builder
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch c {
		case '"':
			l.pos++
			return vdfToken{kind: '"', text: b.String(), line: startLine}, nil
		case '\\':
			if l.pos+1 >= len(l.src) {
				l.pos++
				b.WriteByte('\\')
				continue
			}
			switch e := l.src[l.pos+1]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case '\\', '"':
				b.WriteByte(e)
			default: // not an escape Valve knows: keep both characters (Windows paths)
				b.WriteByte('\\')
				b.WriteByte(e)
			}
			l.pos += 2
		default:
			if c == '\n' {
				l.line++
			}
			b.WriteByte(c)
			l.pos++
		}
	}
	l.line = startLine
	return vdfToken{}, l.errorf("unclosed quote")
}

// parsePairs reads pairs until the end of input (top level) or the
// closing brace of the block it is in.
func (l *vdfLexer) parsePairs(inBlock bool) ([]*kv, error) {
	var out []*kv
	for {
		tok, err := l.next()
		if err != nil {
			return nil, err
		}
		switch tok.kind {
		case 0:
			if inBlock {
				return nil, l.errorf("a block is not closed")
			}
			return out, nil
		case '}':
			if !inBlock {
				return nil, l.errorf("} without a block")
			}
			return out, nil
		case '{':
			return nil, l.errorf("a block without a key")
		}
		n, err := l.parseValue(tok.text)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
}

// parseValue reads what follows key: a value or a block.
func (l *vdfLexer) parseValue(key string) (*kv, error) {
	val, err := l.next()
	if err != nil {
		return nil, err
	}
	switch val.kind {
	case '"':
		return &kv{key: key, value: val.text}, nil
	case '{':
		block, err := l.parsePairs(true)
		if err != nil {
			return nil, err
		}
		return &kv{key: key, block: block, isBlock: true}, nil
	default:
		return nil, l.errorf("key %q has no value", key)
	}
}

// parseVDF reads a whole KeyValues text into a root block.
func parseVDF(src string) (*kv, error) {
	l := &vdfLexer{src: src, line: 1}
	pairs, err := l.parsePairs(false)
	if err != nil {
		return nil, err
	}
	return &kv{isBlock: true, block: pairs}, nil
}

// parseFirstVDF reads the first pair of src and ignores what follows it
// (app_info_print's block is followed by more console output).
func parseFirstVDF(src string) (*kv, error) {
	l := &vdfLexer{src: src, line: 1}
	tok, err := l.next()
	if err != nil {
		return nil, err
	}
	if tok.kind != '"' {
		return nil, l.errorf("no key at the start")
	}
	n, err := l.parseValue(tok.text)
	if err != nil {
		return nil, err
	}
	return &kv{isBlock: true, block: []*kv{n}}, nil
}
