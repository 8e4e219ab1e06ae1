package app

import "github.com/gofiber/fiber/v2"

// routes is the one route table of the panel.
func routes(f *fiber.App, h *handlers) {
	f.Get("/healthz", h.healthz)
	f.Get("/", h.dashboard)
	f.Get("/servers/status", h.dashboardStatus)
}
