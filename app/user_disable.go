package app

import (
	"context"

	"github.com/gofiber/fiber/v2"
)

// userDisable disables a user, ending their sessions at once; the last
// enabled admin stays enabled.
func (h *handlers) userDisable(c *fiber.Ctx) error {
	return h.changeUser(c, func(ctx context.Context, id int64) error { return h.svc.SetUserDisabled(ctx, id, true) })
}
