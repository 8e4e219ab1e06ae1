package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/views"
)

// serverLog renders the last lines of the unit's log, the fragment the
// server page polls.
func (h *handlers) serverLog(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := h.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.ServerLog(h.journal(ctx, s.Name, logLines)))
}
