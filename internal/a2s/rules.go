package a2s

import (
	"encoding/binary"
	"fmt"
)

// Rule is one entry of the A2S_RULES answer: a console variable the
// server publishes (sv_tags, mp_gamemode, ...) and its value.
type Rule struct {
	Name  string
	Value string
}

// MaxRulesListed is the most rules an A2S_RULES answer can count (its count is
// two bytes); EncodeRules sends the first MaxRulesListed.
const MaxRulesListed = 65535

// EncodeRules returns the A2S_RULES answer listing rules in order,
// unsplit (see Split).
func EncodeRules(rules []Rule) []byte {
	rules = rules[:min(len(rules), MaxRulesListed)]
	b := append([]byte(headerSimple), typeRules)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(rules)))
	for _, r := range rules {
		b = appendString(b, r.Name)
		b = appendString(b, r.Value)
	}
	return b
}

// ParseRules decodes an A2S_RULES answer (reassembled if it came split),
// in the server's order. The slice is empty, not nil, when there are no
// rules. Bytes after the last rule are ignored.
func ParseRules(p []byte) ([]Rule, error) {
	r := reader{p: p}
	if string(r.bytes(4)) != headerSimple || r.byte() != typeRules {
		return nil, fmt.Errorf("%w: not an A2S_RULES answer", ErrMalformed)
	}
	n := int(binary.LittleEndian.Uint16(r.bytes(2)))
	// Each rule takes at least two bytes (two empty strings).
	if r.err == nil && n*2 > len(r.p) {
		return nil, fmt.Errorf("%w: %d rules announced in %d bytes", ErrMalformed, n, len(r.p))
	}
	rules := make([]Rule, 0, n)
	for range n {
		name := r.string()
		value := r.string()
		if r.err != nil {
			return nil, r.err
		}
		rules = append(rules, Rule{Name: name, Value: value})
	}
	if r.err != nil {
		return nil, r.err
	}
	return rules, nil
}
