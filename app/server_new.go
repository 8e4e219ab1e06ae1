package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/views"
)

// serverNew shows the form that creates a server.
func (h *handlers) serverNew(c *fiber.Ctx) error {
	return h.renderServerForm(c, fiber.StatusOK, views.Form{})
}

// renderServerForm draws the create-server form with f's values and
// errors.
func (h *handlers) renderServerForm(c *fiber.Ctx, status int, f views.Form) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	bps, err := h.DB.ListBlueprints(ctx)
	if err != nil {
		return err
	}
	port, err := h.svc.NextFreePort(ctx)
	if err != nil {
		return err
	}
	return page(c, status, "New server", views.ServerNew(f, bps, port))
}
