package app

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
)

// apiServerAction enqueues op on the server named in the path for the
// token's user and answers 202 with the job (Location: the job). An
// optional body must be an empty JSON object.
func (a *apiHandlers) apiServerAction(c *fiber.Ctx, op store.Operation) error {
	var none struct{}
	if err := decodeBody(c, &none, false); err != nil {
		return err
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	job, err := a.svc.Enqueue(ctx, c.Params("name"), op, currentUser(c).ID)
	if err != nil {
		return err
	}
	c.Location(apiJobURL(job.ID))
	return c.Status(fiber.StatusAccepted).JSON(toAPIJob(job))
}

// apiJobURL is the API address of job id.
func apiJobURL(id int64) string { return "/api/v1/jobs/" + strconv.FormatInt(id, 10) }
