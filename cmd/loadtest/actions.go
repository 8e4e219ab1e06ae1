package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The operations the action modes ask for, and the state each one leaves
// a server in.
var opState = map[string]string{"start": "running", "restart": "running", "stop": "stopped"}

// action is one request: op on server, sent by client Client.
type action struct {
	Server, Op string
	Client     int
}

// answer is what the panel said to one action.
type answer struct {
	action
	Status int           // 0: no answer
	Err    string        // why there was no answer, or what was wrong with the 202
	Job    apiJob        // the job of a 202
	Took   time.Duration // from the common start to the answer
}

// accepted reports whether the panel took the request (202 with a job).
func (a answer) accepted() bool { return a.Status == http.StatusAccepted && a.Job.ID > 0 }

// planActions spreads n requests over servers, each with an operation
// drawn from rng, and over clients round-robin, shifted by one every
// pass over the servers so that a server's requests come from different
// clients.
func planActions(servers []string, clients, n int, rng *rand.Rand) []action {
	ops := slices.Sorted(maps.Keys(opState))
	as := make([]action, n)
	for i := range as {
		as[i] = action{Server: servers[i%len(servers)], Op: ops[rng.IntN(len(ops))], Client: (i + i/len(servers)) % clients}
	}
	return as
}

// mostPerClient is how many of as the busiest client sends: that many
// connections at once from its address.
func mostPerClient(as []action) int {
	n := map[int]int{}
	for _, a := range as {
		n[a.Client]++
	}
	return slices.Max(slices.Collect(maps.Values(n)))
}

// planRounds asks every server once a round for rounds rounds, each
// time an operation other than the one before on that server (the same
// one while it is still queued would only give the queued job back), so
// that every request makes a job and a server's last job is among the
// last queued.
func planRounds(servers []string, clients, rounds int, rng *rand.Rand) [][]action {
	ops := slices.Sorted(maps.Keys(opState))
	last := map[string]string{}
	plan := make([][]action, rounds)
	i := 0
	for r := range plan {
		for _, s := range servers {
			op := ops[rng.IntN(len(ops))]
			for op == last[s] {
				op = ops[rng.IntN(len(ops))]
			}
			last[s] = op
			plan[r] = append(plan[r], action{Server: s, Op: op, Client: i % clients})
			i++
		}
	}
	return plan
}

// sendAll sends every action at the same moment, each from its client,
// and returns the answers in the order of as.
func sendAll(ctx context.Context, clients []*apiClient, as []action) []answer {
	out := make([]answer, len(as))
	start := make(chan struct{})
	var wg sync.WaitGroup
	var t0 time.Time
	for i, a := range as {
		wg.Go(func() {
			<-start
			out[i] = clients[a.Client].act(ctx, a, t0)
		})
	}
	t0 = time.Now()
	close(start)
	wg.Wait()
	return out
}

// act sends one action and reads its answer.
func (ac *apiClient) act(ctx context.Context, a action, t0 time.Time) answer {
	status, body, err := ac.send(ctx, http.MethodPost, "/api/v1/servers/"+a.Server+"/"+a.Op)
	r := answer{action: a, Status: status, Took: time.Since(t0)}
	var ra *retryAfter
	switch {
	case errors.As(err, &ra):
	case err != nil:
		r.Err = err.Error()
	case status == http.StatusAccepted:
		if err := json.Unmarshal(body, &r.Job); err != nil {
			r.Err = fmt.Sprintf("POST %s %s: 202 with %q: %v", a.Op, a.Server, body, err)
		}
	}
	return r
}

// lastAccepted is, for every server that accepted a request, the job of
// the last one: the highest job id, since a job is queued in the
// transaction that accepts its request, and a request given a queued job
// back was given the newest one.
func lastAccepted(answers []answer) map[string]apiJob {
	last := map[string]apiJob{}
	for _, a := range answers {
		if a.accepted() && a.Job.ID > last[a.Server].ID {
			last[a.Server] = a.Job
		}
	}
	return last
}

