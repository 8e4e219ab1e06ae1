package views_test

import (
	"testing"
	"time"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

func TestDurationWritesTheTwoLargestUnits(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "under 1 s"},
		{900 * time.Millisecond, "under 1 s"},
		{-time.Minute, "under 1 s"},
		{4 * time.Second, "4 s"},
		{4900 * time.Millisecond, "4 s"},
		{time.Minute, "1 min"},
		{2*time.Minute + 5*time.Second, "2 min 5 s"},
		{time.Hour + 3*time.Minute + 59*time.Second, "1 h 3 min"},
		{2 * time.Hour, "2 h"},
		{24*time.Hour + 30*time.Minute, "1 day"},
		{50 * time.Hour, "2 days 2 h"},
	}
	for _, tt := range tests {
		if got := views.Duration(tt.d); got != tt.want {
			t.Errorf("Duration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestJobDurationPerState(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	now := t0.Add(10 * time.Minute)
	at := func(d time.Duration) store.Time { return store.NewTime(t0.Add(d)) }
	tests := []struct {
		name string
		job  store.Job
		want string
	}{
		{"a queued job waits", store.Job{State: store.JobQueued, CreatedAt: at(0)}, "waiting"},
		{"a running job counts from its start to now", store.Job{State: store.JobRunning, StartedAt: at(8 * time.Minute)}, "running for 2 min"},
		{"a finished job took from its start to its end", store.Job{State: store.JobSucceeded, StartedAt: at(time.Minute), FinishedAt: at(3*time.Minute + 5*time.Second)}, "2 min 5 s"},
		{"a failed job too", store.Job{State: store.JobFailed, StartedAt: at(0), FinishedAt: at(4 * time.Second)}, "4 s"},
		{"a job cancelled while queued did not run", store.Job{State: store.JobCancelled, FinishedAt: at(time.Minute)}, "did not run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := views.JobDuration(tt.job, now); got != tt.want {
				t.Errorf("JobDuration = %q, want %q", got, tt.want)
			}
		})
	}
}
