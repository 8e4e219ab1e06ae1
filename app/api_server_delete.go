package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
)

// apiServerDelete asks for a delete job: disable, purge the instance's files, remove the server (admins only).
func (a *apiHandlers) apiServerDelete(c *fiber.Ctx) error {
	return a.apiServerAction(c, store.OpDelete)
}
