package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/views"
)

// jobOutput is the job page's poll: the status with the progress measured
// against the previous reading the poll carries, the question when it
// changed, and the lines after ?after= to append.
func (h *handlers) jobOutput(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	prev := views.ParseJobPoll(func(k string) string { return c.Query(k) })
	row, lines, next, err := h.jobWithLines(ctx, c, prev)
	if err != nil {
		return err
	}
	p, mark := views.Measure(row.Job.Progress, prev.Mark, h.Now())
	next.Mark = mark
	return render(c, fiber.StatusOK, views.JobOutput(row.Job, lines, next, p, prev.Asked))
}
