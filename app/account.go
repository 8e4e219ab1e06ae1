package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/views"
)

// account shows the logged-in user's API tokens and the form for a new
// one.
func (h *handlers) account(c *fiber.Ctx) error {
	return h.renderAccount(c, fiber.StatusOK, views.AccountView{})
}

// renderAccount draws the account page with v's form and new token.
func (h *handlers) renderAccount(c *fiber.Ctx, status int, v views.AccountView) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	ts, err := h.DB.ListAPITokens(ctx, currentUser(c).ID)
	if err != nil {
		return err
	}
	v.Tokens = ts
	// The page may carry a secret: no cache may keep it.
	c.Set(fiber.HeaderCacheControl, "no-store")
	return page(c, status, "Your account", views.Account(v))
}
