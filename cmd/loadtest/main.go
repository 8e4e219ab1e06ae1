// Command loadtest loads a running left4me panel on the loopback address:
// it logs in like a browser, optionally seeds servers, then polls the
// dashboard's status fragment from many clients at once and prints the
// throughput, the latency percentiles and the errors. `make loadtest`
// starts a panel for it.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}
