package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/views"
)

// users lists the accounts.
func (h *handlers) users(c *fiber.Ctx) error {
	return h.renderUsers(c, fiber.StatusOK, views.UsersView{})
}

// renderUsers draws the users page with v's form and row errors.
func (h *handlers) renderUsers(c *fiber.Ctx, status int, v views.UsersView) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	us, err := h.DB.ListUsers(ctx)
	if err != nil {
		return err
	}
	v.Users = us
	return page(c, status, "Users", views.Users(v))
}
