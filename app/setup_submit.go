package app

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// setupSubmit creates the first admin and logs them in; after that the
// setup link is dead.
func (h *handlers) setupSubmit(c *fiber.Ctx) error {
	h.setupMu.Lock()
	defer h.setupMu.Unlock()
	token := bodyFormValue(c, "token")
	if err := h.setupOpen(c, token); err != nil {
		return err
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	u, err := h.svc.CreateUser(ctx, UserInput{
		Name: bodyFormValue(c, "name"), Role: store.RoleAdmin,
		Password: bodyFormValue(c, "password"), PasswordConfirm: bodyFormValue(c, "password_confirm"),
	})
	var fe FieldErrors
	if errors.As(err, &fe) {
		form := views.Form{Values: map[string]string{"name": bodyFormValue(c, "name")}, Errors: fe}
		return page(c, fiber.StatusUnprocessableEntity, "Set up", views.Setup(form, token))
	}
	if err != nil {
		return err
	}
	h.Logger.Info("first admin created; the setup link is no longer valid", "user", u.Name)
	if err := h.logIn(c, u); err != nil {
		return err
	}
	return c.Redirect("/", fiber.StatusSeeOther)
}
