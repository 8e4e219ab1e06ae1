package app

import (
	"context"
	"errors"
	"runtime"
	"time"
)

// ErrBusy is the answer instead of a password check or hash when every
// hashing slot stayed taken for the whole wait: nothing was checked or
// changed, and the caller says 503 with Retry-After (BusyRetryAfter).
var ErrBusy = errors.New("the panel is busy checking other passwords; try again in a few seconds")

// BusyRetryAfter is the Retry-After of an answer to ErrBusy.
const BusyRetryAfter = 2 * time.Second

// Defaults of NewHashGate.
const (
	// maxDefaultHashSlots caps the default slots: each slot costs about
	// 50 MB of peak memory under a login storm (19 MiB in use, doubled by
	// the garbage collector's headroom; 4 slots took the panel to 200 MB).
	// Two check about 60 passwords a second, more than a panel's users
	// need, and fewer slots also mean fewer guesses a second.
	maxDefaultHashSlots = 2
	defaultHashWait     = time.Second
	// hashQueuePerSlot is how many requests may wait per slot; more are
	// busy at once. Under a storm of 300 logins on two cores, two slots
	// checked about 30 passwords in the default second's wait, so a longer
	// queue would only hold requests to refuse them a second later.
	hashQueuePerSlot = 16
)

// HashGate bounds the argon2id computations that run at once. Each holds
// argonMemory (19 MiB) while it runs, so behind the gate hashing holds at
// most slots × 19 MiB however many requests arrive together (without it,
// 300 concurrent logins took the panel to 5 GB). Every hashing path
// (login, first admin, new user, password reset) goes through the one
// gate of its Service.
type HashGate struct {
	slots chan struct{} // a token per running hash
	queue chan struct{} // a token per request waiting for a slot
	wait  time.Duration
}

// NewHashGate returns a gate of slots (for 0: GOMAXPROCS, the cores the
// panel may use, at most 2) where a request waits at most wait (for 0:
// 1 s) for a slot.
func NewHashGate(slots int, wait time.Duration) *HashGate {
	if slots <= 0 {
		slots = min(runtime.GOMAXPROCS(0), maxDefaultHashSlots)
	}
	if wait <= 0 {
		wait = defaultHashWait
	}
	return &HashGate{slots: make(chan struct{}, slots), queue: make(chan struct{}, slots*hashQueuePerSlot), wait: wait}
}

// do runs fn in a slot. When none is free it waits for one, first come
// first served, for at most the gate's wait and never past ctx; when the
// queue is full already, or the wait ends first, it returns ErrBusy
// without running fn.
func (g *HashGate) do(ctx context.Context, fn func()) error {
	select {
	case g.slots <- struct{}{}:
	default:
		select {
		case g.queue <- struct{}{}:
		default:
			return ErrBusy
		}
		got := g.await(ctx)
		<-g.queue
		if !got {
			return ErrBusy
		}
	}
	defer func() { <-g.slots }()
	fn()
	return nil
}

// await waits for a slot, at most the gate's wait and never past ctx, and
// reports whether it took one.
func (g *HashGate) await(ctx context.Context) bool {
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

// hashPassword is HashPassword in a slot of the service's gate, or ErrBusy.
func (s *Service) hashPassword(ctx context.Context, password string) (string, error) {
	var hash string
	var err error
	if gerr := s.hashing.do(ctx, func() { hash, err = HashPassword(password) }); gerr != nil {
		return "", gerr
	}
	return hash, err
}

// checkPassword is CheckPassword in a slot of the service's gate, or
// ErrBusy.
func (s *Service) checkPassword(ctx context.Context, hash, password string) (bool, error) {
	var ok bool
	err := s.hashing.do(ctx, func() { ok = CheckPassword(hash, password) })
	return ok, err
}
