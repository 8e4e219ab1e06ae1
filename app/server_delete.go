package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
)

// serverDelete asks for a delete job: disable, purge the instance's
// files, remove the server. The browser goes to the job's page.
func (h *handlers) serverDelete(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	job, err := h.svc.Enqueue(ctx, c.Params("name"), store.OpDelete, currentUser(c).ID)
	if err != nil {
		return err
	}
	h.setActionFlash(c, store.OpDelete, job.ServerName, job.ID)
	return c.Redirect(jobURL(job.ID), fiber.StatusSeeOther)
}