// jobIDs is the distinct jobs of the accepted answers, in order.
func jobIDs(answers []answer) []int64 {
	var ids []int64
	for _, a := range answers {
		if a.accepted() {
			ids = append(ids, a.Job.ID)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// check lists what went wrong: no answer, or any but 202 and 429 (the
// rate limit, which says to ask again later); a request accepted
// without its job, or with a job for something else; a job not ended,
// or failed or cancelled without a reason; a server whose desired or
// actual state is not what its last accepted request asked for.
func check(answers []answer, jobs map[int64]apiJob, servers []apiServer) []string {
	var problems []string
	for _, a := range answers {
		switch {
		case a.Status == 0:
			problems = append(problems, fmt.Sprintf("%s %s: no answer: %s", a.Op, a.Server, a.Err))
		case a.Status != http.StatusAccepted && a.Status != http.StatusTooManyRequests:
			problems = append(problems, fmt.Sprintf("%s %s: answered %d", a.Op, a.Server, a.Status))
		case a.Status == http.StatusAccepted && a.Err != "":
			problems = append(problems, a.Err)
		case a.accepted():
			j, ok := jobs[a.Job.ID]
			if !ok {
				problems = append(problems, fmt.Sprintf("%s %s: accepted with job %d, which the panel does not have", a.Op, a.Server, a.Job.ID))
			} else if j.Server != a.Server || j.Operation != a.Op {
				problems = append(problems, fmt.Sprintf("%s %s: accepted with job %d, which is %s %s", a.Op, a.Server, j.ID, j.Operation, j.Server))
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(jobs)) {
		j := jobs[id]
		switch {
		case !j.ended():
			problems = append(problems, fmt.Sprintf("job %d (%s %s) did not end: %s", j.ID, j.Operation, j.Server, j.State))
		case j.State != "succeeded" && j.Reason == "":
			problems = append(problems, fmt.Sprintf("job %d (%s %s) %s without a reason", j.ID, j.Operation, j.Server, j.State))
		}
	}
	return append(problems, unsettled(lastAccepted(answers), servers)...)
}

// unsettled lists the servers of last whose desired or actual state is
// not what their last accepted request (its job in last) asked for.
func unsettled(last map[string]apiJob, servers []apiServer) []string {
	byName := map[string]apiServer{}
	for _, s := range servers {
		byName[s.Name] = s
	}
	var problems []string
	for _, name := range slices.Sorted(maps.Keys(last)) {
		j, want := last[name], opState[last[name].Operation]
		s, ok := byName[name]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("server %s is gone", name))
		case s.DesiredState != want || s.ActualState != want:
			problems = append(problems, fmt.Sprintf("server %s: desired %s, actual %s; its last accepted request (job %d, %s) asked for %s",
				name, s.DesiredState, s.ActualState, j.ID, j.Operation, want))
		}
	}
	return problems
}

// pool hands out the clients in turn, so that the reads after a run
// spread over the users' rate limits.
type pool struct {
	mu      sync.Mutex
	clients []*apiClient
	next    int
}

func (p *pool) get() *apiClient {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next++
	return p.clients[p.next%len(p.clients)]
}

// waitJobs reads every job of ids until it has ended, or until timeout
// has passed, and then once more; it returns the jobs as last read,
// without those the panel does not have. Jobs end roughly in the order
// they were queued, so it waits on the oldest that has not ended and
// reads the next one as soon as it has.
func waitJobs(ctx context.Context, p *pool, ids []int64, timeout time.Duration) (map[int64]apiJob, error) {
	deadline := time.Now().Add(timeout)
	jobs := map[int64]apiJob{}
	for _, id := range ids {
		for {
			j, err := p.get().job(ctx, id)
			if errors.Is(err, errNotFound) {
				break // check reports it
			}
			if err != nil {
				return jobs, err
			}
			jobs[id] = j
			if j.ended() || time.Now().After(deadline) {
				break
			}
			select {
			case <-time.After(200 * time.Millisecond):
			case <-ctx.Done():
				return jobs, ctx.Err()
			}
		}
	}
	return jobs, nil
}

// waitConverged reads the servers every half second until every server
// of last is as its last job asked, or until timeout has passed; it
// returns the servers as last read.
func waitConverged(ctx context.Context, p *pool, last map[string]apiJob, timeout time.Duration) ([]apiServer, error) {
	deadline := time.Now().Add(timeout)
	for {
		servers, err := p.get().servers(ctx)
		if err != nil || len(unsettled(last, servers)) == 0 || time.Now().After(deadline) {
			return servers, err
		}
		select {
		case <-time.After(500 * time.Millisecond):
		case <-ctx.Done():
			return servers, ctx.Err()
		}
	}
}

// loadServers is the servers -seed made (load-1, load-2, …), in order of
// their numbers: the action modes touch no other server.
func loadServers(all []apiServer) []string {
	var names []string
	for _, s := range all {
		if n, ok := strings.CutPrefix(s.Name, "load-"); ok {
			if _, err := strconv.Atoi(n); err == nil {
				names = append(names, s.Name)
			}
		}
	}
	slices.SortFunc(names, func(a, b string) int {
		x, _ := strconv.Atoi(a[len("load-"):])
		y, _ := strconv.Atoi(b[len("load-"):])
		return cmp.Compare(x, y)
	})
	return names
}

// apiClients makes one client per token, client i on loopback address
// 127.79.x.y, each keeping up to conns connections.
func apiClients(base string, tokens []string, conns int) []*apiClient {
	cs := make([]*apiClient, len(tokens))
	for i, t := range tokens {
		cs[i] = newAPIClient(base, t, sourceAddr(79, i), conns)
	}
	return cs
}

// statusCounts is "598 × 202, 2 × 429".
func statusCounts(answers []answer) string {
	n := map[int]int{}
	for _, a := range answers {
		n[a.Status]++
	}
	var parts []string
	for _, code := range slices.Sorted(maps.Keys(n)) {
		if code == 0 {
			parts = append(parts, fmt.Sprintf("%d without an answer", n[0]))
			continue
		}
		parts = append(parts, fmt.Sprintf("%d × %d", n[code], code))
	}
	return strings.Join(parts, ", ")
}

// jobCounts is "412 succeeded, 3 failed; 4 run more than once".
func jobCounts(jobs map[int64]apiJob) string {
	n := map[string]int{}
	again := 0
	for _, j := range jobs {
		n[j.State]++
		if j.Attempts > 1 {
			again++
		}
	}
	var parts []string
	for _, s := range slices.Sorted(maps.Keys(n)) {
		parts = append(parts, fmt.Sprintf("%d %s", n[s], s))
	}
	return fmt.Sprintf("%s; %d run more than once", strings.Join(parts, ", "), again)
}

// actionsOpts is one run of -actions.
type actionsOpts struct {
	Base    string
	Tokens  []string
	N       int
	Seed    uint64 // of the plan
	Timeout time.Duration
}

// runActions sends o.N start, stop and restart requests at once over the
// load-* servers, from one loopback address per token, waits for every
// job to end and every server to settle, checks them and prints the
// figures.
func runActions(ctx context.Context, stdout io.Writer, o actionsOpts) error {
	perClient := (o.N + len(o.Tokens) - 1) / len(o.Tokens)
	clients := apiClients(o.Base, o.Tokens, perClient)
	for _, c := range clients {
		defer c.close()
	}
	p := &pool{clients: clients}
	all, err := p.get().servers(ctx)
	if err != nil {
		return err
	}
	servers := loadServers(all)
	if len(servers) == 0 {
		return errors.New("-actions: the panel has no server load-1, load-2, … (-seed makes them)")
	}
	plan := planActions(servers, len(clients), o.N, rand.New(rand.NewPCG(o.Seed, 0)))
	answers := sendAll(ctx, clients, plan)
	elapsed := slices.MaxFunc(answers, func(a, b answer) int { return cmp.Compare(a.Took, b.Took) }).Took
	var lat []time.Duration
	for _, a := range answers {
		if a.Status != 0 {
			lat = append(lat, a.Took)
		}
	}
	slices.Sort(lat)
	r := result{Latencies: lat, Elapsed: elapsed}
	fmt.Fprintf(stdout, "%d start/stop/restart requests at once over %d servers, through %d API tokens from %d loopback addresses (127.79.0.1…, up to %d connections from one; the panel's cap per address is 64 unless LEFT4ME_MAX_CONNS_PER_ADDR says otherwise)\n",
		o.N, len(servers), len(clients), len(clients), mostPerClient(plan))
	fmt.Fprintf(stdout, "  answered within %s: %s; %.0f req/s, latency p50 %s  p95 %s  max %s\n",
		elapsed.Round(time.Millisecond), statusCounts(answers), float64(len(lat))/elapsed.Seconds(),
		ms(r.Percentile(50)), ms(r.Percentile(95)), ms(r.Percentile(100)))

	t0 := time.Now()
	ids := jobIDs(answers)
	jobs, err := waitJobs(ctx, p, ids, o.Timeout)
	if err != nil {
		return err
	}
	tJobs := time.Since(t0)
	last := lastAccepted(answers)
	final, err := waitConverged(ctx, p, last, o.Timeout)
	if err != nil {
		return err
	}
	accepted := 0
	for _, a := range answers {
		if a.accepted() {
			accepted++
		}
	}
	fmt.Fprintf(stdout, "  %d accepted: %d jobs (%d requests given a queued job back); %s; all ended %s after the last answer\n",
		accepted, len(ids), accepted-len(ids), jobCounts(jobs), tJobs.Round(100*time.Millisecond))
	problems := check(answers, jobs, final)
	return report(stdout, problems, fmt.Sprintf("every server as its last accepted request asked (%d servers) %s after the last answer",
		len(last), time.Since(t0).Round(100*time.Millisecond)))
}

// report prints ok when there are no problems, else the first ones, and
// returns an error counting them.
func report(stdout io.Writer, problems []string, ok string) error {
	if len(problems) == 0 {
		fmt.Fprintf(stdout, "  %s; nothing lost\n", ok)
		return nil
	}
	for i, p := range problems {
		if i == 10 {
			fmt.Fprintf(stdout, "  … and %d more\n", len(problems)-i)
			break
		}
		fmt.Fprintf(stdout, "  PROBLEM: %s\n", p)
	}
	return fmt.Errorf("%d problems", len(problems))
}
