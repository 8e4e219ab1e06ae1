package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestAPIScriptAgainstServe is what a provisioning script does, through
// run() as the binary would: create an admin and a token from the shell,
// start the panel on the fake host (the game installed), then over HTTP
// see the game installed, create a server, start it, follow the job to
// succeeded, see it running, stop it and delete it.
func TestAPIScriptAgainstServe(t *testing.T) {
	dir := t.TempDir()
	installFakeGame(t, dir)
	env := map[string]string{
		"LEFT4ME_BACKEND": "fake", "LEFT4ME_DB": filepath.Join(dir, "left4me.db"), "LEFT4ME_STATE_ROOT": dir,
		"LEFT4ME_ADDR": "127.0.0.1:0", "LEFT4ME_STATE_POLLER_INTERVAL": "1s",
	}
	getenv := func(k string) string { return env[k] }
	old := stdin
	t.Cleanup(func() { stdin = old })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	stdin = strings.NewReader("correct horse battery\n")
	if err := run(ctx, []string{"create-user", "ann", "--admin"}, io.Discard, io.Discard, getenv); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"create-token", "ann", "script"}, &out, io.Discard, getenv); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(out.String())

	var logs syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, io.Discard, &logs, getenv) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	listening := regexp.MustCompile(`url=http://(127\.0\.0\.1:\d+)/`)
	var base string
	waitForAPI(t, "the panel to listen", func() bool {
		if m := listening.FindStringSubmatch(logs.String()); m != nil {
			base = "http://" + m[1]
		}
		return base != ""
	})

	call := func(method, path, body string, want int, out any) {
		t.Helper()
		for {
			var r io.Reader
			if body != "" {
				r = strings.NewReader(body)
			}
			req, err := http.NewRequestWithContext(ctx, method, base+path, r)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+token)
			if body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusTooManyRequests { // a polite script waits
				secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
				time.Sleep(time.Duration(secs) * time.Second)
				continue
			}
			if resp.StatusCode != want {
				t.Fatalf("%s %s = %d, want %d: %s", method, path, resp.StatusCode, want, b)
			}
			if out != nil {
				if err := json.Unmarshal(b, out); err != nil {
					t.Fatalf("%s %s: %v in %s", method, path, err, b)
				}
			}
			return
		}
	}
	type job struct {
		ID    int64  `json:"id"`
		State string `json:"state"`
		Lines []struct {
			Seq int64 `json:"seq"`
		} `json:"lines"`
		After int64 `json:"after"`
	}
	type server struct {
		Name        string `json:"name"`
		Port        int    `json:"port"`
		ActualState string `json:"actual_state"`
	}
	follow := func(id int64) job {
		t.Helper()
		var j job
		after := int64(0)
		waitForAPI(t, fmt.Sprintf("job %d to finish", id), func() bool {
			call("GET", fmt.Sprintf("/api/v1/jobs/%d?after=%d", id, after), "", 200, &j)
			after = j.After
			return j.State == "succeeded" || j.State == "failed" || j.State == "cancelled"
		})
		return j
	}
	state := func() string {
		var s server
		call("GET", "/api/v1/servers/coop-1", "", 200, &s)
		return s.ActualState
	}

	var game struct {
		Installed bool   `json:"installed"`
		BuildID   string `json:"buildid"`
	}
	call("GET", "/api/v1/game", "", 200, &game)
	if !game.Installed || game.BuildID == "" {
		t.Fatalf("the game: %+v, want it installed", game)
	}

	var s server
	call("POST", "/api/v1/servers", `{"name": "coop-1", "title": "Co-op night"}`, 201, &s)
	if s.Name != "coop-1" || s.Port != 27015 {
		t.Fatalf("created %+v", s)
	}
	var j job
	call("POST", "/api/v1/servers/coop-1/start", "", 202, &j)
	if j = follow(j.ID); j.State != "succeeded" {
		t.Fatalf("start job %+v", j)
	}
	waitForAPI(t, "actual_state running", func() bool { return state() == "running" })

	call("POST", "/api/v1/servers/coop-1/stop", "", 202, &j)
	if j = follow(j.ID); j.State != "succeeded" {
		t.Fatalf("stop job %+v", j)
	}
	waitForAPI(t, "actual_state stopped", func() bool { return state() == "stopped" })

	call("DELETE", "/api/v1/servers/coop-1", "", 202, &j)
	if j = follow(j.ID); j.State != "succeeded" {
		t.Fatalf("delete job %+v", j)
	}
	call("GET", "/api/v1/servers/coop-1", "", 404, nil)
}

// waitForAPI polls cond every 100 ms until it holds or 30 s pass.
func waitForAPI(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
