package views

import "time"

// LogLine is one line of a unit's log: its text and when the journal
// recorded it (zero when that is unknown).
type LogLine struct {
	Time time.Time
	Text string
}

// Clock is t's time of day, "09:21:08", in UTC as the panel writes times;
// app.js shows the viewer's own (a log line's time carries data-clock).
func Clock(t time.Time) string {
	return t.UTC().Format(time.TimeOnly)
}
