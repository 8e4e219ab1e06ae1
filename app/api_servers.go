package app

import (
	"github.com/gofiber/fiber/v2"
)

// apiServers lists every server: {"servers": [...]}, ordered by name.
// Operators see every server, as on the dashboard.
func (a *apiHandlers) apiServers(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	ss, err := a.DB.ListServers(ctx)
	if err != nil {
		return err
	}
	out, err := a.toAPIServers(ctx, ss)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"servers": out})
}
