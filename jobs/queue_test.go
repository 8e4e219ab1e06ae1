package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

func TestEnqueueRecordsTheDesiredState(t *testing.T) {
	db := storetest.Open(t)
	q := jobs.NewQueue(jobs.QueueOpts{DB: db})
	storetest.Server(t, db, "alpha", 27015)

	tests := []struct {
		op          store.Operation
		wantDesired store.DesiredState
	}{
		{store.OpStart, store.DesiredRunning},
		{store.OpStop, store.DesiredStopped},
		{store.OpRestart, store.DesiredRunning},
		{store.OpDelete, store.DesiredStopped},
	}
	for _, tt := range tests {
		j := enqueue(t, q, "alpha", tt.op)
		if j.State != store.JobQueued || j.ServerName != "alpha" || j.Operation != tt.op || j.ID == 0 {
			t.Fatalf("enqueued %+v", j)
		}
		if got := server(t, db, "alpha").DesiredState; got != tt.wantDesired {
			t.Errorf("after %s: desired_state = %s, want %s", tt.op, got, tt.wantDesired)
		}
	}
}

func TestEnqueueOfTheSameOperationTwiceReturnsTheQueuedJob(t *testing.T) {
	db := storetest.Open(t)
	q := jobs.NewQueue(jobs.QueueOpts{DB: db})
	storetest.Server(t, db, "alpha", 27015)

	first := enqueue(t, q, "alpha", store.OpStart)
	second := enqueue(t, q, "alpha", store.OpStart)
	if second.ID != first.ID {
		t.Fatalf("double click made job %d besides %d", second.ID, first.ID)
	}
	stop := enqueue(t, q, "alpha", store.OpStop)
	start := enqueue(t, q, "alpha", store.OpStart)
	if stop.ID == first.ID || start.ID == first.ID || start.ID == stop.ID {
		t.Fatalf("start, stop, start must be three jobs: %d, %d, %d", first.ID, stop.ID, start.ID)
	}
	if again := enqueue(t, q, "alpha", store.OpStart); again.ID != start.ID {
		t.Fatalf("second start after stop made job %d, want %d", again.ID, start.ID)
	}
	js, _ := db.ListJobs(context.Background(), store.JobFilter{ServerName: "alpha"})
	if len(js) != 3 {
		t.Fatalf("%d jobs, want 3", len(js))
	}
}

