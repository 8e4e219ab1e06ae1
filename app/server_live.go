package app

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// serverLive renders the server page's game section, the fragment that
// page polls every 5 s: the sweep's latest answer (no query of its own:
// the page's opening asked) and the players chart of ?chart= (24h, 7d).
func (h *handlers) serverLive(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := h.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	p, err := h.livePanel(ctx, *s, c.Query("chart"), false)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.ServerLive(p))
}

// livePanel gathers the server page's game section. look asks the game
// now (live.Sweeper.Look: the page was opened) unless its answer is a
// couple of seconds old; otherwise the sweep's answer stands. An unknown
// chart range is the default one.
func (h *handlers) livePanel(ctx context.Context, s store.Server, chart string, look bool) (views.LivePanel, error) {
	p := views.LivePanel{Server: s, Asking: h.Live != nil}
	if h.Live != nil {
		if look {
			p.View = h.Live.Look(ctx, s)
			p.Known = !p.View.At.IsZero()
		} else {
			p.View, p.Known = h.Live.View(s.Name)
		}
	}
	r := views.ChartRangeOf(chart)
	now := h.Now()
	buckets, err := h.DB.LiveHistory(ctx, s.ID, now.Add(-r.Span), r.Bucket)
	if err != nil {
		return p, err
	}
	p.Chart = views.NewChart(buckets, r, now)
	return p, nil
}
