package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/views"
)

// jobOutput is the job page's poll: the status, and the lines after seq
// ?after= to append.
func (h *handlers) jobOutput(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	after := int64(c.QueryInt("after", 0))
	if after < 0 {
		after = 0
	}
	row, lines, next, more, err := h.jobWithLines(ctx, c, after)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.JobOutput(row.Job, lines, next, more))
}
