package app

import (
	"github.com/gofiber/fiber/v2"
)

// logout ends the session on the server and in the browser.
func (h *handlers) logout(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	if tok := c.Cookies(sessionCookie); tok != "" {
		if err := h.DB.DeleteSession(ctx, sessionID(tok)); err != nil {
			return err
		}
	}
	h.clearCookie(c, sessionCookie)
	return c.Redirect("/login", fiber.StatusSeeOther)
}
