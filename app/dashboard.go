package app

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/live"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// dashboard shows every server with its state and actions, and the
// game's banner.
func (h *handlers) dashboard(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	st, err := h.status.status(ctx)
	if err != nil {
		return err
	}
	return page(c, fiber.StatusOK, "Servers", views.Dashboard(st))
}

// loadStatus gathers what the dashboard shows: the servers' rows in four
// queries whatever their number, with what their games said last (the
// live sweep's views, from memory), and the game (two queries and a look
// at the disk). Handlers read it through h.status, which shares one load
// among all requests.
func (h *handlers) loadStatus(ctx context.Context) (views.Status, error) {
	rows, err := h.serverRows(ctx)
	if err != nil {
		return views.Status{}, err
	}
	g, err := h.svc.Game(ctx)
	if err != nil {
		return views.Status{}, err
	}
	return views.Status{Rows: rows, Game: g}, nil
}

// serverRows gathers the status table's rows.
func (h *handlers) serverRows(ctx context.Context) ([]views.ServerRow, error) {
	servers, err := h.DB.ListServers(ctx)
	if err != nil {
		return nil, err
	}
	bps, err := h.DB.ListBlueprints(ctx)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*store.Blueprint, len(bps))
	for i := range bps {
		byID[bps[i].ID] = &bps[i]
	}
	changed, err := h.DB.LastStateChanges(ctx)
	if err != nil {
		return nil, err
	}
	active, err := h.DB.ListJobs(ctx, store.JobFilter{Active: true, Limit: 10000})
	if err != nil {
		return nil, err
	}
	jobOf := map[string]*store.Job{}
	for i := range active { // newest first: keep the oldest, the one that runs first
		jobOf[active[i].ServerName] = &active[i]
	}
	var lives map[string]live.View
	if h.Live != nil {
		lives = h.Live.Views()
	}
	figures := h.Resources.All()
	next := h.svc.NextLayers(ctx)
	rows := make([]views.ServerRow, len(servers))
	for i, s := range servers {
		rows[i] = views.ServerRow{Server: s, Changed: changed[s.ID].Time, Job: jobOf[s.Name]}
		if v, ok := lives[s.Name]; ok {
			rows[i].Live = &v
		}
		if f, ok := figures[s.ID]; ok {
			rows[i].Resources = &f
		}
		if bp := byID[s.BlueprintID]; bp != nil {
			// Hashes the spec of the running servers only, once per
			// snapshot (statusCache), not per request.
			rows[i].Blueprint, rows[i].RestartPending = bp.Name, next.Pending(ctx, &s, bp)
		}
	}
	return rows, nil
}
