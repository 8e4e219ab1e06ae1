package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// apiGame answers the game installation: installed or not, the build,
// the latest build the latest check named, and the game job if one is
// running or queued.
func (a *apiHandlers) apiGame(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	g, err := a.svc.Game(ctx)
	if err != nil {
		return err
	}
	out := toAPIGame(g)
	rows, unknown, err := a.svc.GameBuilds(ctx, g.Status)
	if err != nil {
		return err
	}
	out.Builds = make([]apiGameBuild, 0, len(rows))
	for _, r := range rows {
		b := apiGameBuild{ID: r.ID, Current: r.Current, SizeBytes: r.SizeBytes, Servers: r.Servers}
		if b.Servers == nil {
			b.Servers = []string{}
		}
		if !r.UpdatedAt.IsZero() {
			t := r.UpdatedAt.UTC()
			b.UpdatedAt = &t
		}
		out.Builds = append(out.Builds, b)
	}
	out.OlderBuildServers = append([]string{}, views.OlderBuildServers(rows)...)
	out.UnknownBuildServers = append([]string{}, unknown...)
	return c.JSON(out)
}

// apiGameAction asks for a game job for the token's user (an admin) and
// answers 202 with the job (Location: the job). The body may be
// {"restart_servers": true}: stop running servers, update, start them
// again.
func (a *apiHandlers) apiGameAction(c *fiber.Ctx, op store.Operation) error {
	var body struct {
		RestartServers bool `json:"restart_servers"`
	}
	if err := decodeBody(c, &body, false); err != nil {
		return err
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	job, err := a.svc.EnqueueGame(ctx, op, body.RestartServers, currentUser(c))
	if err != nil {
		return err
	}
	c.Location(apiJobURL(job.ID))
	return c.Status(fiber.StatusAccepted).JSON(toAPIJob(job))
}

// apiGameInstall asks for an install of the game (every file checked).
func (a *apiHandlers) apiGameInstall(c *fiber.Ctx) error {
	return a.apiGameAction(c, store.OpGameInstall)
}

// apiGameUpdate asks for an update of the game.
func (a *apiHandlers) apiGameUpdate(c *fiber.Ctx) error {
	return a.apiGameAction(c, store.OpGameUpdate)
}

// apiGameValidate asks for a validation of every file of the game.
func (a *apiHandlers) apiGameValidate(c *fiber.Ctx) error {
	return a.apiGameAction(c, store.OpGameValidate)
}

// apiGameCheck asks Steam for the latest build.
func (a *apiHandlers) apiGameCheck(c *fiber.Ctx) error { return a.apiGameAction(c, store.OpGameCheck) }
