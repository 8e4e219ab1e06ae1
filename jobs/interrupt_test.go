package jobs_test

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/fake"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

// jobLines returns a job's output texts.
func jobLines(t testing.TB, db *store.DB, id int64) []string {
	t.Helper()
	ls, err := db.JobLines(context.Background(), id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range ls {
		out = append(out, l.Text)
	}
	return out
}

func countContaining(ls []string, part string) int {
	n := 0
	for _, l := range ls {
		if strings.Contains(l, part) {
			n++
		}
	}
	return n
}

// firstEnableFails is the fake backend whose first Enable ends with err.
type firstEnableFails struct {
	*fake.Backend
	err   error
	calls atomic.Int32
}

func (b *firstEnableFails) Enable(ctx context.Context, name string, out hostbackend.LineFunc) error {
	if b.calls.Add(1) == 1 {
		return b.err
	}
	return b.Backend.Enable(ctx, name, out)
}

func TestAJobCutShortBySystemdOrASignalRunsAgain(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string // in the job's output
	}{
		{"a signal from outside killed the command",
			&hostbackend.CommandError{Verb: "enable", Name: "alpha", ExitCode: -1, Signal: "SIGTERM"},
			"enable alpha interrupted by SIGTERM; the job will run again"},
		{"systemd cancelled the start for a shutdown",
			&hostbackend.CommandError{Verb: "enable", Name: "alpha", ExitCode: 1, Stderr: "Job for left4me-server@alpha.service canceled."},
			"canceled.; the job will run again"},
		{"systemd refused a destructive transaction",
			&hostbackend.CommandError{Verb: "enable", Name: "alpha", ExitCode: 1,
				Stderr: "Failed to enable unit: Transaction for left4me-server@alpha.service/start is destructive (umount.target has 'start' job queued, but 'stop' is included in transaction)."},
			"is destructive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, fake.Options{})
			storetest.Server(t, e.db, "alpha", 27015)
			b := &firstEnableFails{Backend: e.fake, err: tt.err}
			startRunner(t, e.runner(jobs.RunnerOpts{Backend: b}))
			j := enqueue(t, e.q, "alpha", store.OpStart)
			got := waitJob(t, e.db, j.ID, store.JobSucceeded)
			if got.Attempts != 2 || got.MaxAttempts != jobs.DefaultMaxAttempts {
				t.Fatalf("attempts %d of %d, want 2 of %d (a cut-short attempt counts unless the panel stops)",
					got.Attempts, got.MaxAttempts, jobs.DefaultMaxAttempts)
			}
			if ls := jobLines(t, e.db, j.ID); countContaining(ls, tt.want) != 1 {
				t.Fatalf("output %q, want one line with %q", ls, tt.want)
			}
			if srv := server(t, e.db, "alpha"); srv.DesiredState != store.DesiredRunning {
				t.Fatalf("desired_state %s, want running", srv.DesiredState)
			}
		})
	}
}

func TestAJobCutShortByAShutdownWaitsForThePanelToStopAndKeepsItsAttempt(t *testing.T) {
	e := newEnv(t, fake.Options{})
	storetest.Server(t, e.db, "alpha", 27015)
	b := &firstEnableFails{Backend: e.fake, err: &hostbackend.CommandError{Verb: "enable", Name: "alpha", ExitCode: 1,
		Stderr: "Failed to start left4me-server@alpha.service: Transaction for left4me-server@alpha.service/start is destructive (tmp.mount has 'stop' job queued, but 'start' is included in transaction)."}}
	// The host's shutdown refuses the start a moment before systemd stops
	// the panel: the job must not use up its attempts meanwhile.
	stop := startRunner(t, e.runner(jobs.RunnerOpts{Backend: b, RetryDelay: time.Hour, Grace: 10 * time.Second}))
	j := enqueue(t, e.q, "alpha", store.OpStart)
	waitFor(t, "the refused enable", func() bool { return b.calls.Load() == 1 })
	stop()
	got := job(t, e.db, j.ID)
	if got.State != store.JobQueued || got.Attempts != 1 || got.MaxAttempts != jobs.DefaultMaxAttempts+1 {
		t.Fatalf("job %s after %d of %d attempts, want queued again after 1 with the attempt given back", got.State, got.Attempts, got.MaxAttempts)
	}
	if !strings.Contains(got.Error, "is destructive") || !strings.Contains(got.Error, "while the panel was shutting down") {
		t.Fatalf("error %q", got.Error)
	}
}

