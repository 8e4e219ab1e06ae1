package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/static"
)

// routes is the one route table of the panel.
func routes(f *fiber.App, h *handlers) {
	f.Use(securityHeaders)
	static.Register(f)
	f.Get("/healthz", h.healthz)
	f.Get("/", h.dashboard)
	f.Get("/servers/status", h.dashboardStatus)
}
