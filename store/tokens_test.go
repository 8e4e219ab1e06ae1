package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

func TestAPITokensAreStoredHashedListedAndRevoked(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	db := storetest.OpenWith(t, store.Options{Now: func() time.Time { return now }})
	ctx := context.Background()
	ann, err := db.CreateUser(ctx, "ann", "h", store.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	bob, err := db.CreateUser(ctx, "bob", "h", store.RoleOperator)
	if err != nil {
		t.Fatal(err)
	}
	hash := store.HashAPIToken("l4m_secret")
	tok, err := db.CreateAPIToken(ctx, ann.ID, "  deploy bot ", hash, "")
	if err != nil {
		t.Fatal(err)
	}
	if tok.ID == 0 || tok.Name != "deploy bot" || !tok.CreatedAt.Equal(now) || !tok.LastUsedAt.IsZero() {
		t.Fatalf("created %+v", tok)
	}
	if _, err := db.CreateAPIToken(ctx, ann.ID, "again", hash, ""); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("the same hash twice: %v, want ErrConflict", err)
	}
	got, err := db.GetAPITokenByHash(ctx, hash)
	if err != nil || got.ID != tok.ID || got.UserID != ann.ID {
		t.Fatalf("by hash: %+v %v", got, err)
	}
	if _, err := db.GetAPITokenByHash(ctx, store.HashAPIToken("l4m_other")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an unknown token: %v", err)
	}
	if ts, _ := db.ListAPITokens(ctx, ann.ID); len(ts) != 1 || ts[0].ID != tok.ID {
		t.Fatalf("ann's tokens: %+v", ts)
	}
	if ts, _ := db.ListAPITokens(ctx, bob.ID); len(ts) != 0 {
		t.Fatalf("bob sees ann's tokens: %+v", ts)
	}

	if err := db.RevokeAPIToken(ctx, bob.ID, tok.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("bob revoked ann's token: %v", err)
	}
	if err := db.RevokeAPIToken(ctx, ann.ID, tok.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.RevokeAPIToken(ctx, ann.ID, tok.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoking twice: %v", err)
	}
	if _, err := db.GetAPITokenByHash(ctx, hash); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a revoked token still works: %v", err)
	}
	if ts, _ := db.ListAPITokens(ctx, ann.ID); len(ts) != 0 {
		t.Fatalf("a revoked token is listed: %+v", ts)
	}
}

