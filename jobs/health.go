package jobs

import (
	"fmt"
	"sync"
	"time"
)

// Health is what the runner and its poller last learned about their reach
// to the host and to the database: whether the latest attempt to ask
// systemd, and the latest attempt to write the database, worked.
type Health struct {
	// Host is the latest request to the backend for states (a poller
	// tick's Show, a job's read back).
	Host Contact
	// Store is the latest write of states or of a job's end.
	Store Contact
	// Source is how the panel hears of changes on the host:
	// SourceSignals while a watch of the backend is live, SourcePolling
	// otherwise (polling only is no failure: the poller is the safety
	// net either way). Empty for a poller no runner owns.
	Source string
	// SourceReason says why it is polling only, in words fit for anyone
	// (no error text); empty with signals.
	SourceReason string
	// SourceErr is the broken watch's error, for admins and the log.
	SourceErr string
	// SourceSince is when Source last changed; zero before a watch began.
	SourceSince time.Time
}

// Contact is the outcome of the latest attempt of one kind.
type Contact struct {
	// At is when the latest attempt ended; zero before the first.
	At time.Time
	// Err is why the latest attempt failed; empty when it worked.
	Err string
	// FailingSince is when the current run of failures began; zero while
	// the latest attempt worked.
	FailingSince time.Time
}

// OK reports whether the latest attempt worked (or none was made yet).
func (c Contact) OK() bool { return c.Err == "" }

// Note records an attempt that ended at at, err nil when it worked. It
// reports whether the attempt turned the contact from working to failing
// or back, so that a caller can log a run of failures once rather than
// once per attempt. Note is not safe for concurrent use: callers that
// share a Contact hold their own lock.
func (c *Contact) Note(at time.Time, err error) (turned bool) {
	c.At = at
	if err == nil {
		turned = c.Err != ""
		c.Err, c.FailingSince = "", time.Time{}
		return turned
	}
	turned = c.Err == ""
	if turned {
		c.FailingSince = at
	}
	c.Err = err.Error()
	if c.Err == "" { // Err must not read as "worked"
		c.Err = fmt.Sprintf("%T with no message", err)
	}
	return turned
}

// healthBook records contacts; it is shared by a runner and its poller.
type healthBook struct {
	mu           sync.Mutex
	host         Contact
	store        Contact
	source       string
	sourceReason string
	sourceErr    string
	sourceSince  time.Time
}

func (b *healthBook) note(c *Contact, at time.Time, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c.Note(at, err)
}

// hostContact records a request to the backend; err nil when it worked.
func (b *healthBook) hostContact(at time.Time, err error) { b.note(&b.host, at, err) }

// storeContact records a write to the database; err nil when it worked.
func (b *healthBook) storeContact(at time.Time, err error) { b.note(&b.store, at, err) }

// setSource records how changes are heard of since at, why, and the
// error behind it ("" for none).
func (b *healthBook) setSource(at time.Time, source, reason, err string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if source != b.source {
		b.sourceSince = at
	}
	b.source, b.sourceReason, b.sourceErr = source, reason, err
}

func (b *healthBook) snapshot() Health {
	b.mu.Lock()
	defer b.mu.Unlock()
	return Health{Host: b.host, Store: b.store, Source: b.source, SourceReason: b.sourceReason, SourceErr: b.sourceErr, SourceSince: b.sourceSince}
}
