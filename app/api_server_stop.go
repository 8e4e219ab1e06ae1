package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
)

// apiServerStop asks for a stop job: disable --now.
func (a *apiHandlers) apiServerStop(c *fiber.Ctx) error {
	return a.apiServerAction(c, store.OpStop)
}
