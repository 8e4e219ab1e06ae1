package app

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/console"
	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// consoleRecent is how many commands the console page lists.
const consoleRecent = 30

// newConsole is the panel's RCON console on the backend's games; a
// backend without hostbackend.Live refuses every command.
func newConsole(opts Options) *console.Console {
	host, _ := opts.Backend.(hostbackend.Live)
	return console.New(console.Options{DB: opts.DB, Host: host, Logger: opts.Logger})
}

// actor is the logged-in user, as the console records them.
func actor(c *fiber.Ctx) console.Actor {
	u := currentUser(c)
	return console.Actor{ID: u.ID, Name: u.Name}
}

// consoleStatus is the HTTP status of a console error: 422 for what
// cannot be sent, 409 when the server does not run or the host cannot
// speak RCON, the store's for its errors, 502 when the game failed.
func consoleStatus(err error) int {
	var se *store.Error
	switch {
	case errors.Is(err, console.ErrInvalid):
		return fiber.StatusUnprocessableEntity
	case errors.Is(err, console.ErrNotRunning), errors.Is(err, console.ErrUnavailable):
		return fiber.StatusConflict
	case errors.As(err, &se):
		return statusOf(err)
	}
	return fiber.StatusBadGateway
}

// serverConsole shows the server's console: a command line and everyone's
// recent commands.
func (h *handlers) serverConsole(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := h.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	return h.consolePage(c, fiber.StatusOK, views.ConsoleView{Server: *s})
}

// serverConsoleRun sends the typed command to the server's game and shows
// the console with its answer: 200 when the game answered or failed (the
// failure shown and recorded), 422 for a command that cannot be sent, 409
// when the server does not run. A page either way, so it works with and
// without htmx.
func (h *handlers) serverConsoleRun(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := h.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	v := views.ConsoleView{Server: *s, Command: bodyFormValue(c, "command"), Ran: true}
	v.Answer, err = h.console.Run(ctx, s, actor(c), v.Command)
	status := fiber.StatusOK
	if err != nil {
		v.Error = sentence(err.Error())
		if st := consoleStatus(err); st != fiber.StatusBadGateway {
			status = st
		}
	} else {
		v.Command = "" // sent: the line is free for the next one
	}
	return h.consolePage(c, status, v)
}

// consolePage renders the console with the server's recent commands.
func (h *handlers) consolePage(c *fiber.Ctx, status int, v views.ConsoleView) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	var err error
	if v.Recent, err = h.DB.ListRCONCommands(ctx, v.Server.ID, consoleRecent); err != nil {
		return err
	}
	return page(c, status, "Console · "+title(&v.Server), views.ConsolePage(v))
}
