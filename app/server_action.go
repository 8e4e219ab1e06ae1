package app

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
)

// serverAction enqueues op on the server named in the path for the
// logged-in user, then sends the browser back where it came from (the
// form's "back" field) or to the job's page.
func (h *handlers) serverAction(c *fiber.Ctx, op store.Operation) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	job, err := h.svc.Enqueue(ctx, c.Params("name"), op, currentUser(c).ID)
	if err != nil {
		return err
	}
	h.setActionFlash(c, op, job.ServerName, job.ID)
	back := localPath(bodyFormValue(c, "back"), jobURL(job.ID))
	return c.Redirect(back, fiber.StatusSeeOther)
}

// jobURL is the page of job id.
func jobURL(id int64) string { return "/jobs/" + strconv.FormatInt(id, 10) }
