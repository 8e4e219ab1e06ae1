// Command left4me is the left4me panel: `left4me serve` runs the web
// panel, the job workers and the state poller.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	_ "github.com/left4me/left4me/hostbackend/fake"
	_ "github.com/left4me/left4me/hostbackend/sudo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "left4me:", err)
		os.Exit(exitCode(err))
	}
}
