package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/store"
)

func TestASessionEndedByAnotherProcessStopsWorkingWithinASecond(t *testing.T) {
	e := newEnv(t)
	c := e.sessionFor(e.user("ann", store.RoleOperator))
	if code, _ := c.get("/"); code != 200 {
		t.Fatalf("GET / with a session = %d", code)
	}
	// Another process (a second handle on the file) ends the session: this
	// process's store never sees the write, only the database does.
	other, err := store.Open(context.Background(), e.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	sum := sha256.Sum256([]byte("token-of-ann" + strings.Repeat("x", 20)))
	if err := other.DeleteSession(context.Background(), hex.EncodeToString(sum[:])); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Second)
	if code, _ := c.get("/"); code != 303 {
		t.Fatalf("GET / a second after another process ended the session = %d, want 303 to the login", code)
	}
}

func TestASessionThatExpiredIsNotServedFromMemory(t *testing.T) {
	e := newEnv(t)
	c := e.sessionFor(e.user("ann", store.RoleOperator)) // expires in an hour
	if code, _ := c.get("/"); code != 200 {
		t.Fatalf("GET / with a session = %d", code)
	}
	e.clock.Advance(time.Hour)
	if code, _ := c.get("/"); code != 303 {
		t.Fatalf("GET / with an expired session = %d, want 303", code)
	}
}
