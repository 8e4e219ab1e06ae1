package app

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
)

// gameAction asks for a game job for the logged-in admin, with the form's
// "stop running servers, update, start them again" box, and shows the
// job's page.
func (h *handlers) gameAction(c *fiber.Ctx, op store.Operation) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	restart := bodyFormValue(c, "restart_servers") != ""
	job, err := h.svc.EnqueueGame(ctx, op, restart, currentUser(c))
	var fe FieldErrors
	if errors.As(err, &fe) {
		return fiber.NewError(fiber.StatusUnprocessableEntity, fe.Error())
	}
	if err != nil {
		return err
	}
	return c.Redirect(jobURL(job.ID), fiber.StatusSeeOther)
}

// gameInstall installs the game (every file checked).
func (h *handlers) gameInstall(c *fiber.Ctx) error { return h.gameAction(c, store.OpGameInstall) }

// gameUpdate fetches what changed since the installed build.
func (h *handlers) gameUpdate(c *fiber.Ctx) error { return h.gameAction(c, store.OpGameUpdate) }

// gameValidate checks every file of the installation and fetches what
// differs.
func (h *handlers) gameValidate(c *fiber.Ctx) error { return h.gameAction(c, store.OpGameValidate) }

// gameCheck asks Steam for the latest build.
func (h *handlers) gameCheck(c *fiber.Ctx) error { return h.gameAction(c, store.OpGameCheck) }
