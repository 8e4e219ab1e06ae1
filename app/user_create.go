package app

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// userCreate creates an account; a refused form comes back as typed
// (without the passwords) with its errors (422).
func (h *handlers) userCreate(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	in := UserInput{Name: bodyFormValue(c, "name"), Role: store.Role(bodyFormValue(c, "role")),
		Password: bodyFormValue(c, "password"), PasswordConfirm: bodyFormValue(c, "password_confirm")}
	u, err := h.svc.CreateUser(ctx, in)
	var fe FieldErrors
	if errors.As(err, &fe) {
		f := views.Form{Values: map[string]string{"name": in.Name, "role": string(in.Role)}, Errors: fe}
		return h.renderUsers(c, fiber.StatusUnprocessableEntity, views.UsersView{Create: f})
	}
	if err != nil {
		return err
	}
	h.setUserFlash(c, "created-"+string(u.Role), u.Name, store.Ended{})
	return c.Redirect("/users", fiber.StatusSeeOther)
}
