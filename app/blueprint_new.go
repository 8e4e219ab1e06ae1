package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/views"
)

// blueprintNew shows an empty blueprint form with a co-op default.
func (h *handlers) blueprintNew(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	list, err := h.addonList(ctx, nil)
	if err != nil {
		return err
	}
	f := views.Form{Values: map[string]string{"map": "c1m1_hotel", "game_mode": "coop", "max_players": "4"}}
	return page(c, fiber.StatusOK, "New blueprint", views.BlueprintForm(0, f, list))
}
