package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/store/storetest"
)

// jobIDs are the ids of js, in order.
func jobIDs(js []store.Job) []int64 {
	ids := make([]int64, len(js))
	for i, j := range js {
		ids[i] = j.ID
	}
	return ids
}

func TestListJobsFiltersAndPages(t *testing.T) {
	db := storetest.Open(t)
	ctx := context.Background()
	alpha := storetest.Server(t, db, "alpha", 27015)
	storetest.Server(t, db, "beta", 27016)
	ann, err := db.CreateUser(ctx, "ann", "h", store.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	bob, err := db.CreateUser(ctx, "bob", "h", store.RoleOperator)
	if err != nil {
		t.Fatal(err)
	}
	// ids 1..8, oldest first
	rows := []struct {
		server string
		op     store.Operation
		state  store.JobState
		by     *int64
	}{
		{"alpha", store.OpStart, store.JobSucceeded, &ann.ID},
		{"beta", store.OpStart, store.JobFailed, &bob.ID},
		{"", store.OpGameInstall, store.JobSucceeded, &ann.ID},
		{"alpha", store.OpStop, store.JobCancelled, &bob.ID},
		{"beta", store.OpRestart, store.JobSucceeded, nil},
		{"alpha", store.OpRestart, store.JobFailed, &ann.ID},
		{"beta", store.OpStop, store.JobQueued, &bob.ID},
		{"alpha", store.OpStart, store.JobQueued, &ann.ID},
	}
	w := db.Writer().DB
	for _, r := range rows {
		var serverID any
		if r.server == "alpha" {
			serverID = alpha.ID
		}
		var by any
		if r.by != nil {
			by = *r.by
		}
		if _, err := w.ExecContext(ctx, `INSERT INTO jobs (server_id, server_name, operation, state, requested_by, created_at) VALUES (?, ?, ?, ?, ?, 0)`,
			serverID, r.server, r.op, r.state, by); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name string
		f    store.JobFilter
		want []int64
	}{
		{"no filter lists every job, newest first", store.JobFilter{}, []int64{8, 7, 6, 5, 4, 3, 2, 1}},
		{"a server's jobs", store.JobFilter{ServerName: "beta"}, []int64{7, 5, 2}},
		{"the game's jobs", store.JobFilter{Game: true}, []int64{3}},
		{"an operation", store.JobFilter{Operation: store.OpStart}, []int64{8, 2, 1}},
		{"a state", store.JobFilter{State: store.JobSucceeded}, []int64{5, 3, 1}},
		{"a user", store.JobFilter{RequestedBy: bob.ID}, []int64{7, 4, 2}},
		{"filters together", store.JobFilter{ServerName: "alpha", RequestedBy: ann.ID, State: store.JobSucceeded}, []int64{1}},
		{"nothing matches", store.JobFilter{ServerName: "beta", Operation: store.OpGameCheck}, []int64{}},
		{"the first page", store.JobFilter{Limit: 3}, []int64{8, 7, 6}},
		{"older than a job", store.JobFilter{Before: 6, Limit: 3}, []int64{5, 4, 3}},
		{"the last page is short", store.JobFilter{Before: 3, Limit: 3}, []int64{2, 1}},
		{"newer than a job, still newest first", store.JobFilter{After: 2, Limit: 3}, []int64{5, 4, 3}},
		{"newer than a job near the top", store.JobFilter{After: 6, Limit: 3}, []int64{8, 7}},
		{"a cursor with a filter", store.JobFilter{ServerName: "alpha", Before: 8, Limit: 2}, []int64{6, 4}},
		{"newer with a filter", store.JobFilter{ServerName: "alpha", After: 1, Limit: 2}, []int64{6, 4}},
		{"a cursor past the newest", store.JobFilter{After: 8}, []int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			js, err := db.ListJobs(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if got := jobIDs(js); !slices.Equal(got, tt.want) {
				t.Errorf("ListJobs(%+v) = %v, want %v", tt.f, got, tt.want)
			}
		})
	}
}
