package app

import (
	"github.com/gofiber/fiber/v2"
)

// accountTokenRevoke revokes one of the logged-in user's API tokens; it
// stops working at once. Another user's token is 404.
func (h *handlers) accountTokenRevoke(c *fiber.Ctx) error {
	id, err := c.ParamsInt("id")
	if err != nil || id <= 0 {
		return fiber.ErrNotFound
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	if err := h.svc.RevokeToken(ctx, currentUser(c).ID, int64(id)); err != nil {
		return err
	}
	return c.Redirect("/account", fiber.StatusSeeOther)
}
