package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/views"
)

// login shows the login form; a logged-in user goes to the dashboard.
func (h *handlers) login(c *fiber.Ctx) error {
	if currentUser(c) != nil {
		return c.Redirect("/", fiber.StatusSeeOther)
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	n, err := h.DB.CountUsers(ctx)
	if err != nil {
		return err
	}
	next := localPath(c.Query("next"), "/")
	return page(c, fiber.StatusOK, "Log in", views.Login(views.Form{}, next, n == 0))
}
