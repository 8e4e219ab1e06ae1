package app

import (
	"context"

	"github.com/gofiber/fiber/v2"
)

// userPassword sets a new password for a user and ends their sessions.
func (h *handlers) userPassword(c *fiber.Ctx) error {
	pw, confirm := c.FormValue("password"), c.FormValue("password_confirm")
	return h.changeUser(c, func(ctx context.Context, id int64) error { return h.svc.ResetPassword(ctx, id, pw, confirm) })
}
