package sudo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"github.com/left4me/left4me/hostbackend"
)

// MaxLineLen is the longest output line passed to a LineFunc; the rest of
// a longer line is dropped (and the line marked truncated) while the
// command's output keeps being read.
const MaxLineLen = 64 << 10

// MaxStderr bounds CommandError.Stderr: the last MaxStderr bytes of what
// the command wrote on stderr are kept.
const MaxStderr = 4 << 10

const truncatedMark = " [truncated]"

// command is one helper invocation: `sudo -n args...`.
type command struct {
	verb string // the helper verb, for errors
	name string // the instance name, for errors; may be empty
	args []string
}

func (c command) label() string {
	if c.name == "" {
		return c.verb
	}
	return c.verb + " " + c.name
}

// run starts `sudo -n c.args...` in its own process group and delivers
// its stdout and stderr lines to out as they arrive, from this goroutine
// only. It returns when the command has exited and its output is drained.
//
// When ctx is done the whole process group gets SIGTERM, then SIGKILL
// after killGrace. SIGTERM comes first because sudo forks: the helper
// below it runs as root, out of reach of our signals, and only sudo can
// relay a signal to it; SIGKILL on sudo would orphan it instead.
func (b *Backend) run(ctx context.Context, c command, out hostbackend.LineFunc) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", c.label(), err)
	}
	cmd := exec.CommandContext(ctx, b.sudo, append([]string{"-n"}, c.args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	lines := make(chan hostbackend.Line, 64)
	stdout := &lineWriter{stream: hostbackend.Stdout, lines: lines}
	stderr := &lineWriter{stream: hostbackend.Stderr, lines: lines}
	// Non-*os.File writers make exec copy each pipe in its own goroutine;
	// those two goroutines are the readers, this one the only caller of out.
	cmd.Stdout, cmd.Stderr = stdout, stderr
	k := &groupKiller{grace: b.killGrace}
	cmd.Cancel = func() error { return k.cancel(cmd.Process.Pid) }
	cmd.WaitDelay = b.waitDelay

	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: start %s: %w", c.label(), b.sudo, err)
	}
	waited := make(chan error, 1)
	go func() {
		err := cmd.Wait() // returns once the copying goroutines are done
		k.exited()
		stdout.flush()
		stderr.flush()
		close(lines)
		waited <- err
	}()
	var tail tailBuffer
	for l := range lines {
		if l.Stream == hostbackend.Stderr {
			tail.add(l.Text)
		}
		if out != nil {
			out(l)
		}
	}
	return c.result(ctx, <-waited, tail.String())
}

// result turns cmd.Wait's error into run's.
func (c command) result(ctx context.Context, err error, stderr string) error {
	if err == nil {
		return nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		// We killed it; its exit status says nothing more.
		return fmt.Errorf("%s: %w", c.label(), ctxErr)
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		ce := &hostbackend.CommandError{Verb: c.verb, Name: c.name, ExitCode: exitErr.ExitCode(), Stderr: stderr}
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			// Someone else ended it (we did not: ctx is not done), e.g.
			// systemd stopping the panel's control group.
			ce.Signal = signalName(ws.Signal())
		} else if stderr == "" && exitErr.ExitCode() < 0 {
			ce.Stderr = exitErr.String()
		}
		return ce
	}
	if errors.Is(err, exec.ErrWaitDelay) {
		return fmt.Errorf("%s: the command exited but something it started kept its output open: %w", c.label(), err)
	}
	return fmt.Errorf("%s: %w", c.label(), err)
}

// signalName is a signal's conventional name, e.g. SIGTERM.
func signalName(sig syscall.Signal) string {
	if name := unix.SignalName(sig); name != "" {
		return name
	}
	return "signal " + strconv.Itoa(int(sig))
}

// groupKiller signals a command's process group on cancellation: SIGTERM
// at once, SIGKILL after grace unless the command has been waited for.
type groupKiller struct {
	grace time.Duration

	mu    sync.Mutex
	done  bool
	timer *time.Timer
}

func (k *groupKiller) cancel(pgid int) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.done {
		return os.ErrProcessDone
	}
	k.timer = time.AfterFunc(k.grace, func() {
		k.mu.Lock()
		defer k.mu.Unlock()
		if !k.done {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
	})
	if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return os.ErrProcessDone
		}
		return fmt.Errorf("signal process group %d: %w", pgid, err)
	}
	return nil
}

// exited records that Wait has returned, so no later SIGKILL can hit a
// process group whose number may be reused.
func (k *groupKiller) exited() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.done = true
	if k.timer != nil {
		k.timer.Stop()
	}
}

// lineWriter splits what one stream writes into lines and sends them on
// lines. Only one goroutine writes to it at a time.
type lineWriter struct {
	stream    hostbackend.Stream
	lines     chan<- hostbackend.Line
	buf       []byte
	truncated bool
}

func (w *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.keep(p)
			break
		}
		w.keep(p[:i])
		w.send()
		p = p[i+1:]
	}
	return n, nil
}

// keep appends part of the current line, up to MaxLineLen bytes.
func (w *lineWriter) keep(p []byte) {
	if w.truncated {
		return
	}
	room := MaxLineLen - len(w.buf)
	if len(p) > room {
		for room > 0 && !utf8.RuneStart(p[room]) {
			room-- // do not split a character
		}
		p = p[:room]
		w.truncated = true
	}
	w.buf = append(w.buf, p...)
}

func (w *lineWriter) send() {
	text := string(bytes.TrimSuffix(w.buf, []byte("\r")))
	if w.truncated {
		text += truncatedMark
	}
	w.lines <- hostbackend.Line{Stream: w.stream, Text: text}
	w.buf = w.buf[:0]
	w.truncated = false
}

// flush sends a last line that had no newline.
func (w *lineWriter) flush() {
	if len(w.buf) > 0 || w.truncated {
		w.send()
	}
}

// tailBuffer keeps the last MaxStderr bytes of the lines added to it.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) add(line string) {
	t.b = append(t.b, line...)
	t.b = append(t.b, '\n')
	if len(t.b) > 2*MaxStderr {
		t.b = append(t.b[:0], t.b[len(t.b)-MaxStderr:]...)
	}
}

func (t *tailBuffer) String() string {
	b := t.b
	if len(b) > MaxStderr {
		b = b[len(b)-MaxStderr:]
		for len(b) > 0 && !utf8.RuneStart(b[0]) {
			b = b[1:]
		}
	}
	return strings.TrimSpace(string(b))
}
