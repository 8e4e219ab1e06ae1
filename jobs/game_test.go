package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/fake"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

func enqueueGame(t testing.TB, q *jobs.Queue, op store.Operation, options string) *store.Job {
	t.Helper()
	j, err := q.EnqueueGame(context.Background(), jobs.GameParams{Operation: op, Options: options})
	if err != nil {
		t.Fatalf("enqueue %s: %v", op, err)
	}
	return j
}

func TestAGameInstallReportsProgressWhileItRunsAndEndsInstalled(t *testing.T) {
	e := newBareEnv(t, fake.Options{GameStepDelay: 5 * time.Millisecond})
	startRunner(t, e.runner(jobs.RunnerOpts{LineFlushInterval: 5 * time.Millisecond}))
	j := enqueueGame(t, e.q, store.OpGameInstall, "")
	if j.ServerName != "" || j.ServerID != nil {
		t.Fatalf("a game job names a server: %+v", j)
	}
	var phases []string
	waitFor(t, "the install to end", func() bool {
		got := job(t, e.db, j.ID)
		if got.State == store.JobRunning && got.Progress.Percent != nil &&
			(len(phases) == 0 || phases[len(phases)-1] != got.Progress.Phase) {
			phases = append(phases, got.Progress.Phase)
		}
		return got.State.Finished()
	})
	got := job(t, e.db, j.ID)
	if got.State != store.JobSucceeded {
		t.Fatalf("the install ended %s: %s", got.State, got.Error)
	}
	if len(phases) < 3 || !slices.Contains(phases, "downloading") {
		t.Fatalf("phases seen while it ran: %q, want several, downloading among them", phases)
	}
	if got.Progress.Phase != "committing" || *got.Progress.Percent != 100 || *got.Progress.Done != *got.Progress.Total {
		t.Fatalf("final progress %+v", got.Progress)
	}
	if ls := jobLines(t, e.db, j.ID); countContaining(ls, "Success! App '222860' fully installed.") != 1 || countContaining(ls, "installed build "+fake.DefaultGameBuild) != 1 {
		t.Fatalf("output %q", ls)
	}
	if st, _ := e.fake.GameStatus(context.Background()); !st.Installed {
		t.Fatal("the game is not installed after the job")
	}
}

func TestGameJobsRunOneAtATimeAndCoalesce(t *testing.T) {
	e := newEnv(t, fake.Options{})
	a := enqueueGame(t, e.q, store.OpGameInstall, "")
	b := enqueueGame(t, e.q, store.OpGameInstall, "")
	c := enqueueGame(t, e.q, store.OpGameCheck, "")
	if a.ID != b.ID || c.ID == a.ID {
		t.Fatalf("jobs %d, %d, %d: want the second install to be the first", a.ID, b.ID, c.ID)
	}
	if _, err := e.q.EnqueueGame(context.Background(), jobs.GameParams{Operation: store.OpStart}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("a server operation as a game job: %v", err)
	}
	claimed, err := e.q.Claim(context.Background(), time.Minute)
	if err != nil || claimed.ID != a.ID {
		t.Fatalf("claim = %+v, %v", claimed, err)
	}
	if _, err := e.q.Claim(context.Background(), time.Minute); !errors.Is(err, jobs.ErrNoJob) {
		t.Fatalf("a second game job was claimed while one runs: %v", err)
	}
}

func TestAGameJobAsksAndNeverKeepsTheAnswer(t *testing.T) {
	e := newBareEnv(t, fake.Options{})
	e.fake.AskOnGameInstall("Steam Guard code:", "K7Q2X")
	startRunner(t, e.runner(jobs.RunnerOpts{LineFlushInterval: 5 * time.Millisecond}))
	j := enqueueGame(t, e.q, store.OpGameInstall, "")
	waitFor(t, "the question", func() bool { return job(t, e.db, j.ID).Prompt == "Steam Guard code:" })
	if err := e.q.Answer(9999, "x"); !errors.Is(err, jobs.ErrNotWaiting) {
		t.Fatalf("Answer to a job that waits for nothing = %v", err)
	}
	if err := e.q.Answer(j.ID, "K7Q2X"); err != nil {
		t.Fatal(err)
	}
	got := waitJob(t, e.db, j.ID, store.JobSucceeded)
	if got.Prompt != "" {
		t.Fatalf("prompt %q after the job", got.Prompt)
	}
	ls := jobLines(t, e.db, j.ID)
	if countContaining(ls, "K7Q2X") != 0 || countContaining(ls, "Steam Guard code:") == 0 {
		t.Fatalf("output %q: want the question and never the answer", ls)
	}
}

