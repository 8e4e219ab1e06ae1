package app

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/views"
)

// loginSubmit checks a name and password, at most LoginLimit times a
// minute per client address and per name, and starts a session.
func (h *handlers) loginSubmit(c *fiber.Ctx) error {
	name := strings.TrimSpace(c.FormValue("name"))
	next := localPath(c.FormValue("next"), "/")
	form := views.Form{Values: map[string]string{"name": name}}
	if !h.limiter.allow("ip:"+c.IP(), "user:"+strings.ToLower(name)) {
		form.Message = "Too many login attempts. Wait a minute, then try again."
		return page(c, fiber.StatusTooManyRequests, "Log in", views.Login(form, next, false))
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	u, err := h.svc.Authenticate(ctx, name, c.FormValue("password"))
	if err != nil {
		return err
	}
	if u == nil {
		form.Message = "Wrong name or password (or the account is disabled)."
		return page(c, fiber.StatusUnauthorized, "Log in", views.Login(form, next, false))
	}
	if err := h.logIn(c, u); err != nil {
		return err
	}
	return c.Redirect(next, fiber.StatusSeeOther)
}
