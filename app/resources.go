package app

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/resources"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// apiResources is what a running server costs, as the panel last read it
// from systemd (resources.Figures); a server that does not run, or was
// not read since it started, has none (null).
type apiResources struct {
	// CPUPercent is the CPU time used between the last two reads as a
	// share of one core, in %; null until there were two reads.
	CPUPercent *float64 `json:"cpu_percent"`
	// CPUSeconds is the CPU time used since the unit started.
	CPUSeconds      float64 `json:"cpu_seconds"`
	MemoryBytes     uint64  `json:"memory_bytes"`
	MemoryPeakBytes uint64  `json:"memory_peak_bytes"`
	// MemoryMaxBytes is the unit's limit, null without one.
	MemoryMaxBytes *uint64 `json:"memory_max_bytes"`
	Tasks          uint64  `json:"tasks"`
	// Since is when the unit became active, UptimeSeconds how long ago;
	// null when systemd did not say.
	Since         *time.Time `json:"since"`
	UptimeSeconds *int64     `json:"uptime_seconds"`
	// Restarts counts systemd's automatic restarts since the unit was
	// last started by hand.
	Restarts int `json:"restarts"`
	// ReadAt is when the figures were read.
	ReadAt *time.Time `json:"read_at"`
}

// toAPIResources is server id's figures, nil when it has none.
func toAPIResources(book *resources.Book, id int64, now time.Time) *apiResources {
	f, ok := book.Figures(id)
	if !ok {
		return nil
	}
	out := &apiResources{
		CPUSeconds: f.CPUSeconds, MemoryBytes: f.Memory, MemoryPeakBytes: f.MemoryPeak, Tasks: f.Tasks,
		Restarts: f.Restarts, ReadAt: utcOrNil(f.At), Since: utcOrNil(f.Since),
	}
	if f.HasCPU {
		p := f.CPUPercent
		out.CPUPercent = &p
	}
	if f.MemoryMax > 0 {
		m := f.MemoryMax
		out.MemoryMaxBytes = &m
	}
	if !f.Since.IsZero() {
		up := int64(f.Uptime(now) / time.Second)
		out.UptimeSeconds = &up
	}
	return out
}

// utcOrNil is t in UTC, nil for the zero time.
func utcOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// serverResources renders the server page's figures and charts, the
// fragment its resources section polls every 30 s.
func (h *handlers) serverResources(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := h.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.ResourceFigures(h.resourcesPanel(*s)))
}

// resourcesPanel gathers the server page's resources section from the
// poller's book (memory only, no query).
func (h *handlers) resourcesPanel(s store.Server) views.ResourcesPanel {
	now := h.Now()
	var fp *resources.Figures
	if f, ok := h.Resources.Figures(s.ID); ok {
		fp = &f
	}
	samples := h.Resources.Samples(s.ID, now.Add(-views.ResourceRange.Span))
	return views.NewResourcesPanel(s, fp, samples, h.Resources != nil, now)
}
