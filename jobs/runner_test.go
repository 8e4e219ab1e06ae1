package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/console"
	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/fake"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

func TestStartProvisionsFromTheBlueprintThenEnables(t *testing.T) {
	e := newEnv(t, fake.Options{})
	ctx := context.Background()
	bp := &store.Blueprint{Name: "versus", Map: "c5m1_waterfront", GameMode: "versus", MaxPlayers: 8,
		Args: []string{"-tickrate", "100"}, ServerCfg: "sv_cheats 0\n"}
	if err := e.db.CreateBlueprint(ctx, bp); err != nil {
		t.Fatal(err)
	}
	created, err := e.db.CreateServer(ctx, store.NewServer{Name: "vs-1", Port: 27020, BlueprintID: bp.ID})
	if err != nil {
		t.Fatal(err)
	}
	startRunner(t, e.runner(jobs.RunnerOpts{}))

	j := enqueue(t, e.q, "vs-1", store.OpStart)
	got := waitJob(t, e.db, j.ID, store.JobSucceeded)
	if got.Attempts != 1 || got.Error != "" || got.FinishedAt.IsZero() {
		t.Fatalf("job = %+v", got)
	}

	spec, ok := e.fake.Spec("vs-1")
	want := hostbackend.InstanceSpec{Name: "vs-1", Port: 27020, ServerConfig: "sv_cheats 0\n" + console.Block(created.RCONPassword, nil, time.Time{}),
		Args: []string{"-tickrate", "100", "+map", "c5m1_waterfront", "+mp_gamemode", "versus", "+maxplayers", "8"}}
	if !ok || !reflect.DeepEqual(spec, want) {
		t.Fatalf("provisioned %+v, want %+v", spec, want)
	}
	if verbs := callsOf(e.fake, "vs-1"); !reflect.DeepEqual(verbs, []string{"provision", "enable"}) {
		t.Fatalf("calls = %v, want provision then enable", verbs)
	}
	if !e.fake.Enabled("vs-1") {
		t.Fatal("the unit is not enabled, so it would not come back after a reboot")
	}

	srv := server(t, e.db, "vs-1")
	if srv.ActualState != hostbackend.StateRunning || srv.SystemdActive != "active" || srv.ActualStateUpdatedAt.IsZero() {
		t.Fatalf("server after start: %+v", srv)
	}
	hist, _ := e.db.ListServerHistory(ctx, srv.ID, 0)
	if len(hist) != 1 || hist[0].Reason != fmt.Sprintf("after job %d (start)", j.ID) ||
		hist[0].OldState != hostbackend.StateUnknown || hist[0].NewState != hostbackend.StateRunning {
		t.Fatalf("history = %+v", hist)
	}
	lines, _ := e.db.JobLines(ctx, j.ID, 0, 0)
	var texts []string
	for _, l := range lines {
		texts = append(texts, l.Stream+": "+l.Text)
	}
	if !slices.ContainsFunc(texts, func(s string) bool { return strings.HasPrefix(s, "stderr: Created symlink") }) {
		t.Fatalf("output lacks systemctl's line: %q", texts)
	}
}

func TestEachOperationDrivesTheBackend(t *testing.T) {
	e := newEnv(t, fake.Options{})
	storetest.Server(t, e.db, "alpha", 27015)
	startRunner(t, e.runner(jobs.RunnerOpts{}))
	ctx := context.Background()

	steps := []struct {
		op        store.Operation
		wantCalls []string
		wantState hostbackend.State
		enabled   bool
	}{
		{store.OpStart, []string{"provision", "enable"}, hostbackend.StateRunning, true},
		{store.OpStop, []string{"disable"}, hostbackend.StateStopped, false},
		{store.OpRestart, []string{"provision", "restart", "enable"}, hostbackend.StateRunning, true},
		{store.OpDelete, []string{"disable", "purge"}, "", false},
	}
	for _, st := range steps {
		e.fake.ResetCalls()
		j := enqueue(t, e.q, "alpha", st.op)
		waitJob(t, e.db, j.ID, store.JobSucceeded)
		if got := callsOf(e.fake, "alpha"); !reflect.DeepEqual(got, st.wantCalls) {
			t.Errorf("%s: calls %v, want %v", st.op, got, st.wantCalls)
		}
		if e.fake.Enabled("alpha") != st.enabled {
			t.Errorf("%s: enabled = %v, want %v", st.op, !st.enabled, st.enabled)
		}
		if st.op == store.OpDelete {
			continue
		}
		if got := server(t, e.db, "alpha").ActualState; got != st.wantState {
			t.Errorf("%s: actual_state %s, want %s", st.op, got, st.wantState)
		}
	}
	if _, err := e.db.GetServerByName(ctx, "alpha"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("server after delete: %v, want ErrNotFound", err)
	}
	if _, ok := e.fake.Spec("alpha"); ok {
		t.Fatal("instance files left after delete")
	}
	js, _ := e.db.ListJobs(ctx, store.JobFilter{ServerName: "alpha"})
	if len(js) != 4 || js[0].Operation != store.OpDelete || js[0].ServerID != nil {
		t.Fatalf("jobs after delete = %+v; want all four kept, the server id cleared", js)
	}
}

