package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
)

// Options are what the web app needs. DB is required.
type Options struct {
	DB *store.DB
	// Simulated marks the fake host backend; every page says so.
	Simulated bool
	// WorkersRunning reports whether the job workers are running; nil
	// means they are not.
	WorkersRunning func() bool
	// PollerLastTick returns when the state poller last finished a tick;
	// nil or a zero time means never.
	PollerLastTick func() time.Time
	Logger         *slog.Logger
}

// handlers holds what the handlers share.
type handlers struct {
	Options
}

// New builds the Fiber app with every route registered.
func New(opts Options) *fiber.App {
	if opts.DB == nil {
		panic("app.New: Options.DB is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	f := fiber.New(fiber.Config{
		AppName:               "left4me",
		DisableStartupMessage: true,
		ReadTimeout:           30 * time.Second,
		IdleTimeout:           120 * time.Second,
		ErrorHandler:          errorHandler(opts.Logger),
	})
	routes(f, &handlers{Options: opts})
	return f
}

// render writes comp as an HTML response with the given status.
func render(c *fiber.Ctx, status int, comp templ.Component) error {
	c.Status(status).Type("html", "utf-8")
	return comp.Render(c.UserContext(), c.Response().BodyWriter())
}

// requestContext bounds the work a request does.
func requestContext(c *fiber.Ctx) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.UserContext(), 10*time.Second)
}

func errorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		code := fiber.StatusInternalServerError
		msg := "Something went wrong on the server; the details are in its log."
		if fe, ok := err.(*fiber.Error); ok {
			code, msg = fe.Code, fe.Message
		} else {
			log.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err)
		}
		return c.Status(code).SendString(msg)
	}
}
