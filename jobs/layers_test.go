package jobs_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/fake"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

// layerWorld is what the runner's Build and Sets options read: a current
// game build and each blueprint's add-on sets, changed by the test.
type layerWorld struct {
	mu    sync.Mutex
	build string
	sets  map[int64][]hostbackend.LayerSet
	err   error
}

func (w *layerWorld) set(build string, bp int64, sets ...hostbackend.LayerSet) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.build = build
	w.sets[bp] = sets
}

func (w *layerWorld) opts() jobs.RunnerOpts {
	return jobs.RunnerOpts{
		Build: func(context.Context) (string, error) {
			w.mu.Lock()
			defer w.mu.Unlock()
			return w.build, nil
		},
		Sets: func(_ context.Context, bp int64) ([]hostbackend.LayerSet, error) {
			w.mu.Lock()
			defer w.mu.Unlock()
			return w.sets[bp], w.err
		},
	}
}

func TestAStartPutsTheServerOnTheCurrentBuildAndItsBlueprintsSets(t *testing.T) {
	e := newEnv(t, fake.Options{})
	ctx := context.Background()
	bp := &store.Blueprint{Name: "versus", Map: "c5m1_waterfront", GameMode: "versus", MaxPlayers: 8}
	if err := e.db.CreateBlueprint(ctx, bp); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.CreateServer(ctx, store.NewServer{Name: "vs-1", Port: 27020, BlueprintID: bp.ID}); err != nil {
		t.Fatal(err)
	}
	w := &layerWorld{sets: map[int64][]hostbackend.LayerSet{}}
	w.set("100", bp.ID, hostbackend.LayerSet{Name: "maps", Rev: 2}, hostbackend.LayerSet{Name: "competitive", Rev: 5})
	startRunner(t, e.runner(w.opts()))

	job := waitJob(t, e.db, enqueue(t, e.q, "vs-1", store.OpStart).ID, store.JobSucceeded)
	spec, _ := e.fake.Spec("vs-1")
	want := []hostbackend.LayerSet{{Name: "maps", Rev: 2}, {Name: "competitive", Rev: 5}}
	if spec.Build != "100" || !reflect.DeepEqual(spec.Sets, want) {
		t.Fatalf("provisioned build %q sets %v, want 100 %v", spec.Build, spec.Sets, want)
	}
	if out := strings.Join(jobLines(t, e.db, job.ID), "\n"); !strings.Contains(out, "layers: game build 100, add-on sets maps (revision 2), competitive (revision 5)") {
		t.Fatalf("the start's output does not say its layers:\n%s", out)
	}
	srv := server(t, e.db, "vs-1")
	if srv.AppliedLayers != "100 maps:2 competitive:5" || srv.AppliedBuild() != "100" {
		t.Fatalf("applied layers %q", srv.AppliedLayers)
	}

	// A new revision of a set, then a game update: the running server
	// keeps what it started on until it is restarted.
	w.set("101", bp.ID, hostbackend.LayerSet{Name: "maps", Rev: 3}, hostbackend.LayerSet{Name: "competitive", Rev: 5})
	if srv := server(t, e.db, "vs-1"); !srv.LayersPending("101 maps:3 competitive:5") || srv.AppliedBuild() != "100" {
		t.Fatalf("after the changes: applied %q, pending %v", srv.AppliedLayers, srv.LayersPending("101 maps:3 competitive:5"))
	}
	waitJob(t, e.db, enqueue(t, e.q, "vs-1", store.OpRestart).ID, store.JobSucceeded)
	if srv := server(t, e.db, "vs-1"); srv.AppliedLayers != "101 maps:3 competitive:5" {
		t.Fatalf("after the restart: applied %q", srv.AppliedLayers)
	}
	if spec, _ := e.fake.Spec("vs-1"); spec.Build != "101" || spec.Sets[0].Rev != 3 {
		t.Fatalf("the restart provisioned %+v", spec)
	}
}

func TestAStartWithoutABuildStacksNothingAndASetErrorFailsTheStart(t *testing.T) {
	e := newEnv(t, fake.Options{})
	ctx := context.Background()
	if _, err := e.db.CreateServer(ctx, store.NewServer{Name: "coop-1", Port: 27015, BlueprintID: 1}); err != nil {
		t.Fatal(err)
	}
	w := &layerWorld{sets: map[int64][]hostbackend.LayerSet{}}
	w.set("", 1, hostbackend.LayerSet{Name: "maps", Rev: 1})
	startRunner(t, e.runner(w.opts()))

	waitJob(t, e.db, enqueue(t, e.q, "coop-1", store.OpStart).ID, store.JobSucceeded)
	if spec, _ := e.fake.Spec("coop-1"); spec.Build != "" || len(spec.Sets) != 0 {
		t.Fatalf("without a build the start stacked %+v", spec)
	}
	if srv := server(t, e.db, "coop-1"); srv.AppliedLayers != "" {
		t.Fatalf("applied layers %q without a build", srv.AppliedLayers)
	}
	waitJob(t, e.db, enqueue(t, e.q, "coop-1", store.OpStop).ID, store.JobSucceeded)

	w.set("100", 1)
	w.mu.Lock()
	w.err = errors.New("the database is on fire")
	w.mu.Unlock()
	job := waitJob(t, e.db, enqueue(t, e.q, "coop-1", store.OpStart).ID, store.JobFailed)
	if !strings.Contains(job.Error, "the add-on sets of blueprint default: the database is on fire") {
		t.Fatalf("the failed start says %q", job.Error)
	}
}

