package main

import (
	"context"
	"strings"
	"testing"

	"github.com/left4me/left4me/hostbackend/fake"
)

// A refused name is refused before anything runs, and the message names
// the character the user typed, not a byte of it.
func TestARefusedNameNamesTheCharacterTyped(t *testing.T) {
	b := fake.New(fake.Options{GameInstalled: true})
	for _, cmd := range []string{"start", "stop", "status"} {
		r := invoke(t, context.Background(), b, cmd, "café")
		if r.code == 0 || !strings.Contains(r.stderr, "contains “é”") || strings.Contains(r.stderr, "Ã") {
			t.Errorf("%s café: %+v, want a refusal naming “é”", cmd, r)
		}
	}
	if calls := b.Calls(); len(calls) != 0 {
		t.Errorf("the refused names reached the host: %v", calls)
	}
}
