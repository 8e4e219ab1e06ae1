package store

import (
	"context"
	"testing"
)

// TestJobsKeepTheNameOfWhoAskedFromBeforeMigration8 applies the
// migrations before 0008 by hand and writes jobs as an older panel would:
// migration 0008 gives each the name of the user who asked, so that
// deleting the user later leaves it.
func TestJobsKeepTheNameOfWhoAskedFromBeforeMigration8(t *testing.T) {
	ctx := context.Background()
	path, raw := oldDatabase(t, 8)
	for _, q := range []string{
		`INSERT INTO users (id, name, name_key, password_hash, role, created_at) VALUES (3, 'Bob', 'bob', 'h', 'operator', 0)`,
		`INSERT INTO servers (id, name, title, port, blueprint_id, desired_state, actual_state, created_at)
		 VALUES (1, 'coop-1', 'Co-op', 27015, 1, 'running', 'running', 0)`,
		`INSERT INTO jobs (id, server_id, server_name, operation, state, requested_by, created_at) VALUES
		 (7, 1, 'coop-1', 'start', 'succeeded', 3, 0), (8, 1, 'coop-1', 'stop', 'succeeded', NULL, 0)`,
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
	if _, _, err := db.DeleteUser(ctx, 3); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[int64]string{7: "Bob", 8: ""} {
		j, err := db.GetJob(ctx, id)
		if err != nil || j.RequestedBy != nil || j.RequestedByName != want {
			t.Errorf("job %d: %+v, %v; want requested by %q", id, j, err, want)
		}
	}
}
