package app

import (
	"context"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// logLines is how many journal lines the server page shows.
const logLines = 100

// server shows one server: state, actions, log, jobs and history.
func (h *handlers) server(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := h.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	v := views.ServerView{Server: *s}
	next := h.svc.NextLayers(ctx)
	bp, err := h.DB.GetBlueprint(ctx, s.BlueprintID)
	if err != nil {
		bp = nil
	} else {
		v.Blueprint = bp.Name
		v.RestartPending = next.Pending(ctx, s, bp)
	}
	if v.History, err = h.DB.ListServerHistory(ctx, s.ID, 20); err != nil {
		return err
	}
	if err := h.serverConsoleParts(ctx, s, &v); err != nil {
		return err
	}
	changed, err := h.DB.LastStateChange(ctx, s.ID)
	if err != nil {
		return err
	}
	v.Changed = changed.Time
	jobs, err := h.DB.ListJobs(ctx, store.JobFilter{ServerID: s.ID, Limit: 10})
	if err != nil {
		return err
	}
	if v.Jobs, err = h.jobRows(ctx, jobs); err != nil {
		return err
	}
	if v.Active, err = h.activeJob(ctx, s.ID); err != nil {
		return err
	}
	if v.Live, err = h.livePanel(ctx, *s, c.Query("chart"), true); err != nil {
		return err
	}
	v.Resources = h.resourcesPanel(*s)
	v.Layers = h.layersPanel(ctx, next, s, bp, v.Active)
	v.Log = h.journal(ctx, s.Name, logLines)
	return page(c, fiber.StatusOK, title(s), views.ServerPage(v))
}

// jobRows adds who asked for each job.
func (h *handlers) jobRows(ctx context.Context, jobs []store.Job) ([]views.JobRow, error) {
	users, err := h.DB.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	names := make(map[int64]string, len(users))
	for _, u := range users {
		names[u.ID] = u.Name
	}
	rows := make([]views.JobRow, len(jobs))
	for i, j := range jobs {
		by := "the panel"
		if j.RequestedBy != nil {
			if by = names[*j.RequestedBy]; by == "" {
				by = "a deleted user"
			}
		} else if j.RequestedByName != "" {
			by = j.RequestedByName + " (deleted)" // the name the job kept
		}
		rows[i] = views.JobRow{Job: j, By: by}
	}
	return rows, nil
}

// journal reads the last lines lines of the server's unit log, giving up after
// a few seconds; a failure is shown in place of the lines.
func (h *handlers) journal(ctx context.Context, name string, lines int) views.LogView {
	v := views.LogView{Name: name}
	if h.Backend == nil {
		v.Error = "The unit's log is not available here (no host backend)."
		return v
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	err := h.Backend.Journal(ctx, name, lines, false, func(l hostbackend.Line) {
		if l.Stream == hostbackend.Stdout { // stderr is journalctl's, not the unit's
			v.Lines = append(v.Lines, views.LogLine{Time: l.Time, Text: l.Text})
		}
	})
	if len(v.Lines) > lines {
		v.Lines = v.Lines[len(v.Lines)-lines:]
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		v.Error = "Reading the log took too long; showing what arrived."
	case err != nil:
		h.Logger.Warn("read journal", "server", name, "err", err)
		v.Error = "Could not read the log: " + err.Error()
	}
	return v
}

// title is what a page calls a server.
func title(s *store.Server) string {
	if s.Title != "" {
		return s.Title
	}
	return s.Name
}
