package app

import (
	"context"
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// changeUser applies change to the user in the path. A refusal (the last
// admin, a bad password) shows the users page with the reason beside
// that user.
func (h *handlers) changeUser(c *fiber.Ctx, change func(ctx context.Context, id int64) error) error {
	id, err := c.ParamsInt("id")
	if err != nil || id <= 0 {
		return fiber.ErrNotFound
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	err = change(ctx, int64(id))
	var fe FieldErrors
	switch {
	case errors.As(err, &fe):
		return h.renderUsers(c, fiber.StatusUnprocessableEntity, views.UsersView{RowErrors: map[int64]string{int64(id): fe["password"]}})
	case errors.Is(err, store.ErrConflict):
		return h.renderUsers(c, fiber.StatusConflict, views.UsersView{RowErrors: map[int64]string{int64(id): sentence(err.Error())}})
	case err != nil:
		return err
	}
	return c.Redirect("/users", fiber.StatusSeeOther)
}
