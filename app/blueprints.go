package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/views"
)

// blueprints lists the blueprints.
func (h *handlers) blueprints(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	bps, err := h.DB.ListBlueprints(ctx)
	if err != nil {
		return err
	}
	return page(c, fiber.StatusOK, "Blueprints", views.Blueprints(bps))
}
