package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/left4me/left4me/hostbackend"
)

// DefaultStartTimeout is how long a start or restart waits for the game
// to answer its first query: srcds loads for a while after systemd calls
// it running.
const DefaultStartTimeout = 120 * time.Second

// answerPoll is how often the wait asks the game.
const answerPoll = time.Second

// waitForGame waits, after systemd started the unit, until the server's
// game answers a query on its port, saying what it waits for and, at the
// end, what the game says ("answering as 'Game night' on c1m1_hotel, 0/8
// players"). It fails when the game does not answer within StartTimeout,
// or at once when the unit stops or crashes meanwhile: then the start did
// not give a server players can join. A backend that cannot ask the games
// has nothing to wait for.
func (r *Runner) waitForGame(ctx context.Context, name string, port int, lines *lineSink) error {
	lh, ok := r.opts.Backend.(hostbackend.Live)
	if !ok {
		return nil
	}
	timeout := r.opts.StartTimeout
	lines.system("waiting up to %s for srcds to answer on UDP %d", timeout, port)
	start := time.Now()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(answerPoll)
	defer tick.Stop()
	told := start
	target := []hostbackend.LiveTarget{{Name: name, Port: port}}
	for {
		qctx, cancel := context.WithTimeout(ctx, answerPoll)
		in := lh.LiveQuery(qctx, target)[0]
		cancel()
		if in.Answered {
			lines.system("answering as '%s' on %s, %d/%d players", in.HostName, in.Map, in.Players, in.MaxPlayers)
			return nil
		}
		if units, err := r.opts.Backend.Show(ctx, name); err == nil && len(units) == 1 {
			switch st := units[0].State(); st {
			case hostbackend.StateStopped, hostbackend.StateFailed, hostbackend.StateCrashLooping:
				return fmt.Errorf("srcds did not come up: the unit is %s (%s/%s, result %s) after %s",
					st, units[0].ActiveState, units[0].SubState, units[0].Result, time.Since(start).Round(time.Second))
			}
		}
		if time.Since(told) >= 10*time.Second {
			told = time.Now()
			lines.system("still waiting for srcds on UDP %d (%s): %s", port, time.Since(start).Round(time.Second), in.Err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return fmt.Errorf("srcds is running but did not answer on UDP %d within %s", port, timeout)
		case <-tick.C:
		}
	}
}
