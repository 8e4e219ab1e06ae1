package app

import (
	"github.com/gofiber/fiber/v2"
)

// apiJobCancel cancels a queued or running job and answers it (a running
// one is still "running" until its worker stops; follow it). A finished
// job is 409.
func (a *apiHandlers) apiJobCancel(c *fiber.Ctx) error {
	id, err := c.ParamsInt("id")
	if err != nil || id <= 0 {
		return apiErr(fiber.StatusNotFound, "There is no such job.")
	}
	var none struct{}
	if err := decodeBody(c, &none, false); err != nil {
		return err
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	j, err := a.svc.CancelJob(ctx, int64(id), currentUser(c))
	if err != nil {
		return err
	}
	return c.JSON(toAPIJob(j))
}
