package store_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

func TestUserNamesAreUniqueRegardlessOfCaseAndLookAlikes(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	for _, n := range []string{"admin", "Ärger", "ann smith"} {
		if _, err := db.CreateUser(ctx, n, "h", store.RoleAdmin); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		user    string
		want    error
		wantMsg string
	}{
		{"the same name", "admin", store.ErrConflict, "a user named admin already exists"},
		{"another case", "Admin", store.ErrConflict, "Admin is too like the name of user admin"},
		{"all capitals", "ADMIN", store.ErrConflict, "user admin"},
		{"the Kelvin sign", "\u212Aate", store.ErrInvalid, ""}, // made below, after kate
		{"another case outside ASCII", "äRGER", store.ErrConflict, "user Ärger"},
		{"two spaces for one", "Ann  Smith", store.ErrConflict, "user ann smith"},
		{"a right-to-left override", "\u202enimda", store.ErrInvalid, "U+202E"},
		{"a zero-width space", "ad\u200bmin", store.ErrInvalid, "U+200B"},
		{"a NUL byte", "ad\x00min", store.ErrInvalid, "U+0000"},
		{"a no-break space", "ann\u00a0smith", store.ErrInvalid, "U+00A0"},
		{"65 characters", strings.Repeat("é", 65), store.ErrInvalid, "at most 64"},
	}
	if _, err := db.CreateUser(ctx, "kate", "h", store.RoleOperator); err != nil {
		t.Fatal(err)
	}
	tests[3].want, tests[3].wantMsg = store.ErrConflict, "user kate"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.CreateUser(ctx, tt.user, "h", store.RoleOperator)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("CreateUser(%q) = %v, want %v saying %q", tt.user, err, tt.want, tt.wantMsg)
			}
		})
	}
	if n, _ := db.CountUsers(ctx); n != 4 {
		t.Fatalf("%d users, want the 4 accepted ones", n)
	}
	if _, err := db.GetUserByName(ctx, "ad\x00min"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a lookup by a name with NUL: %v, want not found", err)
	}
}

// TestMigrationKeysExistingNamesAndKeepsLookAlikes opens a database that
// version 4 of the schema made, with look-alike users in it.
func TestMigrationKeysExistingNamesAndKeepsLookAlikes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "left4me.db")
	old, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("migrations/*.sql")
	if _, err := old.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		v, _ := strconv.Atoi(name[:4])
		if v > 4 {
			continue
		}
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := old.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := old.Exec(`INSERT INTO schema_migrations VALUES (?, ?, 0)`, v, name); err != nil {
			t.Fatal(err)
		}
	}
	names := []string{"admin", "Admin", "\u202enimda", "Ärger", "ärger", "bob", "ADMIN"}
	for i, n := range names {
		if _, err := old.Exec(`INSERT INTO users (id, name, password_hash, role, created_at) VALUES (?, ?, 'h', 'admin', 0)`, i+1, n); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()

	for range 2 { // and opening it again changes nothing
		db, err := store.Open(ctx, path)
		if err != nil {
			t.Fatalf("open a database with look-alike users: %v", err)
		}
		us, err := db.ListUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		keys := map[string]string{}
		for _, u := range us {
			keys[u.Name] = u.NameKey
		}
		want := map[string]string{"admin": "admin", "Admin": "", "\u202enimda": "nimda", "Ärger": "ärger", "ärger": "", "bob": "bob", "ADMIN": ""}
		for n, k := range want {
			if got, ok := keys[n]; !ok || got != k {
				t.Errorf("user %q: key %q (there: %v), want %q", n, got, ok, k)
			}
		}
		// The look-alikes still log in by their names; no new one can be made.
		if u, err := db.GetUserByName(ctx, "Admin"); err != nil || u.ID != 2 {
			t.Errorf("GetUserByName(Admin) = %+v, %v", u, err)
		}
		if _, err := db.CreateUser(ctx, "aDmin", "h", store.RoleOperator); !errors.Is(err, store.ErrConflict) {
			t.Errorf("a new look-alike: %v, want a conflict", err)
		}
		db.Close()
	}
}

