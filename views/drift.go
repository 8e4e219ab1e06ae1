package views

import (
	"fmt"
	"time"

	"github.com/a-h/templ"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/store"
)

// ResultText says what systemd's Result of a unit means, or "" for
// success and for nothing known.
func ResultText(result string) string {
	switch result {
	case "", "success":
		return ""
	case "oom-kill":
		return "out of memory"
	case "exit-code":
		return "exited with an error"
	case "signal":
		return "killed by a signal"
	case "core-dump":
		return "crashed"
	case "start-limit-hit":
		return "crashed too often, gave up"
	case "timeout":
		return "timed out"
	case "watchdog":
		return "stopped answering its watchdog"
	}
	return "systemd result " + result
}

// Absolute is t as a date and time in UTC, "2026-11-30 09:21:08 UTC": the
// title of a When before app.js puts it in the viewer's time zone.
func Absolute(t time.Time) string {
	return t.UTC().Format(time.DateTime) + " UTC"
}

// at are the attributes of an element whose text says when something
// happened within a sentence ("stopped 5 min ago"): data-at, which app.js
// reads, and the absolute time as its title. None for a zero t.
func at(t time.Time) templ.Attributes {
	if t.IsZero() {
		return nil
	}
	return templ.Attributes{"data-at": t.UTC().Format(time.RFC3339), "title": Absolute(t)}
}

// Ago says how long before now t was, roughly ("2 min ago").
func Ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
}

// Drift spells out how a server's actual state differs from what its user
// wants, e.g. "should be running — failed 2 min ago, out of memory", or
// returns "" when they agree (or the server is on its way there).
// changed is when the actual state last changed, zero if unknown.
func Drift(s store.Server, changed, now time.Time) string {
	a := s.ActualState
	switch s.DesiredState {
	case store.DesiredRunning:
		switch a {
		case hostbackend.StateFailed, hostbackend.StateStopped:
			msg := "should be running — " + string(a)
			if !changed.IsZero() {
				msg += " " + Ago(changed, now)
			}
			if r := ResultText(s.SystemdResult); r != "" {
				msg += ", " + r
			}
			if s.SystemdEnabled {
				msg += "; still enabled, will start at boot"
			}
			return msg
		case hostbackend.StateCrashLooping:
			msg := "should be running — crash-looping"
			if s.NRestarts > 0 {
				msg += fmt.Sprintf(", restarted %d times", s.NRestarts)
			}
			if r := ResultText(s.SystemdResult); r != "" {
				msg += ", " + r
			}
			return msg
		}
	case store.DesiredStopped:
		switch a {
		case hostbackend.StateRunning, hostbackend.StateCrashLooping, hostbackend.StateStarting:
			return "should be stopped — " + string(a)
		case hostbackend.StateStopped, hostbackend.StateFailed:
			if s.SystemdEnabled {
				return "should be stopped — " + string(a) + " now, but enabled outside the panel: will start at boot"
			}
		}
	}
	return ""
}
