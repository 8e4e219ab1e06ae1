package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/views"
)

// blueprints lists the blueprints and the servers using each.
func (h *handlers) blueprints(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	bps, err := h.DB.ListBlueprints(ctx)
	if err != nil {
		return err
	}
	servers, err := h.DB.ListServers(ctx)
	if err != nil {
		return err
	}
	usedBy := map[int64][]string{}
	for _, s := range servers { // by name
		usedBy[s.BlueprintID] = append(usedBy[s.BlueprintID], s.Name)
	}
	return page(c, fiber.StatusOK, "Blueprints", views.Blueprints(bps, usedBy))
}
