package app

import (
	"time"

	"github.com/gofiber/fiber/v2"
)

// healthReport is the JSON body of GET /healthz.
type healthReport struct {
	OK             bool       `json:"ok"`
	Database       string     `json:"database"`
	WorkersRunning bool       `json:"workers_running"`
	PollerLastTick *time.Time `json:"poller_last_tick"`
}

// healthz reports whether the database answers, the workers run, and when
// the poller last ticked. It answers 503 when the database does not.
func (h *handlers) healthz(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	r := healthReport{OK: true, Database: "ok"}
	if err := h.DB.Reader().PingContext(ctx); err != nil {
		// The driver's words stay in the log: this answer is public.
		h.Logger.Error("healthz: database unreachable", "err", err)
		r.OK, r.Database = false, "unreachable"
	}
	r.WorkersRunning = h.WorkersRunning != nil && h.WorkersRunning()
	if h.PollerLastTick != nil {
		if t := h.PollerLastTick(); !t.IsZero() {
			t = t.UTC()
			r.PollerLastTick = &t
		}
	}
	status := fiber.StatusOK
	if !r.OK {
		status = fiber.StatusServiceUnavailable
	}
	return c.Status(status).JSON(r)
}