func TestAGameJobNobodyAnswersFails(t *testing.T) {
	e := newBareEnv(t, fake.Options{})
	e.fake.AskOnGameInstall("Steam Guard code:", "K7Q2X")
	startRunner(t, e.runner(jobs.RunnerOpts{PromptTimeout: 30 * time.Millisecond}))
	j := enqueueGame(t, e.q, store.OpGameInstall, "")
	got := waitJob(t, e.db, j.ID, store.JobFailed)
	if !strings.Contains(got.Error, "nobody answered steamcmd's question") || got.Prompt != "" {
		t.Fatalf("error %q, prompt %q", got.Error, got.Prompt)
	}
}

func TestAGameJobCanBeCancelled(t *testing.T) {
	e := newBareEnv(t, fake.Options{})
	e.fake.HangGameInstall(true)
	startRunner(t, e.runner(jobs.RunnerOpts{LineFlushInterval: 5 * time.Millisecond}))
	j := enqueueGame(t, e.q, store.OpGameInstall, "")
	waitFor(t, "the first progress", func() bool { return job(t, e.db, j.ID).Progress.Percent != nil })
	if _, err := e.q.Cancel(context.Background(), j.ID); err != nil {
		t.Fatal(err)
	}
	waitJob(t, e.db, j.ID, store.JobCancelled)
	if st, _ := e.fake.GameStatus(context.Background()); st.Installed {
		t.Fatal("a cancelled install left the game installed")
	}
}

func TestAGameValidationRefusesRunningServersUnlessAskedToRestartThem(t *testing.T) {
	e := newEnv(t, fake.Options{GameInstalled: true})
	storetest.Server(t, e.db, "alpha", 27015)
	storetest.Server(t, e.db, "beta", 27016)
	storetest.Server(t, e.db, "idle", 27017)
	startRunner(t, e.runner(jobs.RunnerOpts{}))
	for _, n := range []string{"alpha", "beta"} {
		waitJob(t, e.db, enqueue(t, e.q, n, store.OpStart).ID, store.JobSucceeded)
	}
	e.fake.ResetCalls()

	refused := waitJob(t, e.db, enqueueGame(t, e.q, store.OpGameValidate, "").ID, store.JobFailed)
	if !strings.Contains(refused.Error, "2 server(s) are running (alpha, beta)") {
		t.Fatalf("error %q", refused.Error)
	}
	if slices.ContainsFunc(e.fake.Calls(), func(c fake.Call) bool { return c.Verb == "game-install" || c.Verb == "disable" }) {
		t.Fatalf("a refused update did something: %+v", e.fake.Calls())
	}

	j := waitJob(t, e.db, enqueueGame(t, e.q, store.OpGameValidate, store.OptionRestartServers).ID, store.JobSucceeded)
	var verbs []string
	for _, c := range e.fake.Calls() {
		if c.Verb != "show" {
			verbs = append(verbs, c.Verb+" "+strings.Join(c.Names, ","))
		}
	}
	want := []string{"disable alpha", "disable beta", "game-install ", "enable alpha", "enable beta"}
	if !slices.Equal(verbs, want) {
		t.Fatalf("calls %q, want %q", verbs, want)
	}
	ls := jobLines(t, e.db, j.ID)
	for _, w := range []string{"alpha: stopping it for the game's update", "alpha: started again", "beta: started again"} {
		if countContaining(ls, w) != 1 {
			t.Errorf("no line %q in %q", w, ls)
		}
	}
	for _, n := range []string{"alpha", "beta"} {
		if srv := server(t, e.db, n); srv.DesiredState != store.DesiredRunning || !e.fake.Enabled(n) {
			t.Errorf("%s: desired %s, enabled %v", n, srv.DesiredState, e.fake.Enabled(n))
		}
		// The history puts the stop and the start down to the job.
		hs := history(t, e.db, n)
		if len(hs) < 2 || !strings.Contains(hs[1].Reason, "stopped for the game's update") ||
			!strings.Contains(hs[0].Reason, "started again after the game's update") || !strings.HasPrefix(hs[0].Reason, fmt.Sprintf("after job %d", j.ID)) {
			t.Errorf("%s: history %+v", n, hs)
		}
	}
}

