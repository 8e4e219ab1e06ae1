package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
)

// serverStop asks for a stop job on the server.
func (h *handlers) serverStop(c *fiber.Ctx) error {
	return h.serverAction(c, store.OpStop)
}
