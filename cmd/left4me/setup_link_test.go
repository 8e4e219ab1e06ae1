package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/left4me/left4me/app"
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

func TestServeLogsAOneTimeSetupLinkWhenNoUserExists(t *testing.T) {
	dir := t.TempDir()
	cfg, err := app.LoadConfig([]string{"-addr", "127.0.0.1:0", "-job-workers", "0"}, func(k string) string {
		return map[string]string{"LEFT4ME_BACKEND": "fake", "LEFT4ME_DB": filepath.Join(dir, "left4me.db"), "LEFT4ME_STATE_ROOT": dir}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, slog.New(slog.NewTextHandler(&logs, nil)), ready) }()
	defer func() { cancel(); <-done }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve ended: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("serve never became ready")
	}
	link := regexp.MustCompile(`http://` + regexp.QuoteMeta(addr) + `/setup\?token=[A-Za-z0-9_-]{43}`).FindString(logs.String())
	if link == "" {
		t.Fatalf("no setup link in the log:\n%s", logs.String())
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET the setup link = %d", resp.StatusCode)
	}
	resp, err = http.Get("http://" + addr + "/setup?token=guess")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("a guessed token = %d, want 404", resp.StatusCode)
	}
}
