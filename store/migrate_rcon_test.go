package store

import (
	"context"
	"testing"
)

// TestServersFromBeforeMigration12GetTheirOwnRCONPassword applies the
// migrations before 0012 by hand, writes two servers as an older panel
// would, and opens the database: each gets a random password of its own.
func TestServersFromBeforeMigration12GetTheirOwnRCONPassword(t *testing.T) {
	ctx := context.Background()
	path, raw := oldDatabase(t, 12)
	if _, err := raw.Exec(`INSERT INTO servers (id, name, title, port, blueprint_id, desired_state, actual_state, created_at)
		VALUES (1, 'coop-1', '', 27015, 1, 'running', 'running', 0), (2, 'coop-2', '', 27016, 1, 'stopped', 'stopped', 0)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a, err := db.GetServer(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.GetServer(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.RCONPassword) != 64 || len(b.RCONPassword) != 64 || a.RCONPassword == b.RCONPassword {
		t.Fatalf("passwords %q and %q: want two different ones of 32 random bytes", a.RCONPassword, b.RCONPassword)
	}
}
