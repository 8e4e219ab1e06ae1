package game

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// How long a question must stay unchanged at the end of the output before
// it counts as asked: a program may write a line in several pieces.
const promptSettle = 50 * time.Millisecond

// How long output is still read after steamcmd exited, for what a leftover
// process holding the terminal might write.
const drainAfterExit = 2 * time.Second

// runOpts is one steamcmd run.
type runOpts struct {
	args         []string
	hooks        Hooks
	pass, passes int  // for Progress; 0 when not an install pass
	keepLines    bool // return the output lines (app_info_print)
}

type answer struct {
	text string
	err  error
}

// run starts steamcmd under a pseudo-terminal, so that it writes as it
// would to a person (unbuffered progress, questions without a newline),
// reads the terminal as a byte stream, answers questions through
// o.hooks.Answer and waits until steamcmd has exited. The error is a
// *Failure (not started, a question unanswered, no output for too long)
// or wraps ctx.Err(); otherwise the transcript says how steamcmd ended.
func (s *Steam) run(ctx context.Context, o runOpts) (*transcript, []string, error) {
	t := &transcript{exit: -1}
	if err := ctx.Err(); err != nil {
		return t, nil, fmt.Errorf("steamcmd was not started: %w", err)
	}
	master, tty, err := pty.Open()
	if err != nil {
		return t, nil, &Failure{Reason: ReasonStart, Exit: -1, sentence: fmt.Sprintf("A terminal for steamcmd could not be opened: %v.", err)}
	}
	defer master.Close()
	_ = pty.Setsize(master, &pty.Winsize{Rows: 50, Cols: 200})
	// No echo: what is typed to steamcmd (a password, a code) is not
	// shown. steamcmd may turn echo on again; lines holding an answer
	// are cleaned below as well.
	if tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS); err == nil {
		tio.Lflag &^= unix.ECHO | unix.ECHONL
		_ = unix.IoctlSetTermios(int(tty.Fd()), unix.TCSETS, tio)
	}

	cmd := exec.Command(s.opts.SteamCMD, o.args...)
	cmd.Env = s.env()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	// A session of its own with the terminal as its controlling terminal;
	// its process group is everything steamcmd starts (steamcmd.sh runs
	// linux32/steamcmd), which is what is stopped.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	err = cmd.Start()
	tty.Close()
	if err != nil {
		return t, nil, &Failure{Reason: ReasonStart, Exit: -1, sentence: fmt.Sprintf("steamcmd could not be started (%v). "+
			"Install it (deploy/install.sh --with-steamcmd) or give the path of Valve's steamcmd.sh.", err)}
	}
	pid := cmd.Process.Pid

	stop := make(chan struct{})
	defer close(stop)
	chunks := make(chan []byte)
	go func() {
		defer close(chunks)
		buf := make([]byte, 32<<10)
		for {
			n, err := master.Read(buf)
			if n > 0 {
				select {
				case chunks <- bytes.Clone(buf[:n]):
				case <-stop:
					return
				}
			}
			if err != nil { // EIO once every holder of the terminal is gone
				return
			}
		}
	}()
	waitc := make(chan error, 1)
	go func() { waitc <- cmd.Wait() }()

	var (
		scr      screen
		secrets  []string
		lines    []string
		fail     error // why the run was stopped
		exited   bool
		readDone bool
		asking   bool
		answers  = make(chan answer, 1)
		ctxDone  = ctx.Done()
	)
	// Ends a pending Answer when the run ends.
	runCtx, endRun := context.WithCancel(ctx)
	defer endRun()
	h := o.hooks
	emit := func(line string) {
		for _, sec := range secrets {
			if strings.TrimSpace(line) == sec {
				return
			}
			line = strings.ReplaceAll(line, sec, "***")
		}
		t.observe(line)
		if o.keepLines {
			lines = append(lines, line)
		}
		if h.Line != nil {
			h.Line(line)
		}
		if p, ok := ParseProgress(line); ok && h.Progress != nil {
			p.Pass, p.Passes = o.pass, o.passes
			h.Progress(p)
		}
	}

	stall := time.NewTimer(s.opts.StallTimeout)
	defer stall.Stop()
	settle := time.NewTimer(time.Hour)
	settle.Stop()
	defer settle.Stop()
	promptT := time.NewTimer(time.Hour)
	promptT.Stop()
	defer promptT.Stop()
	var drain <-chan time.Time
	var hardKill <-chan time.Time
	var current Prompt

	kill := func(why error) {
		if fail == nil {
			fail = why
		}
		if exited {
			return
		}
		_ = syscall.Kill(-pid, syscall.SIGTERM)
		hardKill = time.After(s.opts.KillGrace)
		stall.Stop()
		promptT.Stop()
		settle.Stop()
	}

	for !(exited && readDone) {
		select {
		case c, ok := <-chunks:
			if !ok {
				readDone = true
				chunks = nil
				continue
			}
			scr.feed(c, emit)
			if fail != nil {
				continue
			}
			if !asking {
				stall.Reset(s.opts.StallTimeout)
				if _, ok := detectPrompt(scr.partial()); ok {
					settle.Reset(promptSettle)
				} else {
					settle.Stop()
				}
			}
		case <-settle.C:
			p, ok := detectPrompt(scr.partial())
			if !ok || asking || fail != nil {
				continue
			}
			scr.flush(emit)
			current = p
			if h.Prompt != nil {
				h.Prompt(p)
			}
			if h.Answer == nil {
				kill(&Failure{Reason: ReasonNoAnswer, Exit: -1, sentence: fmt.Sprintf("steamcmd asked for %s, and this "+
					"operation cannot ask anyone; it was stopped.", p.What())})
				continue
			}
			asking = true
			stall.Stop()
			promptT.Reset(s.opts.PromptTimeout)
			go func(ask func(context.Context, Prompt) (string, error)) {
				qctx, cancel := context.WithTimeout(runCtx, s.opts.PromptTimeout)
				defer cancel()
				a, err := ask(qctx, p)
				answers <- answer{a, err}
			}(h.Answer)
		case a := <-answers:
			asking = false
			promptT.Stop()
			if fail != nil || ctx.Err() != nil {
				continue
			}
			if a.err != nil {
				if errors.Is(a.err, context.DeadlineExceeded) {
					kill(s.promptTimeout(current))
				} else {
					kill(&Failure{Reason: ReasonNoAnswer, Exit: -1, sentence: fmt.Sprintf("steamcmd asked for %s and got "+
						"no answer (%v); it was stopped.", current.What(), a.err)})
				}
				continue
			}
			if a.text = strings.TrimRight(a.text, "\r\n"); strings.TrimSpace(a.text) != "" {
				secrets = append(secrets, a.text)
				if tr := strings.TrimSpace(a.text); tr != a.text {
					secrets = append(secrets, tr)
				}
			}
			if _, err := master.Write([]byte(a.text + "\r")); err != nil {
				kill(&Failure{Reason: ReasonNoAnswer, Exit: -1, sentence: fmt.Sprintf("The answer could not be given to "+
					"steamcmd (%v).", err)})
				continue
			}
			stall.Reset(s.opts.StallTimeout)
		case <-promptT.C:
			if asking && fail == nil {
				kill(s.promptTimeout(current))
			}
		case <-stall.C:
			if !asking && fail == nil {
				kill(&Failure{Reason: ReasonStalled, Exit: -1, retry: true, sentence: fmt.Sprintf("steamcmd printed "+
					"nothing for %s and was stopped. Check the host's connection to Steam and try again.", s.opts.StallTimeout)})
			}
		case <-ctxDone:
			ctxDone = nil
			kill(fmt.Errorf("cancelled; steamcmd was stopped: %w", ctx.Err()))
		case <-hardKill:
			hardKill = nil
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		case err := <-waitc:
			exited = true
			hardKill = nil
			t.exit = exitStatus(err)
			// Whatever steamcmd left behind in its group goes with it.
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			drain = time.After(drainAfterExit)
		case <-drain:
			readDone = true // a process outside the group holds the terminal
		}
	}
	scr.flush(emit)
	if fail != nil {
		t.exit = -1
		return t, lines, fail
	}
	return t, lines, nil
}

func (s *Steam) promptTimeout(p Prompt) *Failure {
	return &Failure{Reason: ReasonPromptTimeout, Exit: -1, sentence: fmt.Sprintf("steamcmd asked for %s and no answer "+
		"came within %s, so it was stopped. Start again and answer within %s.", p.What(), s.opts.PromptTimeout, s.opts.PromptTimeout)}
}

// exitStatus is the exit status of a Wait error; -1 for a signal.
func exitStatus(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// env is steamcmd's environment: the panel's, TERM for the terminal it
// gets, then Options.Env.
func (s *Steam) env() []string {
	env := append([]string(nil), os.Environ()...)
	env = append(env, "TERM=xterm")
	return append(env, s.opts.Env...)
}
