package jobs

import (
	"context"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/store"
)

// MaxLineLen is the longest output line stored; longer ones are cut.
const MaxLineLen = 4096

// lineSink collects a job's output lines as the backend streams them and
// writes them in batches: the runner flushes it every LineFlushInterval
// and a last time in the transaction that finishes the job. It stores at
// most max lines per job, then one marker line.
type lineSink struct {
	jobID int64
	max   int
	now   func() time.Time

	mu        sync.Mutex
	nextSeq   int64 // seq of the next line
	stored    int   // lines accepted for this job, across attempts
	truncated bool
	pending   []store.JobLine
	progress  *store.JobProgress // reported since the last take
}

// newLineSink continues the job's output after the lines already stored
// (by an earlier attempt or the rescuer).
func newLineSink(ctx context.Context, db bun.IDB, job *store.Job, max int, now func() time.Time) (*lineSink, error) {
	var last, count int64
	err := db.NewRaw(`SELECT coalesce(max(seq), 0), count(*) FROM job_lines WHERE job_id = ?`, job.ID).
		Scan(ctx, &last, &count)
	if err != nil {
		return nil, fmt.Errorf("job %d lines: %w", job.ID, err)
	}
	return &lineSink{
		jobID:     job.ID,
		max:       max,
		now:       now,
		nextSeq:   last + 1,
		stored:    int(count),
		truncated: job.LogTruncated,
	}, nil
}

// add queues one line; past the limit it queues the truncation marker
// once and drops the rest.
func (s *lineSink) add(stream, text string) {
	if len(text) > MaxLineLen {
		cut := MaxLineLen
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + " …"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.truncated {
		return
	}
	if s.stored >= s.max {
		s.truncated = true
		text, stream = fmt.Sprintf("… output truncated after %d lines", s.max), store.StreamSystem
	}
	s.stored++
	s.pending = append(s.pending, store.JobLine{
		JobID: s.jobID, Seq: s.nextSeq, Stream: stream, Text: text, CreatedAt: store.NewTime(s.now()),
	})
	s.nextSeq++
}

// system queues a line of left4me's own.
func (s *lineSink) system(format string, args ...any) {
	s.add(store.StreamSystem, fmt.Sprintf(format, args...))
}

// lineFunc is the hostbackend.LineFunc that feeds the sink.
func (s *lineSink) lineFunc() hostbackend.LineFunc {
	return func(l hostbackend.Line) { s.add(l.Stream.String(), l.Text) }
}

// setProgress keeps the newest progress report until the next write.
func (s *lineSink) setProgress(p hostbackend.GameProgress) {
	pct, done, total := p.Percent, p.Done, p.Total
	jp := &store.JobProgress{Phase: p.Phase, Percent: &pct}
	if total > 0 {
		jp.Done, jp.Total = &done, &total
	}
	s.mu.Lock()
	s.progress = jp
	s.mu.Unlock()
}

// take hands over the pending lines, whether output was truncated, and
// the progress reported since the last take (nil if none).
func (s *lineSink) take() ([]store.JobLine, bool, *store.JobProgress) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, pr := s.pending, s.progress
	s.pending, s.progress = nil, nil
	return p, s.truncated, pr
}

// putBack returns lines and progress whose write failed, ahead of newer
// ones.
func (s *lineSink) putBack(lines []store.JobLine, progress *store.JobProgress) {
	s.mu.Lock()
	s.pending = append(lines, s.pending...)
	if s.progress == nil {
		s.progress = progress
	}
	s.mu.Unlock()
}

// writeProgress stores a job's progress; nil changes nothing.
func writeProgress(ctx context.Context, db bun.IDB, jobID int64, p *store.JobProgress) error {
	if p == nil {
		return nil
	}
	_, err := db.NewRaw(`UPDATE jobs SET progress_phase = ?, progress_percent = ?, progress_done = ?, progress_total = ?
		WHERE id = ?`, p.Phase, p.Percent, p.Done, p.Total, jobID).Exec(ctx)
	return err
}

// writeLines inserts lines in one statement.
func writeLines(ctx context.Context, db bun.IDB, lines []store.JobLine) error {
	if len(lines) == 0 {
		return nil
	}
	_, err := db.NewInsert().Model(&lines).Exec(ctx)
	return err
}

// flush writes the pending lines in their own transaction, fenced by the
// job's attempt so that a worker that lost its lease writes nothing.
func (s *lineSink) flush(ctx context.Context, db *store.DB, attempt int) error {
	lines, truncated, progress := s.take()
	if len(lines) == 0 && progress == nil {
		return nil
	}
	err := db.WriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewRaw(`UPDATE jobs SET log_truncated = log_truncated OR ?
			WHERE id = ? AND attempts = ? AND state = 'running'`, truncated, s.jobID, attempt).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrLeaseLost
		}
		if err := writeProgress(ctx, tx, s.jobID, progress); err != nil {
			return err
		}
		return writeLines(ctx, tx, lines)
	})
	if err != nil {
		s.putBack(lines, progress)
		return fmt.Errorf("store output of job %d: %w", s.jobID, err)
	}
	return nil
}
