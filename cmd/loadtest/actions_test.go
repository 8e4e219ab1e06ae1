package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func names(prefix string, n int) []string {
	var ns []string
	for i := 1; i <= n; i++ {
		ns = append(ns, prefix+strconv.Itoa(i))
	}
	return ns
}

func TestPlanActionsSpreadsOverServersAndClientsWithEveryOperation(t *testing.T) {
	servers := names("load-", 100)
	plan := planActions(servers, 20, 600, rand.New(rand.NewPCG(1, 0)))
	perServer, perClient, ops := map[string]int{}, map[int]int{}, map[string]int{}
	clientsOf := map[string]map[int]bool{}
	for _, a := range plan {
		perServer[a.Server]++
		perClient[a.Client]++
		ops[a.Op]++
		if clientsOf[a.Server] == nil {
			clientsOf[a.Server] = map[int]bool{}
		}
		clientsOf[a.Server][a.Client] = true
	}
	if len(plan) != 600 || len(perServer) != 100 || len(perClient) != 20 {
		t.Fatalf("%d actions over %d servers and %d clients, want 600 over 100 and 20", len(plan), len(perServer), len(perClient))
	}
	for s, n := range perServer {
		if n != 6 {
			t.Fatalf("%s gets %d requests, want 6", s, n)
		}
	}
	for c, n := range perClient {
		if n != 30 {
			t.Fatalf("client %d sends %d requests, want 30", c, n)
		}
	}
	if mostPerClient(plan) != 30 {
		t.Fatalf("the busiest client sends %d, want 30", mostPerClient(plan))
	}
	for s, cs := range clientsOf {
		if len(cs) != 6 {
			t.Fatalf("%s's 6 requests come from %d clients, want 6 different ones", s, len(cs))
		}
	}
	if len(ops) != 3 || ops["start"] == 0 || ops["stop"] == 0 || ops["restart"] == 0 {
		t.Fatalf("operations %v, want start, stop and restart", ops)
	}
	if again := planActions(servers, 20, 600, rand.New(rand.NewPCG(1, 0))); !slices.Equal(plan, again) {
		t.Fatal("the same seed made another plan")
	}
}

func TestPlanRoundsAsksEveryServerOnceARoundNeverTheSameOperationTwice(t *testing.T) {
	servers := names("load-", 60)
	plan := planRounds(servers, 20, 3, rand.New(rand.NewPCG(1, 1)))
	if len(plan) != 3 {
		t.Fatalf("%d rounds, want 3", len(plan))
	}
	last := map[string]string{}
	for r, round := range plan {
		var got []string
		for _, a := range round {
			got = append(got, a.Server)
			if a.Op == last[a.Server] {
				t.Fatalf("round %d asks %s for %s again", r, a.Server, a.Op)
			}
			if _, ok := opState[a.Op]; !ok {
				t.Fatalf("round %d: operation %q", r, a.Op)
			}
			last[a.Server] = a.Op
		}
		if !slices.Equal(got, servers) {
			t.Fatalf("round %d asks %v, want every server once", r, got)
		}
	}
}

// accepted is a 202 for op on server with job id.
func accepted(server, op string, id int64) answer {
	return answer{action: action{Server: server, Op: op}, Status: 202, Job: apiJob{ID: id, Server: server, Operation: op, State: "queued"}}
}

func TestTheLastAcceptedRequestIsTheNewestJob(t *testing.T) {
	answers := []answer{
		accepted("a", "start", 3),
		accepted("a", "stop", 7),
		accepted("a", "stop", 7), // given the queued job back
		accepted("a", "start", 5),
		{action: action{Server: "a", Op: "restart"}, Status: 429},
		accepted("b", "restart", 4),
	}
	last := lastAccepted(answers)
	if len(last) != 2 || last["a"].ID != 7 || last["b"].ID != 4 {
		t.Fatalf("last %v, want a: job 7, b: job 4", last)
	}
	if ids := jobIDs(answers); !slices.Equal(ids, []int64{3, 4, 5, 7}) {
		t.Fatalf("job ids %v, want 3 4 5 7", ids)
	}
}

