package app

import (
	"sync"
	"time"
)

// limiter counts failed logins per key in a sliding window. An attempt
// takes a place on its keys before its password is checked, so that
// attempts in flight count too, and gives the places back when it did not
// fail (the password was right, or never checked): only failures count.
//
// A key either refuses or slows down once it had limit failures in the
// window. A refusing key (a client address) takes no attempt until the
// oldest failures leave the window. A slowing key (a user name) takes one
// attempt every window/limit: a guesser gets no more attempts on a name
// than before, but whoever else tries it waits seconds, not a minute.
type limiter struct {
	limit  int
	window time.Duration
	now    func() time.Time

	mu    sync.Mutex
	keys  map[string]*keyState
	calls int
}

// limitKey is one thing an attempt is counted against.
type limitKey struct {
	name string // e.g. "ip:127.0.0.1", "user:bob"
	slow bool   // slow down rather than refuse
}

// keyState is one key's failures and attempts in flight, oldest first,
// and, for a slowing key, when it takes the next attempt.
type keyState struct {
	at   []time.Time
	next time.Time
}

// refusal says which key refused an attempt and how long until it would
// take one.
type refusal struct {
	key  limitKey
	wait time.Duration
}

func newLimiter(limit int, window time.Duration, now func() time.Time) *limiter {
	return &limiter{limit: limit, window: window, now: now, keys: map[string]*keyState{}}
}

// spacing is how often a slowed key takes an attempt.
func (l *limiter) spacing() time.Duration { return l.window / time.Duration(l.limit) }

// take counts one attempt on every key and returns the ticket to give the
// places back with, or, when a key refuses, counts nothing and returns
// the refusal that waits longest.
func (l *limiter) take(keys ...limitKey) (*ticket, *refusal) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if l.calls++; l.calls%1000 == 0 {
		for k := range l.keys {
			l.prune(k, now)
		}
	}
	var no *refusal
	for _, k := range keys {
		if wait := l.wait(k, now); wait > 0 && (no == nil || wait > no.wait) {
			no = &refusal{key: k, wait: wait}
		}
	}
	if no != nil {
		return nil, no
	}
	t := &ticket{l: l, at: now, marks: make([]mark, len(keys))}
	for i, k := range keys {
		st := l.keys[k.name]
		if st == nil {
			st = &keyState{}
			l.keys[k.name] = st
		}
		t.marks[i] = mark{key: k.name, prevNext: st.next, next: st.next}
		if k.slow && len(st.at)+1 >= l.limit { // this attempt is the limit-th or later
			st.next = now.Add(l.spacing())
			t.marks[i].next = st.next
		}
		st.at = append(st.at, now)
	}
	return t, nil
}

// wait is how long key k takes no attempt, 0 when it takes one now.
func (l *limiter) wait(k limitKey, now time.Time) time.Duration {
	st := l.prune(k.name, now)
	if st == nil || len(st.at) < l.limit {
		return 0
	}
	if k.slow {
		return max(0, st.next.Sub(now))
	}
	// The key takes an attempt once it has limit-1 left in the window.
	return st.at[len(st.at)-l.limit].Add(l.window).Sub(now)
}

// prune drops the attempts of key that left the window, and the key when
// nothing of it is left; it returns the key's state or nil.
func (l *limiter) prune(key string, now time.Time) *keyState {
	st := l.keys[key]
	if st == nil {
		return nil
	}
	i := 0
	for i < len(st.at) && now.Sub(st.at[i]) >= l.window {
		i++
	}
	st.at = st.at[i:]
	if len(st.at) == 0 && !st.next.After(now) {
		delete(l.keys, key)
		return nil
	}
	return st
}

// ticket is the places one attempt took.
type ticket struct {
	l     *limiter
	at    time.Time
	marks []mark
}

// mark is the place on one key: the time in at, and the key's next before
// and after the attempt.
type mark struct {
	key            string
	prevNext, next time.Time
}

// giveBack returns the places of an attempt that did not fail: it no
// longer counts, and a slowed key it pushed back takes the next attempt
// when it would have without it. Call it at most once.
func (t *ticket) giveBack() {
	l := t.l
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range t.marks {
		st := l.keys[m.key]
		if st == nil {
			continue // the window passed and took the place along
		}
		for i := len(st.at) - 1; i >= 0; i-- {
			if st.at[i].Equal(t.at) {
				st.at = append(st.at[:i], st.at[i+1:]...)
				break
			}
		}
		if st.next.Equal(m.next) {
			st.next = m.prevNext
		}
		l.prune(m.key, l.now())
	}
}
