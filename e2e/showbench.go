package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strconv"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/hostbackend/sudo"
)

// showBenchResult is what `e2e show-bench` prints: the times of Show over
// the system bus and of the show helper through sudo, for the same units,
// in milliseconds.
type showBenchResult struct {
	Units     int     `json:"units"`
	Rounds    int     `json:"rounds"`
	BusFirst  float64 `json:"bus_first_ms"` // connect, Subscribe and every property of every unit
	BusMedian float64 `json:"bus_median_ms"`
	BusP95    float64 `json:"bus_p95_ms"`
	HelperMed float64 `json:"helper_median_ms"`
	HelperP95 float64 `json:"helper_p95_ms"`
	Running   int     `json:"running"` // units the bus said run
}

// showBench runs inside the container as the panel's user: rounds Shows
// of names through the sudo backend over the system bus, then rounds runs
// of `sudo -n left4me-systemctl show NAMES...`. The backend is given a
// sudo that does not exist, so a Show that fell back to the helper would
// fail: every timed bus Show forked nothing.
func showBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	rounds, err := strconv.Atoi(args[0])
	if err != nil || rounds < 1 {
		fmt.Fprintln(stderr, "show-bench: ROUNDS must be a positive number")
		return 2
	}
	names := args[1:]
	b, err := sudo.New(hostbackend.Config{Sudo: "/nonexistent/sudo"})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	res := showBenchResult{Units: len(names), Rounds: rounds}
	timed := func(f func() error) (float64, error) {
		t := time.Now()
		err := f()
		return float64(time.Since(t).Microseconds()) / 1000, err
	}
	var statuses []hostbackend.UnitStatus
	show := func() error {
		var err error
		statuses, err = b.Show(ctx, names...)
		return err
	}
	if res.BusFirst, err = timed(show); err != nil {
		fmt.Fprintln(stderr, "show-bench: Show over the bus:", err)
		return 1
	}
	for _, s := range statuses {
		if s.State() == hostbackend.StateRunning {
			res.Running++
		}
	}
	var bus, helper []float64
	for range rounds {
		ms, err := timed(show)
		if err != nil {
			fmt.Fprintln(stderr, "show-bench: Show over the bus:", err)
			return 1
		}
		bus = append(bus, ms)
	}
	argv := append([]string{"-n", sudo.DefaultSystemctlHelper, "show"}, names...)
	for range rounds {
		ms, err := timed(func() error {
			out, err := exec.CommandContext(ctx, "sudo", argv...).CombinedOutput()
			if err != nil {
				return fmt.Errorf("%w: %s", err, out)
			}
			return nil
		})
		if err != nil {
			fmt.Fprintln(stderr, "show-bench: the show helper:", err)
			return 1
		}
		helper = append(helper, ms)
	}
	res.BusMedian, res.BusP95 = quantile(bus, 0.5), quantile(bus, 0.95)
	res.HelperMed, res.HelperP95 = quantile(helper, 0.5), quantile(helper, 0.95)
	if err := json.NewEncoder(stdout).Encode(res); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// quantile returns the q quantile of xs (nearest rank).
func quantile(xs []float64, q float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}
