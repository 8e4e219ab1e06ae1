package app

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/left4me/left4me/views"
)

// fakeStatus is a status table source whose loads block until released.
type fakeStatus struct {
	changes atomic.Uint64
	loads   atomic.Int32
	started chan struct{} // one value per load that began
	release chan struct{} // one value lets one load finish
}

func newFakeStatus() *fakeStatus {
	return &fakeStatus{started: make(chan struct{}, 100), release: make(chan struct{}, 100)}
}

func (f *fakeStatus) load(ctx context.Context) (views.Status, error) {
	n := f.loads.Add(1)
	f.started <- struct{}{}
	<-f.release
	return views.Status{Rows: make([]views.ServerRow, n)}, nil // the rows' count says which load
}

func TestStatusCacheLoadsOnceForConcurrentMisses(t *testing.T) {
	f := newFakeStatus()
	now := time.Date(2026, 11, 25, 21, 0, 0, 0, time.UTC)
	c := &statusCache{load: f.load, changes: f.changes.Load, now: func() time.Time { return now }, maxAge: time.Second}

	var wg sync.WaitGroup
	got := make([]int, 20)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := c.status(context.Background())
			if err != nil {
				t.Error(err)
			}
			got[i] = len(st.Rows)
		}()
	}
	<-f.started
	f.release <- struct{}{}
	wg.Wait()
	if n := f.loads.Load(); n != 1 {
		t.Fatalf("%d loads for 20 concurrent misses, want 1", n)
	}
	for i, n := range got {
		if n != 1 {
			t.Fatalf("request %d got load %d's rows", i, n)
		}
	}
}

func TestStatusCacheDoesNotServeALoadThatBeganBeforeAWrite(t *testing.T) {
	f := newFakeStatus()
	now := time.Date(2026, 11, 25, 21, 0, 0, 0, time.UTC)
	c := &statusCache{load: f.load, changes: f.changes.Load, now: func() time.Time { return now }, maxAge: time.Second}

	first := make(chan int)
	go func() {
		st, _ := c.status(context.Background())
		first <- len(st.Rows)
	}()
	<-f.started // load 1 is in flight, begun before the write below
	f.changes.Add(1)
	second := make(chan int)
	go func() {
		st, _ := c.status(context.Background())
		second <- len(st.Rows)
	}()
	f.release <- struct{}{}
	if n := <-first; n != 1 {
		t.Fatalf("the first request got load %d, want 1", n)
	}
	<-f.started // the second request, after the write, needs its own load
	f.release <- struct{}{}
	if n := <-second; n != 2 {
		t.Fatalf("a request after a write got load %d's rows, want 2 (begun after the write)", n)
	}

	// Then the snapshot serves until the next write or until it is a
	// second old.
	if st, _ := c.status(context.Background()); len(st.Rows) != 2 || f.loads.Load() != 2 {
		t.Fatalf("load %d, %d loads; want the cached load 2", len(st.Rows), f.loads.Load())
	}
	now = now.Add(time.Second)
	f.release <- struct{}{}
	if st, _ := c.status(context.Background()); len(st.Rows) != 3 {
		t.Fatalf("a second-old snapshot was served (load %d)", len(st.Rows))
	}
}

func TestStatusCacheWaiterGivesUpWithItsContext(t *testing.T) {
	f := newFakeStatus()
	c := &statusCache{load: f.load, changes: f.changes.Load, now: time.Now, maxAge: time.Second}
	go c.status(context.Background()) //nolint:errcheck // the load the waiter below waits for
	<-f.started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.status(ctx); err == nil {
		t.Fatal("a waiter whose request is gone kept waiting")
	}
	f.release <- struct{}{}
}