func TestAJobInterruptedOnEveryAttemptFailsSayingSo(t *testing.T) {
	e := newEnv(t, fake.Options{})
	storetest.Server(t, e.db, "alpha", 27015)
	e.fake.Interrupt("enable", "alpha")
	startRunner(t, e.runner(jobs.RunnerOpts{}))
	j := enqueue(t, e.q, "alpha", store.OpStart)
	got := waitJob(t, e.db, j.ID, store.JobFailed)
	if got.Attempts != jobs.DefaultMaxAttempts || got.Error != "enable alpha interrupted by SIGTERM" {
		t.Fatalf("attempts %d, error %q; want %d and the interruption", got.Attempts, got.Error, jobs.DefaultMaxAttempts)
	}
	if n := countContaining(callsOf(e.fake, "alpha"), "enable"); n != jobs.DefaultMaxAttempts {
		t.Fatalf("enable ran %d times, want %d", n, jobs.DefaultMaxAttempts)
	}
	if n := countContaining(jobLines(t, e.db, j.ID), "the job will run again"); n != jobs.DefaultMaxAttempts-1 {
		t.Fatalf("%d 'will run again' lines, want %d", n, jobs.DefaultMaxAttempts-1)
	}
}

func TestAJobThatFailsWhileThePanelStopsRunsAgainAfterIt(t *testing.T) {
	e := newEnv(t, fake.Options{CallDelay: 300 * time.Millisecond})
	storetest.Server(t, e.db, "alpha", 27015)
	// What systemd answers a start while the host shuts down, in words
	// the runner does not know: any failure while stopping is suspect.
	e.fake.Fail("enable", "alpha", "Failed to start left4me-server@alpha.service: Unit is being shut down")
	stop := startRunner(t, e.runner(jobs.RunnerOpts{Grace: 10 * time.Second}))
	j := enqueue(t, e.q, "alpha", store.OpStart)
	waitFor(t, "the enable call", func() bool { return slices.Contains(callsOf(e.fake, "alpha"), "enable") })
	stop() // while enable is under way: it fails within the grace
	got := job(t, e.db, j.ID)
	if got.State != store.JobQueued || got.MaxAttempts != jobs.DefaultMaxAttempts+1 {
		t.Fatalf("job %s with max_attempts %d, want queued again with the attempt given back", got.State, got.MaxAttempts)
	}
	if !strings.Contains(got.Error, "while the panel was shutting down") {
		t.Fatalf("error %q should say the panel was shutting down", got.Error)
	}

	// After the restart (or the boot) it runs again and succeeds.
	e.fake.Fail("enable", "alpha", "")
	startRunner(t, e.runner(jobs.RunnerOpts{}))
	waitJob(t, e.db, j.ID, store.JobSucceeded)
	srv := server(t, e.db, "alpha")
	if hs := history(t, e.db, "alpha"); len(hs) == 0 || !strings.HasPrefix(hs[0].Reason, "after job") {
		t.Fatalf("history %+v, want the start attributed to the job", hs)
	}
	if srv.StateReason != "after job 1 (start)" {
		t.Fatalf("state_reason %q, want the job's", srv.StateReason)
	}
}

func TestAStoppingPanelClaimsNothingNew(t *testing.T) {
	e := newEnv(t, fake.Options{CallDelay: 200 * time.Millisecond})
	storetest.Server(t, e.db, "alpha", 27015)
	storetest.Server(t, e.db, "beta", 27016)
	stop := startRunner(t, e.runner(jobs.RunnerOpts{Workers: 1, Grace: 10 * time.Second}))
	a := enqueue(t, e.q, "alpha", store.OpStart)
	waitFor(t, "alpha's enable", func() bool { return slices.Contains(callsOf(e.fake, "alpha"), "enable") })
	b := enqueue(t, e.q, "beta", store.OpStart)
	stop()
	if got := job(t, e.db, a.ID); got.State != store.JobSucceeded {
		t.Fatalf("the running job is %s, want succeeded within the grace", got.State)
	}
	if got := job(t, e.db, b.ID); got.State != store.JobQueued || got.Attempts != 0 {
		t.Fatalf("the queued job is %s after %d attempts, want untouched", got.State, got.Attempts)
	}
}

func TestTheStateReasonIsTheNewestJobsEvenWithoutAChange(t *testing.T) {
	e := newEnv(t, fake.Options{})
	storetest.Server(t, e.db, "alpha", 27015)
	startRunner(t, e.runner(jobs.RunnerOpts{}))
	stop := enqueue(t, e.q, "alpha", store.OpStop)
	waitJob(t, e.db, stop.ID, store.JobSucceeded)
	e.fake.Fail("enable", "alpha", "Job for left4me-server@alpha.service failed because the control process exited with error code.")
	start := enqueue(t, e.q, "alpha", store.OpStart)
	waitJob(t, e.db, start.ID, store.JobFailed)
	srv := server(t, e.db, "alpha")
	want := "after job 2 (start), which failed"
	if srv.ActualState != hostbackend.StateStopped || srv.StateReason != want {
		t.Fatalf("state %s, reason %q; want stopped, %q", srv.ActualState, srv.StateReason, want)
	}
}
