package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestHashGateRunsAtMostItsSlotsAtOnce(t *testing.T) {
	g := NewHashGate(2, time.Minute)
	var mu sync.Mutex
	running, most := 0, 0
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			err := g.do(context.Background(), func() {
				mu.Lock()
				running++
				most = max(most, running)
				mu.Unlock()
				<-release
				mu.Lock()
				running--
				mu.Unlock()
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	waitUntil(t, "two running and four waiting", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return running == 2 && len(g.queue) == 4
	})
	close(release)
	wg.Wait()
	if most != 2 {
		t.Fatalf("%d ran at once, want 2", most)
	}
}

func TestHashGateIsBusyWhenTheWaitEndsOrTheQueueIsFull(t *testing.T) {
	t.Run("the wait ends", func(t *testing.T) {
		g := NewHashGate(1, time.Millisecond)
		defer g.HoldSlots()()
		ran := false
		if err := g.do(context.Background(), func() { ran = true }); !errors.Is(err, ErrBusy) || ran {
			t.Fatalf("do = %v (ran %v), want ErrBusy without running", err, ran)
		}
		if len(g.queue) != 0 {
			t.Fatalf("the queue kept %d places", len(g.queue))
		}
	})
	t.Run("the request ends", func(t *testing.T) {
		g := NewHashGate(1, time.Hour)
		defer g.HoldSlots()()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := g.do(ctx, func() {}); !errors.Is(err, ErrBusy) {
			t.Fatalf("do = %v, want ErrBusy", err)
		}
	})
	t.Run("the queue is full", func(t *testing.T) {
		g := NewHashGate(1, time.Hour)
		release := g.HoldSlots()
		var wg sync.WaitGroup
		for range hashQueuePerSlot {
			wg.Go(func() {
				if err := g.do(context.Background(), func() {}); err != nil {
					t.Error(err)
				}
			})
		}
		waitUntil(t, "a full queue", func() bool { return len(g.queue) == hashQueuePerSlot })
		if err := g.do(context.Background(), func() { t.Error("ran past a full queue") }); !errors.Is(err, ErrBusy) {
			t.Fatalf("do = %v, want ErrBusy at once", err)
		}
		release() // the waiting ones run, one after the other
		wg.Wait()
	})
}

func TestAnUnknownNameIsCheckedLikeAWrongPassword(t *testing.T) {
	hash, err := HashPassword("secret")
	if err != nil {
		t.Fatal(err)
	}
	// Same parameters, salt and key lengths: the same work for a name
	// nobody has as for a wrong password.
	params := func(h string) string {
		p := strings.Split(h, "$")
		return fmt.Sprint(p[:4], len(p[4]), len(p[5]))
	}
	if params(dummyHash) != params(hash) {
		t.Fatalf("dummy hash %s, a real one %s: not the same parameters", dummyHash, hash)
	}
	if CheckPassword(dummyHash, "") || CheckPassword(dummyHash, "secret") {
		t.Fatal("the dummy hash matched a password")
	}
}

// waitUntil polls cond until it holds or 10 s pass.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
