package app

import (
	"github.com/gofiber/fiber/v2"
)

// apiWorkshopItem is one Workshop item of an add-on set.
type apiWorkshopItem struct {
	ID    string `json:"id"`
	Bytes int64  `json:"bytes"`
}

// apiWorkshop answers the set's Workshop items, by id, and its
// game-workshop job queued or running (null if none).
func (a *apiHandlers) apiWorkshop(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	items, job, err := a.svc.WorkshopItems(ctx, c.Params("set"))
	if err != nil {
		return err
	}
	out := struct {
		Items []apiWorkshopItem `json:"items"`
		Job   *apiJob           `json:"job"`
	}{Items: []apiWorkshopItem{}}
	for _, it := range items {
		out.Items = append(out.Items, apiWorkshopItem{ID: it.Path, Bytes: it.Bytes})
	}
	if job != nil {
		j := toAPIJob(job)
		out.Job = &j
	}
	return c.JSON(out)
}

// apiWorkshopAdd asks for a game-workshop job downloading the body's
// items ({"items": ["123456789", "https://…/?id=…"]}) into the set: 202
// with the job (Location: the job).
func (a *apiHandlers) apiWorkshopAdd(c *fiber.Ctx) error {
	var body struct {
		Items []string `json:"items"`
	}
	if err := decodeBody(c, &body, true); err != nil {
		return err
	}
	return a.workshopJob(c, body.Items, false)
}

// apiWorkshopRefresh asks for a game-workshop job downloading every
// Workshop item of the set again.
func (a *apiHandlers) apiWorkshopRefresh(c *fiber.Ctx) error {
	return a.workshopJob(c, nil, true)
}

func (a *apiHandlers) workshopJob(c *fiber.Ctx, items []string, refresh bool) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	job, err := a.svc.EnqueueWorkshop(ctx, c.Params("set"), items, refresh, currentUser(c))
	if err != nil {
		return err
	}
	c.Location(apiJobURL(job.ID))
	return c.Status(fiber.StatusAccepted).JSON(toAPIJob(job))
}
