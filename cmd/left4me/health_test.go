package main

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

// hostHealth is the part of /healthz these tests read.
type hostHealth struct {
	OK            bool       `json:"ok"`
	Host          string     `json:"host"`
	HostCheckedAt *time.Time `json:"host_checked_at"`
}

func getHealth(t *testing.T, addr string) (int, hostHealth) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h hostHealth
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, h
}

func TestServeReportsWhenThePollerLastReachedSystemd(t *testing.T) {
	p := startPanel(t, "-state-poller-interval", "1s")
	if code, h := getHealth(t, p.Addr); code != 200 || !h.OK || h.Host != "unknown" {
		t.Fatalf("with no server to ask about: %d %+v, want ok with the host unknown", code, h)
	}
	// A server gives the poller something to ask systemd (the fake) about.
	db, err := store.Open(context.Background(), filepath.Join(p.Dir, "left4me.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	storetest.Server(t, db, "coop-1", 27015)

	deadline := time.Now().Add(10 * time.Second)
	for {
		code, h := getHealth(t, p.Addr)
		if code == 200 && h.OK && h.Host == "ok" && h.HostCheckedAt != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s: %d %+v, want the host ok with the time the poller asked", code, h)
		}
		time.Sleep(50 * time.Millisecond) // polling with a deadline: the panel has no signal to wait on
	}
}

func TestServeWithoutWorkersSaysNothingAskedSystemd(t *testing.T) {
	p := startPanel(t, "-job-workers", "0")
	if code, h := getHealth(t, p.Addr); code != 200 || !h.OK || h.Host != "unknown" || h.HostCheckedAt != nil {
		t.Fatalf("without workers: %d %+v, want ok with the host unknown", code, h)
	}
}
