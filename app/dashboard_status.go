package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/views"
)

// dashboardStatus renders only the status table, the fragment the
// dashboard polls.
func (h *handlers) dashboardStatus(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	rows, err := h.status.rows(ctx)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.StatusTable(rows))
}
