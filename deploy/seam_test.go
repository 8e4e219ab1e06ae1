package deploy_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The test seam. The helpers name their binary on one fixed line, e.g.
//
//	systemctl=/usr/bin/systemctl
//
// and read nothing else to choose it. A test copies the helper into a
// temporary directory, rewrites that single line to point at a stub that
// records its arguments, and runs the copy. The installed helper has no
// seam at all.

const (
	systemctlHelper  = "libexec/left4me-systemctl"
	journalctlHelper = "libexec/left4me-journalctl"
	srcdsLauncher    = "libexec/left4me-srcds"
)

// stubScript records its arguments to $STUB_RECORD: the argument count,
// then every argument, each followed by a NUL byte, so that arguments
// holding newlines survive. It exits with $STUB_EXIT (default 0).
const stubScript = `#!/bin/sh
printf '%s\0' "$#" "$@" >"$STUB_RECORD"
exit "${STUB_EXIT:-0}"
`

// seam is a helper copy wired to a stub.
type seam struct {
	helper string // the rewritten copy of the helper
	stub   string // the stub it runs instead of the real binary
}

// newSeam copies the helper at path (relative to deploy/) into a new
// temporary directory, with its line "variable=/usr/bin/variable"
// replaced by one naming a stub in that directory. It fails the test
// unless exactly one line changed.
func newSeam(tb testing.TB, path, variable string) seam {
	tb.Helper()
	dir := tb.TempDir()
	stub := filepath.Join(dir, variable+"-stub")
	if err := os.WriteFile(stub, []byte(stubScript), 0o755); err != nil {
		tb.Fatal(err)
	}
	orig, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	copied := rewriteSeam(tb, orig, variable, stub)
	helper := filepath.Join(dir, filepath.Base(path))
	if err := os.WriteFile(helper, copied, 0o755); err != nil {
		tb.Fatal(err)
	}
	return seam{helper: helper, stub: stub}
}

// rewriteSeam returns script with the line "variable=/usr/bin/variable"
// pointing at target instead, and checks that this is the only line that
// differs.
func rewriteSeam(tb testing.TB, script []byte, variable, target string) []byte {
	tb.Helper()
	if strings.ContainsAny(target, "'\n") {
		tb.Fatalf("stub path %q cannot be single-quoted", target)
	}
	seamLine := variable + "=/usr/bin/" + variable
	lines := strings.Split(string(script), "\n")
	out := make([]string, len(lines))
	copy(out, lines)
	for i, l := range out {
		if l == seamLine {
			out[i] = variable + "='" + target + "'"
		}
	}
	changed := 0
	for i := range lines {
		if lines[i] != out[i] {
			changed++
		}
	}
	if changed != 1 {
		tb.Fatalf("rewriting %q changed %d lines, want exactly 1", seamLine, changed)
	}
	return []byte(strings.Join(out, "\n"))
}

// result is what one run of a helper did.
type result struct {
	code   int
	stdout string
	stderr string
	ran    bool     // the stub ran
	argv   []string // the stub's arguments, if it ran
}

// run runs the helper copy with args and reports what happened,
// including whether and with what arguments the stub ran.
func (s seam) run(tb testing.TB, args ...string) result {
	tb.Helper()
	return runRecorded(tb, s.helper, nil, args...)
}

// runRecorded runs program with args and a small fixed environment plus
// env, with STUB_RECORD pointing at a fresh file, and reads back what a
// stub recorded there.
func runRecorded(tb testing.TB, program string, env []string, args ...string) result {
	tb.Helper()
	return runRecordedIn(tb, "", program, env, args...)
}

// runRecordedIn is runRecorded in the working directory dir ("" for the
// test's own).
func runRecordedIn(tb testing.TB, dir, program string, env []string, args ...string) result {
	tb.Helper()
	program, err := filepath.Abs(program)
	if err != nil {
		tb.Fatal(err)
	}
	record := filepath.Join(tb.TempDir(), "argv")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, program, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "STUB_RECORD=" + record}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var r result
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		r.code = exitErr.ExitCode()
	default:
		tb.Fatalf("run %s: %v", program, err)
	}
	r.stdout, r.stderr = stdout.String(), stderr.String()
	data, err := os.ReadFile(record)
	if errors.Is(err, os.ErrNotExist) {
		return r
	}
	if err != nil {
		tb.Fatal(err)
	}
	r.ran = true
	r.argv = parseRecord(tb, data)
	return r
}

// parseRecord decodes what stubScript wrote.
func parseRecord(tb testing.TB, data []byte) []string {
	tb.Helper()
	fields := strings.Split(string(data), "\x00")
	if len(fields) < 2 || fields[len(fields)-1] != "" {
		tb.Fatalf("malformed stub record %q", data)
	}
	fields = fields[:len(fields)-1]
	if fields[0] != strconv.Itoa(len(fields)-1) {
		tb.Fatalf("stub record says %s arguments, holds %d: %q", fields[0], len(fields)-1, data)
	}
	return fields[1:]
}

// equal is the one assertion helper of these tests.
func equal[T any](tb testing.TB, what string, got, want T) {
	tb.Helper()
	if !reflect.DeepEqual(got, want) {
		tb.Errorf("%s:\n got  %#v\n want %#v", what, got, want)
	}
}

// wantRefused checks that a helper run was refused: exit status 2, one
// usage line on stderr, and the stub never ran.
func wantRefused(tb testing.TB, r result) {
	tb.Helper()
	equal(tb, "exit status", r.code, 2)
	if !strings.HasPrefix(r.stderr, "usage: ") || strings.Count(r.stderr, "\n") != 1 {
		tb.Errorf("stderr = %q, want one usage line", r.stderr)
	}
	if r.ran {
		tb.Errorf("the stub ran with %q; it must not run at all", r.argv)
	}
}

// wantRan checks that a helper run succeeded and ran the stub with argv.
func wantRan(tb testing.TB, r result, argv []string) {
	tb.Helper()
	equal(tb, "exit status", r.code, 0)
	equal(tb, "stderr", r.stderr, "")
	if !r.ran {
		tb.Fatalf("the stub did not run")
	}
	equal(tb, "stub argv", r.argv, argv)
}