func TestDisablingOrANewPasswordEndsSessionsAndRevokesTokens(t *testing.T) {
	yes, no, operator := true, false, store.RoleOperator
	tests := []struct {
		name      string
		change    store.UserChange
		wantEnded store.Ended
	}{
		{"a new password", store.UserChange{PasswordHash: "new"}, store.Ended{Sessions: 2, Tokens: 3}},
		{"disabling", store.UserChange{Disabled: &yes}, store.Ended{Sessions: 2, Tokens: 3}},
		{"enabling", store.UserChange{Disabled: &no}, store.Ended{}},
		{"another role", store.UserChange{Role: &operator}, store.Ended{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := storetest.Open(t)
			ctx := context.Background()
			if _, err := db.CreateUser(ctx, "root", "h", store.RoleAdmin); err != nil {
				t.Fatal(err)
			}
			u, err := db.CreateUser(ctx, "bob", "h", store.RoleAdmin)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 2 {
				s := &store.Session{ID: "s" + strconv.Itoa(i), UserID: u.ID, CSRFToken: "c", ExpiresAt: store.NewTime(db.Now().Add(1e12))}
				if err := db.CreateSession(ctx, s); err != nil {
					t.Fatal(err)
				}
			}
			for i := range 4 {
				tok, err := db.CreateAPIToken(ctx, u.ID, "bot "+strconv.Itoa(i), store.HashAPIToken("t"+strconv.Itoa(i)), "")
				if err != nil {
					t.Fatal(err)
				}
				if i == 3 { // one revoked before: not counted again
					if err := db.RevokeAPIToken(ctx, u.ID, tok.ID); err != nil {
						t.Fatal(err)
					}
				}
			}
			ended, err := db.UpdateUser(ctx, u.ID, tt.change)
			if err != nil {
				t.Fatal(err)
			}
			if ended != tt.wantEnded {
				t.Fatalf("ended %+v, want %+v", ended, tt.wantEnded)
			}
			ts, _ := db.ListAPITokens(ctx, u.ID)
			_, sessErr := db.GetSession(ctx, "s0")
			if tt.wantEnded.Tokens > 0 && (len(ts) != 0 || !errors.Is(sessErr, store.ErrNotFound)) {
				t.Fatalf("after %s: %d working tokens, session %v", tt.name, len(ts), sessErr)
			}
			if tt.wantEnded.Tokens == 0 && (len(ts) != 3 || sessErr != nil) {
				t.Fatalf("after %s: %d working tokens, session %v; want both kept", tt.name, len(ts), sessErr)
			}
		})
	}
}

