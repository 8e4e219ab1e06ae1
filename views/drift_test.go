package views_test

import (
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

func TestDriftIsSpelledOut(t *testing.T) {
	now := time.Date(2026, 11, 25, 21, 0, 0, 0, time.UTC)
	twoMin := now.Add(-2*time.Minute - 10*time.Second)
	tests := []struct {
		name    string
		desired store.DesiredState
		actual  hostbackend.State
		result  string
		restart int
		changed time.Time
		want    string
		enabled bool
	}{
		{"running as wanted", store.DesiredRunning, hostbackend.StateRunning, "", 0, twoMin, "", false},
		{"starting as wanted", store.DesiredRunning, hostbackend.StateStarting, "", 0, twoMin, "", false},
		{"stopped as wanted", store.DesiredStopped, hostbackend.StateStopped, "", 0, twoMin, "", false},
		{"failed of an OOM kill", store.DesiredRunning, hostbackend.StateFailed, "oom-kill", 0, twoMin, "should be running — failed 2 min ago, out of memory", false},
		{"failed with an exit code", store.DesiredRunning, hostbackend.StateFailed, "exit-code", 0, twoMin, "should be running — failed 2 min ago, exited with an error", false},
		{"killed by a signal", store.DesiredRunning, hostbackend.StateFailed, "signal", 0, twoMin, "should be running — failed 2 min ago, killed by a signal", false},
		{"dumped core", store.DesiredRunning, hostbackend.StateFailed, "core-dump", 0, twoMin, "should be running — failed 2 min ago, crashed", false},
		{"hit the start limit", store.DesiredRunning, hostbackend.StateFailed, "start-limit-hit", 0, twoMin, "should be running — failed 2 min ago, crashed too often, gave up", false},
		{"stopped outside the panel", store.DesiredRunning, hostbackend.StateStopped, "success", 0, now.Add(-3 * time.Hour), "should be running — stopped 3 h ago", false},
		{"failed at an unknown time", store.DesiredRunning, hostbackend.StateFailed, "oom-kill", 0, time.Time{}, "should be running — failed, out of memory", false},
		{"crash-looping", store.DesiredRunning, hostbackend.StateCrashLooping, "exit-code", 3, twoMin, "should be running — crash-looping, restarted 3 times, exited with an error", false},
		{"running though stopped", store.DesiredStopped, hostbackend.StateRunning, "", 0, twoMin, "should be stopped — running", false},
		{"an unknown result", store.DesiredRunning, hostbackend.StateFailed, "resources", 0, now.Add(-10 * time.Second), "should be running — failed just now, systemd result resources", false},
		{"stopped outside the panel but still enabled", store.DesiredRunning, hostbackend.StateStopped, "success", 0, now.Add(-5 * time.Minute),
			"should be running — stopped 5 min ago; still enabled, will start at boot", true},
		{"stopped as wanted but enabled outside the panel", store.DesiredStopped, hostbackend.StateStopped, "success", 0, twoMin,
			"should be stopped — stopped now, but enabled outside the panel: will start at boot", true},
		{"running and enabled as wanted", store.DesiredRunning, hostbackend.StateRunning, "", 0, twoMin, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := store.Server{DesiredState: tt.desired, ActualState: tt.actual, SystemdResult: tt.result, NRestarts: tt.restart, SystemdEnabled: tt.enabled}
			if got := views.Drift(s, tt.changed, now); got != tt.want {
				t.Errorf("Drift = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTransitionNamesWhatAJobIsDoing(t *testing.T) {
	tests := []struct {
		name string
		job  *store.Job
		want string
	}{
		{"no job is no transition", nil, ""},
		{"a start is starting", &store.Job{Operation: store.OpStart, State: store.JobQueued}, "starting…"},
		{"a stop is stopping", &store.Job{Operation: store.OpStop, State: store.JobRunning}, "stopping…"},
		{"a restart is restarting", &store.Job{Operation: store.OpRestart, State: store.JobQueued}, "restarting…"},
		{"a delete is deleting", &store.Job{Operation: store.OpDelete, State: store.JobRunning}, "deleting…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := views.Transition(tt.job); got != tt.want {
				t.Errorf("Transition = %q, want %q", got, tt.want)
			}
		})
	}
}
