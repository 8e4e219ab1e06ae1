package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLogTailDropsColours(t *testing.T) {
	path := filepath.Join(t.TempDir(), "boot.log")
	log := "one\n\x1b[0;32m  OK  \x1b[0m] Reached target \x1b[0;1;39mbasic.target\x1b[0m\nthree\n"
	if err := os.WriteFile(path, []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := &container{bootLog: f}
	if got, want := c.logTail(2), "  OK  ] Reached target basic.target\nthree"; got != want {
		t.Errorf("logTail(2) = %q, want %q", got, want)
	}
	if got, want := c.logTail(10), "one\n  OK  ] Reached target basic.target\nthree"; got != want {
		t.Errorf("logTail(10) = %q, want %q", got, want)
	}
}
