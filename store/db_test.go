package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

func TestOpenSetsThePragmasOfTheDesign(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	tests := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"foreign_keys", "1"},
		{"busy_timeout", "5000"},
	}
	for _, tt := range tests {
		var got string
		if err := db.Writer().DB.QueryRowContext(ctx, "PRAGMA "+tt.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("writer PRAGMA %s = %s, want %s", tt.pragma, got, tt.want)
		}
		if err := db.Reader().DB.QueryRowContext(ctx, "PRAGMA "+tt.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("reader PRAGMA %s = %s, want %s", tt.pragma, got, tt.want)
		}
	}
	if _, err := db.Reader().ExecContext(ctx, "DELETE FROM blueprints"); err == nil {
		t.Error("a write through the reader pool succeeded; it must be read-only")
	}
}

func TestOpenIsIdempotentAndKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Server(t, db, "alpha", 27015)
	db.Close()

	db, err = store.Open(ctx, path)
	if err != nil {
		t.Fatalf("second open: %v", err)
	}
	defer db.Close()
	if _, err := db.GetServerByName(ctx, "alpha"); err != nil {
		t.Fatalf("server lost across reopen: %v", err)
	}
	bps, err := db.ListBlueprints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(bps) != 1 {
		t.Fatalf("got %d blueprints after reopening, want the one default", len(bps))
	}
}