func TestCheckFindsWhatWasLost(t *testing.T) {
	ended := func(id int64, server, op, state, reason string) apiJob {
		return apiJob{ID: id, Server: server, Operation: op, State: state, Reason: reason}
	}
	good := func() ([]answer, map[int64]apiJob, []apiServer) {
		return []answer{accepted("a", "start", 1), accepted("a", "stop", 2), accepted("b", "restart", 3), accepted("b", "restart", 3)},
			map[int64]apiJob{1: ended(1, "a", "start", "succeeded", ""), 2: ended(2, "a", "stop", "succeeded", ""), 3: ended(3, "b", "restart", "succeeded", "")},
			[]apiServer{{Name: "a", DesiredState: "stopped", ActualState: "stopped"}, {Name: "b", DesiredState: "running", ActualState: "running"}}
	}
	tests := []struct {
		name         string
		change       func(as *[]answer, js map[int64]apiJob, ss []apiServer)
		wantProblems []string // each found in one problem
	}{
		{"all well", func(*[]answer, map[int64]apiJob, []apiServer) {}, nil},
		{"a 500", func(as *[]answer, _ map[int64]apiJob, _ []apiServer) {
			*as = append(*as, answer{action: action{Server: "a", Op: "stop"}, Status: 500})
		}, []string{"answered 500"}},
		{"no answer", func(as *[]answer, _ map[int64]apiJob, _ []apiServer) {
			*as = append(*as, answer{action: action{Server: "a", Op: "stop"}, Err: "connection reset"})
		}, []string{"no answer: connection reset"}},
		{"a 429 is not a problem", func(as *[]answer, _ map[int64]apiJob, _ []apiServer) {
			*as = append(*as, answer{action: action{Server: "a", Op: "start"}, Status: 429})
		}, nil},
		{"an accepted request whose job is gone", func(_ *[]answer, js map[int64]apiJob, _ []apiServer) {
			delete(js, 1)
		}, []string{"job 1, which the panel does not have"}},
		{"a job for something else", func(_ *[]answer, js map[int64]apiJob, _ []apiServer) {
			js[1] = ended(1, "b", "start", "succeeded", "")
		}, []string{"job 1, which is start b"}},
		{"a job still running", func(_ *[]answer, js map[int64]apiJob, _ []apiServer) {
			js[2] = ended(2, "a", "stop", "running", "")
		}, []string{"job 2 (stop a) did not end: running"}},
		{"a failed job without a reason", func(_ *[]answer, js map[int64]apiJob, _ []apiServer) {
			js[1] = ended(1, "a", "start", "failed", "")
		}, []string{"job 1 (start a) failed without a reason"}},
		{"a failed job with a reason", func(_ *[]answer, js map[int64]apiJob, _ []apiServer) {
			js[1] = ended(1, "a", "start", "failed", "enable a: exit status 1")
		}, nil},
		{"a server not as its last request asked", func(_ *[]answer, _ map[int64]apiJob, ss []apiServer) {
			ss[1].ActualState = "stopped"
		}, []string{"server b: desired running, actual stopped; its last accepted request (job 3, restart) asked for running"}},
		{"a server that is gone", func(_ *[]answer, _ map[int64]apiJob, ss []apiServer) {
			ss[0].Name = "c"
		}, []string{"server a is gone"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as, js, ss := good()
			tt.change(&as, js, ss)
			got := check(as, js, ss)
			if len(got) != len(tt.wantProblems) {
				t.Fatalf("problems %q, want %d", got, len(tt.wantProblems))
			}
			for i, want := range tt.wantProblems {
				if !strings.Contains(got[i], want) {
					t.Errorf("problem %q, want one saying %q", got[i], want)
				}
			}
		})
	}
}

func TestInFlightCountsTheJobsNotEndedAtTheKill(t *testing.T) {
	kill := time.Date(2026, 5, 1, 20, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := kill.Add(d); return &t }
	jobs := map[int64]apiJob{
		1: {ID: 1, Server: "a", CreatedAt: at(-3 * time.Second), FinishedAt: at(-time.Second)}, // ended before
		2: {ID: 2, Server: "a", CreatedAt: at(-3 * time.Second), FinishedAt: at(time.Second)},  // running, run again
		3: {ID: 3, Server: "b", CreatedAt: at(-2 * time.Second), FinishedAt: at(5 * time.Second)},
		4: {ID: 4, Server: "c", CreatedAt: at(-2 * time.Second)},                             // never ended
		5: {ID: 5, Server: "c", CreatedAt: at(time.Second), FinishedAt: at(2 * time.Second)}, // made after
	}
	if n := inFlight(jobs, kill); n != 3 {
		t.Errorf("%d in flight, want 3", n)
	}
}

func TestReadTokensSkipsBlankAndCommentLines(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "tokens")
	os.WriteFile(file, []byte("# act-1\nl4m_one\n\n  l4m_two  \n"), 0o600)
	toks, err := readTokens(file)
	if err != nil || !slices.Equal(toks, []string{"l4m_one", "l4m_two"}) {
		t.Fatalf("tokens %q, %v", toks, err)
	}
	os.WriteFile(file, []byte("\n# none\n"), 0o600)
	if _, err := readTokens(file); err == nil {
		t.Fatal("a file without a token was read")
	}
}

