package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
)

// apiServerStart asks for a start job: provision, then enable --now.
func (a *apiHandlers) apiServerStart(c *fiber.Ctx) error {
	return a.apiServerAction(c, store.OpStart)
}
