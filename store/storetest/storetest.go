// Package storetest opens real, migrated SQLite databases for tests.
package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/left4me/left4me/store"
)

// Open returns a migrated database in a new file under t.TempDir(),
// closed when the test ends.
func Open(t testing.TB) *store.DB {
	t.Helper()
	return OpenWith(t, store.Options{})
}

// OpenWith is Open with options.
func OpenWith(t testing.TB, opts store.Options) *store.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "left4me.db")
	db, err := store.OpenWith(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Server creates a server on the default blueprint and fails the test on
// error.
func Server(t testing.TB, db *store.DB, name string, port int) *store.Server {
	t.Helper()
	ctx := context.Background()
	bp, err := db.GetBlueprintByName(ctx, store.DefaultBlueprintName)
	if err != nil {
		t.Fatalf("default blueprint: %v", err)
	}
	s, err := db.CreateServer(ctx, store.NewServer{Name: name, Title: name, Port: port, BlueprintID: bp.ID})
	if err != nil {
		t.Fatalf("create server %s: %v", name, err)
	}
	return s
}
