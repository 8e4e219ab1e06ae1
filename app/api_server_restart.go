package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
)

// apiServerRestart asks for a restart job.
func (a *apiHandlers) apiServerRestart(c *fiber.Ctx) error {
	return a.apiServerAction(c, store.OpRestart)
}
