package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/left4me/left4me/app"
)

func TestASecondServeOnTheSameDatabaseRefusesToStart(t *testing.T) {
	p := startPanel(t)
	dbPath := filepath.Join(p.Dir, "left4me.db")
	getenv := func(k string) string {
		return map[string]string{"LEFT4ME_BACKEND": "fake", "LEFT4ME_DB": dbPath, "LEFT4ME_STATE_ROOT": p.Dir, "LEFT4ME_ADDR": "127.0.0.1:0"}[k]
	}

	// Without the lock the second serve would run until ctx ends.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	err := run(ctx, []string{"serve"}, &out, &errOut, getenv)
	if err == nil {
		t.Fatal("a second serve on the panel's database ran; it must refuse to start")
	}
	for _, want := range []string{dbPath, fmt.Sprintf("PID %d", os.Getpid()), p.Addr} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal %q does not name %s", err, want)
		}
	}
	if exitCode(err) != 1 || strings.Contains(errOut.String(), "listening") {
		t.Errorf("exit %d, log %q: want exit 1 before listening", exitCode(err), errOut.String())
	}

	// The shell commands work beside the running panel, and it sees what
	// they did.
	old := stdin
	t.Cleanup(func() { stdin = old })
	stdin = strings.NewReader("correct horse\n")
	if err := run(context.Background(), []string{"create-user", "ann", "--admin"}, &out, &errOut, getenv); err != nil {
		t.Fatalf("create-user beside a running panel: %v", err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"create-token", "ann", "deploy"}, &out, &errOut, getenv); err != nil {
		t.Fatalf("create-token beside a running panel: %v", err)
	}
	req, _ := http.NewRequest("GET", "http://"+p.Addr+"/api/v1/servers", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(out.String()))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the running panel answers the new token with %d, want 200", resp.StatusCode)
	}

	// Once the first panel stops, a new one starts on the database.
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	cfg, err := app.LoadConfig(nil, getenv)
	if err != nil {
		t.Fatal(err)
	}
	ctx2, stop2 := context.WithCancel(context.Background())
	defer stop2()
	ready, done := make(chan string, 1), make(chan error, 1)
	go func() { done <- serve(ctx2, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), ready) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("serve after the first panel stopped: %v", err)
	}
	stop2()
	if err := <-done; err != nil {
		t.Fatalf("serve after the first panel stopped: %v", err)
	}
}
