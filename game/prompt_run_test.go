package game

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// answers answers each kind of question with its entry.
func answers(m map[PromptKind]string) func(context.Context, Prompt) (string, error) {
	return func(_ context.Context, p Prompt) (string, error) {
		a, ok := m[p.Kind]
		if !ok {
			return "", fmt.Errorf("no answer for %q", p.Text)
		}
		return a, nil
	}
}

func TestAccountLoginAnswersQuestions(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name        string
		env         []string
		answers     map[PromptKind]string
		wantPrompts []Prompt
	}{
		{"a password, then a Steam Guard code",
			[]string{"FAKESTEAMCMD_PASSWORD=correct-horse-88", "FAKESTEAMCMD_GUARD_CODE=K7Q2X"},
			map[PromptKind]string{PromptPassword: "correct-horse-88", PromptSteamGuard: "K7Q2X"},
			[]Prompt{{PromptPassword, "password:"}, {PromptSteamGuard, "Steam Guard code:"}}},
		{"a two-factor code",
			[]string{"FAKESTEAMCMD_TWO_FACTOR=9RT4M"},
			map[PromptKind]string{PromptTwoFactor: "9RT4M"},
			[]Prompt{{PromptTwoFactor, "Two-factor code:"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, tt.env...)
			var rec record
			m, err := r.steam(func(o *Options) { o.Strategy, o.User = Account, "ops" }).Install(context.Background(),
				rec.hooks(answers(tt.answers)))
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "BuildID", m.BuildID, "16412345")
			equal(t, "prompts", rec.prompts, tt.wantPrompts)
			// The questions are in the output; the answers are not,
			// though the fake turns echo on for a code.
			for _, p := range tt.wantPrompts {
				if count(rec.lines, p.Text) == 0 {
					t.Errorf("the question %q is not in the output", p.Text)
				}
			}
			for _, a := range tt.answers {
				if n := count(rec.lines, a); n > 0 {
					t.Errorf("the answer %q is in %d output lines: %q", a, n, rec.lines)
				}
			}
			equal(t, "logged in", count(rec.lines, "to Steam Public...OK"), 1)
		})
	}
}

func TestWrongSteamGuardCodeFailsLogin(t *testing.T) {
	t.Parallel()
	r := newRig(t, "FAKESTEAMCMD_GUARD_CODE=K7Q2X")
	var rec record
	_, err := r.steam(func(o *Options) { o.Strategy, o.User = Account, "ops" }).Install(context.Background(),
		rec.hooks(answers(map[PromptKind]string{PromptSteamGuard: "WRONG"})))
	f := failure(t, err, ReasonLogin)
	equal(t, "Exit", f.Exit, 5)
	equal(t, "Attempts (a wrong code is not retried)", f.Attempts, 1)
	if !strings.Contains(f.Error(), "Invalid Login Auth Code") {
		t.Errorf("sentence %q does not give Steam's reason", f)
	}
	equal(t, "the wrong code in the output", count(rec.lines, "WRONG"), 0)
}

func TestQuestionNotAnsweredInTime(t *testing.T) {
	t.Parallel()
	r := newRig(t, "FAKESTEAMCMD_GUARD_CODE=K7Q2X")
	var rec record
	asked := make(chan struct{})
	wait := func(ctx context.Context, p Prompt) (string, error) {
		close(asked)
		<-ctx.Done() // nobody types anything
		return "", ctx.Err()
	}
	start := time.Now()
	_, err := r.steam(func(o *Options) {
		o.Strategy, o.User, o.PromptTimeout = Account, "ops", 300*time.Millisecond
	}).Install(context.Background(), rec.hooks(wait))
	f := failure(t, err, ReasonPromptTimeout)
	<-asked
	equal(t, "Attempts", f.Attempts, 1)
	for _, want := range []string{"the Steam Guard code", "within 300ms"} {
		if !strings.Contains(f.Error(), want) {
			t.Errorf("sentence %q does not say %q", f, want)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s", d)
	}
}

func TestQuestionWhoseAnswerNeverReturns(t *testing.T) {
	t.Parallel()
	// An Answer that ignores its context does not hold the run past the
	// prompt timeout.
	r := newRig(t, "FAKESTEAMCMD_GUARD_CODE=K7Q2X")
	release := make(chan struct{})
	defer close(release)
	stuck := func(context.Context, Prompt) (string, error) { <-release; return "", errors.New("released") }
	_, err := r.steam(func(o *Options) {
		o.Strategy, o.User, o.PromptTimeout = Account, "ops", 200*time.Millisecond
	}).Install(context.Background(), Hooks{Answer: stuck})
	failure(t, err, ReasonPromptTimeout)
}

func TestQuestionWithoutAnswerFunction(t *testing.T) {
	t.Parallel()
	r := newRig(t, "FAKESTEAMCMD_PASSWORD=pw")
	var rec record
	_, err := r.steam(func(o *Options) { o.Strategy, o.User = Account, "ops" }).Install(context.Background(), rec.hooks(nil))
	f := failure(t, err, ReasonNoAnswer)
	if !strings.Contains(f.Error(), "the Steam password") {
		t.Errorf("sentence %q does not say what was asked", f)
	}
	equal(t, "prompts", rec.prompts, []Prompt{{PromptPassword, "password:"}})
}

func TestCancelStopsSteamcmd(t *testing.T) {
	t.Parallel()
	// The fake hangs after its first download line and ignores SIGTERM;
	// it runs as steamcmd.sh does, a child doing the work.
	pidfile := filepath.Join(t.TempDir(), "pid")
	r := newRig(t, "FAKESTEAMCMD_HANG=1", "FAKESTEAMCMD_PIDFILE="+pidfile)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := Hooks{Progress: func(p Progress) {
		if p.Phase == "downloading" {
			cancel()
		}
	}}
	_, err := r.steam(func(o *Options) { o.KillGrace = 100 * time.Millisecond }).Install(ctx, h)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	var f *Failure
	if errors.As(err, &f) {
		t.Errorf("a cancelled run is no Failure: %v", f)
	}
	b, err := os.ReadFile(pidfile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	// Install returned after steamcmd's group was killed: the child must
	// be gone by now, or about to be reaped.
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("steamcmd's child %d still runs after the cancel", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive reports whether pid runs (a zombie does not).
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}
