package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// crashRounds is how many times -crash asks every one of its servers:
// with N/2 servers and the kill when N jobs are left, the last two
// rounds, every server's last job among them, are queued or running.
const crashRounds = 3

// crashOpts is one run of -crash.
type crashOpts struct {
	Base    string
	Tokens  []string
	N       int    // jobs queued or running at the kill
	PID     int    // the panel to kill
	Restart string // a shell command that starts the panel again on the same database
	Seed    uint64 // of the plan
	Timeout time.Duration
	Output  io.Writer // the restarted panel's stdout and stderr, where Restart does not redirect them
}

// runCrash asks the load-* servers for crashRounds rounds of jobs,
// SIGKILLs the panel when o.N of them are queued or running, starts it
// again with o.Restart, waits for every job to end and every server to
// settle, checks them and prints how long the recovery took. It stops
// the panel it started before it returns.
func runCrash(ctx context.Context, stdout io.Writer, o crashOpts) error {
	nServers := (o.N + 1) / 2
	perClient := (nServers + len(o.Tokens) - 1) / len(o.Tokens)
	clients := apiClients(o.Base, o.Tokens, perClient)
	closeAll := func() {
		for _, c := range clients {
			c.close()
		}
	}
	defer closeAll()
	p := &pool{clients: clients}
	all, err := p.get().servers(ctx)
	if err != nil {
		return err
	}
	servers := loadServers(all)
	if len(servers) < nServers {
		return fmt.Errorf("-crash %d: needs %d servers load-1 … load-%d, the panel has %d (-seed makes them)", o.N, nServers, nServers, len(servers))
	}
	servers = servers[:nServers]
	var answers []answer
	for _, round := range planRounds(servers, len(clients), crashRounds, rand.New(rand.NewPCG(o.Seed, 1))) {
		answers = append(answers, sendAll(ctx, clients, round)...)
	}
	ids := jobIDs(answers)
	fmt.Fprintf(stdout, "%d rounds of start/stop/restart over %d servers (load-1 … load-%d), each round's %d requests at once: %s, %d jobs\n",
		crashRounds, nServers, nServers, nServers, statusCounts(answers), len(ids))
	if len(ids) > o.N {
		// Workers claim the oldest queued job whose server is idle, and
		// in the first round every server has one job: when the job o.N
		// from the end leaves the queue, the o.N after it are still queued
		// (jobs end out of order, fast starts passing slow stops, so
		// waiting for it to end would leave fewer).
		if err := waitClaimed(ctx, p, ids[len(ids)-o.N-1], o.Timeout); err != nil {
			return err
		}
	}

	killed := time.Now()
	if err := syscall.Kill(o.PID, syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill -9 %d: %w", o.PID, err)
	}
	if err := waitGone(ctx, o.PID, 10*time.Second); err != nil {
		return err
	}
	closeAll() // connections to the dead panel
	panel, err := startPanel(o.Restart, o.Output)
	if err != nil {
		return err
	}
	defer func() {
		if err := panel.stop(); err != nil {
			fmt.Fprintf(stdout, "  stopping the panel it started: %v\n", err)
		}
	}()
	if err := newBrowser(o.Base).waitReady(ctx, 30*time.Second); err != nil {
		return fmt.Errorf("after the kill: %w", err)
	}
	up := time.Since(killed)
	jobs, err := waitJobs(ctx, p, ids, o.Timeout)
	if err != nil {
		return err
	}
	tJobs := time.Since(killed)
	// The fake host keeps its units under the state root, so the new
	// panel finds every server as the killed one left it: all are checked.
	last := lastAccepted(answers)
	final, err := waitConverged(ctx, p, last, o.Timeout)
	if err != nil {
		return err
	}
	tServers := time.Since(killed)

	fmt.Fprintf(stdout, "  kill -9 (pid %d) with %d jobs queued or running; the panel, started again on the same database, answered %s after the kill\n",
		o.PID, inFlight(jobs, killed), up.Round(100*time.Millisecond))
	fmt.Fprintf(stdout, "  %s; all ended %s after the kill\n", jobCounts(jobs), tJobs.Round(100*time.Millisecond))
	return report(stdout, check(answers, jobs, final), fmt.Sprintf("every server as its last request asked (%d servers) %s after the kill",
		len(last), tServers.Round(100*time.Millisecond)))
}

// waitClaimed waits until job id has left the queue (running or ended).
func waitClaimed(ctx context.Context, p *pool, id int64, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		j, err := p.get().job(ctx, id)
		if err != nil || j.State != "queued" {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("job %d still queued after %s", id, timeout)
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// inFlight counts the jobs queued or running at t: made by then, and not
// ended by then.
func inFlight(jobs map[int64]apiJob, t time.Time) int {
	n := 0
	for _, j := range jobs {
		if j.CreatedAt != nil && !j.CreatedAt.After(t) && (j.FinishedAt == nil || j.FinishedAt.After(t)) {
			n++
		}
	}
	return n
}

// waitGone waits until process pid has exited (a zombie has: it holds no
// descriptors, so its database lock is free).
func waitGone(ctx context.Context, pid int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if i := strings.LastIndexByte(string(b), ')'); err == nil && i > 0 && len(b) > i+2 && (b[i+2] == 'Z' || b[i+2] == 'X') {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("process %d still runs %s after kill -9", pid, timeout)
		}
		select {
		case <-time.After(10 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// panelProcess is a panel the load test started: a shell running the
// command, in a process group of its own.
type panelProcess struct {
	cmd  *exec.Cmd
	done chan error
}

// startPanel runs command with sh -c in a new process group.
func startPanel(command string, out io.Writer) (*panelProcess, error) {
	cmd := exec.Command("sh", "-c", command)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the panel again (-restart): %w", err)
	}
	p := &panelProcess{cmd: cmd, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	return p, nil
}

// stop sends SIGTERM to the process group and waits for the shell; after
// 20 s it sends SIGKILL.
func (p *panelProcess) stop() error {
	pgid := p.cmd.Process.Pid
	if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	select {
	case err := <-p.done:
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() == -1 {
			return nil // the shell ended by the signal: as asked
		}
		return err
	case <-time.After(20 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
		return errors.New("it did not stop within 20 s of SIGTERM; killed")
	}
}
