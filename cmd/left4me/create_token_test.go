package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/left4me/left4me/internal/text"
	"github.com/left4me/left4me/store"
)

func TestCreateTokenPrintsOnlyTheToken(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "left4me.db")
	getenv := func(k string) string { return map[string]string{"LEFT4ME_DB": dbPath}[k] }
	old := stdin
	t.Cleanup(func() { stdin = old })
	for _, u := range []string{"ann", "bob"} {
		stdin = strings.NewReader("correct horse\n")
		if err := run(context.Background(), []string{"create-user", u, "--admin"}, &bytes.Buffer{}, &bytes.Buffer{}, getenv); err != nil {
			t.Fatal(err)
		}
	}
	db, err := store.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bob, _ := db.GetUserByName(context.Background(), "bob")
	if err := db.SetUserDisabled(context.Background(), bob.ID, true); err != nil {
		t.Fatal(err)
	}

	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"create-token", "ann", "deploy bot"}, &out, &errOut, getenv); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^l4m_[A-Za-z0-9_-]{43}\n$`).MatchString(out.String()) {
		t.Fatalf("stdout %q: want the token alone on a line", out.String())
	}
	if want := "created the token \"deploy bot\" for ann in the database " + dbPath + "\n"; errOut.String() != want {
		t.Fatalf("stderr %q, want %q", errOut.String(), want)
	}
	tok, err := db.GetAPITokenByHash(context.Background(), store.HashAPIToken(strings.TrimSpace(out.String())))
	if err != nil || tok.Name != "deploy bot" {
		t.Fatalf("stored %+v %v", tok, err)
	}

	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no arguments", []string{"create-token"}, "USER NAME"},
		{"no token name", []string{"create-token", "ann"}, "USER NAME"},
		{"three arguments", []string{"create-token", "ann", "a", "b"}, "USER NAME"},
		{"a flag", []string{"create-token", "--admin", "ann"}, "unknown flag"},
		{"an unknown user", []string{"create-token", "zed", "bot"}, "no user zed"},
		{"a disabled user", []string{"create-token", "bob", "bot"}, "disabled"},
		{"an empty token name", []string{"create-token", "ann", " "}, "name"},
		{"a right-to-left override", []string{"create-token", "ann", "\u202etob"}, "name: " + text.Check("\u202etob", text.Line, store.MaxTokenNameLen)},
		{"a user name with NUL", []string{"create-token", "an\x00n", "bot"}, "no user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), tt.args, &out, &out, getenv)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || exitCode(err) != 2 || out.Len() != 0 {
				t.Fatalf("err = %v (exit %d), out %q; want a usage error with %q", err, exitCode(err), out.String(), tt.wantErr)
			}
		})
	}
	if ts, _ := db.ListAPITokens(context.Background(), bob.ID); len(ts) != 0 {
		t.Fatalf("a refused create-token stored %d tokens", len(ts))
	}
}

func TestCreateTokenRefusesMoreThanMaxAPITokens(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "left4me.db")
	getenv := func(k string) string { return map[string]string{"LEFT4ME_DB": dbPath}[k] }
	db, err := store.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ann, err := db.CreateUser(context.Background(), "ann", "h", store.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	for i := range store.MaxAPITokens {
		if _, err := db.CreateAPIToken(context.Background(), ann.ID, fmt.Sprint("bot ", i), store.HashAPIToken(strings.Repeat("x", i+1)), ""); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	err = run(context.Background(), []string{"create-token", "ann", "one more"}, &out, &out, getenv)
	if err == nil || !strings.Contains(err.Error(), "20 working tokens") || exitCode(err) != 2 || out.Len() != 0 {
		t.Fatalf("err = %v (exit %d), out %q; want a usage error saying to revoke one", err, exitCode(err), out.String())
	}
}
