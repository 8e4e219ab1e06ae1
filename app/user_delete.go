package app

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
)

// userDelete deletes a user: their sessions end and their API tokens go;
// the jobs they asked for keep their name. An admin cannot delete
// themselves, nor the last enabled admin (the users page says why).
func (h *handlers) userDelete(c *fiber.Ctx) error {
	return h.changeUser(c, "deleted", func(ctx context.Context, id int64) (store.Ended, error) {
		_, ended, err := h.svc.DeleteUser(ctx, currentUser(c), id)
		return ended, err
	})
}