func TestAFailedOperationRecordsWhy(t *testing.T) {
	e := newEnv(t, fake.Options{})
	storetest.Server(t, e.db, "alpha", 27015)
	e.fake.Fail("enable", "alpha", "Failed to enable unit: Unit file left4me-server@alpha.service does not exist.")
	startRunner(t, e.runner(jobs.RunnerOpts{}))

	j := enqueue(t, e.q, "alpha", store.OpStart)
	got := waitJob(t, e.db, j.ID, store.JobFailed)
	if !strings.Contains(got.Error, "does not exist") || got.Attempts != 1 {
		t.Fatalf("failed job = %+v", got)
	}
	lines, _ := e.db.JobLines(context.Background(), j.ID, 0, 0)
	if !slices.ContainsFunc(lines, func(l store.JobLine) bool { return l.Stream == "stderr" && strings.Contains(l.Text, "does not exist") }) {
		t.Fatalf("stderr not stored: %+v", lines)
	}
	// The state was still read back after the failure.
	if srv := server(t, e.db, "alpha"); srv.ActualState != hostbackend.StateStopped {
		t.Fatalf("actual_state after a failed start = %s, want stopped", srv.ActualState)
	}
}

func TestCancelOfARunningJobCancelsTheBackendCall(t *testing.T) {
	e := newEnv(t, fake.Options{})
	storetest.Server(t, e.db, "alpha", 27015)
	e.fake.Hang("enable", "alpha")
	startRunner(t, e.runner(jobs.RunnerOpts{}))

	j := enqueue(t, e.q, "alpha", store.OpStart)
	waitFor(t, "the enable call", func() bool { return slices.Contains(callsOf(e.fake, "alpha"), "enable") })
	if got, err := e.q.Cancel(context.Background(), j.ID); err != nil || got.State != store.JobRunning || !got.CancelRequested {
		t.Fatalf("cancel = %+v, %v", got, err)
	}
	got := waitJob(t, e.db, j.ID, store.JobCancelled)
	if got.Error != "cancelled while running" {
		t.Fatalf("cancelled job error = %q", got.Error)
	}
	srv := server(t, e.db, "alpha")
	if srv.ActualState == hostbackend.StateUnknown {
		t.Fatal("state not refreshed after the cancelled job")
	}
	if srv.DesiredState != store.DesiredStopped {
		t.Fatalf("desired state after cancelling the only start = %s, want stopped again", srv.DesiredState)
	}
}

