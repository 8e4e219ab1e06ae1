package main

import (
	"bytes"
	"context"
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
		})
	}
}
