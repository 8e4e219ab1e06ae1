package app

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// serverLive renders what the server's game said last, the fragment of
// the server page's game section polled every 5 s: the sweep's answer
// (no query of its own: the page's opening asked).
func (h *handlers) serverLive(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := h.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.LiveStatus(h.liveStatus(ctx, *s, false)))
}

// serverLiveChart renders the players chart of ?chart= (24h, 7d; another
// value is the default), the fragment the game section polls every
// minute.
func (h *handlers) serverLiveChart(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := h.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	chart, err := h.playersChart(ctx, s.ID, c.Query("chart"))
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.PlayersChart(s.Name, chart))
}

// livePanel gathers the server page's game section: look asks the game
// now (the page was opened), chart is the chart's range.
func (h *handlers) livePanel(ctx context.Context, s store.Server, chart string, look bool) (views.LivePanel, error) {
	p := h.liveStatus(ctx, s, look)
	var err error
	p.Chart, err = h.playersChart(ctx, s.ID, chart)
	return p, err
}

// liveStatus is what the server's game said last. look asks it now
// (live.Sweeper.Look) unless its answer is a couple of seconds old;
// otherwise the sweep's answer stands.
func (h *handlers) liveStatus(ctx context.Context, s store.Server, look bool) views.LivePanel {
	p := views.LivePanel{Server: s, Asking: h.Live != nil}
	switch {
	case h.Live == nil:
	case look:
		p.View = h.Live.Look(ctx, s)
		p.Known = !p.View.At.IsZero()
	default:
		p.View, p.Known = h.Live.View(s.Name)
	}
	return p
}

// playersChart draws the server's players over the range named key from
// the stored samples.
func (h *handlers) playersChart(ctx context.Context, serverID int64, key string) (views.Chart, error) {
	r := views.ChartRangeOf(key)
	now := h.Now()
	buckets, err := h.DB.LiveHistory(ctx, serverID, now.Add(-r.Span), r.Bucket)
	if err != nil {
		return views.Chart{}, err
	}
	return views.NewChart(buckets, r, now), nil
}
