package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestOnlyLoopbackAddressesAreLoaded(t *testing.T) {
	tests := []struct {
		addr    string
		wantErr bool
	}{
		{"127.0.0.1:8080", false},
		{"127.0.0.2:8080", false},
		{"[::1]:8080", false},
		{"localhost:8080", true}, // a name could resolve anywhere
		{"10.0.0.1:8080", true},
		{"0.0.0.0:8080", true},
		{"example.com:80", true},
		{"127.0.0.1", true},
	}
	for _, tt := range tests {
		if err := checkLoopback(tt.addr); (err != nil) != tt.wantErr {
			t.Errorf("checkLoopback(%q) = %v, want error %v", tt.addr, err, tt.wantErr)
		}
	}
}

func TestRunRefusesANonLoopbackTargetBeforeSendingAnything(t *testing.T) {
	err := run(context.Background(), []string{"-addr", "192.0.2.1:80"}, io.Discard, func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("run = %v, want a refusal naming loopback", err)
	}
}

func TestPercentilesAreNearestRank(t *testing.T) {
	r := result{Elapsed: time.Second}
	for i := 1; i <= 100; i++ {
		r.Latencies = append(r.Latencies, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{50: 50 * time.Millisecond, 95: 95 * time.Millisecond, 100: 100 * time.Millisecond} {
		if got := r.Percentile(p); got != want {
			t.Errorf("p%v = %s, want %s", p, got, want)
		}
	}
	if r.RPS() != 100 {
		t.Errorf("RPS = %v, want 100", r.RPS())
	}
	if (result{}).Percentile(95) != 0 {
		t.Error("no latencies: want 0")
	}
}

func TestLoadSendsTheSessionAndKeepsToTheRate(t *testing.T) {
	var mu sync.Mutex
	var got, bad int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		mu.Lock()
		defer mu.Unlock()
		got++
		if err != nil || c.Value != "tok" || r.Header.Get("HX-Request") != "true" {
			bad++
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()

	r := load(context.Background(), loadOpts{URL: srv.URL, Session: "tok", Clients: 4, Duration: time.Second, Rate: 100})
	if r.Errors != 0 || bad != 0 {
		t.Fatalf("errors %d (%s), requests without the session or HX-Request %d", r.Errors, r.FirstErr, bad)
	}
	if r.Requests < 80 || r.Requests > 104 {
		t.Errorf("%d requests in 1 s at 100/s, want about 100", r.Requests)
	}
	if got < r.Requests {
		t.Errorf("the server saw %d requests, the load counted %d", got, r.Requests)
	}
}
