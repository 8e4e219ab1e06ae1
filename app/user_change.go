package app

import (
	"context"
	"errors"
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// changeUser applies change to the user in the path and goes back to the
// users page. A change that ended the user's access (did is "password" or
// "disabled") has the page say how many sessions ended and API tokens
// were revoked. A refusal (the last admin, a bad password) shows the
// users page with the reason beside that user.
func (h *handlers) changeUser(c *fiber.Ctx, did string, change func(ctx context.Context, id int64) (store.Ended, error)) error {
	id, err := c.ParamsInt("id")
	if err != nil || id <= 0 {
		return fiber.ErrNotFound
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	ended, err := change(ctx, int64(id))
	var fe FieldErrors
	switch {
	case errors.As(err, &fe):
		return h.renderUsers(c, fiber.StatusUnprocessableEntity, views.UsersView{RowErrors: map[int64]string{int64(id): fe["password"]}})
	case errors.Is(err, store.ErrConflict):
		return h.renderUsers(c, fiber.StatusConflict, views.UsersView{RowErrors: map[int64]string{int64(id): sentence(err.Error())}})
	case err != nil:
		return err
	}
	if did == "" {
		return c.Redirect("/users", fiber.StatusSeeOther)
	}
	q := url.Values{"user": {strconv.Itoa(id)}, "did": {did},
		"sessions": {strconv.Itoa(ended.Sessions)}, "tokens": {strconv.Itoa(ended.Tokens)}}
	return c.Redirect("/users?"+q.Encode(), fiber.StatusSeeOther)
}