func TestEnqueueRefusesMissingServersAndServersBeingDeleted(t *testing.T) {
	db := storetest.Open(t)
	q := jobs.NewQueue(jobs.QueueOpts{DB: db})
	storetest.Server(t, db, "alpha", 27015)
	ctx := context.Background()

	if _, err := q.Enqueue(ctx, jobs.EnqueueParams{ServerName: "nope", Operation: store.OpStart}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing server: %v, want ErrNotFound", err)
	}
	if _, err := q.Enqueue(ctx, jobs.EnqueueParams{ServerName: "alpha", Operation: "reboot"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("bad operation: %v, want ErrInvalid", err)
	}
	enqueue(t, q, "alpha", store.OpDelete)
	_, err := q.Enqueue(ctx, jobs.EnqueueParams{ServerName: "alpha", Operation: store.OpStart})
	if !errors.Is(err, store.ErrConflict) || err.Error() != "server alpha is being deleted" {
		t.Errorf("start after delete: %v, want a conflict", err)
	}
}

func TestClaimRunsOneServersJobsOneAtATimeInOrder(t *testing.T) {
	db := storetest.Open(t)
	q := jobs.NewQueue(jobs.QueueOpts{DB: db})
	storetest.Server(t, db, "alpha", 27015)
	storetest.Server(t, db, "beta", 27016)
	ctx := context.Background()

	a1 := enqueue(t, q, "alpha", store.OpStart)
	b1 := enqueue(t, q, "beta", store.OpStart)
	a2 := enqueue(t, q, "alpha", store.OpStop)

	claim := func() int64 {
		t.Helper()
		j, err := q.Claim(ctx, time.Minute)
		if errors.Is(err, jobs.ErrNoJob) {
			return 0
		}
		if err != nil {
			t.Fatal(err)
		}
		if j.State != store.JobRunning || j.Attempts != 1 || j.LeaseUntil.IsZero() {
			t.Fatalf("claimed %+v", j)
		}
		return j.ID
	}
	if got := claim(); got != a1.ID {
		t.Fatalf("first claim = %d, want alpha's first job %d", got, a1.ID)
	}
	if got := claim(); got != b1.ID {
		t.Fatalf("second claim = %d, want beta's job %d (alpha is busy)", got, b1.ID)
	}
	if got := claim(); got != 0 {
		t.Fatalf("third claim = %d, want none while alpha's first job runs", got)
	}
	if _, err := db.Writer().ExecContext(ctx, `UPDATE jobs SET state = 'succeeded', lease_until = NULL WHERE id = ?`, a1.ID); err != nil {
		t.Fatal(err)
	}
	if got := claim(); got != a2.ID {
		t.Fatalf("claim after alpha's first job = %d, want %d", got, a2.ID)
	}
}

// Many goroutines on two database handles (as two processes would be)
// claim and finish jobs of many servers. Every job must be claimed
// exactly once, never two of one server at a time, and in order.
func TestClaimIsAtomicUnderManyGoroutines(t *testing.T) {
	db := storetest.Open(t)
	other, err := store.Open(context.Background(), db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	queues := []*jobs.Queue{jobs.NewQueue(jobs.QueueOpts{DB: db}), jobs.NewQueue(jobs.QueueOpts{DB: other})}

	const servers, perServer = 20, 5
	ops := []store.Operation{store.OpStart, store.OpStop}
	total := 0
	for s := 0; s < servers; s++ {
		name := fmt.Sprintf("s%02d", s)
		storetest.Server(t, db, name, 27000+s)
		for i := 0; i < perServer; i++ {
			enqueue(t, queues[0], name, ops[i%2])
			total++
		}
	}

	var (
		mu       sync.Mutex
		claimed  = map[int64]int{}
		order    = map[string][]int64{}
		inFlight = map[string]*atomic.Int32{}
		failures []string
	)
	for s := 0; s < servers; s++ {
		inFlight[fmt.Sprintf("s%02d", s)] = new(atomic.Int32)
	}
	var done atomic.Int32
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(q *jobs.Queue) {
			defer wg.Done()
			ctx := context.Background()
			for done.Load() < int32(total) {
				j, err := q.Claim(ctx, time.Minute)
				if errors.Is(err, jobs.ErrNoJob) {
					continue
				}
				if err != nil {
					mu.Lock()
					failures = append(failures, err.Error())
					mu.Unlock()
					return
				}
				if n := inFlight[j.ServerName].Add(1); n != 1 {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("%d jobs of %s running at once", n, j.ServerName))
					mu.Unlock()
				}
				mu.Lock()
				claimed[j.ID]++
				order[j.ServerName] = append(order[j.ServerName], j.ID)
				mu.Unlock()
				inFlight[j.ServerName].Add(-1)
				if _, err := q.DB().Writer().ExecContext(ctx,
					`UPDATE jobs SET state = 'succeeded', lease_until = NULL WHERE id = ?`, j.ID); err != nil {
					mu.Lock()
					failures = append(failures, err.Error())
					mu.Unlock()
					return
				}
				done.Add(1)
			}
		}(queues[g%2])
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("failures: %s", strings.Join(failures, "; "))
	}
	if len(claimed) != total {
		t.Fatalf("%d distinct jobs claimed, want %d", len(claimed), total)
	}
	for id, n := range claimed {
		if n != 1 {
			t.Errorf("job %d claimed %d times", id, n)
		}
	}
	for name, ids := range order {
		for i := 1; i < len(ids); i++ {
			if ids[i] < ids[i-1] {
				t.Errorf("%s's jobs ran out of order: %v", name, ids)
				break
			}
		}
	}
}

func TestCancelOfAQueuedJobIsImmediate(t *testing.T) {
	db := storetest.Open(t)
	q := jobs.NewQueue(jobs.QueueOpts{DB: db})
	storetest.Server(t, db, "alpha", 27015)
	ctx := context.Background()

	j := enqueue(t, q, "alpha", store.OpStart)
	got, err := q.Cancel(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != store.JobCancelled || got.FinishedAt.IsZero() || got.Error == "" {
		t.Fatalf("after cancel: %+v", got)
	}
	if _, err := q.Claim(ctx, time.Minute); !errors.Is(err, jobs.ErrNoJob) {
		t.Fatalf("claim after cancel: %v, want ErrNoJob", err)
	}
	if _, err := q.Cancel(ctx, j.ID); !errors.Is(err, jobs.ErrFinished) {
		t.Fatalf("second cancel: %v, want ErrFinished", err)
	}
	if _, err := q.Cancel(ctx, 999); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("cancel of a missing job: %v, want ErrNotFound", err)
	}
	// A cancelled job no longer coalesces a new request.
	if again := enqueue(t, q, "alpha", store.OpStart); again.ID == j.ID {
		t.Fatal("a new start coalesced with the cancelled one")
	}
}

