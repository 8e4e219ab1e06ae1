package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
)

// serverStart asks for a start job on the server.
func (h *handlers) serverStart(c *fiber.Ctx) error {
	return h.serverAction(c, store.OpStart)
}
