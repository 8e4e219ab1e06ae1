package app

import (
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/views"
)

// accountPassword changes the logged-in user's own password, given the
// current one. This browser stays logged in; the user's other sessions end
// and their API tokens are revoked, and the account page's flash says so.
// A refusal (a wrong current password, a bad new one) shows the account
// page with the errors (422) and changes nothing. A wrong current password
// counts against the login limits (the address and the user's name), so
// a stolen session guesses no faster here than on the login form.
func (h *handlers) accountPassword(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	u := currentUser(c)
	t, no := h.limiter.take(limitKey{name: "ip:" + c.IP()}, limitKey{name: "user:" + nameDigest(u.Name), slow: true})
	if no != nil {
		setRetryAfter(c, no.wait)
		msg := fmt.Sprintf("Too many wrong passwords lately. Try again in %d seconds.", seconds(no.wait))
		return h.renderAccount(c, fiber.StatusTooManyRequests, views.AccountView{Password: views.Form{Errors: FieldErrors{"current_password": msg}}})
	}
	ended, err := h.svc.ChangeOwnPassword(ctx, u.ID, bodyFormValue(c, "current_password"),
		bodyFormValue(c, "password"), bodyFormValue(c, "password_confirm"), currentSessionID(c))
	var fe FieldErrors
	if !errors.As(err, &fe) || fe["current_password"] == "" {
		t.giveBack() // only a wrong current password counts
	}
	if fe != nil {
		return h.renderAccount(c, fiber.StatusUnprocessableEntity, views.AccountView{Password: views.Form{Errors: fe}})
	}
	if err != nil {
		return err
	}
	h.setUserFlash(c, "own-password", u.Name, ended)
	return c.Redirect("/account", fiber.StatusSeeOther)
}
