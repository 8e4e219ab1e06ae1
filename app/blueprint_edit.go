package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/views"
)

// blueprintEdit shows a blueprint's form and the servers using it.
func (h *handlers) blueprintEdit(c *fiber.Ctx) error {
	id, err := c.ParamsInt("id")
	if err != nil || id <= 0 {
		return fiber.ErrNotFound
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	b, err := h.DB.GetBlueprint(ctx, int64(id))
	if err != nil {
		return err
	}
	return h.renderBlueprintEdit(c, fiber.StatusOK, b.ID, views.Form{Values: views.BlueprintFormValues(b)})
}

// renderBlueprintEdit draws blueprint id's form with f's values and
// errors, and the servers using it.
func (h *handlers) renderBlueprintEdit(c *fiber.Ctx, status int, id int64, f views.Form) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	servers, err := h.svc.BlueprintServers(ctx, id)
	if err != nil {
		return err
	}
	return page(c, status, "Blueprint "+f.Get("name"), views.BlueprintEdit(id, f, servers))
}
