package app

import (
	"log/slog"
	"sync"
	"time"

	"github.com/left4me/left4me/jobs"
)

// bookkeepingRetry is how long bookkeeping writes rest after one failed:
// a database that waits its busy timeout on every write must not slow
// every request down by as much.
const bookkeepingRetry = time.Minute

// bookkeeping records the writes a request makes on the side (an API
// token's last use, the removal of expired sessions at a login), whose
// failure must not fail the request. A failure is logged when a run of
// failures begins, and once more when such a write works again; in
// between /healthz and the admins' banner show it.
type bookkeeping struct {
	log *slog.Logger
	mu  sync.Mutex
	c   jobs.Contact
}

// due reports whether a bookkeeping write should be tried at now: always
// while they work, once per bookkeepingRetry while they fail.
func (b *bookkeeping) due(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.c.OK() || !now.Before(b.c.At.Add(bookkeepingRetry))
}

// note records the outcome of the bookkeeping write called what: err nil
// when it wrote.
func (b *bookkeeping) note(what string, at time.Time, err error) {
	b.mu.Lock()
	turned := b.c.Note(at, err)
	b.mu.Unlock()
	switch {
	case turned && err != nil:
		b.log.Error("bookkeeping write failed; requests go on without it, /healthz reports it, and the log says no more until such a write works again",
			"write", what, "err", err)
	case turned:
		b.log.Info("bookkeeping writes work again", "write", what)
	}
}

// contact returns the outcome of the latest bookkeeping write.
func (b *bookkeeping) contact() jobs.Contact {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.c
}
