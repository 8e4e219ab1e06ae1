// Command e2e is left4me's end-to-end test bed (make e2e): it boots a
// Debian container with systemd as PID 1 under systemd-nspawn, installs
// left4me into it with deploy/install.sh as an operator would, with the
// stand-in game server cmd/fakesrcds, and checks the two promises
// (reboot-safe, never lies for long) through the CLI and systemd itself.
// See README.md beside this file.
//
//	go run ./e2e             run the scenario (as root)
//	go run ./e2e a2s ADDR    print one A2S_INFO answer as JSON; the
//	                         scenario runs this inside the container's
//	                         network namespace
//	e2e rcon ADDR COMMAND    run one RCON command, the password on stdin;
//	                         step 10d runs this in the container's network
//	                         namespace
//	e2e show-bench N UNIT... time N Shows over the system bus and N runs
//	                         of the show helper through sudo (JSON); the
//	                         scenario runs this in the container as left4me
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/left4me/left4me/internal/a2s"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run returns the exit status: 0 when every check passed (or the machine
// cannot run the test bed and nothing was checked), 1 when a check
// failed, 2 on bad usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		return runScenario(ctx, stdout, stderr)
	case len(args) == 2 && args[0] == "a2s":
		return queryA2S(ctx, args[1], stdout, stderr)
	case len(args) >= 3 && args[0] == "show-bench":
		return showBench(ctx, args[1:], stdout, stderr)
	case len(args) == 3 && args[0] == "rcon":
		return rconCommand(ctx, args[1:], os.Stdin, stdout, stderr)
	default:
		fmt.Fprintln(stderr, "usage: e2e | e2e a2s HOST:PORT | e2e rcon HOST:PORT COMMAND | e2e show-bench ROUNDS NAME...")
		return 2
	}
}

func queryA2S(ctx context.Context, addr string, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	info, err := a2s.Query(ctx, addr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if err := json.NewEncoder(stdout).Encode(info); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}
