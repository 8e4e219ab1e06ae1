package app

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
)

// userPassword sets a new password for a user, ends their sessions and
// revokes their API tokens.
func (h *handlers) userPassword(c *fiber.Ctx) error {
	pw, confirm := bodyFormValue(c, "password"), bodyFormValue(c, "password_confirm")
	return h.changeUser(c, "password", func(ctx context.Context, id int64) (store.Ended, error) {
		return h.svc.ResetPassword(ctx, id, pw, confirm)
	})
}
