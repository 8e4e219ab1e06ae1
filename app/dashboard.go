package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/views"
)

// dashboard shows every server with its state.
func (h *handlers) dashboard(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	servers, err := h.DB.ListServers(ctx)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.Page("Servers", h.Simulated, views.Dashboard(servers)))
}

// dashboardStatus renders only the status table, the fragment the
// dashboard refreshes.
func (h *handlers) dashboardStatus(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	servers, err := h.DB.ListServers(ctx)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.StatusTable(servers))
}
