package app

import (
	"crypto/subtle"

	"github.com/gofiber/fiber/v2"
)

// csrfHeader is the header htmx requests carry the token in (app.js
// copies it from <meta name="csrf-token">).
const csrfHeader = "X-CSRF-Token"

// errCSRF is the answer to a POST without the page's token.
var errCSRF = fiber.NewError(fiber.StatusForbidden,
	"This form has expired or did not come from this panel. Reload the page and try again.")

// csrf refuses every request but GET and HEAD that does not carry the
// browser's CSRF token in the X-CSRF-Token header or the _csrf form field.
// It runs after session, which decides the token.
func (h *handlers) csrf(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	want, _ := c.Locals(localCSRF).(string)
	got := c.Get(csrfHeader)
	if got == "" {
		got = c.FormValue("_csrf")
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errCSRF
	}
	return c.Next()
}
