package app

import (
	"strconv"

	"github.com/gofiber/fiber/v2"
)

// blueprintRestart restarts the servers using a blueprint that are
// wanted running, so that they run it as saved, and returns to the
// blueprint's page, which confirms the jobs.
func (h *handlers) blueprintRestart(c *fiber.Ctx) error {
	id, err := c.ParamsInt("id")
	if err != nil || id <= 0 {
		return fiber.ErrNotFound
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	jobs, err := h.svc.RestartBlueprintServers(ctx, int64(id), currentUser(c).ID)
	if err != nil {
		return err
	}
	if len(jobs) > 0 {
		h.setRestartsFlash(c, jobs)
	}
	return c.Redirect("/blueprints/"+strconv.Itoa(id), fiber.StatusSeeOther)
}
