package app

import (
	"testing"
	"time"
)

var (
	addrA, addrB = limitKey{name: "ip:a"}, limitKey{name: "ip:b"}
	bob, carol   = limitKey{name: "user:bob", slow: true}, limitKey{name: "user:carol", slow: true}
)

func newTestLimiter(limit int) (*limiter, *time.Time) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return newLimiter(limit, time.Minute, func() time.Time { return now }), &now
}

// fail takes an attempt on keys that fails (keeps its places).
func fail(t *testing.T, l *limiter, keys ...limitKey) {
	t.Helper()
	if tk, no := l.take(keys...); tk == nil {
		t.Fatalf("attempt on %v refused by %v for %s", keys, no.key, no.wait)
	}
}

// refused returns how long the refusal of an attempt on keys waits, and
// fails the test when the attempt is taken.
func refused(t *testing.T, l *limiter, keys ...limitKey) *refusal {
	t.Helper()
	tk, no := l.take(keys...)
	if tk != nil {
		t.Fatalf("attempt on %v taken, want it refused", keys)
	}
	return no
}

func TestLimiterRefusesAnAddressUntilItsOldestFailureLeavesTheWindow(t *testing.T) {
	l, now := newTestLimiter(3)
	for range 3 {
		fail(t, l, addrA, bob)
		*now = now.Add(10 * time.Second)
	}
	// bob is slowed down, not refused: the refusal that waits longest is a's.
	if no := refused(t, l, addrA, carol); no.key != addrA || no.wait != 30*time.Second {
		t.Fatalf("refusal %+v, want address a for 30s", no)
	}
	fail(t, l, addrB, carol) // an unrelated client and user
	*now = now.Add(30 * time.Second)
	fail(t, l, addrA, limitKey{name: "user:dave", slow: true}) // the first failure left the window
	if no := refused(t, l, addrA); no.wait != 10*time.Second {
		t.Fatalf("refusal %+v, want 10s until the second failure leaves", no)
	}
}

func TestLimiterCountsOnlyFailures(t *testing.T) {
	l, now := newTestLimiter(3)
	for i := range 20 {
		tk, no := l.take(addrA, bob)
		if tk == nil {
			t.Fatalf("success %d: refused %+v", i+1, no)
		}
		tk.giveBack()
		*now = now.Add(time.Second)
	}
	fail(t, l, addrA, bob)
	fail(t, l, addrA, bob)
	fail(t, l, addrA, bob)
	refused(t, l, addrA)
}

func TestLimiterCountsAttemptsInFlight(t *testing.T) {
	l, _ := newTestLimiter(3)
	var tickets []*ticket
	for range 3 {
		tk, _ := l.take(addrA)
		tickets = append(tickets, tk)
	}
	refused(t, l, addrA) // three passwords are being checked: a fourth waits
	tickets[0].giveBack()
	fail(t, l, addrA)
}

func TestLimiterSlowsANameDownRatherThanLockingItOut(t *testing.T) {
	l, now := newTestLimiter(3) // spacing 20 s
	fail(t, l, addrA, bob)
	fail(t, l, addrA, bob)
	fail(t, l, addrB, bob) // the limit-th failure starts the spacing
	if no := refused(t, l, limitKey{name: "ip:c"}, bob); no.key != bob || no.wait != 20*time.Second {
		t.Fatalf("refusal %+v, want bob for 20s", no)
	}
	fail(t, l, limitKey{name: "ip:c"}, carol) // other names go on
	for i := range 6 {                        // a guesser keeps going: one attempt per 20 s, never more
		*now = now.Add(15 * time.Second)
		if no := refused(t, l, bob); no.wait != 5*time.Second {
			t.Fatalf("round %d: refusal %+v, want 5s", i, no)
		}
		*now = now.Add(5 * time.Second)
		fail(t, l, bob)
	}
	// The owner's right password in the next slot gets in, and gives the
	// slot back: the next attempt need not wait for it.
	*now = now.Add(20 * time.Second)
	tk, no := l.take(bob)
	if tk == nil {
		t.Fatalf("the owner was refused: %+v", no)
	}
	tk.giveBack()
	fail(t, l, bob)
	// Once the failures leave the window, the name is free again.
	*now = now.Add(time.Minute)
	for range 2 {
		fail(t, l, bob)
	}
}

func TestLimiterForgetsKeysWhoseFailuresLeftTheWindow(t *testing.T) {
	l, now := newTestLimiter(3)
	for range 3 {
		fail(t, l, addrA, bob)
	}
	tk, _ := l.take(addrB)
	*now = now.Add(2 * time.Minute)
	tk.giveBack() // after its key was forgotten: nothing to give back
	for range 1000 {
		tk, _ := l.take(carol)
		tk.giveBack()
	}
	if len(l.keys) != 0 {
		t.Fatalf("%d keys kept: %v", len(l.keys), l.keys)
	}
}
