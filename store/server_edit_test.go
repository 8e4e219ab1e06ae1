package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

func TestUpdateServerChangesTitlePortAndBlueprintOrNothing(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	s := storetest.Server(t, db, "coop-1", 27015)
	storetest.Server(t, db, "coop-2", 27016)
	vs := &store.Blueprint{Name: "versus", Map: "c5m1_waterfront", GameMode: "versus", MaxPlayers: 8}
	if err := db.CreateBlueprint(ctx, vs); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		id       int64
		ch       store.ServerChange
		wantErr  error
		wantText string
	}{
		{"a port another server uses", s.ID, store.ServerChange{Port: 27016, BlueprintID: 1}, store.ErrConflict, "port 27016 is already used by server coop-2"},
		{"a port out of range", s.ID, store.ServerChange{Port: 80, BlueprintID: 1}, store.ErrInvalid, "port 80 is outside 1024-65535"},
		{"a missing blueprint", s.ID, store.ServerChange{Port: 27015, BlueprintID: 99}, store.ErrNotFound, "blueprint 99 does not exist"},
		{"a title with a NUL", s.ID, store.ServerChange{Title: "a\x00b", Port: 27015, BlueprintID: 1}, store.ErrInvalid, ""},
		{"a missing server", 999, store.ServerChange{Port: 27099, BlueprintID: 1}, store.ErrNotFound, "server 999 does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := db.UpdateServer(ctx, tt.id, tt.ch)
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("err = %v, want %v with %q", err, tt.wantErr, tt.wantText)
			}
			if got, _ := db.GetServer(ctx, s.ID); got.Port != 27015 || got.BlueprintID != 1 || got.Title != "coop-1" {
				t.Fatalf("a refused update changed the server: %+v", got)
			}
		})
	}
	t.Run("its own port, a new title and blueprint", func(t *testing.T) {
		if err := db.UpdateServer(ctx, s.ID, store.ServerChange{Title: "  Friday  ", Port: 27015, BlueprintID: vs.ID}); err != nil {
			t.Fatal(err)
		}
		got, _ := db.GetServer(ctx, s.ID)
		if got.Title != "Friday" || got.Port != 27015 || got.BlueprintID != vs.ID || got.Name != "coop-1" {
			t.Fatalf("after the update: %+v", got)
		}
	})
}

func TestSpecFingerprintChangesWithEveryPartOfTheSpec(t *testing.T) {
	base := hostbackend.InstanceSpec{Name: "coop-1", Port: 27015, Args: []string{"+map", "c1m1_hotel"}, ServerConfig: "sv_lan 0\n"}
	fp := store.SpecFingerprint(base)
	if len(fp) != 64 || store.SpecFingerprint(base) != fp {
		t.Fatalf("fingerprint %q is no stable SHA-256 in hex", fp)
	}
	changes := map[string]hostbackend.InstanceSpec{
		"name":                      {Name: "coop-2", Port: 27015, Args: base.Args, ServerConfig: base.ServerConfig},
		"port":                      {Name: "coop-1", Port: 27016, Args: base.Args, ServerConfig: base.ServerConfig},
		"an argument":               {Name: "coop-1", Port: 27015, Args: []string{"+map", "c2m1_highway"}, ServerConfig: base.ServerConfig},
		"the arguments split":       {Name: "coop-1", Port: 27015, Args: []string{"+mapc1m1_hotel"}, ServerConfig: base.ServerConfig},
		"server.cfg":                {Name: "coop-1", Port: 27015, Args: base.Args, ServerConfig: "sv_lan 1\n"},
		"server.cfg as an argument": {Name: "coop-1", Port: 27015, Args: append(append([]string{}, base.Args...), "sv_lan 0\n")},
	}
	for what, spec := range changes {
		if store.SpecFingerprint(spec) == fp {
			t.Errorf("a change of %s keeps the fingerprint", what)
		}
	}
}

func TestRestartPendingOnlyForARunningServerWithAnotherSpec(t *testing.T) {
	bp := &store.Blueprint{Name: "default", Map: "c1m1_hotel", GameMode: "coop", MaxPlayers: 4}
	srv := store.Server{Name: "coop-1", Port: 27015}
	applied := store.SpecFingerprint(store.ServerSpec(&srv, bp))
	changed := *bp
	changed.ServerCfg = "sv_lan 1\n"
	tests := []struct {
		name    string
		state   hostbackend.State
		applied string
		bp      *store.Blueprint
		want    bool
	}{
		{"running as applied", hostbackend.StateRunning, applied, bp, false},
		{"running with a changed blueprint", hostbackend.StateRunning, applied, &changed, true},
		{"starting with a changed blueprint", hostbackend.StateStarting, applied, &changed, true},
		{"stopped with a changed blueprint", hostbackend.StateStopped, applied, &changed, false},
		{"failed with a changed blueprint", hostbackend.StateFailed, applied, &changed, false},
		{"running, nothing recorded", hostbackend.StateRunning, "", &changed, false},
		{"running, no blueprint", hostbackend.StateRunning, applied, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := srv
			s.ActualState, s.AppliedSpec = tt.state, tt.applied
			if got := s.RestartPending(tt.bp); got != tt.want {
				t.Fatalf("RestartPending = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDeletingABlueprintInUseNamesItsServers(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	vs := &store.Blueprint{Name: "Game night", Map: "c5m1_waterfront", GameMode: "versus", MaxPlayers: 8}
	if err := db.CreateBlueprint(ctx, vs); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"vs-b", "vs-a", "vs-c"} {
		s := storetest.Server(t, db, name, 27015+i)
		if err := db.UpdateServer(ctx, s.ID, store.ServerChange{Port: s.Port, BlueprintID: vs.ID}); err != nil {
			t.Fatal(err)
		}
	}
	err := db.DeleteBlueprint(ctx, vs.ID)
	if !errors.Is(err, store.ErrConflict) || err.Error() != "blueprint Game night is used by servers vs-a, vs-b and vs-c" {
		t.Fatalf("err = %v", err)
	}
	if _, err := db.GetBlueprint(ctx, vs.ID); err != nil {
		t.Fatalf("the refused delete removed the blueprint: %v", err)
	}
}

func TestRestartPendingHashesWhatSpecFingerprintHashes(t *testing.T) {
	bps := []*store.Blueprint{
		{Map: "c1m1_hotel", GameMode: "coop", MaxPlayers: 4},
		{Map: "c5m1_waterfront", GameMode: "versus", MaxPlayers: 32, Args: []string{"-tickrate", "100", "+sv_lan", "0"},
			ServerCfg: "hostname \"Game night\"\n\tsv_cheats 0\n"},
		{Map: "m", GameMode: "g", MaxPlayers: 10, Args: []string{"+x"}, ServerCfg: strings.Repeat("long line of server.cfg\n", 200)},
	}
	for i, bp := range bps {
		srv := store.Server{Name: "coop-1", Port: 27015 + i, ActualState: hostbackend.StateRunning}
		srv.AppliedSpec = store.SpecFingerprint(store.ServerSpec(&srv, bp))
		if srv.RestartPending(bp) {
			t.Errorf("blueprint %d: a server running its own spec is pending", i)
		}
		other := *bp
		other.MaxPlayers++
		if !srv.RestartPending(&other) {
			t.Errorf("blueprint %d: one more player is not pending", i)
		}
	}
}
