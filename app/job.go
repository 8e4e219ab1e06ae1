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

// job shows one job with its output so far.
func (h *handlers) job(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	row, lines, after, more, err := h.jobWithLines(ctx, c, 0)
	if err != nil {
		return err
	}
	return page(c, fiber.StatusOK, fmt.Sprintf("Job %d", row.Job.ID), views.JobPage(row, lines, after, more))
}

// jobWithLines reads the job named in the path and its lines after seq
// after: the job first, so that a finished job's lines are all there.
// more says lines are left for the next poll.
func (h *handlers) jobWithLines(ctx context.Context, c *fiber.Ctx, after int64) (views.JobRow, []store.JobLine, int64, bool, error) {
	id, err := c.ParamsInt("id")
	if err != nil || id <= 0 {
		return views.JobRow{}, nil, 0, false, fiber.ErrNotFound
	}
	j, err := h.DB.GetJob(ctx, int64(id))
	if err != nil {
		return views.JobRow{}, nil, 0, false, err
	}
	rows, err := h.jobRows(ctx, []store.Job{*j})
	if err != nil {
		return views.JobRow{}, nil, 0, false, err
	}
	lines, err := h.DB.JobLines(ctx, j.ID, after, jobLinesPerPoll)
	if err != nil {
		return views.JobRow{}, nil, 0, false, err
	}
	if n := len(lines); n > 0 {
		after = lines[n-1].Seq
	}
	return rows[0], lines, after, len(lines) == jobLinesPerPoll, nil
}
