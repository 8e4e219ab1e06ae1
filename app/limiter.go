package app

import (
	"sync"
	"time"
)

// limiter is an in-memory sliding-window rate limit: at most limit events
// per key in any window. It guards the login against password guessing,
// keyed by client address and by user name.
type limiter struct {
	limit  int
	window time.Duration
	now    func() time.Time

	mu    sync.Mutex
	hits  map[string][]time.Time
	calls int
}

func newLimiter(limit int, window time.Duration, now func() time.Time) *limiter {
	return &limiter{limit: limit, window: window, now: now, hits: map[string][]time.Time{}}
}

// allow records one event on every key and returns true, or, when any key
// already had limit events in the window, records nothing and returns
// false.
func (l *limiter) allow(keys ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if l.calls++; l.calls%1000 == 0 {
		for k := range l.hits {
			l.prune(k, now)
		}
	}
	for _, k := range keys {
		if len(l.prune(k, now)) >= l.limit {
			return false
		}
	}
	for _, k := range keys {
		l.hits[k] = append(l.hits[k], now)
	}
	return true
}

// prune drops the events of key that left the window and returns the rest.
func (l *limiter) prune(key string, now time.Time) []time.Time {
	hs := l.hits[key]
	i := 0
	for i < len(hs) && now.Sub(hs[i]) >= l.window {
		i++
	}
	hs = hs[i:]
	if len(hs) == 0 {
		delete(l.hits, key)
		return nil
	}
	l.hits[key] = hs
	return hs
}
