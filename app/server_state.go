package app

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/views"
)

// serverState renders the state card of the server page, the fragment
// that page polls.
func (h *handlers) serverState(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := h.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	hist, err := h.DB.ListServerHistory(ctx, s.ID, 1)
	if err != nil {
		return err
	}
	var changed time.Time
	if len(hist) > 0 {
		changed = hist[0].At.Time
	}
	return render(c, fiber.StatusOK, views.ServerState(*s, changed))
}
