package app

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
)

// userPassword sets a new password for a user, ends their sessions and
// revokes their API tokens. An admin setting their own keeps the session
// they do it from (their others end), as on the account page.
func (h *handlers) userPassword(c *fiber.Ctx) error {
	pw, confirm := bodyFormValue(c, "password"), bodyFormValue(c, "password_confirm")
	did, keep := "password", ""
	if id, err := c.ParamsInt("id"); err == nil && int64(id) == currentUser(c).ID {
		did, keep = "own-password", currentSessionID(c)
	}
	return h.changeUser(c, did, func(ctx context.Context, id int64) (store.Ended, error) {
		return h.svc.ResetPassword(ctx, id, pw, confirm, keep)
	})
}

// currentSessionID is the id of the logged-in browser's session, or "".
func currentSessionID(c *fiber.Ctx) string {
	if s, ok := c.Locals(localSession).(*store.Session); ok {
		return s.ID
	}
	return ""
}
