package jobs

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Environment variables read by ParseEnv.
const (
	EnvJobWorkers          = "LEFT4ME_JOB_WORKERS"
	EnvStatePollerInterval = "LEFT4ME_STATE_POLLER_INTERVAL"
)

// EnvConfig is the runner configuration that comes from the environment.
type EnvConfig struct {
	// Workers is LEFT4ME_JOB_WORKERS (default DefaultWorkers); 0 disables
	// the workers and with them the poller.
	Workers int
	// PollerInterval is LEFT4ME_STATE_POLLER_INTERVAL, a Go duration
	// ("30s") or a number of seconds (default DefaultPollerInterval).
	PollerInterval time.Duration
}

// ParseEnv reads the runner's variables through getenv (os.Getenv in
// production) and returns an error naming the variable for a bad value.
func ParseEnv(getenv func(string) string) (EnvConfig, error) {
	c := EnvConfig{Workers: DefaultWorkers, PollerInterval: DefaultPollerInterval}
	if v := strings.TrimSpace(getenv(EnvJobWorkers)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 256 {
			return c, fmt.Errorf("%s=%q: want a number of workers from 0 to 256", EnvJobWorkers, v)
		}
		c.Workers = n
	}
	if v := strings.TrimSpace(getenv(EnvStatePollerInterval)); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			secs, nerr := strconv.ParseFloat(v, 64)
			if nerr != nil {
				return c, fmt.Errorf("%s=%q: want a duration such as 30s", EnvStatePollerInterval, v)
			}
			d = time.Duration(secs * float64(time.Second))
		}
		if d < time.Second {
			return c, fmt.Errorf("%s=%q: the interval must be at least 1s", EnvStatePollerInterval, v)
		}
		c.PollerInterval = d
	}
	return c, nil
}
