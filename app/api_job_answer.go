package app

import (
	"github.com/gofiber/fiber/v2"
)

// apiJobAnswer hands {"answer": "…"} to the question a game job waits on
// (steamcmd's password or Steam Guard code) and answers the job. The
// answer is never stored, logged or repeated. 409 when the job waits for
// none.
func (a *apiHandlers) apiJobAnswer(c *fiber.Ctx) error {
	id, err := c.ParamsInt("id")
	if err != nil || id <= 0 {
		return apiErr(fiber.StatusNotFound, "There is no such job.")
	}
	var body struct {
		Answer string `json:"answer"`
	}
	if err := decodeBody(c, &body, true); err != nil {
		return err
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	j, err := a.svc.AnswerJob(ctx, int64(id), body.Answer, currentUser(c))
	if err != nil {
		return err
	}
	return c.JSON(toAPIJob(j))
}
