package app

import (
	"context"
	"crypto/subtle"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// NewSetupToken returns a random one-time setup token when db has no
// user yet, or "" when it has one. Pass it as Options.SetupToken and log
// the link /setup?token=TOKEN.
func NewSetupToken(ctx context.Context, db *store.DB) (string, error) {
	n, err := db.CountUsers(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	return randomToken(), nil
}

// setupOpen reports whether token opens the setup page: it must be the
// configured token, and no user may exist yet. Anything else is a 404, so
// the page does not exist for anyone without the link.
func (h *handlers) setupOpen(c *fiber.Ctx, token string) error {
	if h.SetupToken == "" || subtle.ConstantTimeCompare([]byte(token), []byte(h.SetupToken)) != 1 {
		return fiber.ErrNotFound
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	n, err := h.DB.CountUsers(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return fiber.ErrNotFound
	}
	return nil
}

// setup shows the form that creates the first admin.
func (h *handlers) setup(c *fiber.Ctx) error {
	token := c.Query("token")
	if err := h.setupOpen(c, token); err != nil {
		return err
	}
	return page(c, fiber.StatusOK, "Set up", views.Setup(views.Form{}, token))
}
