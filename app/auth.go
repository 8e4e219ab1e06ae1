package app

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
)

// auth lets a request through when a user is logged in with at least
// role (admin is above operator). A browser that is not logged in is sent
// to the login page; a logged-in user without the role gets 403.
func (h *handlers) auth(role store.Role) fiber.Handler {
	return authorize(role, false)
}

// authFragment is auth for the fragments HTMX polls: not logged in is 401
// (with HX-Redirect to the login page) rather than a redirect whose login
// page would be swapped into the fragment's place.
func (h *handlers) authFragment(role store.Role) fiber.Handler {
	return authorize(role, true)
}

func authorize(role store.Role, fragment bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u := currentUser(c)
		if u == nil {
			if fragment || c.Get("HX-Request") != "" {
				c.Set("HX-Redirect", "/login")
				return fiber.NewError(fiber.StatusUnauthorized, "Log in first.")
			}
			next := "/"
			if c.Method() == fiber.MethodGet {
				next = c.OriginalURL()
			}
			return c.Redirect("/login?next="+url.QueryEscape(next), fiber.StatusSeeOther)
		}
		if role == store.RoleAdmin && u.Role != store.RoleAdmin {
			return fiber.NewError(fiber.StatusForbidden, "Only an admin may do this.")
		}
		return c.Next()
	}
}

// localPath returns p if it is a path on this panel ("/…" but not "//…"
// or "/\…"), otherwise def. It keeps redirects after login and after an
// action from leaving the panel.
func localPath(p, def string) string {
	if len(p) == 0 || p[0] != '/' || (len(p) > 1 && (p[1] == '/' || p[1] == '\\')) {
		return def
	}
	for _, r := range p {
		if r < ' ' || r == 0x7f {
			return def
		}
	}
	return p
}
