package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
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

func TestTheActionModesRefuseMissingFlagsBeforeSendingAnything(t *testing.T) {
	// No panel listens on 127.0.0.1:9: flags checked only after the wait
	// for /healthz would fail 20 s later with another error.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-actions", "10"}, "-tokens"},
		{[]string{"-crash", "10", "-tokens", "f", "-restart", "true"}, "-pid"},
		{[]string{"-crash", "10", "-tokens", "f", "-pid", "1"}, "-restart"},
	} {
		err := run(context.Background(), append([]string{"-addr", "127.0.0.1:9"}, tc.args...), io.Discard, func(string) string { return "" })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run %q = %v, want a refusal naming %s", tc.args, err, tc.want)
		}
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
	// A handler may still be finishing a request the load has given up on.
	mu.Lock()
	seen, wrong := got, bad
	mu.Unlock()
	if r.Errors != 0 || wrong != 0 {
		t.Fatalf("errors %d (%s), requests without the session or HX-Request %d", r.Errors, r.FirstErr, wrong)
	}
	if r.Requests < 80 || r.Requests > 104 {
		t.Errorf("%d requests in 1 s at 100/s, want about 100", r.Requests)
	}
	if seen < r.Requests {
		t.Errorf("the server saw %d requests, the load counted %d", seen, r.Requests)
	}
}

// loginPanel is a stand-in for the panel's login: the form with a CSRF
// token, and POST /login answering 401 for every name but busy, which is
// 503. It records the client addresses of the POSTs.
type loginPanel struct {
	mu    sync.Mutex
	addrs map[string]int
	names []string
}

func (p *loginPanel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/healthz":
		io.WriteString(w, `{"ok":true}`)
	case r.Method == http.MethodGet && r.URL.Path == "/login":
		io.WriteString(w, `<html><head><meta name="csrf-token" content="tok"></head></html>`)
	case r.Method == http.MethodPost && r.URL.Path == "/login":
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		p.mu.Lock()
		p.addrs[host]++
		p.names = append(p.names, r.FormValue("name"))
		p.mu.Unlock()
		if r.FormValue("_csrf") != "tok" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		if r.FormValue("name") == "storm-0" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	default:
		http.NotFound(w, r)
	}
}

func TestAStormPostsFromOneLoopbackAddressPerClient(t *testing.T) {
	p := &loginPanel{addrs: map[string]int{}}
	srv := httptest.NewServer(p)
	defer srv.Close()

	r, err := storm(context.Background(), stormOpts{Base: srv.URL, Clients: 20, PID: os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	if r.Errors != 0 || r.Statuses[401] != 19 || r.Statuses[503] != 1 || len(r.Logins) != 20 {
		t.Fatalf("statuses %v, %d errors (%s), %d latencies", r.Statuses, r.Errors, r.FirstErr, len(r.Logins))
	}
	if len(p.addrs) != 20 {
		t.Fatalf("the POSTs came from %d addresses, want 20: %v", len(p.addrs), p.addrs)
	}
	for a := range p.addrs {
		if !strings.HasPrefix(a, "127.77.") {
			t.Fatalf("a POST from %s, want 127.77.x.y", a)
		}
	}
	if r.PeakRSS <= 0 || r.PeakRSS < r.RSSBefore {
		t.Fatalf("RSS before %d, peak %d", r.RSSBefore, r.PeakRSS)
	}
}

func TestLoginTimingAlternatesTheKnownNameWithNewUnknownOnes(t *testing.T) {
	p := &loginPanel{addrs: map[string]int{}}
	srv := httptest.NewServer(p)
	defer srv.Close()

	r, err := loginTiming(context.Background(), srv.URL, "ann", 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Known) != 3 || len(r.Unknown) != 3 {
		t.Fatalf("%d known, %d unknown samples, want 3 each", len(r.Known), len(r.Unknown))
	}
	seen := map[string]int{}
	for i, name := range p.names {
		seen[name]++
		if i%2 == 1 && (name == "ann") == (p.names[i-1] == "ann") {
			t.Fatalf("names %v: not in pairs of ann and another", p.names)
		}
	}
	if len(p.names) != 6 || seen["ann"] != 3 || len(seen) != 4 || len(p.addrs) != 6 {
		t.Fatalf("names %v from %d addresses, want ann 3 times and 3 other names, from 6", p.names, len(p.addrs))
	}
}
