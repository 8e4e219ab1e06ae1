package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/uptrace/bun"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

func TestUpdateUserKeepsAnEnabledAdmin(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	admin, err := db.CreateUser(ctx, "ann", "h", store.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	op, err := db.CreateUser(ctx, "bob", "h", store.RoleOperator)
	if err != nil {
		t.Fatal(err)
	}
	operator, yes := store.RoleOperator, true
	if _, err := db.UpdateUser(ctx, admin.ID, store.UserChange{Role: &operator}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("demoting the last admin: %v, want ErrConflict", err)
	}
	if _, err := db.UpdateUser(ctx, admin.ID, store.UserChange{Disabled: &yes}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("disabling the last admin: %v, want ErrConflict", err)
	}
	if u, _ := db.GetUser(ctx, admin.ID); u.Role != store.RoleAdmin || u.Disabled {
		t.Fatalf("a refused change was applied: %+v", u)
	}

	adminRole := store.RoleAdmin
	if _, err := db.UpdateUser(ctx, op.ID, store.UserChange{Role: &adminRole}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateUser(ctx, admin.ID, store.UserChange{Disabled: &yes}); err != nil {
		t.Fatalf("disabling one of two admins: %v", err)
	}
	if _, err := db.UpdateUser(ctx, 999, store.UserChange{Disabled: &yes}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing user: %v", err)
	}
	if n, err := db.CountUsers(ctx); err != nil || n != 2 {
		t.Fatalf("CountUsers = %d, %v", n, err)
	}
}

func TestUpdateUserPasswordEndsSessions(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	u, err := db.CreateUser(ctx, "ann", "old", store.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	s := &store.Session{ID: "x", UserID: u.ID, CSRFToken: "c", ExpiresAt: store.NewTime(db.Now().Add(1e12))}
	if err := db.CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateUser(ctx, u.ID, store.UserChange{PasswordHash: "new"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetSession(ctx, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("session after a password reset: %v", err)
	}
	if got, _ := db.GetUser(ctx, u.ID); got.PasswordHash != "new" {
		t.Fatalf("hash = %q", got.PasswordHash)
	}
}

func TestLastStateChanges(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	a := storetest.Server(t, db, "a", 27015)
	storetest.Server(t, db, "b", 27016)
	err := db.WriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO server_history (server_id, at, old_state, new_state) VALUES (?, 1000, 'unknown', 'running'), (?, 5000, 'running', 'failed')`, a.ID, a.ID)
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
		t.Fatalf("LastStateChanges = %v", m)
	}
}
