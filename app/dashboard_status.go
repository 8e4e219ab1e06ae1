package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// dashboardStatus renders only the status table, the fragment the
// dashboard polls.
func (h *handlers) dashboardStatus(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	snap, err := h.status.snapshot(ctx)
	if err != nil {
		return err
	}
	u := currentUser(c)
	parts, err := h.statusHTML.get(snap, u, h.Simulated, h.Now())
	if err != nil {
		return err
	}
	csrf, _ := c.Locals(localCSRF).(string)
	c.Status(fiber.StatusOK).Type("html", "utf-8")
	w := c.Response().BodyWriter()
	for i, p := range parts {
		if i > 0 {
			w.Write([]byte(csrf))
		}
		w.Write(p)
	}
	return nil
}

// statusRender caches the rendered status table: every poll of every
// dashboard asks for it, and it differs between requests only in the
// session's CSRF token. It is rendered once per snapshot of the rows, per
// role and per second of the clock ("2 min ago"), with a random
// placeholder where the token goes, which each request replaces by its
// own. Within one second the first request's clock reading stands for
// all.
type statusRender struct {
	placeholder []byte
	mu          sync.Mutex
	byRole      map[store.Role]*atomic.Pointer[renderedStatus]
}

type renderedStatus struct {
	snap  *statusSnapshot
	sec   int64
	parts [][]byte // the HTML split at the placeholder: the token goes between parts
}

func newStatusRender() *statusRender {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("app: no randomness for the CSRF placeholder: " + err.Error())
	}
	return &statusRender{
		// Hex needs no HTML escaping, so it appears in the output as is.
		placeholder: []byte("csrf-placeholder-" + hex.EncodeToString(b)),
		byRole:      map[store.Role]*atomic.Pointer[renderedStatus]{},
	}
}

// get returns the table for snap as u's role sees it at now, split where
// the CSRF token goes. The parts are shared: nothing may modify them.
func (r *statusRender) get(snap *statusSnapshot, u *store.User, simulated bool, now time.Time) ([][]byte, error) {
	var role store.Role
	if u != nil {
		role = u.Role
	}
	r.mu.Lock()
	slot := r.byRole[role]
	if slot == nil {
		slot = new(atomic.Pointer[renderedStatus])
		r.byRole[role] = slot
	}
	r.mu.Unlock()
	sec := now.Unix()
	if cur := slot.Load(); cur != nil && cur.snap == snap && cur.sec == sec {
		return cur.parts, nil
	}
	ctx := views.WithViewer(context.Background(), views.Viewer{User: u, CSRF: string(r.placeholder), Simulated: simulated, Now: now})
	var buf bytes.Buffer
	if err := views.StatusTable(snap.status).Render(ctx, &buf); err != nil {
		return nil, err
	}
	parts := bytes.Split(buf.Bytes(), r.placeholder)
	slot.Store(&renderedStatus{snap: snap, sec: sec, parts: parts})
	return parts, nil
}
