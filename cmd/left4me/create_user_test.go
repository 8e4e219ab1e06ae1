package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/left4me/left4me/app"
	"github.com/left4me/left4me/internal/text"
	"github.com/left4me/left4me/store"
)

func TestCreateUserReadsThePasswordFromStdin(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "left4me.db")
	getenv := func(k string) string { return map[string]string{"LEFT4ME_DB": dbPath}[k] }
	old := stdin
	t.Cleanup(func() { stdin = old })

	tests := []struct {
		name     string
		args     []string
		input    string
		wantRole store.Role
		wantErr  string
	}{
		{"an admin", []string{"create-user", "ann", "--admin"}, "correct horse\n", store.RoleAdmin, ""},
		{"an operator", []string{"create-user", "bob"}, "battery staple", store.RoleOperator, ""},
		{"a taken name", []string{"create-user", "ann"}, "another password\n", "", "already exists"},
		{"a short password", []string{"create-user", "carl"}, "short\n", "", "at least 8"},
		{"no name", []string{"create-user", "--admin"}, "whatever1\n", "", "NAME is missing"},
		{"an unknown flag", []string{"create-user", "dan", "--root"}, "whatever1\n", "", "unknown flag"},
		// The panel's rule and sentences (the users page says the same).
		{"a look-alike", []string{"create-user", "ANN"}, "another password\n", "", "name: ANN is too like the name of user ann"},
		{"a right-to-left override", []string{"create-user", "\u202enimda"}, "another password\n", "", "name: " + text.Check("\u202enimda", text.Name, store.MaxUserNameLen)},
		{"a zero-width space", []string{"create-user", "a\u200bnn"}, "another password\n", "", "name: " + text.Check("a\u200bnn", text.Name, store.MaxUserNameLen)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdin = strings.NewReader(tt.input)
			var out bytes.Buffer
			err := run(context.Background(), tt.args, &out, &out, getenv)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			db, err := store.Open(context.Background(), dbPath)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			u, err := db.GetUserByName(context.Background(), tt.args[1])
			if err != nil {
				t.Fatal(err)
			}
			pw := strings.TrimSpace(tt.input)
			if u.Role != tt.wantRole || !app.CheckPassword(u.PasswordHash, pw) || app.CheckPassword(u.PasswordHash, pw+"x") {
				t.Fatalf("user %+v does not have role %s and the password", u, tt.wantRole)
			}
			// The first user made the database; each says which it used.
			where := "the database "
			if tt.args[1] == "ann" {
				where = "the new database "
			}
			if want := "created " + string(tt.wantRole) + " " + tt.args[1] + " in " + where + dbPath + "\n"; out.String() != want {
				t.Errorf("stdout %q, want %q", out.String(), want)
			}
		})
	}
}

// TestShellCommandsMakeNoDatabaseWhereNoPanelLooks: without LEFT4ME_DB
// they use serve's default, but only when it is there.
func TestShellCommandsMakeNoDatabaseWhereNoPanelLooks(t *testing.T) {
	old, oldIn := defaultDB, stdin
	t.Cleanup(func() { defaultDB, stdin = old, oldIn })
	defaultDB = filepath.Join(t.TempDir(), "left4me.db")
	noEnv := func(string) string { return "" }

	for _, args := range [][]string{{"create-user", "ann", "--admin"}, {"create-token", "ann", "bot"}} {
		stdin = strings.NewReader("correct horse\n")
		var out bytes.Buffer
		err := run(context.Background(), args, &out, &out, noEnv)
		if err == nil || !strings.Contains(err.Error(), "there is no database at "+defaultDB+" (the default): set LEFT4ME_DB") || exitCode(err) != 1 {
			t.Fatalf("%q without a database: %v (exit %d), want exit 1 naming the default and LEFT4ME_DB", args, err, exitCode(err))
		}
		if _, err := os.Stat(defaultDB); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%q made %s (%v)", args, defaultDB, err)
		}
	}

	// Once serve has made it, they use it and say so.
	db, err := store.Open(context.Background(), defaultDB)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	stdin = strings.NewReader("correct horse\n")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"create-user", "ann", "--admin"}, &out, &out, noEnv); err != nil {
		t.Fatal(err)
	}
	if want := "created admin ann in the database " + defaultDB + "\n"; out.String() != want {
		t.Fatalf("stdout %q, want %q", out.String(), want)
	}
}

// TestShellCommandsSayARelativeDatabaseInFull: make run's
// LEFT4ME_DB=var/left4me.db, from the checkout.
func TestShellCommandsSayARelativeDatabaseInFull(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	oldIn := stdin
	t.Cleanup(func() { stdin = oldIn })
	stdin = strings.NewReader("correct horse\n")
	getenv := func(k string) string { return map[string]string{"LEFT4ME_DB": "left4me.db"}[k] }
	var out bytes.Buffer
	if err := run(context.Background(), []string{"create-user", "ann"}, &out, &out, getenv); err != nil {
		t.Fatal(err)
	}
	if want := "created operator ann in the new database " + filepath.Join(dir, "left4me.db") + "\n"; out.String() != want {
		t.Fatalf("stdout %q, want %q", out.String(), want)
	}
}
