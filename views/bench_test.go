package views_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/live"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// statusRows returns n dashboard rows as a busy host has them: mostly
// running as wanted, some stopped, some drifting (failed with a systemd
// result, crash-looping, running though stopped was asked), some with a
// queued or running job. What the games said (the live columns) comes
// with every running server: most answer with players, a map and a host
// name, every tenth has been silent for two sweeps.
func statusRows(n int, now time.Time) []views.ServerRow {
	type shape struct {
		desired store.DesiredState
		actual  hostbackend.State
		result  string
		job     store.JobState
	}
	shapes := []shape{
		{store.DesiredRunning, hostbackend.StateRunning, "success", ""},
		{store.DesiredRunning, hostbackend.StateRunning, "success", ""},
		{store.DesiredRunning, hostbackend.StateRunning, "success", ""},
		{store.DesiredStopped, hostbackend.StateStopped, "success", ""},
		{store.DesiredRunning, hostbackend.StateFailed, "oom-kill", ""},
		{store.DesiredRunning, hostbackend.StateCrashLooping, "exit-code", ""},
		{store.DesiredStopped, hostbackend.StateRunning, "success", ""},
		{store.DesiredRunning, hostbackend.StateStarting, "", store.JobRunning},
		{store.DesiredStopped, hostbackend.StateStopping, "", store.JobQueued},
		{store.DesiredRunning, hostbackend.StateUnknown, "", ""},
	}
	rows := make([]views.ServerRow, n)
	for i := range rows {
		sh := shapes[i%len(shapes)]
		s := store.Server{
			ID: int64(i + 1), Name: fmt.Sprintf("coop-%d", i+1), Title: fmt.Sprintf("Coop night #%d <Expert>", i+1),
			Port: 27015 + i, BlueprintID: 1, DesiredState: sh.desired, ActualState: sh.actual,
			SystemdResult: sh.result, NRestarts: 3, StateReason: "after job 42 (start)",
		}
		rows[i] = views.ServerRow{Server: s, Blueprint: "versus-expert", Changed: now.Add(-time.Duration(i) * time.Minute),
			RestartPending: i%10 == 1} // an edit waits for a restart
		if sh.job != "" {
			rows[i].Job = &store.Job{ID: int64(1000 + i), ServerName: s.Name, Operation: store.OpStart, State: sh.job}
		}
		if sh.actual == hostbackend.StateRunning {
			v := live.View{At: now, LastAnswer: now}
			v.Answered, v.HostName, v.Map, v.Players, v.MaxPlayers = true, fmt.Sprintf("Game night #%d <Expert>", i+1), "c1m2_streets", i%9, 8
			if i%10 == 1 {
				v = live.View{At: now, LastAnswer: now.Add(-2 * time.Minute), Misses: 12}
				v.Err = "no answer within 1 s"
			}
			rows[i].Live = &v
		}
	}
	return rows
}

// BenchmarkStatusFragment100 renders the fragment the dashboard polls
// (StatusTable) for 100 servers, as GET /servers/status does. Target:
// ≤ 1 ms per render.
func BenchmarkStatusFragment100(b *testing.B) {
	now := time.Date(2026, 11, 25, 21, 0, 0, 0, time.UTC)
	ctx := views.WithViewer(context.Background(), views.Viewer{
		User: &store.User{ID: 1, Name: "ann", Role: store.RoleAdmin},
		CSRF: "dGhpcyBpcyBhIGNzcmYgdG9rZW4gb2YgNDMgY2hhcnM", Now: now,
	})
	rows := statusRows(100, now)
	comp := views.StatusTable(views.Status{Rows: rows})
	b.ReportAllocs()
	for b.Loop() {
		if err := comp.Render(ctx, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