// TestTheBuildARunningServerStartedOnIsKeptWhenItsFileSaysNewer: a start
// of a running unit rewrites its layers file to the current build but
// leaves the process, and its mount, on the old one.
func TestTheBuildARunningServerStartedOnIsKeptWhenItsFileSaysNewer(t *testing.T) {
	e := newEnv(t, fake.Options{GameInstalled: true, GameBuild: "100"})
	storetest.Server(t, e.db, "alpha", 27015)
	r := e.runner(jobs.RunnerOpts{Build: func(ctx context.Context) (string, error) { return hostbackend.CurrentBuild(ctx, e.fake) }})
	startRunner(t, r)
	waitJob(t, e.db, enqueue(t, e.q, "alpha", store.OpStart).ID, store.JobSucceeded)
	e.fake.SetLatestBuild("101")
	waitJob(t, e.db, enqueueGame(t, e.q, store.OpGameUpdate, "").ID, store.JobSucceeded)
	waitJob(t, e.db, enqueue(t, e.q, "alpha", store.OpStart).ID, store.JobSucceeded)
	if spec, _ := e.fake.Spec("alpha"); spec.Build != "101" {
		t.Fatalf("the second start provisioned build %q, want 101", spec.Build)
	}
	if removed, err := r.CollectBuilds(context.Background()); err != nil || len(removed) != 0 {
		t.Fatalf("CollectBuilds = %v, %v while alpha's process runs 100", removed, err)
	}
	equal(t, "builds", e.fake.GameBuilds(), []string{"100", "101"})

	// The restart moves it to 101; then 100 goes.
	waitJob(t, e.db, enqueue(t, e.q, "alpha", store.OpRestart).ID, store.JobSucceeded)
	waitFor(t, "build 100 removed", func() bool { return slices.Equal(e.fake.GameBuilds(), []string{"101"}) })
}

func TestSetRevisionsInUseAreThoseRunningServersStartedOn(t *testing.T) {
	e := newEnv(t, fake.Options{GameInstalled: true, GameBuild: "100"})
	storetest.Server(t, e.db, "alpha", 27015)
	storetest.Server(t, e.db, "beta", 27016)
	w := &layerWorld{sets: map[int64][]hostbackend.LayerSet{}}
	w.set("100", 1, hostbackend.LayerSet{Name: "maps", Rev: 1})
	var mu sync.Mutex
	var got [][]hostbackend.LayerSet
	opts := w.opts()
	opts.SetsGC = func(_ context.Context, inUse []hostbackend.LayerSet) ([]hostbackend.LayerSet, error) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, inUse)
		return nil, nil
	}
	r := e.runner(opts)
	startRunner(t, r)
	waitJob(t, e.db, enqueue(t, e.q, "alpha", store.OpStart).ID, store.JobSucceeded)
	w.set("100", 1, hostbackend.LayerSet{Name: "maps", Rev: 2})
	waitJob(t, e.db, enqueue(t, e.q, "beta", store.OpStart).ID, store.JobSucceeded)
	if _, err := r.CollectSets(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	last := got[len(got)-1]
	mu.Unlock()
	equal(t, "in use", last, []hostbackend.LayerSet{{Name: "maps", Rev: 1}, {Name: "maps", Rev: 2}})

	// alpha stops: its revision is no longer in use, and the stop asks
	// the collector to look.
	waitJob(t, e.db, enqueue(t, e.q, "alpha", store.OpStop).ID, store.JobSucceeded)
	waitFor(t, "a collection without alpha's revision", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.Equal(got[len(got)-1], []hostbackend.LayerSet{{Name: "maps", Rev: 2}})
	})
}

// TestABuildAStartChoseBeforeAnUpdateIsKeptWhileItsJobIsOnItsWay: a start
// wrote its layers file naming the then current build; an update made
// another current before the unit mounted it. The server's record names
// the build it ran before, so only its pending job tells that the file's
// build is about to be mounted.
func TestABuildAStartChoseBeforeAnUpdateIsKeptWhileItsJobIsOnItsWay(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, fake.Options{GameInstalled: true, GameBuild: "100"})
	storetest.Server(t, e.db, "alpha", 27015)
	r := e.runner(jobs.RunnerOpts{Build: func(ctx context.Context) (string, error) { return hostbackend.CurrentBuild(ctx, e.fake) }})
	stop := startRunner(t, r)
	waitJob(t, e.db, enqueue(t, e.q, "alpha", store.OpStart).ID, store.JobSucceeded)
	waitJob(t, e.db, enqueue(t, e.q, "alpha", store.OpStop).ID, store.JobSucceeded)
	stop()
	if srv := server(t, e.db, "alpha"); srv.AppliedBuild() != "100" {
		t.Fatalf("applied %q", srv.AppliedLayers)
	}

	e.fake.SetLatestBuild("101")
	if err := e.fake.GameInstall(ctx, false, hostbackend.GameEvents{}); err != nil {
		t.Fatal(err)
	}
	// A start on its way has chosen 101 and written its layers file...
	enqueue(t, e.q, "alpha", store.OpStart)
	if err := e.fake.Provision(ctx, hostbackend.InstanceSpec{Name: "alpha", Port: 27015, Build: "101"}); err != nil {
		t.Fatal(err)
	}
	// ... when an update makes 102 current.
	e.fake.SetLatestBuild("102")
	if err := e.fake.GameInstall(ctx, false, hostbackend.GameEvents{}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CollectBuilds(ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.fake.GameBuilds(); !slices.Contains(got, "101") {
		t.Fatalf("builds %v: the build alpha's pending start is about to mount was removed", got)
	}
}
