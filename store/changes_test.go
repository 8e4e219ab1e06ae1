package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

func TestLastStateChangesReadsOneIndexEntryPerServer(t *testing.T) {
	db := storetest.Open(t)
	var plan []struct {
		ID      int    `bun:"id"`
		Parent  int    `bun:"parent"`
		NotUsed int    `bun:"notused"`
		Detail  string `bun:"detail"`
	}
	if err := db.Reader().NewRaw("EXPLAIN QUERY PLAN "+store.LastStateChangesSQL).Scan(context.Background(), &plan); err != nil {
		t.Fatal(err)
	}
	var details []string
	usesIndex := false
	for _, p := range plan {
		details = append(details, p.Detail)
		if strings.Contains(p.Detail, "SCAN h") || strings.Contains(p.Detail, "SCAN server_history") {
			t.Errorf("the query scans the history: %q", p.Detail)
		}
		if strings.Contains(p.Detail, "SEARCH h USING INDEX server_history_server (server_id=?)") {
			usesIndex = true
		}
		if strings.Contains(p.Detail, "TEMP B-TREE") {
			t.Errorf("the query sorts: %q", p.Detail)
		}
	}
	if !usesIndex {
		t.Errorf("the query does not search server_history_server by server_id; plan:\n%s", strings.Join(details, "\n"))
	}
}

func TestLastStateChangesTakesTheNewestRowOfEachServer(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	a := storetest.Server(t, db, "a", 27015)
	b := storetest.Server(t, db, "b", 27016)
	storetest.Server(t, db, "c", 27017) // no history
	err := db.WriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO server_history (server_id, at, old_state, new_state) VALUES
			(?0, 1000, 'unknown', 'running'), (?1, 2000, 'unknown', 'stopped'),
			(?0, 5000, 'running', 'failed'), (?1, 3000, 'stopped', 'starting')`, a.ID, b.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := db.LastStateChanges(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 2 || m[a.ID].UnixMilli() != 5000 || m[b.ID].UnixMilli() != 3000 {
		t.Fatalf("LastStateChanges = %v, want a at 5000 and b at 3000 only", m)
	}
}

func TestALastStateChangeSkipsRestartsSystemdMade(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	a := storetest.Server(t, db, "a", 27015)
	b := storetest.Server(t, db, "b", 27016)
	// a became failed at 5000; systemd restarted it twice since (old state
	// = new state). b only ever had a restart row.
	err := db.WriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO server_history (server_id, at, old_state, new_state) VALUES
			(?0, 1000, 'unknown', 'running'), (?0, 5000, 'running', 'failed'),
			(?0, 7000, 'failed', 'failed'), (?0, 9000, 'failed', 'failed'), (?1, 4000, 'running', 'running')`, a.ID, b.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := db.LastStateChanges(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 || m[a.ID].UnixMilli() != 5000 {
		t.Fatalf("LastStateChanges = %v, want a at 5000 only", m)
	}
	for _, tt := range []struct {
		id   int64
		want int64
	}{{a.ID, 5000}, {b.ID, 0}} {
		at, err := db.LastStateChange(ctx, tt.id)
		if err != nil {
			t.Fatal(err)
		}
		if got := at.UnixMilli(); (tt.want == 0) != at.IsZero() || (tt.want != 0 && got != tt.want) {
			t.Errorf("LastStateChange(%d) = %v, want %d (0: never)", tt.id, at, tt.want)
		}
	}
}

func TestChangesMovesWithEveryWriteAndNotWithReads(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	u, err := db.CreateUser(ctx, "ann", "h", store.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	srv := storetest.Server(t, db, "a", 27015)
	sess := &store.Session{ID: "s1", UserID: u.ID, CSRFToken: "c", ExpiresAt: store.NewTime(db.Now().Add(1e12))}
	yes, operator := true, store.RoleOperator

	writes := []struct {
		name  string
		write func() error
	}{
		{"CreateUser", func() error { _, err := db.CreateUser(ctx, "bob", "h", store.RoleAdmin); return err }},
		{"CreateSession", func() error { return db.CreateSession(ctx, sess) }},
		{"DeleteSession", func() error { return db.DeleteSession(ctx, sess.ID) }},
		{"DeleteExpiredSessions", func() error { _, err := db.DeleteExpiredSessions(ctx, db.Now()); return err }},
		{"UpdateUser", func() error { _, err := db.UpdateUser(ctx, u.ID, store.UserChange{Role: &operator}); return err }},
		{"SetUserDisabled", func() error { return db.SetUserDisabled(ctx, u.ID, true) }},
		{"UpdateUser disable", func() error { _, err := db.UpdateUser(ctx, u.ID, store.UserChange{Disabled: &yes}); return err }},
		{"SetServerTitle", func() error { return db.SetServerTitle(ctx, srv.ID, "new title") }},
		{"CreateServer", func() error { storetest.Server(t, db, "b", 27016); return nil }},
		{"DeleteServer", func() error { return db.DeleteServer(ctx, srv.ID) }},
		{"WriteTx", func() error {
			return db.WriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				_, err := tx.ExecContext(ctx, `UPDATE servers SET title = 'x'`)
				return err
			})
		}},
		{"a raw statement on the writer", func() error {
			_, err := db.Writer().NewRaw(`UPDATE servers SET title = 'y'`).Exec(ctx)
			return err
		}},
		{"a statement on a writer connection", func() error {
			conn, err := db.Writer().Conn(ctx)
			if err != nil {
				return err
			}
			defer conn.Close()
			_, err = conn.NewRaw(`UPDATE servers SET title = 'z'`).Exec(ctx)
			return err
		}},
	}
	for _, w := range writes {
		before := db.Changes()
		if err := w.write(); err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
		if db.Changes() == before {
			t.Errorf("%s did not move Changes", w.name)
		}
	}

	before := db.Changes()
	if _, err := db.ListServers(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.LastStateChanges(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ListJobs(ctx, store.JobFilter{Active: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if db.Changes() != before {
		t.Errorf("reads moved Changes from %d to %d", before, db.Changes())
	}
}
