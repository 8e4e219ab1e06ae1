package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// PanelLock is one panel's claim on a database file: an exclusive flock(2)
// on a lock file beside it (the database's path + ".lock"), which holds the
// holder's PID and address for the message a second panel prints. The
// kernel drops the lock when the process ends, however it ends, so a
// crashed panel never leaves a stale claim; the file itself stays.
//
// Only `left4me serve` takes it: its workers and poller must be the only
// ones on the database. Commands that write from the shell (create-user,
// create-token) do not, and work beside a running panel.
type PanelLock struct {
	f *os.File
}

// InUseError is LockPanel's answer when another process holds the lock.
type InUseError struct {
	DB   string // the database as the caller named it
	PID  int    // the holder's process id; 0 if it has not written it yet
	Addr string // where the holder listens; empty if it has not said
}

func (e *InUseError) Error() string {
	who := "another left4me serve"
	switch {
	case e.PID > 0 && e.Addr != "":
		who += fmt.Sprintf(" (PID %d, listening on %s)", e.PID, e.Addr)
	case e.PID > 0:
		who += fmt.Sprintf(" (PID %d)", e.PID)
	}
	return fmt.Sprintf("the database %s is in use by %s; stop that panel first, or give this one its own LEFT4ME_DB", e.DB, who)
}

// LockPanel takes db's panel lock without waiting. It returns an
// *InUseError when another process (or another LockPanel in this one)
// holds it.
func LockPanel(db string) (*PanelLock, error) {
	// The lock belongs to the file, not to one of its names.
	real := db
	if p, err := filepath.EvalSymlinks(db); err == nil {
		real = p
	}
	path := real + ".lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	writable := err == nil
	if errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EROFS) {
		// A lock file someone else created (say root, once) still locks;
		// it just cannot say who holds it.
		f, err = os.Open(path)
	}
	if err != nil {
		return nil, fmt.Errorf("lock the database %s: %w", db, err)
	}
	if err := flock(f); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, readHolder(f, db)
		}
		return nil, fmt.Errorf("lock the database %s: %w", db, err)
	}
	l := &PanelLock{f: f}
	if writable {
		if err := l.write(strconv.Itoa(os.Getpid()) + "\n"); err != nil {
			l.Release()
			return nil, fmt.Errorf("lock the database %s: %w", db, err)
		}
	}
	return l, nil
}

// Announce records where the holder listens, for the message a second
// panel prints. It is best effort: a lock file it cannot write still locks.
func (l *PanelLock) Announce(addr string) {
	_ = l.write(strconv.Itoa(os.Getpid()) + "\n" + addr + "\n")
}

// Release drops the lock. The lock file stays: removing it would let a
// process that opened it before the removal lock a file nobody else sees.
func (l *PanelLock) Release() error {
	return l.f.Close()
}

func (l *PanelLock) write(s string) error {
	if err := l.f.Truncate(0); err != nil {
		return err
	}
	_, err := l.f.WriteAt([]byte(s), 0)
	return err
}

func flock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// readHolder reads the holder's PID and address from the lock file.
func readHolder(f *os.File, db string) *InUseError {
	e := &InUseError{DB: db}
	b := make([]byte, 512)
	n, _ := f.ReadAt(b, 0)
	lines := strings.Split(string(bytes.TrimSpace(b[:n])), "\n")
	if pid, err := strconv.Atoi(strings.TrimSpace(lines[0])); err == nil && pid > 0 {
		e.PID = pid
	}
	if len(lines) > 1 {
		e.Addr = strings.TrimSpace(lines[1])
	}
	return e
}
