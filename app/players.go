package app

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/console"
	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// playersTimeout bounds the player list's status on a page or a poll:
// a hung game must not hold the server page.
const playersTimeout = 2 * time.Second

// playersView asks the server's game for its players when it runs.
func (h *handlers) playersView(ctx context.Context, s *store.Server) views.PlayersView {
	v := views.PlayersView{Server: s.Name, Running: console.Running(s),
		Poll: s.DesiredState == store.DesiredRunning || s.ActualState == hostbackend.StateRunning}
	if !v.Running {
		return v
	}
	ctx, cancel := context.WithTimeout(ctx, playersTimeout)
	defer cancel()
	st, err := h.console.Players(ctx, s)
	if err != nil {
		v.Error = sentence(err.Error())
	}
	v.Status = st
	if lv := h.liveView(s.Name); lv != nil && len(lv.PlayerList) > 0 {
		v.Scores = make(map[string]int, len(lv.PlayerList))
		for _, p := range lv.PlayerList {
			v.Scores[p.Name] = p.Score
		}
	}
	return v
}

// serverPlayers is the server page's player list, polled.
func (h *handlers) serverPlayers(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := h.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.PlayerList(h.playersView(ctx, s)))
}

// serverPlayerKick kicks the player with the path's user id (kickid,
// recorded) and goes back to the server page, which says what happened.
// A server that does not run is a 409 page.
func (h *handlers) serverPlayerKick(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := h.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	id, err := strconv.Atoi(c.Params("userid"))
	if err != nil || id <= 0 {
		return fiber.NewError(fiber.StatusNotFound, "A player's user id is a positive number, as the player list shows it.")
	}
	answer, err := h.console.Kick(ctx, s, actor(c), id)
	switch st := consoleStatus(err); {
	case err == nil:
		name := bodyFormValue(c, "player")
		if name == "" {
			name = "user id " + strconv.Itoa(id)
		}
		if strings.Contains(answer, "not found") { // userid "5" not found
			h.setConsoleFlash(c, "kick-gone", strconv.Itoa(id))
		} else {
			h.setConsoleFlash(c, "kicked", name)
		}
	case st == fiber.StatusBadGateway:
		h.setConsoleFlash(c, "kick-failed", strconv.Itoa(id))
	default:
		return fiber.NewError(st, sentence(err.Error()))
	}
	return c.Redirect("/servers/"+s.Name, fiber.StatusSeeOther)
}
