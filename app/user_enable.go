package app

import (
	"context"

	"github.com/gofiber/fiber/v2"
)

// userEnable re-enables a disabled user.
func (h *handlers) userEnable(c *fiber.Ctx) error {
	return h.changeUser(c, func(ctx context.Context, id int64) error { return h.svc.SetUserDisabled(ctx, id, false) })
}
