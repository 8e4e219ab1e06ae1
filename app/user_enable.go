package app

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
)

// userEnable re-enables a disabled user (their revoked tokens stay
// revoked).
func (h *handlers) userEnable(c *fiber.Ctx) error {
	return h.changeUser(c, "enabled", func(ctx context.Context, id int64) (store.Ended, error) {
		return h.svc.SetUserDisabled(ctx, id, false)
	})
}
