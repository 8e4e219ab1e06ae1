package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/app"
	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/fake"
)

// syncBuffer is a log sink safe to read while serve writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// panel is a `left4me serve` a test started: the fake backend, a fresh
// database in Dir, listening on Addr, logging to Logs.
type panel struct {
	Dir  string
	Addr string
	Logs *syncBuffer

	once    sync.Once
	cancel  context.CancelFunc
	done    chan error
	stopErr error
}

// startPanel starts serve on 127.0.0.1:0 with the fake backend (the game
// installed), a database in a temp dir and the extra serve flags, and
// waits until it listens. The panel is stopped when the test ends, if
// the test did not Stop it.
func startPanel(t *testing.T, flags ...string) *panel {
	t.Helper()
	return startPanelOn(t, nil, flags...)
}

// startPanelOn is startPanel on the backend newBackend makes from the
// panel's host configuration (its state root is the temp dir), with no
// game installed for it; nil is startPanel's fake.
func startPanelOn(t *testing.T, newBackend func(hostbackend.Config) hostbackend.Backend, flags ...string) *panel {
	t.Helper()
	dir := t.TempDir()
	if newBackend == nil {
		installFakeGame(t, dir)
	}
	cfg, err := app.LoadConfig(append([]string{"-addr", "127.0.0.1:0"}, flags...), func(k string) string {
		return map[string]string{"LEFT4ME_BACKEND": "fake", "LEFT4ME_DB": filepath.Join(dir, "left4me.db"), "LEFT4ME_STATE_ROOT": dir}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &panel{Dir: dir, Logs: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	ready := make(chan string, 1)
	log := slog.New(slog.NewTextHandler(p.Logs, nil))
	go func() {
		if newBackend == nil {
			p.done <- serve(ctx, cfg, log, ready)
		} else {
			p.done <- serveOn(ctx, cfg, newBackend(cfg.HostConfig()), log, ready)
		}
	}()
	t.Cleanup(func() { p.Stop() })
	select {
	case p.Addr = <-ready:
	case err := <-p.done:
		p.once.Do(func() { p.stopErr = err })
		t.Fatalf("serve ended before it was ready: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("serve never became ready")
	}
	return p
}

// installFakeGame installs the game on the fake host whose state root is
// dir: the fake keeps it there for the next fake on dir, such as a
// panel's (as it does across restarts of make run).
func installFakeGame(t *testing.T, dir string) {
	t.Helper()
	if err := fake.New(fake.Options{StateRoot: dir}).GameInstall(context.Background(), true, hostbackend.GameEvents{}); err != nil {
		t.Fatal(err)
	}
}

// Stop shuts the panel down and returns what serve returned.
func (p *panel) Stop() error {
	p.once.Do(func() {
		p.cancel()
		select {
		case p.stopErr = <-p.done:
		case <-time.After(30 * time.Second):
			p.stopErr = errors.New("serve did not shut down within 30 s")
		}
	})
	return p.stopErr
}
