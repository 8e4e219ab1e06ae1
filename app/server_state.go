package app

import (
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
	changed, err := h.DB.LastStateChange(ctx, s.ID)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.ServerState(*s, changed.Time))
}
