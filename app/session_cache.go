package app

import (
	"sync"
	"time"

	"github.com/left4me/left4me/store"
)

// sessionMaxAge bounds how long a looked-up session is trusted without
// asking the database again, for changes made by other processes. Changes
// made through this process's store (logout, a disabled user, a reset
// password) end it at once: see sessionCache.
const sessionMaxAge = time.Second

// sessionCacheLimit bounds the number of cached sessions; past it the
// cache starts over.
const sessionCacheLimit = 10000

// sessionCache remembers recent session lookups, since every request of a
// logged-in browser (a dashboard polls every 2 s) needs one. An entry is
// used only while the store's change counter (store.DB.Changes) still has
// the value it had before the entry was read, the entry is younger than
// maxAge, and the session has not expired: any write through this
// process's store — a logout, disabling a user, a password reset —
// retires every entry.
type sessionCache struct {
	changes func() uint64
	now     func() time.Time
	maxAge  time.Duration

	mu sync.Mutex
	m  map[string]cachedSession // by session id
}

type cachedSession struct {
	s   store.Session
	u   store.User
	gen uint64
	at  time.Time
}

func newSessionCache(changes func() uint64, now func() time.Time) *sessionCache {
	return &sessionCache{changes: changes, now: now, maxAge: sessionMaxAge, m: map[string]cachedSession{}}
}

// get returns copies of the cached session and user of id, if the entry
// may still be used.
func (c *sessionCache) get(id string) (*store.Session, *store.User, bool) {
	gen, now := c.changes(), c.now()
	c.mu.Lock()
	e, ok := c.m[id]
	c.mu.Unlock()
	if !ok || e.gen != gen || now.Sub(e.at) >= c.maxAge || !e.s.ExpiresAt.After(now) {
		return nil, nil, false
	}
	s, u := e.s, e.u
	return &s, &u, true
}

// begin returns the counter and clock readings to store a lookup under;
// read them before asking the database.
func (c *sessionCache) begin() (uint64, time.Time) { return c.changes(), c.now() }

// put remembers a lookup that began at gen and at.
func (c *sessionCache) put(id string, s *store.Session, u *store.User, gen uint64, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= sessionCacheLimit {
		c.m = map[string]cachedSession{}
	}
	c.m[id] = cachedSession{s: *s, u: *u, gen: gen, at: at}
}
