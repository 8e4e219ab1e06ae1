package store

import (
	"context"
	"testing"
)

// TestGameJobsMigrationKeepsJobsAndTheirOutput applies the migrations
// before 0006 by hand, writes a server, a job and its output as an older
// panel would, then opens the file: the rebuild of jobs must keep them all
// (dropping the old table must not cascade to the lines) and accept game
// jobs.
func TestGameJobsMigrationKeepsJobsAndTheirOutput(t *testing.T) {
	ctx := context.Background()
	path, raw := oldDatabase(t, 6)
	for _, q := range []string{
		`INSERT INTO servers (id, name, title, port, blueprint_id, desired_state, actual_state, created_at)
		 VALUES (1, 'coop-1', 'Co-op', 27015, 1, 'running', 'running', 0)`,
		`INSERT INTO jobs (id, server_id, server_name, operation, state, created_at) VALUES (7, 1, 'coop-1', 'start', 'succeeded', 0)`,
		`INSERT INTO job_lines VALUES (7, 1, 'system', 'enabling', 0), (7, 2, 'stderr', 'Created symlink', 0)`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	j, err := db.GetJob(ctx, 7)
	if err != nil || j.ServerName != "coop-1" || j.Operation != OpStart || j.State != JobSucceeded {
		t.Fatalf("job 7 after the migration: %+v, %v", j, err)
	}
	ls, err := db.JobLines(ctx, 7, 0, 0)
	if err != nil || len(ls) != 2 || ls[1].Text != "Created symlink" {
		t.Fatalf("job 7's lines after the migration: %+v, %v", ls, err)
	}
	w := db.Writer()
	if _, err := w.ExecContext(ctx, `INSERT INTO jobs (id, server_name, operation, state, created_at, options,
		progress_phase, progress_percent, progress_done, progress_total, prompt)
		VALUES (8, '', 'game-install', 'queued', 0, 'restart-servers', 'downloading', 4.11, 30315518, 738158916, 'Steam Guard code:')`); err != nil {
		t.Fatalf("a game job: %v", err)
	}
	g, err := db.GetJob(ctx, 8)
	if err != nil || !g.Operation.IsGame() || g.Options != OptionRestartServers || g.Prompt != "Steam Guard code:" ||
		g.Progress.Phase != "downloading" || g.Progress.Percent == nil || *g.Progress.Percent != 4.11 ||
		g.Progress.Done == nil || *g.Progress.Done != 30315518 || g.Progress.Total == nil || *g.Progress.Total != 738158916 {
		t.Fatalf("the game job reads back as %+v (progress %+v), %v", g, g.Progress, err)
	}
	for _, bad := range []string{
		`INSERT INTO jobs (server_name, operation, state, created_at) VALUES ('coop-1', 'game-install', 'queued', 0)`,
		`INSERT INTO jobs (server_name, operation, state, created_at) VALUES ('', 'start', 'queued', 0)`,
	} {
		if _, err := w.ExecContext(ctx, bad); err == nil {
			t.Errorf("accepted: %s", bad)
		}
	}
	// The lines still belong to their job: deleting it takes them along.
	if _, err := w.ExecContext(ctx, `DELETE FROM jobs WHERE id = 7`); err != nil {
		t.Fatal(err)
	}
	if ls, _ := db.JobLines(ctx, 7, 0, 0); len(ls) != 0 {
		t.Fatalf("lines of a deleted job: %+v", ls)
	}
}
