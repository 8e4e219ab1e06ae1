package store_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/left4me/left4me/store"
)

func TestASecondPanelLockIsRefusedNamingTheDatabaseAndTheHolder(t *testing.T) {
	db := filepath.Join(t.TempDir(), "left4me.db")
	first, err := store.LockPanel(db)
	if err != nil {
		t.Fatal(err)
	}
	first.Announce("127.0.0.1:8080")

	_, err = store.LockPanel(db)
	var inUse *store.InUseError
	if !errors.As(err, &inUse) || inUse.PID != os.Getpid() || inUse.Addr != "127.0.0.1:8080" {
		t.Fatalf("second lock: %v (%+v), want InUseError with PID %d and the address", err, inUse, os.Getpid())
	}
	for _, want := range []string{db, fmt.Sprintf("PID %d", os.Getpid()), "127.0.0.1:8080"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not name %s", err, want)
		}
	}

	// Another name for the same file is the same database.
	link := filepath.Join(t.TempDir(), "other-name.db")
	if err := os.WriteFile(db, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(db, link); err != nil {
		t.Fatal(err)
	}
	if _, err := store.LockPanel(link); !errors.As(err, &inUse) {
		t.Fatalf("lock through a symlink: %v, want InUseError", err)
	}

	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	again, err := store.LockPanel(db)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	again.Release()
}

// TestHelperLockHolder is not a test: it is the process that
// TestAPanelLockDiesWithItsProcess kills.
func TestHelperLockHolder(t *testing.T) {
	db := os.Getenv("LEFT4ME_TEST_LOCK_DB")
	if db == "" {
		t.Skip("runs only as the child of TestAPanelLockDiesWithItsProcess")
	}
	l, err := store.LockPanel(db)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(2)
	}
	l.Announce("127.0.0.1:9")
	fmt.Println("locked")
	_, _ = io.ReadAll(os.Stdin) // blocks until killed: the parent keeps stdin open
	os.Exit(0)
}

func TestAPanelLockDiesWithItsProcess(t *testing.T) {
	db := filepath.Join(t.TempDir(), "left4me.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperLockHolder$")
	cmd.Env = append(os.Environ(), "LEFT4ME_TEST_LOCK_DB="+db)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if line, _ := bufio.NewReader(out).ReadString('\n'); line != "locked\n" {
		t.Fatalf("child said %q, want locked", line)
	}

	_, err = store.LockPanel(db)
	var inUse *store.InUseError
	if !errors.As(err, &inUse) || inUse.PID != cmd.Process.Pid || inUse.Addr != "127.0.0.1:9" {
		t.Fatalf("lock held by child %d: %v (%+v), want InUseError naming it", cmd.Process.Pid, err, inUse)
	}

	// SIGKILL: no deferred release runs, yet the lock goes with the process.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	l, err := store.LockPanel(db)
	if err != nil {
		t.Fatalf("lock after the holder was killed: %v", err)
	}
	if b, _ := os.ReadFile(db + ".lock"); !strings.HasPrefix(string(b), fmt.Sprint(os.Getpid())+"\n") {
		t.Errorf("lock file says %q, want this process's PID", b)
	}
	l.Release()
}
