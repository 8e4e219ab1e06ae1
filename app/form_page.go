package app

import "github.com/gofiber/fiber/v2"

// keepFormPage keeps the address bar on the page of a form whose POST
// answers with a page of its own instead of a redirect: the form shown
// again with its errors, a refusal, or a result shown once (a new API
// token). A boosted form would otherwise push the POST's URL into the
// history, and a reload of it would GET an address that only takes POST
// ("Method Not Allowed"). "HX-Push-Url: false" tells htmx to leave the
// history alone. A redirect needs nothing: htmx pushes where it led.
func keepFormPage(c *fiber.Ctx) error {
	err := c.Next()
	if c.Method() != fiber.MethodPost || c.Get("HX-Request") != "true" {
		return err
	}
	if s := c.Response().StatusCode(); err != nil || s < 300 || s >= 400 {
		c.Set("HX-Push-Url", "false")
	}
	return err
}
