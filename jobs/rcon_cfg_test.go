package jobs_test

import (
	"context"
	"strings"
	"testing"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/fake"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
)

// TestAStartWritesThePasswordAndTheBansAfterTheBlueprint: the block with
// the server's RCON password and its bans comes after the blueprint's
// text, so a blueprint cannot override it, the game takes the panel's
// password, a ban reaches the game at the next restart, and neither a ban
// nor the password asks for a restart.
func TestAStartWritesThePasswordAndTheBansAfterTheBlueprint(t *testing.T) {
	e := newEnv(t, fake.Options{})
	ctx := context.Background()
	bp := &store.Blueprint{Name: "sneaky", Map: "c1m1_hotel", GameMode: "coop", MaxPlayers: 4,
		ServerCfg: "hostname \"x\"\nrcon_password \"blueprint-password\"\nsv_rcon_maxfailures 1000\nremoveid STEAM_1:0:42"}
	if err := e.db.CreateBlueprint(ctx, bp); err != nil {
		t.Fatal(err)
	}
	srv, err := e.db.CreateServer(ctx, store.NewServer{Name: "coop-1", Port: 27015, BlueprintID: bp.ID})
	if err != nil {
		t.Fatal(err)
	}
	startRunner(t, e.runner(jobs.RunnerOpts{}))
	waitJob(t, e.db, enqueue(t, e.q, "coop-1", store.OpStart).ID, store.JobSucceeded)

	spec, _ := e.fake.Spec("coop-1")
	cfg := spec.ServerConfig
	blueprintEnd := strings.Index(cfg, "removeid STEAM_1:0:42\n")
	password := strings.LastIndex(cfg, `rcon_password "`+srv.RCONPassword+`"`)
	if !strings.HasPrefix(cfg, bp.ServerCfg+"\n") || blueprintEnd < 0 || password < blueprintEnd ||
		strings.LastIndex(cfg, "sv_rcon_maxfailures 5\n") < blueprintEnd {
		t.Fatalf("server.cfg does not end with the panel's block after the blueprint:\n%s", cfg)
	}
	target := hostbackend.LiveTarget{Name: "coop-1", Port: 27015}
	if _, err := e.fake.RCON(ctx, target, "blueprint-password", "status"); err == nil {
		t.Fatal("the game took the blueprint's password")
	}
	if _, err := e.fake.RCON(ctx, target, srv.RCONPassword, "status"); err != nil {
		t.Fatalf("the game refused the panel's password: %v", err)
	}

	srv, wait := pending(t, e.db, "coop-1")
	applied := srv.AppliedSpec
	if wait {
		t.Fatal("a fresh start asks for a restart")
	}
	if err := e.db.AddBan(ctx, &store.Ban{ServerID: srv.ID, SteamID: "STEAM_1:0:42", CreatedBy: "ann"}); err != nil {
		t.Fatal(err)
	}
	if _, wait := pending(t, e.db, "coop-1"); wait {
		t.Fatal("a ban asks for a restart")
	}
	if answer, _ := e.fake.RCON(ctx, target, srv.RCONPassword, "removeid STEAM_1:0:42"); !strings.Contains(answer, "couldn't find") {
		t.Fatalf("the game knew the ban before the restart: %q", answer)
	}
	waitJob(t, e.db, enqueue(t, e.q, "coop-1", store.OpRestart).ID, store.JobSucceeded)
	spec, _ = e.fake.Spec("coop-1")
	if !strings.HasSuffix(spec.ServerConfig, "banid 0 STEAM_1:0:42\n") {
		t.Fatalf("no banid after the restart:\n%s", spec.ServerConfig)
	}
	if answer, _ := e.fake.RCON(ctx, target, srv.RCONPassword, "removeid STEAM_1:0:42"); !strings.Contains(answer, "removed from the ban list") {
		t.Fatalf("the restarted game does not know the ban: %q", answer)
	}
	if srv, _ := pending(t, e.db, "coop-1"); srv.AppliedSpec != applied {
		t.Fatalf("the restart recorded another spec (%s, was %s): the bans or the password count", srv.AppliedSpec, applied)
	}
}
