package views

import (
	"fmt"
	"time"

	"github.com/left4me/left4me/store"
)

// Duration writes how long something took for people, in its two largest
// units: "under 1 s", "4 s", "2 min 5 s", "1 h 3 min", "2 days 5 h". It
// truncates (1 min 59.9 s is "1 min 59 s"), so a job never looks longer
// than it was.
func Duration(d time.Duration) string {
	if d < time.Second {
		return "under 1 s"
	}
	s := int64(d / time.Second)
	days, h, m, sec := s/86400, s/3600%24, s/60%60, s%60
	switch {
	case days > 0:
		return pair(days, unitDays(days), h, "h")
	case h > 0:
		return pair(h, "h", m, "min")
	case m > 0:
		return pair(m, "min", sec, "s")
	}
	return fmt.Sprintf("%d s", sec)
}

// pair writes "a ua b ub", leaving out a zero b.
func pair(a int64, ua string, b int64, ub string) string {
	if b == 0 {
		return fmt.Sprintf("%d %s", a, ua)
	}
	return fmt.Sprintf("%d %s %d %s", a, ua, b, ub)
}

func unitDays(n int64) string {
	if n == 1 {
		return "day"
	}
	return "days"
}

// JobDuration says how long a job has taken at now: from its start to its
// end once it has ended ("2 min 5 s"), "running for 2 min" while it runs,
// "waiting" while it is queued, and "did not run" for one that ended
// without starting (cancelled while queued).
func JobDuration(j store.Job, now time.Time) string {
	switch {
	case j.State == store.JobQueued:
		return "waiting"
	case j.State == store.JobRunning && !j.StartedAt.IsZero():
		return "running for " + Duration(now.Sub(j.StartedAt.Time))
	case j.State == store.JobRunning:
		return "running"
	case j.StartedAt.IsZero() || j.FinishedAt.IsZero():
		return "did not run"
	}
	return Duration(j.FinishedAt.Sub(j.StartedAt.Time))
}
