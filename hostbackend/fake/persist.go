package fake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/left4me/left4me/hostbackend"
)

// unitsFile, under the state root, holds the simulated units, so that a
// restarted demo panel (make run) and every l4d2ctl --backend fake run
// find the host as the last one left it. unitsLock beside it is flocked
// while a process reads, changes and writes them.
const (
	unitsFile = "fake-units.json"
	unitsLock = "fake-units.lock"
)

// hostRecord is unitsFile's content.
type hostRecord struct {
	NextPID int                   `json:"next_pid"`
	Units   map[string]unitRecord `json:"units"`
}

// unitRecord is one unit in unitsFile, its pending transition included.
type unitRecord struct {
	Known        bool       `json:"known,omitempty"`
	Enabled      bool       `json:"enabled,omitempty"`
	Active       string     `json:"active"`
	Sub          string     `json:"sub"`
	Result       string     `json:"result"`
	NRestarts    int        `json:"n_restarts,omitempty"`
	MainPID      int        `json:"main_pid,omitempty"`
	Since        time.Time  `json:"since"`
	Journal      []logLine  `json:"journal,omitempty"`
	CrashLoop    bool       `json:"crash_loop,omitempty"`
	LoopAttempts int        `json:"loop_attempts,omitempty"`
	Next         transition `json:"next,omitempty"`
	NextAt       time.Time  `json:"next_at,omitzero"`
}

// lock takes the backend's mutex and, with a state root, unitsLock, and
// reads what another process saved since. Every lock is paired with
// unlock, which saves. A file that cannot be read leaves the units as this
// process last knew them and is reported.
func (b *Backend) lock() error {
	b.mu.Lock()
	if b.opts.StateRoot == "" {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(b.opts.StateRoot, unitsLock), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("simulated host: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return fmt.Errorf("simulated host: lock %s: %w", f.Name(), err)
	}
	b.flock = f
	return b.loadLocked()
}

// unlock saves the units (with a state root) and releases what lock took.
func (b *Backend) unlock() {
	if b.flock != nil {
		_ = b.saveLocked() // the next lock reads the file again
		b.flock.Close()    // releases the flock
		b.flock = nil
	}
	b.mu.Unlock()
}

func (b *Backend) loadLocked() error {
	data, err := os.ReadFile(filepath.Join(b.opts.StateRoot, unitsFile))
	if errors.Is(err, fs.ErrNotExist) || (err == nil && bytes.Equal(data, b.saved)) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("simulated host: %w", err)
	}
	var rec hostRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return fmt.Errorf("simulated host: %s: %w", unitsFile, err)
	}
	b.units = make(map[string]*unit, len(rec.Units))
	for name, r := range rec.Units {
		b.units[name] = &unit{
			name: name, known: r.Known, enabled: r.Enabled, active: r.Active, sub: r.Sub, result: r.Result,
			nRestarts: r.NRestarts, mainPID: r.MainPID, since: r.Since, journal: r.Journal,
			crashLoop: r.CrashLoop, loopAttempts: r.LoopAttempts, next: r.Next, nextAt: r.NextAt,
		}
	}
	if rec.NextPID > b.nextPID {
		b.nextPID = rec.NextPID
	}
	b.saved = data
	return nil
}

func (b *Backend) saveLocked() error {
	rec := hostRecord{NextPID: b.nextPID, Units: make(map[string]unitRecord, len(b.units))}
	for name, u := range b.units {
		if !u.known && !u.enabled && len(u.journal) == 0 && u.next == noTransition {
			continue // only asked about: systemd would not know it either
		}
		journal := u.journal
		if len(journal) > hostbackend.MaxJournalLines {
			journal = journal[len(journal)-hostbackend.MaxJournalLines:]
		}
		rec.Units[name] = unitRecord{
			Known: u.known, Enabled: u.enabled, Active: u.active, Sub: u.sub, Result: u.result,
			NRestarts: u.nRestarts, MainPID: u.mainPID, Since: u.since, Journal: journal,
			CrashLoop: u.crashLoop, LoopAttempts: u.loopAttempts, Next: u.next, NextAt: u.nextAt,
		}
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if bytes.Equal(data, b.saved) {
		return nil
	}
	path := filepath.Join(b.opts.StateRoot, unitsFile)
	tmp := path + ".new"
	if err := os.WriteFile(tmp, data, 0o640); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	b.saved = data
	return nil
}

// UnmarshalJSON reads a log line of unitsFile: {"at": …, "text": …}, or
// a plain string, as files from before lines had their times hold them.
func (l *logLine) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] == '"' {
		*l = logLine{}
		return json.Unmarshal(data, &l.Text)
	}
	type plain logLine // without this method
	return json.Unmarshal(data, (*plain)(l))
}