func TestCreateAPITokenRefusesBadInput(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	u, err := db.CreateUser(ctx, "ann", "h", store.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		user    int64
		tokName string
		hash    string
		want    error
	}{
		{"an empty name", u.ID, " ", store.HashAPIToken("a"), store.ErrInvalid},
		{"a long name", u.ID, strings.Repeat("x", 65), store.HashAPIToken("b"), store.ErrInvalid},
		{"a control character", u.ID, "b\x01ot", store.HashAPIToken("c"), store.ErrInvalid},
		{"a NUL byte", u.ID, "b\x00ot", store.HashAPIToken("e"), store.ErrInvalid},
		{"a C1 control", u.ID, "b\u009bot", store.HashAPIToken("f"), store.ErrInvalid},
		{"a right-to-left override", u.ID, "\u202etob", store.HashAPIToken("g"), store.ErrInvalid},
		{"not a hash", u.ID, "bot", "plain-token", store.ErrInvalid},
		{"a missing user", u.ID + 99, "bot", store.HashAPIToken("d"), store.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := db.CreateAPIToken(ctx, tt.user, tt.tokName, tt.hash, ""); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if ts, _ := db.ListAPITokens(ctx, u.ID); len(ts) != 0 {
		t.Fatalf("refused tokens were stored: %+v", ts)
	}
}

func TestTouchAPITokenWritesAtMostOnceAMinute(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	u, err := db.CreateUser(ctx, "ann", "h", store.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := db.CreateAPIToken(ctx, u.ID, "bot", store.HashAPIToken("x"), "")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, step := range []struct {
		at        time.Time
		wantWrite bool
	}{
		{t0, true},
		{t0.Add(30 * time.Second), false},
		{t0.Add(59 * time.Second), false},
		{t0.Add(time.Minute), true},
	} {
		wrote, err := db.TouchAPIToken(ctx, tok.ID, step.at, time.Minute)
		if err != nil || wrote != step.wantWrite {
			t.Fatalf("touch at %s: wrote %v, %v; want %v", step.at, wrote, err, step.wantWrite)
		}
	}
	got, _ := db.GetAPITokenByHash(ctx, store.HashAPIToken("x"))
	if !got.LastUsedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("last used %s", got.LastUsedAt)
	}
}

func TestDeletingAUserDeletesItsTokens(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	u, err := db.CreateUser(ctx, "bob", "h", store.RoleOperator)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateAPIToken(ctx, u.ID, "bot", store.HashAPIToken("x"), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Writer().NewDelete().Model((*store.User)(nil)).Where("id = ?", u.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetAPITokenByHash(ctx, store.HashAPIToken("x")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the token outlived its user: %v", err)
	}
}

func TestAUserHasAtMostMaxAPITokensWorking(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	u, err := db.CreateUser(ctx, "ann", "h", store.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	var last *store.APIToken
	for i := range store.MaxAPITokens {
		if last, err = db.CreateAPIToken(ctx, u.ID, fmt.Sprint("bot ", i), store.HashAPIToken(fmt.Sprint(i)), ""); err != nil {
			t.Fatalf("token %d: %v", i+1, err)
		}
	}
	_, err = db.CreateAPIToken(ctx, u.ID, "one more", store.HashAPIToken("more"), "")
	if !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "revoke one") {
		t.Fatalf("token %d: %v, want a conflict saying to revoke one", store.MaxAPITokens+1, err)
	}
	if err := db.RevokeAPIToken(ctx, u.ID, last.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateAPIToken(ctx, u.ID, "one more", store.HashAPIToken("more"), ""); err != nil {
		t.Fatalf("after revoking one: %v", err)
	}
}

func TestTokenNamesAreUniquePerUserAmongWorkingTokens(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	ann, err := db.CreateUser(ctx, "ann", "h", store.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	bob, err := db.CreateUser(ctx, "bob", "h", store.RoleOperator)
	if err != nil {
		t.Fatal(err)
	}
	first, err := db.CreateAPIToken(ctx, ann.ID, "Deploy Script", store.HashAPIToken("1"), "l4m_ab12")
	if err != nil || first.Prefix != "l4m_ab12" {
		t.Fatalf("the first token: %+v, %v", first, err)
	}
	for _, name := range []string{"Deploy Script", "deploy script", "DEPLOY  SCRIPT"} {
		_, err := db.CreateAPIToken(ctx, ann.ID, name, store.HashAPIToken("2"), "")
		if !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "you already have a token named Deploy Script") {
			t.Errorf("a second token %q: %v, want a conflict naming the first", name, err)
		}
	}
	if _, err := db.CreateAPIToken(ctx, bob.ID, "deploy script", store.HashAPIToken("3"), ""); err != nil {
		t.Fatalf("another user's token of that name: %v", err)
	}
	// A revoked token's name is free again: the list no longer shows it.
	if err := db.RevokeAPIToken(ctx, ann.ID, first.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateAPIToken(ctx, ann.ID, "deploy script", store.HashAPIToken("4"), "l4m_cd34"); err != nil {
		t.Fatalf("the name of a revoked token: %v", err)
	}
	ts, err := db.ListAPITokens(ctx, ann.ID)
	if err != nil || len(ts) != 1 || ts[0].Name != "deploy script" || ts[0].Prefix != "l4m_cd34" {
		t.Fatalf("ann's tokens: %+v, %v", ts, err)
	}
	if _, err := db.CreateAPIToken(ctx, ann.ID, "long prefix", store.HashAPIToken("5"), strings.Repeat("x", store.MaxTokenPrefixLen+1)); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("a prefix too long: %v", err)
	}
}