func TestSetUserDisabledRevokesTokensForGood(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	u, err := db.CreateUser(ctx, "bob", "h", store.RoleOperator)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateAPIToken(ctx, u.ID, "bot", store.HashAPIToken("t"), ""); err != nil {
		t.Fatal(err)
	}
	if err := db.SetUserDisabled(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := db.SetUserDisabled(ctx, u.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetAPITokenByHash(ctx, store.HashAPIToken("t")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a token of a user disabled and enabled again: %v, want revoked", err)
	}
}

func TestDeleteUserEndsTheirAccessAndKeepsTheirJobsNamed(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	bob, err := db.CreateUser(ctx, "bob", "h", store.RoleOperator)
	if err != nil {
		t.Fatal(err)
	}
	s := &store.Session{ID: "s-bob", UserID: bob.ID, CSRFToken: "c", ExpiresAt: store.NewTime(db.Now().Add(time.Hour))}
	if err := db.CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := db.CreateAPIToken(ctx, bob.ID, "bot "+strconv.Itoa(i), store.HashAPIToken("t"+strconv.Itoa(i)), "l4m_ab12"); err != nil {
			t.Fatal(err)
		}
	}
	storetest.Server(t, db, "coop-1", 27015)
	if _, err := db.Writer().DB.ExecContext(ctx, `INSERT INTO jobs (server_name, operation, state, requested_by, requested_by_name, created_at)
		VALUES ('coop-1', 'start', 'succeeded', ?, 'bob', 0)`, bob.ID); err != nil {
		t.Fatal(err)
	}

	gone, ended, err := db.DeleteUser(ctx, bob.ID)
	if err != nil || gone.Name != "bob" || ended != (store.Ended{Sessions: 1, Tokens: 2}) {
		t.Fatalf("DeleteUser(bob) = %+v, %+v, %v; want bob, 1 session and 2 tokens", gone, ended, err)
	}
	if _, err := db.GetUser(ctx, bob.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("bob after his deletion: %v", err)
	}
	if _, err := db.GetSession(ctx, "s-bob"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("bob's session after his deletion: %v", err)
	}
	if _, err := db.GetAPITokenByHash(ctx, store.HashAPIToken("t0")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("bob's token after his deletion: %v", err)
	}
	js, err := db.ListJobs(ctx, store.JobFilter{ServerName: "coop-1"})
	if err != nil || len(js) != 1 || js[0].RequestedBy != nil || js[0].RequestedByName != "bob" {
		t.Fatalf("bob's job after his deletion: %+v, %v; want no user id and the name bob", js, err)
	}
	if _, _, err := db.DeleteUser(ctx, bob.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleting bob twice: %v", err)
	}
}

func TestTheLastEnabledAdminCannotBeDeleted(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	root, err := db.CreateUser(ctx, "root", "h", store.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	off, err := db.CreateUser(ctx, "off", "h", store.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	disabled := true
	if _, err := db.UpdateUser(ctx, off.ID, store.UserChange{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.DeleteUser(ctx, root.ID); !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "root is the last enabled admin") {
		t.Fatalf("deleting the last enabled admin: %v, want a conflict naming root", err)
	}
	if _, err := db.GetUser(ctx, root.ID); err != nil {
		t.Fatalf("root after the refusal: %v", err)
	}
	// A disabled admin is no enabled admin: it may go.
	if _, _, err := db.DeleteUser(ctx, off.ID); err != nil {
		t.Fatalf("deleting a disabled admin: %v", err)
	}
}

func TestANewPasswordCanKeepTheSessionThatSetIt(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	u, err := db.CreateUser(ctx, "bob", "h", store.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"here", "elsewhere"} {
		s := &store.Session{ID: id, UserID: u.ID, CSRFToken: "c", ExpiresAt: store.NewTime(db.Now().Add(time.Hour))}
		if err := db.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.CreateAPIToken(ctx, u.ID, "bot", store.HashAPIToken("t"), ""); err != nil {
		t.Fatal(err)
	}
	ended, err := db.UpdateUser(ctx, u.ID, store.UserChange{PasswordHash: "new", KeepSession: "here"})
	if err != nil || ended != (store.Ended{Sessions: 1, Tokens: 1}) {
		t.Fatalf("ended %+v, %v; want the other session and the token", ended, err)
	}
	if _, err := db.GetSession(ctx, "here"); err != nil {
		t.Fatalf("the kept session: %v", err)
	}
	if _, err := db.GetSession(ctx, "elsewhere"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the other session: %v, want it ended", err)
	}
}

// TestOnlyAnEnabledAdminsChangeCanLeaveNoAdmin: with no enabled admin
// (a database from the shell, say), an operator's new password or role is
// no "last admin" refusal.
func TestOnlyAnEnabledAdminsChangeCanLeaveNoAdmin(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	bob, err := db.CreateUser(ctx, "bob", "h", store.RoleOperator)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateUser(ctx, bob.ID, store.UserChange{PasswordHash: "new"}); err != nil {
		t.Fatalf("bob's new password with no admin: %v", err)
	}
	operator := store.RoleOperator
	if _, err := db.UpdateUser(ctx, bob.ID, store.UserChange{Role: &operator}); err != nil {
		t.Fatalf("bob's role with no admin: %v", err)
	}
}
