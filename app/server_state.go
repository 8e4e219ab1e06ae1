package app

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/live"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// serverState renders the state card of the server page, the fragment
// that page polls.
func (h *handlers) serverState(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := h.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	changed, err := h.DB.LastStateChange(ctx, s.ID)
	if err != nil {
		return err
	}
	job, err := h.activeJob(ctx, s.ID)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.ServerState(views.StateCard{Server: *s, Changed: changed.Time, Job: job, Live: h.liveView(s.Name)}))
}

// liveView is what the server's game said at the last sweep or look, nil
// when nothing is known (no sweep runs, the server does not run).
func (h *handlers) liveView(name string) *live.View {
	if h.Live == nil {
		return nil
	}
	if v, ok := h.Live.View(name); ok {
		return &v
	}
	return nil
}

// activeJob returns the server's queued or running job that runs first,
// nil for none: what its state card shows in place of its state.
func (h *handlers) activeJob(ctx context.Context, serverID int64) (*store.Job, error) {
	active, err := h.DB.ListJobs(ctx, store.JobFilter{ServerID: serverID, Active: true, Limit: 100})
	if err != nil || len(active) == 0 {
		return nil, err
	}
	return &active[len(active)-1], nil // newest first: the oldest runs first
}
