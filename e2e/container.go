package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// containerPath is PATH inside the container.
const containerPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// container is a booted root under systemd-nspawn, kept running across
// reboots by boot.sh's loop.
type container struct {
	root    string    // the root directory on the host
	bootLog *os.File  // the console and boot.sh's messages
	loop    *exec.Cmd // unshare → boot.sh boot ROOT
	loopEnd chan error
	pid1    int // the container's PID 1, as the host sees it
}

// nspawnWorks runs /bin/true in root through boot.sh's check mode and
// returns errSkip (with nspawn's words) when that fails: the machine
// cannot run containers, and nothing can be checked.
func nspawnWorks(ctx context.Context, bootScript, root string) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	out, err := command(ctx, "unshare", "-m", "--propagation", "private", "sh", bootScript, "check", root)
	if err != nil {
		return skipf("systemd-nspawn cannot run a container on this machine (%v): %s",
			err, strings.TrimSpace(out))
	}
	return nil
}

// boot starts boot.sh's loop and waits until the container's systemd has
// finished booting.
func boot(ctx context.Context, bootScript, root, logPath string) (*container, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	c := &container{root: root, bootLog: logf, loopEnd: make(chan error, 1)}
	// Not CommandContext: the loop must outlive a cancelled ctx long
	// enough for shutdown to power the container off cleanly.
	c.loop = exec.Command("unshare", "-m", "--propagation", "private", "sh", bootScript, "boot", root)
	c.loop.Stdin = nil
	c.loop.Stdout, c.loop.Stderr = logf, logf
	c.loop.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // no terminal signals from make
	if err := c.loop.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start boot.sh: %w", err)
	}
	go func() { c.loopEnd <- c.loop.Wait() }()
	if err := c.waitBooted(ctx, 0); err != nil {
		return c, err
	}
	return c, nil
}

// waitBooted waits for a PID 1 other than old, then for systemd to
// finish starting units ("running", or "degraded" with the failed units
// named in the log).
func (c *container) waitBooted(ctx context.Context, old int) error {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	for {
		if pid, ok := c.findPID1(); ok && pid != old {
			c.pid1 = pid
			break
		}
		select {
		case err := <-c.loopEnd:
			c.loopEnd <- err
			return fmt.Errorf("the container stopped while booting (%v); its console said:\n%s", err, c.logTail(30))
		case <-ctx.Done():
			return fmt.Errorf("no container PID 1 within 90 s; its console said:\n%s", c.logTail(30))
		case <-time.After(100 * time.Millisecond):
		}
	}
	// is-system-running --wait returns once the boot is over.
	for {
		r := c.exec(ctx, "", "systemctl", "is-system-running", "--wait")
		state := strings.TrimSpace(r.out)
		switch {
		case state == "running":
			return nil
		case state == "degraded":
			failed := c.exec(ctx, "", "systemctl", "--failed", "--no-legend", "--plain")
			fmt.Fprintf(c.bootLog, "e2e: booted degraded; failed units:\n%s\n", failed.out)
			return nil
		case ctx.Err() != nil:
			return fmt.Errorf("systemd did not finish booting within 90 s (last said %q); its console said:\n%s", state, c.logTail(30))
		}
		// nsenter may run before PID 1 has set itself up; try again.
		time.Sleep(200 * time.Millisecond)
	}
}

// ansi matches the terminal escape sequences of the console's colours.
var ansi = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]")

