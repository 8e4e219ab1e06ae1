package app

import (
	"errors"

	"github.com/gofiber/fiber/v2"
)

// jobAnswer hands the form's answer to the question a game job waits on
// (steamcmd's password or Steam Guard code) and shows the job again. The
// answer is read from the body only and never stored, logged or shown.
func (h *handlers) jobAnswer(c *fiber.Ctx) error {
	id, err := c.ParamsInt("id")
	if err != nil || id <= 0 {
		return fiber.ErrNotFound
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	_, err = h.svc.AnswerJob(ctx, int64(id), bodyFormValue(c, "answer"), currentUser(c))
	var fe FieldErrors
	if errors.As(err, &fe) {
		return fiber.NewError(fiber.StatusUnprocessableEntity, "Not sent to steamcmd: "+fe["answer"])
	}
	if err != nil {
		return err
	}
	return c.Redirect(jobURL(int64(id)), fiber.StatusSeeOther)
}
