package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
)

// serverRestart asks for a restart job on the server.
func (h *handlers) serverRestart(c *fiber.Ctx) error {
	return h.serverAction(c, store.OpRestart)
}