// logTail returns the last n lines of the console log, without colours.
func (c *container) logTail(n int) string {
	data, err := os.ReadFile(c.bootLog.Name())
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(ansi.ReplaceAllString(string(data), ""), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// findPID1 finds the container's PID 1: the child of the systemd-nspawn
// process that is the child of our loop.
func (c *container) findPID1() (int, bool) {
	for _, nspawn := range children(c.loop.Process.Pid) {
		if comm(nspawn) != "systemd-nspawn" {
			continue
		}
		for _, pid := range children(nspawn) {
			if comm(pid) == "systemd" {
				return pid, true
			}
		}
	}
	return 0, false
}

// children lists the processes whose parent is pid.
func children(pid int) []int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err == nil {
		var pids []int
		for _, f := range strings.Fields(string(data)) {
			if n, err := strconv.Atoi(f); err == nil {
				pids = append(pids, n)
			}
		}
		return pids
	}
	// Without /proc/PID/task/PID/children, scan every process.
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", n))
		if err != nil {
			continue
		}
		// The command name in parentheses may hold spaces; the parent
		// PID is the second field after the closing parenthesis.
		rest := string(stat[bytes.LastIndexByte(stat, ')')+1:])
		if f := strings.Fields(rest); len(f) > 1 && f[1] == strconv.Itoa(pid) {
			pids = append(pids, n)
		}
	}
	return pids
}

func comm(pid int) string {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(data))
}

// result is what a command inside the container did.
type result struct {
	out  string // stdout
	err  string // stderr
	code int    // exit status; -1 if it could not run or was killed
}

func (r result) String() string {
	s := fmt.Sprintf("exit status %d", r.code)
	if o := strings.TrimSpace(r.out); o != "" {
		s += "\nstdout: " + o
	}
	if e := strings.TrimSpace(r.err); e != "" {
		s += "\nstderr: " + e
	}
	return s
}

// exec runs argv inside the container (all of its namespaces) as root,
// with a clean environment and stdin as its input. It waits at most 60 s.
func (c *container) exec(ctx context.Context, stdin string, argv ...string) result {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	args := append([]string{"-t", strconv.Itoa(c.pid1), "-m", "-u", "-i", "-n", "-p", "-C", "--",
		"env", "-i", "PATH=" + containerPath, "LANG=C.UTF-8", "HOME=/root"}, argv...)
	return runCmd(ctx, stdin, "nsenter", args...)
}

// netExec runs a host program inside the container's network namespace
// only: it sees the container's loopback but the host's files.
func (c *container) netExec(ctx context.Context, argv ...string) result {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	args := append([]string{"-t", strconv.Itoa(c.pid1), "-n", "--"}, argv...)
	return runCmd(ctx, "", "nsenter", args...)
}

// netExecIn is netExec with stdin.
func (c *container) netExecIn(ctx context.Context, stdin string, argv ...string) result {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	args := append([]string{"-t", strconv.Itoa(c.pid1), "-n", "--"}, argv...)
	return runCmd(ctx, stdin, "nsenter", args...)
}

func runCmd(ctx context.Context, stdin, name string, args ...string) result {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{out: out.String(), err: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		r.code = -1
		r.err += err.Error()
	}
	if ctx.Err() != nil {
		r.code = -1
		r.err += " (timed out)"
	}
	return r
}

// reboot reboots the container from inside and waits until the new boot
// is up.
func (c *container) reboot(ctx context.Context) error {
	old := c.pid1
	c.exec(ctx, "", "systemctl", "reboot")
	return c.waitBooted(ctx, old)
}

// shutdown powers the container off, and if that does not end the loop
// within 30 s, kills what this process started, by PID: the container's
// PID 1 (which takes its whole PID namespace with it), then
// systemd-nspawn, then the loop.
func (c *container) shutdown() {
	defer c.bootLog.Close()
	if c.pid1 != 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c.exec(ctx, "", "systemctl", "poweroff")
		cancel()
	}
	select {
	case err := <-c.loopEnd:
		c.loopEnd <- err
		return
	case <-time.After(30 * time.Second):
	}
	fmt.Fprintln(c.bootLog, "e2e: the container did not power off within 30 s; killing it")
	if pid, ok := c.findPID1(); ok {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	for _, pid := range children(c.loop.Process.Pid) {
		if comm(pid) == "systemd-nspawn" {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	c.loop.Process.Kill()
	select {
	case err := <-c.loopEnd:
		c.loopEnd <- err
	case <-time.After(10 * time.Second):
		fmt.Fprintf(c.bootLog, "e2e: boot.sh (PID %d) did not end\n", c.loop.Process.Pid)
	}
}
