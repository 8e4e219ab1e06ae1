package app

import (
	"github.com/gofiber/fiber/v2"
)

// blueprintDelete removes a blueprint no server uses.
func (h *handlers) blueprintDelete(c *fiber.Ctx) error {
	id, err := c.ParamsInt("id")
	if err != nil || id <= 0 {
		return fiber.ErrNotFound
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	if err := h.svc.DeleteBlueprint(ctx, int64(id)); err != nil {
		return err
	}
	return c.Redirect("/blueprints", fiber.StatusSeeOther)
}
