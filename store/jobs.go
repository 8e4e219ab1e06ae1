package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
	// Limit is the most jobs returned (default 50).
	Limit int
}

// ListJobs returns the jobs f selects, newest first.
func (db *DB) ListJobs(ctx context.Context, f JobFilter) ([]Job, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	var js []Job
	q := db.reader.NewSelect().Model(&js).OrderExpr("id DESC").Limit(int64(f.Limit))
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
