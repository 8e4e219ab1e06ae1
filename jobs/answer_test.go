package jobs_test

import (
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/fake"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

// hostOnly is a backend without the capabilities beside the host's
// methods (no Live): a start has no game to wait for.
type hostOnly struct{ hostbackend.Backend }

func TestAStartWaitsForTheGameToAnswerAndSaysWhatItSays(t *testing.T) {
	e := newEnv(t, fake.Options{StartDelay: 300 * time.Millisecond})
	storetest.Server(t, e.db, "coop-1", 27015)
	stop := startRunner(t, e.runner(jobs.RunnerOpts{}))
	defer stop()
	j := enqueue(t, e.q, "coop-1", store.OpStart)
	waitJob(t, e.db, j.ID, store.JobSucceeded)
	lines := jobLines(t, e.db, j.ID)
	if countContaining(lines, "waiting up to 2m0s for srcds to answer on UDP 27015") != 1 {
		t.Errorf("the job does not say what it waits for: %v", lines)
	}
	if countContaining(lines, "answering as 'Left 4 Dead 2' on c1m1_hotel, 0/4 players") != 1 {
		t.Errorf("the job does not say what the game answered: %v", lines)
	}
	// The job ended once the game answered: the unit was running by then.
	if got := server(t, e.db, "coop-1").ActualState; got != hostbackend.StateRunning {
		t.Errorf("after the start the server is %s, want running", got)
	}
}

func TestAStartWhoseGameNeverAnswersFailsAndTheServerStaysWanted(t *testing.T) {
	e := newEnv(t, fake.Options{})
	storetest.Server(t, e.db, "hung", 27015)
	e.fake.SilenceGame("hung", true)
	stop := startRunner(t, e.runner(jobs.RunnerOpts{StartTimeout: 1500 * time.Millisecond}))
	defer stop()
	j := enqueue(t, e.q, "hung", store.OpStart)
	got := waitJob(t, e.db, j.ID, store.JobFailed)
	if want := "srcds is running but did not answer on UDP 27015 within 1.5s"; !strings.Contains(got.Error, want) {
		t.Errorf("error %q, want %q", got.Error, want)
	}
	if s := server(t, e.db, "hung"); s.DesiredState != store.DesiredRunning || !e.fake.Enabled("hung") {
		t.Errorf("after the failed wait: desired %s, enabled %v; want it still wanted running and enabled", s.DesiredState, e.fake.Enabled("hung"))
	}
}

func TestAStartWhoseUnitCrashLoopsFailsWithoutWaitingOutTheTimeout(t *testing.T) {
	e := newEnv(t, fake.Options{StartDelay: 100 * time.Millisecond, RestartDelay: time.Hour})
	storetest.Server(t, e.db, "loop", 27015)
	e.fake.CrashLoop("loop")
	stop := startRunner(t, e.runner(jobs.RunnerOpts{StartTimeout: time.Hour}))
	defer stop()
	j := enqueue(t, e.q, "loop", store.OpStart)
	got := waitJob(t, e.db, j.ID, store.JobFailed)
	if !strings.Contains(got.Error, "srcds did not come up: the unit is crashlooping") {
		t.Errorf("error %q, want the unit's crash loop named", got.Error)
	}
}
