package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// report prints one line per check, "ok - ..." or "not ok - ...", and
// counts them.
type report struct {
	w      io.Writer
	start  time.Time
	passed int
	failed int
}

func newReport(w io.Writer) *report { return &report{w: w, start: time.Now()} }

// check records one check: it passed when err is nil. It returns whether
// it passed.
func (r *report) check(what string, err error) bool {
	if err == nil {
		r.passed++
		fmt.Fprintf(r.w, "ok - %s\n", what)
		return true
	}
	r.failed++
	fmt.Fprintf(r.w, "not ok - %s\n", what)
	for _, l := range strings.Split(strings.TrimRight(err.Error(), "\n"), "\n") {
		fmt.Fprintf(r.w, "#   %s\n", l)
	}
	return false
}

// note prints a comment line.
func (r *report) note(format string, args ...any) {
	fmt.Fprintf(r.w, "# "+format+"\n", args...)
}

// step prints a heading for the next group of checks.
func (r *report) step(format string, args ...any) {
	fmt.Fprintf(r.w, "\n# == "+format+" (at %s)\n", append(args, time.Since(r.start).Round(time.Second))...)
}

// finish prints the closing line and returns the exit status.
func (r *report) finish() int {
	fmt.Fprintf(r.w, "\n# e2e took %s\n", time.Since(r.start).Round(time.Second))
	fmt.Fprintf(r.w, "%d passed, %d failed\n", r.passed, r.failed)
	if r.failed > 0 {
		return 1
	}
	return 0
}
