package storetest

import (
	"context"
	"database/sql"
	"testing"

	"github.com/left4me/left4me/store"
)

// HoldWriteLock takes db's write lock from a connection of its own, as
// another process with an open writing transaction would (a sqlite3 shell
// left in BEGIN IMMEDIATE, a stuck backup): from then on every write
// through db fails with "database is locked" once db's busy timeout has
// passed, while reads go on (WAL). Open db with a short
// store.Options.BusyTimeout to keep such tests fast.
//
// It returns a function that lets go of the lock; the end of the test
// lets go of it too.
//
// (PRAGMA max_page_count is no stand-in for a full disk here: SQLite
// checks it only when the file grows, so updates in place and inserts
// into a page with room still succeed.)
func HoldWriteLock(t testing.TB, db *store.DB) (release func()) {
	t.Helper()
	ctx := context.Background()
	other, err := sql.Open("sqlite3", db.Path())
	if err != nil {
		t.Fatalf("hold the write lock: %v", err)
	}
	conn, err := other.Conn(ctx)
	if err == nil {
		_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	}
	if err != nil {
		other.Close()
		t.Fatalf("hold the write lock: %v", err)
	}
	held := true
	release = func() {
		if !held {
			return
		}
		held = false
		if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
			t.Errorf("let go of the write lock: %v", err)
		}
		conn.Close()
		other.Close()
	}
	t.Cleanup(release)
	return release
}
