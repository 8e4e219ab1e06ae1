package jobs_test

import (
	"context"
	"testing"

	"github.com/left4me/left4me/hostbackend/fake"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
)

// pending reads the server and its blueprint and says whether the server
// waits for a restart to apply a change.
func pending(t *testing.T, db *store.DB, name string) (*store.Server, bool) {
	t.Helper()
	srv := server(t, db, name)
	bp, err := db.GetBlueprint(context.Background(), srv.BlueprintID)
	if err != nil {
		t.Fatal(err)
	}
	return srv, srv.RestartPending(bp)
}

func TestAStartRecordsWhatItAppliedAndARestartAppliesAnEdit(t *testing.T) {
	e := newEnv(t, fake.Options{})
	ctx := context.Background()
	bp := &store.Blueprint{Name: "versus", Map: "c5m1_waterfront", GameMode: "versus", MaxPlayers: 8, ServerCfg: "sv_cheats 0\n"}
	if err := e.db.CreateBlueprint(ctx, bp); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.CreateServer(ctx, store.NewServer{Name: "vs-1", Port: 27020, BlueprintID: bp.ID}); err != nil {
		t.Fatal(err)
	}
	startRunner(t, e.runner(jobs.RunnerOpts{}))

	waitJob(t, e.db, enqueue(t, e.q, "vs-1", store.OpStart).ID, store.JobSucceeded)
	srv, wait := pending(t, e.db, "vs-1")
	want := store.SpecFingerprint(store.ServerSpec(srv, bp))
	if srv.AppliedSpec != want || wait {
		t.Fatalf("after the start: applied %q, want the server and blueprint's %q; restart pending %v", srv.AppliedSpec, want, wait)
	}

	// The blueprint changes while the server runs: it waits for a restart.
	bp.ServerCfg = "sv_cheats 1\n"
	if err := e.db.UpdateBlueprint(ctx, bp); err != nil {
		t.Fatal(err)
	}
	if _, wait := pending(t, e.db, "vs-1"); !wait {
		t.Fatal("a running server whose blueprint changed asks for no restart")
	}
	// A start of the running unit (enable --now) does not restart it, so
	// it applies nothing.
	waitJob(t, e.db, enqueue(t, e.q, "vs-1", store.OpStart).ID, store.JobSucceeded)
	if _, wait := pending(t, e.db, "vs-1"); !wait {
		t.Fatal("a start of a running server cleared the hint, but the process runs the old spec")
	}
	waitJob(t, e.db, enqueue(t, e.q, "vs-1", store.OpRestart).ID, store.JobSucceeded)
	if _, wait := pending(t, e.db, "vs-1"); wait {
		t.Fatal("the restart applied the blueprint, but the server still asks for one")
	}

	// The server itself is edited: a new port waits for a restart too.
	if err := e.db.UpdateServer(ctx, srv.ID, store.ServerChange{Port: 27021, BlueprintID: bp.ID}); err != nil {
		t.Fatal(err)
	}
	if _, wait := pending(t, e.db, "vs-1"); !wait {
		t.Fatal("a running server with a new port asks for no restart")
	}
	waitJob(t, e.db, enqueue(t, e.q, "vs-1", store.OpRestart).ID, store.JobSucceeded)
	srv, wait = pending(t, e.db, "vs-1")
	if spec, _ := e.fake.Spec("vs-1"); wait || spec.Port != 27021 || srv.AppliedSpec != store.SpecFingerprint(store.ServerSpec(srv, bp)) {
		t.Fatalf("after the restart: pending %v, provisioned port %d", wait, spec.Port)
	}

	// Stopped, it asks for nothing: the next start applies the change.
	bp.MaxPlayers = 4
	if err := e.db.UpdateBlueprint(ctx, bp); err != nil {
		t.Fatal(err)
	}
	waitJob(t, e.db, enqueue(t, e.q, "vs-1", store.OpStop).ID, store.JobSucceeded)
	if srv, wait := pending(t, e.db, "vs-1"); wait {
		t.Fatalf("a %s server asks for a restart", srv.ActualState)
	}
}