// apiPanel is a stand-in for the panel's JSON API: jobs end as soon as
// they are queued and set their server's states. It records the source
// addresses of each token's requests, and loses job lose (404).
type apiPanel struct {
	mu      sync.Mutex
	tokens  map[string]map[string]bool // token → the addresses it came from
	servers map[string]*apiServer
	jobs    []apiJob
	lose    int64
}

func newAPIPanel(tokens []string, servers []string) *apiPanel {
	p := &apiPanel{tokens: map[string]map[string]bool{}, servers: map[string]*apiServer{}}
	for _, t := range tokens {
		p.tokens[t] = map[string]bool{}
	}
	for _, s := range servers {
		p.servers[s] = &apiServer{Name: s, DesiredState: "stopped", ActualState: "stopped"}
	}
	return p
}

func (p *apiPanel) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/servers", func(w http.ResponseWriter, r *http.Request) {
		var ss []apiServer
		for _, s := range p.servers {
			ss = append(ss, *s)
		}
		json.NewEncoder(w).Encode(map[string]any{"servers": ss})
	})
	mux.HandleFunc("POST /api/v1/servers/{name}/{op}", func(w http.ResponseWriter, r *http.Request) {
		s, ok := p.servers[r.PathValue("name")]
		state, known := opState[r.PathValue("op")]
		if !ok || !known {
			http.NotFound(w, r)
			return
		}
		now := time.Now()
		j := apiJob{ID: int64(len(p.jobs) + 1), Server: s.Name, Operation: r.PathValue("op"), State: "succeeded", Attempts: 1, CreatedAt: &now, FinishedAt: &now}
		p.jobs = append(p.jobs, j)
		s.DesiredState, s.ActualState = state, state
		w.WriteHeader(http.StatusAccepted)
		json.NewEncoder(w).Encode(j)
	})
	mux.HandleFunc("GET /api/v1/jobs/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if id < 1 || id > int64(len(p.jobs)) || id == p.lose {
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode(p.jobs[id-1])
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		addrs, ok := p.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		addrs[host] = true
		mux.ServeHTTP(w, r)
	})
}

func TestActionsGoThroughEveryTokenFromItsOwnAddressAndFindALostJob(t *testing.T) {
	tokens := []string{"l4m_a", "l4m_b", "l4m_c", "l4m_d"}
	p := newAPIPanel(tokens, append(names("load-", 10), "other"))
	srv := httptest.NewServer(p.handler())
	defer srv.Close()

	var out bytes.Buffer
	o := actionsOpts{Base: srv.URL, Tokens: tokens, N: 60, Seed: 1, Timeout: 10 * time.Second}
	if err := runActions(context.Background(), &out, o); err != nil {
		t.Fatalf("runActions: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "60 × 202") || !strings.Contains(out.String(), "60 accepted: 60 jobs") {
		t.Errorf("output does not count 60 accepted requests and jobs:\n%s", out.String())
	}
	seen := map[string]bool{}
	for tok, addrs := range p.tokens {
		if len(addrs) != 1 {
			t.Fatalf("token %s came from %v, want one address", tok, addrs)
		}
		for a := range addrs {
			if !strings.HasPrefix(a, "127.79.0.") || seen[a] {
				t.Fatalf("token %s came from %s, want its own 127.79.0.x", tok, a)
			}
			seen[a] = true
		}
	}
	for _, j := range p.jobs {
		if j.Server == "other" {
			t.Fatal("an action went to a server -seed did not make")
		}
	}

	p.lose = 61 // the first job of the next run
	out.Reset()
	err := runActions(context.Background(), &out, o)
	if err == nil || !strings.Contains(out.String(), "job 61, which the panel does not have") {
		t.Fatalf("a lost job: err %v, output:\n%s", err, out.String())
	}
}

func TestAPanelIsGoneOnceKilledAndStopEndsItsProcessGroup(t *testing.T) {
	// A child of the test stays a zombie until it is waited for: gone all
	// the same.
	sleeper := exec.Command("sleep", "60")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	defer sleeper.Wait()
	syscall.Kill(sleeper.Process.Pid, syscall.SIGKILL)
	if err := waitGone(context.Background(), sleeper.Process.Pid, 10*time.Second); err != nil {
		t.Fatal(err)
	}

	// The shell's child, in the same group, ends with it.
	pidFile := filepath.Join(t.TempDir(), "pid")
	panel, err := startPanel(fmt.Sprintf("sleep 60 & echo $! >%s; wait", pidFile), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var child int
	waitFor(t, func() bool {
		b, _ := os.ReadFile(pidFile)
		child, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return child > 0
	})
	if err := panel.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if err := waitGone(context.Background(), child, 10*time.Second); err != nil {
		t.Fatalf("the shell's child: %v", err)
	}
}

// waitFor polls cond until it holds, for at most 10 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
