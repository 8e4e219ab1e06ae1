package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/left4me/left4me/app"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

func TestServeAnswersAndShutsDownCleanly(t *testing.T) {
	p := startPanel(t)
	addr, logs := p.Addr, p.Logs

	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var health struct {
		OK             bool   `json:"ok"`
		Database       string `json:"database"`
		WorkersRunning bool   `json:"workers_running"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&health); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !health.OK || health.Database != "ok" || !health.WorkersRunning {
		t.Fatalf("healthz = %d %+v", resp.StatusCode, health)
	}

	resp, err = http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "Simulated host") {
		t.Errorf("the fake backend's pages lack the simulated-host notice:\n%s", body)
	}

	if err := p.Stop(); err != nil {
		t.Fatalf("serve returned %v on shutdown, want nil", err)
	}
	if !strings.Contains(logs.String(), "http://"+addr+"/") || !strings.Contains(logs.String(), "simulated host") {
		t.Errorf("the log does not say where the panel listens:\n%s", logs.String())
	}
}

func TestRunUsageErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{"no command", nil, nil, "no command"},
		{"an unknown command", []string{"dance"}, nil, `unknown command "dance"`},
		{"a bad variable", []string{"serve"}, map[string]string{"LEFT4ME_JOB_WORKERS": "lots"}, "LEFT4ME_JOB_WORKERS"},
		{"an unknown backend", []string{"serve"}, map[string]string{"LEFT4ME_BACKEND": "cloud"}, "LEFT4ME_BACKEND"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), tt.args, &out, &errOut, func(k string) string { return tt.env[k] })
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || exitCode(err) != 2 {
				t.Fatalf("run(%q) = %v (exit %d), want usage error naming %s", tt.args, err, exitCode(err), tt.wantErr)
			}
		})
	}
}

func TestHelpListsTheSettings(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"help"}, &out, io.Discard, func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "LEFT4ME_STATE_POLLER_INTERVAL") {
		t.Fatalf("help:\n%s", out.String())
	}
}

func TestServeOnABusyAddressRunsNoJob(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "left4me.db")
	ctx := context.Background()
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Server(t, db, "coop-1", 27015)
	job, err := jobs.NewQueue(jobs.QueueOpts{DB: db}).Enqueue(ctx, jobs.EnqueueParams{ServerName: "coop-1", Operation: store.OpStart})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfg, err := app.LoadConfig([]string{"-addr", busy.Addr().String()}, func(k string) string {
		return map[string]string{"LEFT4ME_BACKEND": "fake", "LEFT4ME_DB": dbPath, "LEFT4ME_STATE_ROOT": dir}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	err = serve(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err == nil || !strings.Contains(err.Error(), "LEFT4ME_ADDR") {
		t.Fatalf("serve on a busy address = %v, want an error naming LEFT4ME_ADDR", err)
	}

	db, err = store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.GetJob(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != store.JobQueued || got.Attempts != 0 {
		t.Fatalf("the job is %s after %d attempts; a panel that could not listen must not run it", got.State, got.Attempts)
	}
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"--version", "version"} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), []string{arg}, &out, &errOut, func(string) string { return "" }); err != nil {
			t.Fatalf("%s: %v", arg, err)
		}
		if !strings.HasPrefix(out.String(), "left4me ") || !strings.Contains(out.String(), "go1.") || errOut.Len() != 0 {
			t.Errorf("%s printed %q, stderr %q", arg, out.String(), errOut.String())
		}
	}
}
