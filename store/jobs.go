package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
)

// GetJob returns the job with the given id, or an error matching
// ErrNotFound.
func (db *DB) GetJob(ctx context.Context, id int64) (*Job, error) {
	j := new(Job)
	err := db.reader.NewSelect().Model(j).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(fmt.Sprintf("job %d does not exist", id))
	}
	if err != nil {
		return nil, fmt.Errorf("get job %d: %w", id, err)
	}
	return j, nil
}

// Operations are every operation a job can have, as the jobs table's
// CHECK lists them: what a filter of the jobs may ask for.
var Operations = []Operation{OpStart, OpStop, OpRestart, OpDelete, OpGameInstall, OpGameUpdate, OpGameValidate, OpGameCheck,
	OpGameWorkshop}

// JobStates are every state a job can be in, in the order of its life.
var JobStates = []JobState{JobQueued, JobRunning, JobSucceeded, JobFailed, JobCancelled}

// JobFilter selects jobs for ListJobs. The zero value lists the newest
// 50 jobs of every server.
type JobFilter struct {
	// ServerName, if set, keeps the jobs of that server (including those
	// of a deleted server of that name).
	ServerName string
	// ServerID, if set, keeps the jobs of that server.
	ServerID int64
	// Active keeps only queued and running jobs.
	Active bool
	// Game keeps only the game installation's jobs (host-level, with no
	// server).
	Game bool
	// Operation, if set, keeps the jobs of that operation.
	Operation Operation
	// State, if set, keeps the jobs in that state.
	State JobState
	// RequestedBy, if set, keeps the jobs that user asked for.
	RequestedBy int64
	// Before, if set, keeps the jobs older than that job id (the next
	// page of a listing, a cursor rather than an offset).
	Before int64
	// After, if set, keeps the jobs newer than that job id: the page
	// just after it, still listed newest first (the previous page).
	After int64
	// Limit is the most jobs returned (default 50).
	Limit int
}

// ListJobs returns the jobs f selects, newest first. With f.After it
// returns the f.Limit jobs just newer than f.After (still newest first).
// The filters ride the indexes on (server_name, id) and the partial ones
// on queued and running jobs; the others walk the ids from the cursor
// down and stop at the limit.
func (db *DB) ListJobs(ctx context.Context, f JobFilter) ([]Job, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	var js []Job
	order := "id DESC"
	if f.After != 0 {
		order = "id ASC"
	}
	q := db.reader.NewSelect().Model(&js).OrderExpr(order).Limit(int64(f.Limit))
	if f.Before != 0 {
		q = q.Where("id < ?", f.Before)
	}
	if f.After != 0 {
		q = q.Where("id > ?", f.After)
	}
	if f.Operation != "" {
		q = q.Where("operation = ?", f.Operation)
	}
	if f.State != "" {
		q = q.Where("state = ?", f.State)
	}
	if f.RequestedBy != 0 {
		q = q.Where("requested_by = ?", f.RequestedBy)
	}
	if f.ServerName != "" {
		q = q.Where("server_name = ?", f.ServerName)
	}
	if f.ServerID != 0 {
		q = q.Where("server_id = ?", f.ServerID)
	}
	if f.Active {
		q = q.Where("state IN ('queued', 'running')")
	}
	if f.Game {
		q = q.Where("server_name = ''")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	if f.After != 0 {
		slices.Reverse(js)
	}
	return js, nil
}

// JobLines returns the job's output lines with seq greater than afterSeq,
// in order, at most limit of them (limit <= 0 means 1000). A job without
// lines, or one that does not exist, gives an empty list.
func (db *DB) JobLines(ctx context.Context, jobID, afterSeq int64, limit int) ([]JobLine, error) {
	if limit <= 0 {
		limit = 1000
	}
	var ls []JobLine
	err := db.reader.NewSelect().Model(&ls).Where("job_id = ? AND seq > ?", jobID, afterSeq).
		Order("seq").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("job %d lines: %w", jobID, err)
	}
	return ls, nil
}