func TestThePollerLeavesServersAloneWhileAnUpdateMayRestartThem(t *testing.T) {
	e := newEnv(t, fake.Options{})
	storetest.Server(t, e.db, "alpha", 27015)
	e.fake.ExternalEnable("alpha")
	p := newPoller(e, nil, nil)
	ctx := context.Background()
	if err := p.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	j := enqueueGame(t, e.q, store.OpGameUpdate, store.OptionRestartServers)
	if _, err := e.q.Claim(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	e.fake.ExternalDisable("alpha") // as the job's stop does
	if err := p.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if srv := server(t, e.db, "alpha"); srv.ActualState != hostbackend.StateRunning {
		t.Fatalf("while job %d runs the poller wrote %s", j.ID, srv.ActualState)
	}
	// Once it has ended, the poller looks again.
	if _, err := e.db.Writer().NewRaw(`UPDATE jobs SET state = 'cancelled', lease_until = NULL WHERE id = ?`, j.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if srv := server(t, e.db, "alpha"); srv.ActualState != hostbackend.StateStopped {
		t.Fatalf("after the job the poller did not look: %s", srv.ActualState)
	}
}

func TestAGameCheckRecordsTheLatestBuildAndKeepsItWhenSteamIsSilent(t *testing.T) {
	e := newEnv(t, fake.Options{GameBuild: "17000001"})
	startRunner(t, e.runner(jobs.RunnerOpts{}))
	waitJob(t, e.db, enqueueGame(t, e.q, store.OpGameCheck, "").ID, store.JobSucceeded)
	c, err := e.db.GetGameCheck(context.Background())
	if err != nil || c.LatestBuildID != "17000001" || c.Error != "" {
		t.Fatalf("check %+v, %v", c, err)
	}
	e.fake.SetLatestBuild("")
	failed := waitJob(t, e.db, enqueueGame(t, e.q, store.OpGameCheck, "").ID, store.JobFailed)
	c, _ = e.db.GetGameCheck(context.Background())
	if c.LatestBuildID != "17000001" || c.Error == "" || failed.Error != hostbackend.ErrBuildUnknown.Error() {
		t.Fatalf("after a silent Steam: check %+v, job error %q", c, failed.Error)
	}
}

func TestTheRunnerQueuesAGameCheckWhenTheLastIsOld(t *testing.T) {
	e := newBareEnv(t, fake.Options{})
	startRunner(t, e.runner(jobs.RunnerOpts{GameCheckInterval: time.Hour}))
	waitFor(t, "a check job", func() bool {
		js, _ := e.db.ListJobs(context.Background(), store.JobFilter{})
		return len(js) == 1 && js[0].Operation == store.OpGameCheck
	})
}

func TestAStartIsRefusedWhileTheGameIsMissing(t *testing.T) {
	e := newBareEnv(t, fake.Options{})
	storetest.Server(t, e.db, "alpha", 27015)
	startRunner(t, e.runner(jobs.RunnerOpts{}))
	got := waitJob(t, e.db, enqueue(t, e.q, "alpha", store.OpStart).ID, store.JobFailed)
	if !strings.Contains(got.Error, "the game is not installed yet") || slices.Contains(callsOf(e.fake, "alpha"), "enable") {
		t.Fatalf("error %q, calls %v: want the refusal before anything ran", got.Error, callsOf(e.fake, "alpha"))
	}
	waitJob(t, e.db, enqueueGame(t, e.q, store.OpGameInstall, "").ID, store.JobSucceeded)
	waitJob(t, e.db, enqueue(t, e.q, "alpha", store.OpStart).ID, store.JobSucceeded)
}

// startOn starts name through a job of a runner whose starts put a
// server on the current build, and checks it started on build.
func startOn(t *testing.T, e *env, name string, build string) {
	t.Helper()
	waitJob(t, e.db, enqueue(t, e.q, name, store.OpStart).ID, store.JobSucceeded)
	if got := server(t, e.db, name).AppliedBuild(); got != build {
		t.Fatalf("%s started on build %q, want %q", name, got, build)
	}
}

func TestAGameUpdateLeavesRunningServersOnTheirBuildUntilTheyStop(t *testing.T) {
	e := newEnv(t, fake.Options{GameInstalled: true, GameBuild: "100"})
	storetest.Server(t, e.db, "alpha", 27015)
	r := e.runner(jobs.RunnerOpts{Build: func(ctx context.Context) (string, error) { return hostbackend.CurrentBuild(ctx, e.fake) }})
	startRunner(t, r)
	startOn(t, e, "alpha", "100")
	e.fake.ResetCalls()

	e.fake.SetLatestBuild("101")
	j := waitJob(t, e.db, enqueueGame(t, e.q, store.OpGameUpdate, "").ID, store.JobSucceeded)
	for _, c := range e.fake.Calls() {
		if c.Verb == "disable" || c.Verb == "enable" || c.Verb == "restart" {
			t.Errorf("the update touched a server: %+v", c)
		}
	}
	if !e.fake.Enabled("alpha") {
		t.Fatal("alpha stopped")
	}
	if ls := jobLines(t, e.db, j.ID); countContaining(ls, "installed build 101") != 1 {
		t.Errorf("output %q", ls)
	}
	// alpha still runs 100, which stays; the collector says so.
	if removed, err := r.CollectBuilds(context.Background()); err != nil || len(removed) != 0 {
		t.Fatalf("CollectBuilds = %v, %v while alpha runs 100", removed, err)
	}
	equal(t, "builds", e.fake.GameBuilds(), []string{"100", "101"})
	live, err := jobs.LiveBuilds(context.Background(), e.db, e.fake)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "live builds", live, map[string]string{"alpha": "100"})

	// beta starts on the new build; alpha stops: 100 goes by itself.
	storetest.Server(t, e.db, "beta", 27016)
	startOn(t, e, "beta", "101")
	waitJob(t, e.db, enqueue(t, e.q, "alpha", store.OpStop).ID, store.JobSucceeded)
	waitFor(t, "build 100 removed", func() bool { return slices.Equal(e.fake.GameBuilds(), []string{"101"}) })
}

func TestAGameUpdateAskedToRestartServersQueuesRestartsOfThoseOnOlderBuilds(t *testing.T) {
	e := newEnv(t, fake.Options{GameInstalled: true, GameBuild: "100"})
	storetest.Server(t, e.db, "alpha", 27015)
	r := e.runner(jobs.RunnerOpts{Build: func(ctx context.Context) (string, error) { return hostbackend.CurrentBuild(ctx, e.fake) }})
	startRunner(t, r)
	startOn(t, e, "alpha", "100")

	e.fake.SetLatestBuild("101")
	j := waitJob(t, e.db, enqueueGame(t, e.q, store.OpGameUpdate, store.OptionRestartServers).ID, store.JobSucceeded)
	ls := jobLines(t, e.db, j.ID)
	if countContaining(ls, "alpha: restart queued") != 1 {
		t.Fatalf("output %q", ls)
	}
	waitFor(t, "alpha's restart", func() bool {
		js, _ := e.db.ListJobs(context.Background(), store.JobFilter{})
		return slices.ContainsFunc(js, func(j store.Job) bool {
			return j.ServerName == "alpha" && j.Operation == store.OpRestart && j.State == store.JobSucceeded
		})
	})
}

func TestNoBuildIsRemovedWhileARunningServersBuildIsUnknown(t *testing.T) {
	e := newEnv(t, fake.Options{GameInstalled: true, GameBuild: "100"})
	storetest.Server(t, e.db, "alpha", 27015)
	r := e.runner(jobs.RunnerOpts{})
	startRunner(t, r)
	// Started by a panel that records no build (its spec names none).
	waitJob(t, e.db, enqueue(t, e.q, "alpha", store.OpStart).ID, store.JobSucceeded)
	e.fake.SetLatestBuild("101")
	waitJob(t, e.db, enqueueGame(t, e.q, store.OpGameUpdate, "").ID, store.JobSucceeded)
	if removed, err := r.CollectBuilds(context.Background()); err != nil || len(removed) != 0 {
		t.Fatalf("CollectBuilds = %v, %v", removed, err)
	}
	equal(t, "builds", e.fake.GameBuilds(), []string{"100", "101"})
}
