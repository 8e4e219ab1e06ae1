package app

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/views"
)

// accountTokenCreate creates an API token for the logged-in user and shows
// it on the account page, this once (no redirect: the token must not
// travel in a URL or be stored for a later page). A refused name shows
// the form again with its error (422).
func (h *handlers) accountTokenCreate(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	name := bodyFormValue(c, "name")
	token, t, err := h.svc.CreateToken(ctx, currentUser(c).ID, name)
	var fe FieldErrors
	if errors.As(err, &fe) {
		f := views.Form{Values: map[string]string{"name": name}, Errors: fe}
		return h.renderAccount(c, fiber.StatusUnprocessableEntity, views.AccountView{Create: f})
	}
	if err != nil {
		return err
	}
	return h.renderAccount(c, fiber.StatusOK, views.AccountView{NewToken: token, NewTokenName: t.Name})
}
