// Command l4d2ctl starts, stops and inspects left4me's game-server
// instances from the shell, through the same host backend as the panel.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/left4me/left4me/hostbackend"
	_ "github.com/left4me/left4me/hostbackend/fake"
	_ "github.com/left4me/left4me/hostbackend/sudo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv, hostbackend.Open)
	stop()
	os.Exit(code)
}