func TestCancelFromAnotherProcessReachesTheWorkerAtItsHeartbeat(t *testing.T) {
	e := newEnv(t, fake.Options{})
	storetest.Server(t, e.db, "alpha", 27015)
	e.fake.Hang("enable", "alpha")
	startRunner(t, e.runner(jobs.RunnerOpts{LeaseDuration: 300 * time.Millisecond, HeartbeatInterval: 20 * time.Millisecond}))

	other, err := store.Open(context.Background(), e.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	otherQ := jobs.NewQueue(jobs.QueueOpts{DB: other})

	j := enqueue(t, e.q, "alpha", store.OpStart)
	waitFor(t, "the enable call", func() bool { return slices.Contains(callsOf(e.fake, "alpha"), "enable") })
	if _, err := otherQ.Cancel(context.Background(), j.ID); err != nil {
		t.Fatal(err)
	}
	waitJob(t, e.db, j.ID, store.JobCancelled)
}

// lineSpam is a backend whose Enable prints many lines.
type lineSpam struct {
	*fake.Backend
	n int
}

func (b lineSpam) Enable(ctx context.Context, name string, out hostbackend.LineFunc) error {
	for i := 0; i < b.n; i++ {
		out(hostbackend.Line{Stream: hostbackend.Stdout, Text: fmt.Sprintf("line %d", i)})
	}
	return b.Backend.Enable(ctx, name, out)
}

func TestOutputIsBoundedWithAVisibleMarker(t *testing.T) {
	e := newEnv(t, fake.Options{})
	storetest.Server(t, e.db, "alpha", 27015)
	startRunner(t, e.runner(jobs.RunnerOpts{Backend: lineSpam{e.fake, 500}, MaxLines: 50}))

	j := enqueue(t, e.q, "alpha", store.OpStart)
	got := waitJob(t, e.db, j.ID, store.JobSucceeded)
	if !got.LogTruncated {
		t.Fatal("log_truncated not set")
	}
	lines, _ := e.db.JobLines(context.Background(), j.ID, 0, 0)
	if len(lines) != 51 {
		t.Fatalf("%d lines stored, want 50 and the marker", len(lines))
	}
	last := lines[50]
	if last.Stream != store.StreamSystem || last.Text != "… output truncated after 50 lines" {
		t.Fatalf("last line = %+v", last)
	}
	for i, l := range lines {
		if l.Seq != int64(i+1) {
			t.Fatalf("line %d has seq %d", i, l.Seq)
		}
	}
}

func TestOutputIsStoredWhileTheJobRuns(t *testing.T) {
	e := newEnv(t, fake.Options{})
	storetest.Server(t, e.db, "alpha", 27015)
	e.fake.Hang("enable", "alpha")
	startRunner(t, e.runner(jobs.RunnerOpts{LineFlushInterval: 10 * time.Millisecond}))

	j := enqueue(t, e.q, "alpha", store.OpStart)
	waitFor(t, "the enable line in the database while enable hangs", func() bool {
		lines, _ := e.db.JobLines(context.Background(), j.ID, 0, 0)
		return slices.ContainsFunc(lines, func(l store.JobLine) bool { return strings.HasPrefix(l.Text, "enabling") })
	})
	if got := job(t, e.db, j.ID); got.State != store.JobRunning {
		t.Fatalf("job is %s, want still running", got.State)
	}
	e.q.Cancel(context.Background(), j.ID)
	waitJob(t, e.db, j.ID, store.JobCancelled)
}

func TestWorkersWakeOnEnqueueWithoutWaitingForThePoll(t *testing.T) {
	e := newEnv(t, fake.Options{})
	storetest.Server(t, e.db, "alpha", 27015)
	startRunner(t, e.runner(jobs.RunnerOpts{PollInterval: time.Hour}))
	j := enqueue(t, e.q, "alpha", store.OpStart)
	waitJob(t, e.db, j.ID, store.JobSucceeded)
}

func TestWorkersPickUpJobsQueuedByAnotherProcess(t *testing.T) {
	e := newEnv(t, fake.Options{})
	storetest.Server(t, e.db, "alpha", 27015)
	startRunner(t, e.runner(jobs.RunnerOpts{PollInterval: 20 * time.Millisecond}))

	other, err := store.Open(context.Background(), e.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	j := enqueue(t, jobs.NewQueue(jobs.QueueOpts{DB: other}), "alpha", store.OpStart)
	waitJob(t, e.db, j.ID, store.JobSucceeded)
}

func TestOneServersJobsRunInOrderAcrossWorkers(t *testing.T) {
	e := newEnv(t, fake.Options{CallDelay: 2 * time.Millisecond})
	names := []string{"a", "b", "c", "d", "e"}
	for i, n := range names {
		storetest.Server(t, e.db, n, 27015+i)
	}
	ops := []store.Operation{store.OpStart, store.OpStop, store.OpStart, store.OpStop}
	var ids []int64
	for _, op := range ops {
		for _, n := range names {
			ids = append(ids, enqueue(t, e.q, n, op).ID)
		}
	}
	startRunner(t, e.runner(jobs.RunnerOpts{Workers: 4}))
	for _, id := range ids {
		waitJob(t, e.db, id, store.JobSucceeded)
	}
	want := []string{"provision", "enable", "disable", "provision", "enable", "disable"}
	for _, n := range names {
		if got := callsOf(e.fake, n); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: calls %v, want %v", n, got, want)
		}
		js, _ := e.db.ListJobs(context.Background(), store.JobFilter{ServerName: n})
		slices.Reverse(js)
		for i := 1; i < len(js); i++ {
			if js[i].StartedAt.Before(js[i-1].FinishedAt.Time) {
				t.Errorf("%s: job %d started before job %d finished", n, js[i].ID, js[i-1].ID)
			}
		}
	}
}

func TestShutdownLetsRunningJobsFinishWithinTheGrace(t *testing.T) {
	e := newEnv(t, fake.Options{CallDelay: 100 * time.Millisecond})
	storetest.Server(t, e.db, "alpha", 27015)
	stop := startRunner(t, e.runner(jobs.RunnerOpts{Grace: 10 * time.Second}))

	j := enqueue(t, e.q, "alpha", store.OpStart)
	waitFor(t, "the enable call", func() bool { return slices.Contains(callsOf(e.fake, "alpha"), "enable") })
	stop()
	if got := job(t, e.db, j.ID); got.State != store.JobSucceeded {
		t.Fatalf("after a graceful stop the job is %s, want succeeded", got.State)
	}
}

func TestShutdownQueuesJobsThatOutlastTheGraceAgainWithoutCountingTheAttempt(t *testing.T) {
	e := newEnv(t, fake.Options{})
	storetest.Server(t, e.db, "alpha", 27015)
	e.fake.Hang("enable", "alpha")
	stop := startRunner(t, e.runner(jobs.RunnerOpts{Grace: 20 * time.Millisecond}))

	j := enqueue(t, e.q, "alpha", store.OpStart)
	waitFor(t, "the enable call", func() bool { return slices.Contains(callsOf(e.fake, "alpha"), "enable") })
	stop()
	got := job(t, e.db, j.ID)
	if got.State != store.JobQueued || got.MaxAttempts != jobs.DefaultMaxAttempts+1 || !got.LeaseUntil.IsZero() {
		t.Fatalf("after the grace the job is %s with max_attempts %d (lease %v), want queued again at once with the attempt given back",
			got.State, got.MaxAttempts, got.LeaseUntil)
	}
	if !strings.Contains(got.Error, "shut down") {
		t.Fatalf("error %q does not say the panel shut down", got.Error)
	}

	// A new runner finishes it.
	e.fake.Unhang("enable", "alpha")
	startRunner(t, e.runner(jobs.RunnerOpts{}))
	if got := waitJob(t, e.db, j.ID, store.JobSucceeded); got.Attempts != 2 {
		t.Fatalf("attempts = %d, want 2", got.Attempts)
	}
}

func TestHeartbeatsKeepAJobLongerThanItsLease(t *testing.T) {
	e := newEnv(t, fake.Options{CallDelay: 600 * time.Millisecond})
	storetest.Server(t, e.db, "alpha", 27015)
	startRunner(t, e.runner(jobs.RunnerOpts{
		LeaseDuration: 150 * time.Millisecond, HeartbeatInterval: 30 * time.Millisecond,
		RescueInterval: 10 * time.Millisecond,
	}))
	j := enqueue(t, e.q, "alpha", store.OpStart)
	got := waitJob(t, e.db, j.ID, store.JobSucceeded)
	if got.Attempts != 1 {
		t.Fatalf("attempts = %d, want 1: the rescuer took a job whose worker was alive", got.Attempts)
	}
	if verbs := callsOf(e.fake, "alpha"); !reflect.DeepEqual(verbs, []string{"provision", "enable"}) {
		t.Fatalf("calls = %v, want one provision and one enable", verbs)
	}
}

func TestAJobWhoseStateCannotBeReadBackStillOutdatesOlderPolls(t *testing.T) {
	e := newEnv(t, fake.Options{})
	storetest.Server(t, e.db, "alpha", 27015)
	before := server(t, e.db, "alpha").StateVersion
	e.fake.FailShow(errors.New("systemd is not answering"))
	startRunner(t, e.runner(jobs.RunnerOpts{}))

	j := enqueue(t, e.q, "alpha", store.OpStart)
	waitJob(t, e.db, j.ID, store.JobSucceeded)
	// A poller tick that asked systemd before the job ran compares this
	// version; it must have moved, or that older answer would be written.
	if after := server(t, e.db, "alpha").StateVersion; after <= before {
		t.Fatalf("state_version %d → %d after a job whose read-back failed; want it moved", before, after)
	}
}

func TestARunnerThatOwnsTheQueueTakesBackADeadPanelsJobsAtOnce(t *testing.T) {
	clk := newClock()
	e := newEnv(t, fake.Options{})
	e.q = jobs.NewQueue(jobs.QueueOpts{DB: e.db, Clock: clk.Now})
	storetest.Server(t, e.db, "alpha", 27015)
	storetest.Server(t, e.db, "beta", 27016)
	a := enqueue(t, e.q, "alpha", store.OpStart)
	b := enqueue(t, e.q, "beta", store.OpStart)
	// A panel claimed both with a long lease and died.
	for range 2 {
		if _, err := e.q.Claim(context.Background(), time.Hour); err != nil {
			t.Fatal(err)
		}
	}

	// Without OwnsQueue the leases are waited out (the clock stands still).
	stop := startRunner(t, e.runner(jobs.RunnerOpts{Clock: clk.Now}))
	stop()
	if got := job(t, e.db, a.ID); got.State != store.JobRunning {
		t.Fatalf("a runner that does not own the queue took a live lease: %s", got.State)
	}

	startRunner(t, e.runner(jobs.RunnerOpts{Clock: clk.Now, OwnsQueue: true}))
	for _, id := range []int64{a.ID, b.ID} {
		got := waitJob(t, e.db, id, store.JobSucceeded)
		if got.Attempts != 2 {
			t.Fatalf("job %d: attempts %d, want 2", id, got.Attempts)
		}
		if ls := jobLines(t, e.db, id); countContaining(ls, "rescuer: the panel running it stopped before the job ended on attempt 1 of 3; queued again") != 1 {
			t.Fatalf("job %d output %q", id, ls)
		}
	}
}
