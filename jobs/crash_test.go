package jobs_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/fake"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

// Environment of the worker child process.
const (
	envHelper    = "LEFT4ME_TEST_WORKER_PROCESS"
	envDB        = "LEFT4ME_TEST_DB"
	envRuns      = "LEFT4ME_TEST_RUNS_FILE"
	envCallDelay = "LEFT4ME_TEST_CALL_DELAY"
	envLease     = "LEFT4ME_TEST_LEASE"
)

// countingEnable appends a line to a file each time Enable begins, so the
// parent can count how often the operation ran across processes.
type countingEnable struct {
	*fake.Backend
	runs string
}

func (b countingEnable) Enable(ctx context.Context, name string, out hostbackend.LineFunc) error {
	f, err := os.OpenFile(b.runs, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	fmt.Fprintf(f, "%s %d\n", name, os.Getpid())
	f.Close()
	return b.Backend.Enable(ctx, name, out)
}

// TestHelperWorkerProcess is not a test: it is the worker that
// TestAWorkerKilledMidJob runs as a child process.
func TestHelperWorkerProcess(t *testing.T) {
	if os.Getenv(envHelper) != "1" {
		t.Skip("runs only as the child of TestAWorkerKilledMidJob")
	}
	callDelay, _ := time.ParseDuration(os.Getenv(envCallDelay))
	lease, _ := time.ParseDuration(os.Getenv(envLease))
	ctx := context.Background()
	db, err := store.Open(ctx, os.Getenv(envDB))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	r := jobs.NewRunner(jobs.RunnerOpts{
		Queue:             jobs.NewQueue(jobs.QueueOpts{DB: db}),
		Backend:           countingEnable{fake.New(fake.Options{CallDelay: callDelay, GameInstalled: true}), os.Getenv(envRuns)},
		Workers:           1,
		LeaseDuration:     lease,
		HeartbeatInterval: lease / 5,
		RescueInterval:    lease / 10,
		PollInterval:      10 * time.Millisecond,
		PollerInterval:    -1,
	})
	r.Start(ctx) // until the parent kills this process
}

// A worker process is SIGKILLed in the middle of a job; a second worker
// on the same database file takes the job over once the lease expires and
// finishes it. The operation runs exactly once more and the job is never
// lost. Repeated to shake out timing.
func TestAWorkerKilledMidJobIsRescuedAndRunsExactlyOnceMore(t *testing.T) {
	if os.Getenv(envHelper) == "1" {
		t.Skip("in the child")
	}
	const rounds = 20
	const lease = 500 * time.Millisecond
	db := storetest.Open(t)
	q := jobs.NewQueue(jobs.QueueOpts{DB: db})
	dir := t.TempDir()

	for round := 0; round < rounds; round++ {
		name := fmt.Sprintf("crash-%02d", round)
		runs := filepath.Join(dir, name+".runs")
		storetest.Server(t, db, name, 27000+round)
		j := enqueue(t, q, name, store.OpStart)

		first := startWorker(t, db.Path(), runs, time.Hour, lease)
		waitFor(t, name+": the first worker to begin enabling", func() bool { return countLines(runs) == 1 })
		// Kill at a different point of the running job each round.
		switch round % 3 {
		case 1: // after a heartbeat renewed the lease
			waitFor(t, name+": a heartbeat", func() bool {
				got := job(t, db, j.ID)
				return got.HeartbeatAt.After(got.StartedAt.Time)
			})
		case 2: // after output reached the database
			waitFor(t, name+": stored output", func() bool {
				lines, _ := db.JobLines(context.Background(), j.ID, 0, 0)
				return len(lines) > 0
			})
		}
		first.kill(t)
		if got := job(t, db, j.ID); got.State != store.JobRunning {
			t.Fatalf("%s: after the kill the job is %s, want running (its lease not yet expired)", name, got.State)
		}

		second := startWorker(t, db.Path(), runs, 0, lease)
		got := waitJob(t, db, j.ID, store.JobSucceeded)
		second.kill(t)

		if n := countLines(runs); n != 2 {
			t.Fatalf("%s: the operation ran %d times, want 2 (once killed, once more)\nfirst:\n%s\nsecond:\n%s",
				name, n, first.out.String(), second.out.String())
		}
		if got.Attempts != 2 || got.Error != "" {
			t.Fatalf("%s: job = %+v, want 2 attempts", name, got)
		}
		lines, _ := db.JobLines(context.Background(), j.ID, 0, 0)
		if !containsText(lines, "rescuer: the worker stopped renewing its lease on attempt 1 of 3; queued again") {
			t.Fatalf("%s: the rescue is not in the output: %+v", name, lines)
		}
	}
	active, err := db.ListJobs(context.Background(), store.JobFilter{Active: true})
	if err != nil || len(active) != 0 {
		t.Fatalf("jobs left queued or running: %+v, %v", active, err)
	}
}

type worker struct {
	cmd *exec.Cmd
	out *bytes.Buffer
}

func startWorker(t *testing.T, dbPath, runs string, callDelay, lease time.Duration) *worker {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWorkerProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		envHelper+"=1", envDB+"="+dbPath, envRuns+"="+runs,
		envCallDelay+"="+callDelay.String(), envLease+"="+lease.String())
	w := &worker{cmd: cmd, out: new(bytes.Buffer)}
	cmd.Stdout, cmd.Stderr = w.out, w.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.kill(t) })
	return w
}

func (w *worker) kill(t *testing.T) {
	if w.cmd.ProcessState != nil {
		return
	}
	w.cmd.Process.Signal(syscall.SIGKILL)
	w.cmd.Wait()
}

func countLines(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return bytes.Count(b, []byte("\n"))
}

func containsText(lines []store.JobLine, text string) bool {
	for _, l := range lines {
		if l.Text == text {
			return true
		}
	}
	return false
}
