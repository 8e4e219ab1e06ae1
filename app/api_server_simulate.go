package app

import (
	"github.com/gofiber/fiber/v2"
)

// apiServerSimulate makes the host event of the body's "event" happen to
// the server named in the path (fake backend only; admins): 204, 422 for
// an unknown event, 404 for no such server.
func (a *apiHandlers) apiServerSimulate(sim simulator) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var body struct {
			Event string `json:"event"`
		}
		if err := decodeBody(c, &body, true); err != nil {
			return err
		}
		ctx, cancel := requestContext(c)
		defer cancel()
		if err := a.simulate(ctx, sim, c.Params("name"), body.Event); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}