func TestCancelOfAQueuedJobGivesBackTheEarlierDesiredState(t *testing.T) {
	db := storetest.Open(t)
	q := jobs.NewQueue(jobs.QueueOpts{DB: db})
	storetest.Server(t, db, "alpha", 27015)
	ctx := context.Background()
	desired := func() store.DesiredState { return server(t, db, "alpha").DesiredState }

	start := enqueue(t, q, "alpha", store.OpStart)
	stop := enqueue(t, q, "alpha", store.OpStop)
	if desired() != store.DesiredStopped {
		t.Fatalf("desired after start, stop = %s", desired())
	}
	if _, err := q.Cancel(ctx, stop.ID); err != nil {
		t.Fatal(err)
	}
	if desired() != store.DesiredRunning {
		t.Fatalf("desired after cancelling the stop = %s, want running (the start still stands)", desired())
	}
	if _, err := q.Cancel(ctx, start.ID); err != nil {
		t.Fatal(err)
	}
	if desired() != store.DesiredStopped {
		t.Fatalf("desired after cancelling every job = %s, want stopped", desired())
	}
}

func TestExpiredLeasesAreRequeuedThenFailedWithTheReason(t *testing.T) {
	db := storetest.Open(t)
	clk := newClock()
	q := jobs.NewQueue(jobs.QueueOpts{DB: db, Clock: clk.Now, MaxAttempts: 3})
	storetest.Server(t, db, "alpha", 27015)
	ctx := context.Background()
	const lease = 30 * time.Second

	j := enqueue(t, q, "alpha", store.OpStart)
	for attempt := 1; attempt <= 3; attempt++ {
		claimed, err := q.Claim(ctx, lease)
		if err != nil {
			t.Fatalf("attempt %d: claim: %v", attempt, err)
		}
		if claimed.ID != j.ID || claimed.Attempts != attempt {
			t.Fatalf("attempt %d: claimed job %d with attempts %d", attempt, claimed.ID, claimed.Attempts)
		}

		clk.Advance(lease) // exactly at the lease end: still the worker's
		if rescued, err := q.Rescue(ctx); err != nil || len(rescued) != 0 {
			t.Fatalf("attempt %d: rescue at the lease end took %v, %v", attempt, rescued, err)
		}
		clk.Advance(time.Millisecond)
		rescued, err := q.Rescue(ctx)
		if err != nil || len(rescued) != 1 {
			t.Fatalf("attempt %d: rescue after the lease = %v, %v; want the job", attempt, rescued, err)
		}
		got := job(t, db, j.ID)
		wantState := store.JobQueued
		wantMsg := fmt.Sprintf("attempt %d of 3; queued again", attempt)
		if attempt == 3 {
			wantState, wantMsg = store.JobFailed, "gave up: the worker stopped renewing its lease on attempt 3 of 3"
		}
		if got.State != wantState || !strings.Contains(got.Error, wantMsg) || !got.LeaseUntil.IsZero() {
			t.Fatalf("attempt %d: job is %s with error %q, want %s with %q", attempt, got.State, got.Error, wantState, wantMsg)
		}
	}
	if got := job(t, db, j.ID); got.FinishedAt.IsZero() {
		t.Error("a failed job has no finished_at")
	}
	if _, err := q.Claim(ctx, lease); !errors.Is(err, jobs.ErrNoJob) {
		t.Fatalf("claim after giving up: %v, want ErrNoJob", err)
	}
	lines, err := db.JobLines(ctx, j.ID, 0, 0)
	if err != nil || len(lines) != 3 {
		t.Fatalf("rescuer lines = %+v, %v; want one per rescue", lines, err)
	}
	if lines[2].Stream != store.StreamSystem || !strings.Contains(lines[2].Text, "gave up") {
		t.Fatalf("last line = %+v", lines[2])
	}
}

func TestRescueOfACancelledJobEndsItCancelled(t *testing.T) {
	db := storetest.Open(t)
	clk := newClock()
	q := jobs.NewQueue(jobs.QueueOpts{DB: db, Clock: clk.Now})
	storetest.Server(t, db, "alpha", 27015)
	ctx := context.Background()

	j := enqueue(t, q, "alpha", store.OpStart)
	if _, err := q.Claim(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	if got, err := q.Cancel(ctx, j.ID); err != nil || !got.CancelRequested || got.State != store.JobRunning {
		t.Fatalf("cancel of a running job = %+v, %v", got, err)
	}
	clk.Advance(2 * time.Second)
	if _, err := q.Rescue(ctx); err != nil {
		t.Fatal(err)
	}
	if got := job(t, db, j.ID); got.State != store.JobCancelled {
		t.Fatalf("job is %s, want cancelled", got.State)
	}
	if d := server(t, db, "alpha").DesiredState; d != store.DesiredStopped {
		t.Fatalf("desired state after the rescued cancel = %s, want stopped again", d)
	}
}
