package views

import (
	"fmt"
	"hash/fnv"
	"net/url"
	"strconv"
	"time"

	"github.com/left4me/left4me/internal/bytesize"
	"github.com/left4me/left4me/store"
)

// RateWindow is the least time between the two readings of a job's
// progress a rate is measured over. The panel sees a reading when the
// page polls (every second) and the job writes one every quarter second,
// so over a shorter span the timing error would be most of the span.
const RateWindow = 5 * time.Second

// ProgressMark is the reading of a job's progress that the next rate is
// measured from: the phase, the bytes done, and when the panel read them;
// Rate is the rate measured last (bytes a second, 0 when unknown). The job
// page's poll carries it from one answer to the next.
type ProgressMark struct {
	Phase string
	Done  int64
	At    time.Time
	Rate  float64
}

// Progress is what a job's progress bar shows: the phase, its percent,
// bytes done of total (0 when steamcmd did not say), and the rate and the
// time left in this phase as measured from successive readings (0 when
// unknown). Stalled is how long the bytes done have not moved, once that
// is at least RateWindow.
type Progress struct {
	Phase      string
	Percent    float64
	HasPercent bool
	Done       int64
	Total      int64
	Rate       float64
	Left       time.Duration
	Stalled    time.Duration
}

// Measure reads the job's progress p at now against the previous mark
// and returns what to show and the mark for the next reading. A rate is
// only ever the bytes done between two readings of one phase at least
// RateWindow apart, divided by the time between them; a new phase, or
// bytes done going back, starts measuring again.
func Measure(p store.JobProgress, prev ProgressMark, now time.Time) (Progress, ProgressMark) {
	out := Progress{Phase: p.Phase}
	if p.Phase == "" {
		return out, ProgressMark{}
	}
	if p.Percent != nil {
		out.Percent, out.HasPercent = *p.Percent, true
	}
	if p.Done == nil || p.Total == nil {
		return out, ProgressMark{}
	}
	out.Done, out.Total = *p.Done, *p.Total
	if prev.Phase != p.Phase || prev.At.IsZero() || out.Done < prev.Done || now.Before(prev.At) {
		return out, ProgressMark{Phase: p.Phase, Done: out.Done, At: now}
	}
	next := prev
	if elapsed := now.Sub(prev.At); elapsed >= RateWindow {
		if out.Done == prev.Done {
			// Nothing moved: keep the mark, so that the rate measured
			// once it moves again spans the stall too.
			next.Rate = 0
			out.Stalled = elapsed.Truncate(time.Second)
		} else {
			next = ProgressMark{Phase: p.Phase, Done: out.Done, At: now,
				Rate: float64(out.Done-prev.Done) / elapsed.Seconds()}
		}
	}
	out.Rate = next.Rate
	if out.Rate > 0 && out.Total > out.Done {
		out.Left = time.Duration(float64(out.Total-out.Done) / out.Rate * float64(time.Second))
	}
	return out, next
}

// JobPoll is what the job page's poll carries from one answer to the
// next: where the output goes on (After) and whether more is ready now
// (More), which question of steamcmd the page shows (Asked, a hash of
// it), and the progress mark.
type JobPoll struct {
	After int64
	More  bool
	Asked string
	Mark  ProgressMark
}

// PromptKey is the hash of a job's prompt that JobPoll.Asked holds: the
// URL carries it rather than the question itself. "" for no prompt.
func PromptKey(prompt string) string {
	if prompt == "" {
		return ""
	}
	h := fnv.New64a()
	h.Write([]byte(prompt))
	return strconv.FormatUint(h.Sum64(), 16)
}

// Query is the poll's query string.
func (p JobPoll) Query() string {
	v := url.Values{"after": {strconv.FormatInt(p.After, 10)}}
	if p.Asked != "" {
		v.Set("asked", p.Asked)
	}
	if m := p.Mark; m.Phase != "" {
		v.Set("phase", m.Phase)
		v.Set("done", strconv.FormatInt(m.Done, 10))
		v.Set("at", strconv.FormatInt(m.At.UnixMilli(), 10))
		if m.Rate > 0 {
			v.Set("rate", strconv.FormatFloat(m.Rate, 'f', 0, 64))
		}
	}
	return v.Encode()
}

// ParseJobPoll reads what Query wrote; anything unreadable is left out.
func ParseJobPoll(q func(key string) string) JobPoll {
	var p JobPoll
	if n, err := strconv.ParseInt(q("after"), 10, 64); err == nil && n > 0 {
		p.After = n
	}
	p.Asked = q("asked")
	done, err1 := strconv.ParseInt(q("done"), 10, 64)
	at, err2 := strconv.ParseInt(q("at"), 10, 64)
	if phase := q("phase"); phase != "" && err1 == nil && err2 == nil && done >= 0 && at > 0 {
		p.Mark = ProgressMark{Phase: phase, Done: done, At: time.UnixMilli(at)}
		if r, err := strconv.ParseFloat(q("rate"), 64); err == nil && r > 0 {
			p.Mark.Rate = r
		}
	}
	return p
}

// Rate writes bytes a second for people: "12.3 MiB/s".
func Rate(bytesPerSecond float64) string {
	return bytesize.Format(int64(bytesPerSecond)) + "/s"
}

// Left writes the time left for people: "about 3 min", "about 40 s".
func Left(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("about %d s", int(d.Round(5*time.Second).Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("about %d min", int(d.Round(time.Minute).Minutes()))
	}
	return fmt.Sprintf("about %d h %d min", int(d.Hours()), int(d.Round(time.Minute).Minutes())%60)
}