func TestMigrationsAreRecordedInOrder(t *testing.T) {
	db := storetest.Open(t)
	rows, err := db.Reader().DB.Query(`SELECT version, name FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var v int
		var name string
		if err := rows.Scan(&v, &name); err != nil {
			t.Fatal(err)
		}
		got = append(got, name)
	}
	if len(got) < 2 || got[0] != "0001_init.sql" || got[1] != "0002_running_jobs_index.sql" {
		t.Fatalf("applied migrations = %v", got)
	}
}

func TestOpenRefusesMemoryDatabases(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x.db?mode=memory"} {
		if db, err := store.Open(context.Background(), p); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded, want an error", p)
		}
	}
}

func TestDefaultBlueprintIsAPlainCoopCampaign(t *testing.T) {
	db := storetest.Open(t)
	bp, err := db.GetBlueprintByName(context.Background(), "default")
	if err != nil {
		t.Fatal(err)
	}
	if bp.Map != "c1m1_hotel" || bp.GameMode != "coop" || bp.MaxPlayers != 4 || len(bp.Args) != 0 {
		t.Fatalf("default blueprint = %+v", bp)
	}
	want := []string{"+map", "c1m1_hotel", "+mp_gamemode", "coop", "+maxplayers", "4"}
	if got := bp.SrcdsArgs(); !reflect.DeepEqual(got, want) {
		t.Fatalf("SrcdsArgs() = %q, want %q", got, want)
	}
}

func TestCheckConstraintsRefuseBadRows(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	s := storetest.Server(t, db, "alpha", 27015)
	w := db.Writer().DB
	bad := []struct {
		name string
		sql  string
	}{
		{"upper-case name", `INSERT INTO servers (name, port, blueprint_id, created_at) VALUES ('Alpha', 27100, 1, 0)`},
		{"name starting with a dash", `INSERT INTO servers (name, port, blueprint_id, created_at) VALUES ('-a', 27101, 1, 0)`},
		{"name with a slash", `INSERT INTO servers (name, port, blueprint_id, created_at) VALUES ('a/b', 27102, 1, 0)`},
		{"name with a space", `INSERT INTO servers (name, port, blueprint_id, created_at) VALUES ('a b', 27103, 1, 0)`},
		{"name of 33 characters", `INSERT INTO servers (name, port, blueprint_id, created_at) VALUES ('` + strings.Repeat("a", 33) + `', 27104, 1, 0)`},
		{"port below 1024", `INSERT INTO servers (name, port, blueprint_id, created_at) VALUES ('b', 80, 1, 0)`},
		{"missing blueprint", `INSERT INTO servers (name, port, blueprint_id, created_at) VALUES ('c', 27105, 999, 0)`},
		{"bogus actual state", `UPDATE servers SET actual_state = 'exploded'`},
		{"bogus desired state", `UPDATE servers SET desired_state = 'paused'`},
		{"bogus job state", `INSERT INTO jobs (server_id, server_name, operation, state, created_at) VALUES (1, 'alpha', 'start', 'lost', 0)`},
		{"bogus operation", `INSERT INTO jobs (server_id, server_name, operation, created_at) VALUES (1, 'alpha', 'reboot', 0)`},
		{"running job without a lease", `INSERT INTO jobs (server_id, server_name, operation, state, created_at) VALUES (1, 'alpha', 'start', 'running', 0)`},
		{"bogus role", `INSERT INTO users (name, password_hash, role, created_at) VALUES ('u', 'h', 'root', 0)`},
		{"blueprint args not a list", `UPDATE blueprints SET args = '"x"'`},
	}
	for _, tt := range bad {
		if _, err := w.ExecContext(ctx, tt.sql); err == nil {
			t.Errorf("%s: accepted, want a constraint error", tt.name)
		}
	}
	good := []string{
		`INSERT INTO servers (name, port, blueprint_id, created_at) VALUES ('a-b_c9', 27200, 1, 0)`,
		`INSERT INTO servers (name, port, blueprint_id, created_at) VALUES ('` + strings.Repeat("z", 32) + `', 27201, 1, 0)`,
	}
	for _, q := range good {
		if _, err := w.ExecContext(ctx, q); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
	// Every state of hostbackend passes the CHECK: the two lists agree.
	for _, st := range hostbackend.States {
		if _, err := w.ExecContext(ctx, `UPDATE servers SET actual_state = ? WHERE id = ?`, string(st), s.ID); err != nil {
			t.Errorf("actual_state %s refused: %v", st, err)
		}
	}
}

func TestCreateServerErrorsAreSentences(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	storetest.Server(t, db, "coop-1", 27015)
	tests := []struct {
		name    string
		ns      store.NewServer
		wantErr error
		wantMsg string
	}{
		{"port in use", store.NewServer{Name: "coop-2", Port: 27015, BlueprintID: 1}, store.ErrConflict, "port 27015 is already used by server coop-1"},
		{"name in use", store.NewServer{Name: "coop-1", Port: 27016, BlueprintID: 1}, store.ErrConflict, "a server named coop-1 already exists"},
		{"bad name", store.NewServer{Name: "Coop", Port: 27016, BlueprintID: 1}, store.ErrInvalid, `“Coop” contains the capital “C”`},
		{"low port", store.NewServer{Name: "x", Port: 80, BlueprintID: 1}, store.ErrInvalid, "port 80 is outside 1024-65535"},
		{"missing blueprint", store.NewServer{Name: "x", Port: 27016, BlueprintID: 42}, store.ErrNotFound, "blueprint 42 does not exist"},
		{"a NUL byte in the title", store.NewServer{Name: "x", Port: 27016, BlueprintID: 1, Title: "a\x00b"}, store.ErrInvalid, "U+0000"},
		{"a line break in the title", store.NewServer{Name: "x", Port: 27016, BlueprintID: 1, Title: "a\nb"}, store.ErrInvalid, "one line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.CreateServer(ctx, tt.ns)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want one matching %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("err = %q, want it to say %q", err, tt.wantMsg)
			}
		})
	}
}

func TestNotFoundIsASentinelNeverNilNil(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	checks := map[string]func() (any, error){
		"GetServer":          func() (any, error) { return db.GetServer(ctx, 99) },
		"GetServerByName":    func() (any, error) { return db.GetServerByName(ctx, "nope") },
		"GetBlueprint":       func() (any, error) { return db.GetBlueprint(ctx, 99) },
		"GetBlueprintByName": func() (any, error) { return db.GetBlueprintByName(ctx, "nope") },
		"GetJob":             func() (any, error) { return db.GetJob(ctx, 99) },
		"GetUser":            func() (any, error) { return db.GetUser(ctx, 99) },
		"GetSession":         func() (any, error) { return db.GetSession(ctx, "nope") },
		"DeleteServer":       func() (any, error) { return nil, db.DeleteServer(ctx, 99) },
		"DeleteBlueprint":    func() (any, error) { return nil, db.DeleteBlueprint(ctx, 99) },
		// A NUL cannot travel in a statement: these must not ask.
		"GetServerByName with NUL":    func() (any, error) { return db.GetServerByName(ctx, "a\x00b") },
		"GetBlueprintByName with NUL": func() (any, error) { return db.GetBlueprintByName(ctx, "a\x00b") },
		"GetUserByName with NUL":      func() (any, error) { return db.GetUserByName(ctx, "a\x00b") },
	}
	for name, call := range checks {
		_, err := call()
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: err = %v, want ErrNotFound", name, err)
		}
	}
}

func TestBlueprintsRoundTripArgsAndRefuseBadOnes(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	bp := &store.Blueprint{Name: "versus", Map: "c5m1_waterfront", GameMode: "versus", MaxPlayers: 8,
		Args: []string{"-tickrate", "100"}, ServerCfg: "hostname \"my server\"\n"}
	if err := db.CreateBlueprint(ctx, bp); err != nil {
		t.Fatal(err)
	}
	got, err := db.GetBlueprint(ctx, bp.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Args, bp.Args) || got.ServerCfg != bp.ServerCfg {
		t.Fatalf("got %+v, want %+v", got, bp)
	}
	got.Args = append(got.Args, "+sv_lan", "0")
	if err := db.UpdateBlueprint(ctx, got); err != nil {
		t.Fatal(err)
	}
	again, _ := db.GetBlueprint(ctx, bp.ID)
	if len(again.Args) != 4 {
		t.Fatalf("update lost: %q", again.Args)
	}
	for _, b := range []*store.Blueprint{
		{Name: "x", Map: "c1m1 hotel", GameMode: "coop", MaxPlayers: 4},
		{Name: "x", Map: "c1m1_hotel", GameMode: "coop", MaxPlayers: 0},
		{Name: "x", Map: "c1m1_hotel", GameMode: "coop", MaxPlayers: 4, Args: []string{"$(reboot)"}},
		{Name: "a\x00b", Map: "c1m1_hotel", GameMode: "coop", MaxPlayers: 4},
		{Name: "\u202eedoc", Map: "c1m1_hotel", GameMode: "coop", MaxPlayers: 4},
		{Name: "x", Map: "c1m1_hotel", GameMode: "coop", MaxPlayers: 4, ServerCfg: "hostname x\n\x00"},
		{Name: "x", Map: "c1m1_hotel", GameMode: "coop", MaxPlayers: 4, ServerCfg: "hostname \x1b[31mx"},
	} {
		if err := db.CreateBlueprint(ctx, b); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("CreateBlueprint(%+v) = %v, want ErrInvalid", b, err)
		}
	}
	if err := db.CreateBlueprint(ctx, &store.Blueprint{Name: "versus", Map: "m", GameMode: "g", MaxPlayers: 1}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate blueprint name: %v, want ErrConflict", err)
	}
	storetest.Server(t, db, "alpha", 27015)
	if err := db.DeleteBlueprint(ctx, 1); !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "used by server alpha") {
		t.Errorf("deleting a used blueprint: %v", err)
	}
}

func TestTimesAreStoredAsUTCMilliseconds(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 891_234_567, time.FixedZone("X", 3600))
	db := storetest.OpenWith(t, store.Options{Now: func() time.Time { return at }})
	s := storetest.Server(t, db, "alpha", 27015)
	var raw int64
	if err := db.Reader().DB.QueryRow(`SELECT created_at FROM servers WHERE id = ?`, s.ID).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if raw != at.UnixMilli() {
		t.Fatalf("created_at stored as %d, want %d", raw, at.UnixMilli())
	}
	got, err := db.GetServer(context.Background(), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.CreatedAt.Equal(at.Truncate(time.Millisecond)) || got.CreatedAt.Location() != time.UTC {
		t.Fatalf("CreatedAt = %v, want %v in UTC", got.CreatedAt, at)
	}
	if !got.ActualStateUpdatedAt.IsZero() {
		t.Fatalf("ActualStateUpdatedAt = %v, want zero (NULL)", got.ActualStateUpdatedAt)
	}
}

func TestDeletingAServerKeepsItsJobsAndDropsItsHistory(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	s := storetest.Server(t, db, "alpha", 27015)
	w := db.Writer().DB
	if _, err := w.Exec(`INSERT INTO jobs (server_id, server_name, operation, state, created_at) VALUES (?, 'alpha', 'stop', 'succeeded', 0)`, s.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Exec(`INSERT INTO server_history (server_id, at, old_state, new_state) VALUES (?, 0, 'unknown', 'stopped')`, s.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteServer(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	js, err := db.ListJobs(ctx, store.JobFilter{ServerName: "alpha"})
	if err != nil || len(js) != 1 || js[0].ServerID != nil {
		t.Fatalf("jobs after delete = %+v, %v; want one with no server id", js, err)
	}
	hs, err := db.ListServerHistory(ctx, s.ID, 0)
	if err != nil || len(hs) != 0 {
		t.Fatalf("history after delete = %+v, %v; want none", hs, err)
	}
}

func TestSessionsExpire(t *testing.T) {
	now := time.Now()
	db := storetest.OpenWith(t, store.Options{Now: func() time.Time { return now }})
	ctx := context.Background()
	u, err := db.CreateUser(ctx, "ann", "hash", store.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateUser(ctx, "ann", "hash", store.RoleOperator); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate user: %v", err)
	}
	s := &store.Session{ID: "h1", UserID: u.ID, CSRFToken: "c", ExpiresAt: store.NewTime(now.Add(time.Hour))}
	if err := db.CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetSession(ctx, "h1"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Hour)
	if _, err := db.GetSession(ctx, "h1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired session: %v, want ErrNotFound", err)
	}
	if n, err := db.DeleteExpiredSessions(ctx, now); err != nil || n != 1 {
		t.Fatalf("DeleteExpiredSessions = %d, %v", n, err)
	}
}

func TestListJobsKeepsTheGamesJobsApart(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	s := storetest.Server(t, db, "alpha", 27015)
	w := db.Writer().DB
	for _, q := range []string{
		`INSERT INTO jobs (server_id, server_name, operation, state, created_at) VALUES (?, 'alpha', 'start', 'queued', 0)`,
		`INSERT INTO jobs (server_name, operation, state, created_at) VALUES ('', 'game-install', 'succeeded', 0)`,
		`INSERT INTO jobs (server_name, operation, state, created_at) VALUES ('', 'game-check', 'queued', 0)`,
	} {
		args := []any{}
		if strings.Contains(q, "?") {
			args = append(args, s.ID)
		}
		if _, err := w.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	js, err := db.ListJobs(ctx, store.JobFilter{Game: true})
	if err != nil || len(js) != 2 || js[0].Operation != store.OpGameCheck || js[1].Operation != store.OpGameInstall {
		t.Fatalf("game jobs = %+v, %v; want the check, then the install", js, err)
	}
	js, err = db.ListJobs(ctx, store.JobFilter{Game: true, Active: true})
	if err != nil || len(js) != 1 || js[0].Operation != store.OpGameCheck {
		t.Fatalf("active game jobs = %+v, %v; want the check", js, err)
	}
}
