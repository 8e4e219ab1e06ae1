package app

import (
	"sync"
	"time"
)

// rateLimiter is a token bucket per key (a user's id): a bucket
// holds up to burst requests and refills at perMinute a minute. It lives
// in memory, so a restart of the panel refills every bucket.
type rateLimiter struct {
	perSecond float64
	burst     float64
	now       func() time.Time

	mu      sync.Mutex
	buckets map[int64]*bucket
	calls   int
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newRateLimiter(perMinute, burst int, now func() time.Time) *rateLimiter {
	return &rateLimiter{perSecond: float64(perMinute) / 60, burst: float64(burst), now: now, buckets: map[int64]*bucket{}}
}

// take spends one request of key's bucket and returns 0, or, when the
// bucket is empty, spends nothing and returns how long until it holds one.
func (l *rateLimiter) take(key int64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if l.calls++; l.calls%1000 == 0 {
		for k, b := range l.buckets {
			if l.level(b, now) >= l.burst {
				delete(l.buckets, k) // full again: the same as no bucket
			}
		}
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens, b.at = l.level(b, now), now
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) / l.perSecond * float64(time.Second))
	}
	b.tokens--
	return 0
}

// level is what b holds at now.
func (l *rateLimiter) level(b *bucket, now time.Time) float64 {
	elapsed := now.Sub(b.at).Seconds()
	if elapsed < 0 {
		elapsed = 0 // a clock that went back refills nothing
	}
	return min(l.burst, b.tokens+elapsed*l.perSecond)
}
