package app

import (
	"context"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// jobLinesPerPoll bounds the output lines one page or poll carries.
const jobLinesPerPoll = 1000

// job shows one job with its output so far, its progress and the
// question it waits on.
func (h *handlers) job(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	row, lines, poll, err := h.jobWithLines(ctx, c, views.JobPoll{})
	if err != nil {
		return err
	}
	p, mark := views.Measure(row.Job.Progress, views.ProgressMark{}, h.Now())
	poll.Mark = mark
	return page(c, fiber.StatusOK, fmt.Sprintf("Job %d", row.Job.ID), views.JobPage(row, lines, poll, p))
}

// jobWithLines reads the job named in the path and its lines after
// prev.After: the job first, so that a finished job's lines are all
// there. The poll it returns goes on after those lines (More: lines are
// left for the next poll) and holds the key of the question the page
// shows now; its Mark is prev's, for the caller to measure against.
func (h *handlers) jobWithLines(ctx context.Context, c *fiber.Ctx, prev views.JobPoll) (views.JobRow, []store.JobLine, views.JobPoll, error) {
	id, err := c.ParamsInt("id")
	if err != nil || id <= 0 {
		return views.JobRow{}, nil, prev, fiber.ErrNotFound
	}
	j, err := h.DB.GetJob(ctx, int64(id))
	if err != nil {
		return views.JobRow{}, nil, prev, err
	}
	rows, err := h.jobRows(ctx, []store.Job{*j})
	if err != nil {
		return views.JobRow{}, nil, prev, err
	}
	lines, err := h.DB.JobLines(ctx, j.ID, prev.After, jobLinesPerPoll)
	if err != nil {
		return views.JobRow{}, nil, prev, err
	}
	next := views.JobPoll{After: prev.After, More: len(lines) == jobLinesPerPoll, Mark: prev.Mark}
	if n := len(lines); n > 0 {
		next.After = lines[n-1].Seq
	}
	if !j.State.Finished() {
		next.Asked = views.PromptKey(j.Prompt)
	}
	return rows[0], lines, next, nil
}
