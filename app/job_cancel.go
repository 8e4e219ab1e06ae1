package app

import (
	"github.com/gofiber/fiber/v2"
)

// jobCancel cancels a queued or running job and shows its page again.
func (h *handlers) jobCancel(c *fiber.Ctx) error {
	id, err := c.ParamsInt("id")
	if err != nil || id <= 0 {
		return fiber.ErrNotFound
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	if _, err := h.svc.CancelJob(ctx, int64(id), currentUser(c)); err != nil {
		return err
	}
	return c.Redirect(jobURL(int64(id)), fiber.StatusSeeOther)
}
