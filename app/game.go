package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// gameJobsShown is how many of the game's recent jobs its page lists.
const gameJobsShown = 20

// game shows the game installation, the latest build, the servers an
// update would stop, and the game's recent jobs.
func (h *handlers) game(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	g, err := h.svc.Game(ctx)
	if err != nil {
		return err
	}
	servers, err := h.DB.ListServers(ctx)
	if err != nil {
		return err
	}
	v := views.GameView{Game: g, SteamUser: h.SteamUser}
	if v.Builds, v.UnknownBuild, err = h.svc.GameBuilds(ctx, g.Status); err != nil {
		return err
	}
	for _, s := range servers {
		switch s.ActualState {
		case hostbackend.StateRunning, hostbackend.StateStarting, hostbackend.StateCrashLooping, hostbackend.StateStopping:
			v.Running = append(v.Running, s.Name)
		}
	}
	js, err := h.DB.ListJobs(ctx, store.JobFilter{Game: true, Limit: gameJobsShown})
	if err != nil {
		return err
	}
	if v.Jobs, err = h.jobRows(ctx, js); err != nil {
		return err
	}
	return page(c, fiber.StatusOK, "Game", views.GamePage(v))
}
