package app

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
)

// userDisable disables a user, ending their sessions and revoking their
// API tokens at once; the last enabled admin stays enabled.
func (h *handlers) userDisable(c *fiber.Ctx) error {
	return h.changeUser(c, "disabled", func(ctx context.Context, id int64) (store.Ended, error) {
		return h.svc.SetUserDisabled(ctx, id, true)
	})
}
