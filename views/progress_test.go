package views_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

func reading(phase string, pct float64, done, total int64) store.JobProgress {
	return store.JobProgress{Phase: phase, Percent: &pct, Done: &done, Total: &total}
}

func TestMeasureTakesTheRateOnlyFromReadingsFarEnoughApart(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 21, 0, 0, 0, time.UTC)
	const total = 1000 << 20
	var mark views.ProgressMark

	p, mark := views.Measure(reading("downloading", 10, 100<<20, total), mark, t0)
	if p.Rate != 0 || p.Left != 0 || mark.Done != 100<<20 || !mark.At.Equal(t0) {
		t.Fatalf("the first reading: %+v, mark %+v; want no rate yet and a mark at it", p, mark)
	}
	p, mark2 := views.Measure(reading("downloading", 12, 120<<20, total), mark, t0.Add(time.Second))
	if p.Rate != 0 || mark2 != mark {
		t.Fatalf("a reading 1 s later: %+v, mark %+v; want no rate (too short) and the mark kept", p, mark2)
	}
	p, mark = views.Measure(reading("downloading", 15, 150<<20, total), mark, t0.Add(5*time.Second))
	if want := float64(50<<20) / 5; p.Rate != want || mark.Rate != want || mark.Done != 150<<20 {
		t.Fatalf("5 s and 50 MiB later: rate %v (mark %+v), want %v", p.Rate, mark, want)
	}
	if want := 85 * time.Second; p.Left != want { // 850 MiB at 10 MiB/s
		t.Fatalf("left %s, want %s", p.Left, want)
	}
	p, _ = views.Measure(reading("downloading", 16, 160<<20, total), mark, t0.Add(6*time.Second))
	if p.Rate != mark.Rate || p.Left != 84*time.Second {
		t.Fatalf("between measurements the last rate stands: %+v", p)
	}

	// Nothing moves for 7 s: no rate, and how long it stalled.
	p, stalled := views.Measure(reading("downloading", 15, 150<<20, total), mark, t0.Add(12*time.Second))
	if p.Rate != 0 || p.Left != 0 || p.Stalled != 7*time.Second || stalled.At != mark.At {
		t.Fatalf("a stall: %+v, mark %+v", p, stalled)
	}

	// A new phase starts measuring again.
	p, mark = views.Measure(reading("validating", 1, 10<<20, total), stalled, t0.Add(13*time.Second))
	if p.Rate != 0 || mark.Phase != "validating" || mark.Rate != 0 {
		t.Fatalf("a new phase: %+v, mark %+v", p, mark)
	}

	// No byte counts: a percent, never a rate.
	pct := 40.0
	p, mark = views.Measure(store.JobProgress{Phase: "reconfiguring", Percent: &pct}, mark, t0.Add(20*time.Second))
	if !p.HasPercent || p.Percent != 40 || p.Total != 0 || p.Rate != 0 || mark != (views.ProgressMark{}) {
		t.Fatalf("without bytes: %+v, mark %+v", p, mark)
	}
}

func TestJobPollRoundTripsThroughItsQuery(t *testing.T) {
	at := time.UnixMilli(1_790_000_000_123)
	for _, p := range []views.JobPoll{
		{After: 0},
		{After: 42, Asked: views.PromptKey("Steam Guard code:")},
		{After: 7, Mark: views.ProgressMark{Phase: "downloading (pass 2 of 2)", Done: 123456, At: at, Rate: 1048576}},
	} {
		q, err := url.ParseQuery(p.Query())
		if err != nil {
			t.Fatal(err)
		}
		got := views.ParseJobPoll(q.Get)
		if got.After != p.After || got.Asked != p.Asked || got.Mark.Phase != p.Mark.Phase || got.Mark.Done != p.Mark.Done ||
			!got.Mark.At.Equal(p.Mark.At) || got.Mark.Rate != p.Mark.Rate {
			t.Errorf("%+v came back as %+v (query %s)", p, got, p.Query())
		}
	}
	if got := views.ParseJobPoll(url.Values{"after": {"-3"}, "phase": {"x"}, "done": {"many"}, "at": {"1"}}.Get); got.After != 0 || got.Mark.Phase != "" {
		t.Errorf("garbage read as %+v", got)
	}
	if views.PromptKey("") != "" || views.PromptKey("password:") == views.PromptKey("Steam Guard code:") {
		t.Error("PromptKey: empty for none, different for different questions")
	}
}
