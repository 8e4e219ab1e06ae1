package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/views"
)

// blueprintEdit shows a blueprint's form.
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
	f := views.Form{Values: views.BlueprintFormValues(b)}
	return page(c, fiber.StatusOK, "Blueprint "+b.Name, views.BlueprintForm(b.ID, f))
}
