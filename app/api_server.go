package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
)

// apiServer answers one server.
func (a *apiHandlers) apiServer(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := a.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	out, err := a.toAPIServers(ctx, []store.Server{*s})
	if err != nil {
		return err
	}
	return c.JSON(out[0])
}
