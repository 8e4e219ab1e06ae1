package app

import (
	"context"
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// changeUser applies change to the user in the path and goes back to the
// users page, whose flash confirms did (a key of userFlashes) with what
// the change ended (sessions, API tokens). A refusal (the last admin, a
// bad password, yourself) shows the users page with the reason beside
// that user.
func (h *handlers) changeUser(c *fiber.Ctx, did string, change func(ctx context.Context, id int64) (store.Ended, error)) error {
	id, err := c.ParamsInt("id")
	if err != nil || id <= 0 {
		return fiber.ErrNotFound
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	u, err := h.DB.GetUser(ctx, int64(id))
	if errors.Is(err, store.ErrNotFound) {
		return fiber.ErrNotFound
	}
	if err != nil {
		return err
	}
	ended, err := change(ctx, u.ID)
	var fe FieldErrors
	switch {
	case errors.As(err, &fe):
		return h.renderUsers(c, fiber.StatusUnprocessableEntity, views.UsersView{RowErrors: map[int64]string{u.ID: fe["password"]}})
	case errors.Is(err, store.ErrConflict):
		return h.renderUsers(c, fiber.StatusConflict, views.UsersView{RowErrors: map[int64]string{u.ID: sentence(err.Error())}})
	case err != nil:
		return err
	}
	h.setUserFlash(c, did, u.Name, ended)
	return c.Redirect("/users", fiber.StatusSeeOther)
}
