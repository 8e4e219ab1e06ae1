package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// nextLayers says, per blueprint, which layers (a store.LayersKey) a
// server of it would start on now: the current game build with the
// blueprint's add-on sets at their current revisions. It asks for the
// build once and for each blueprint's sets once; "" when the game is not
// kept as builds or a question fails (logged): no restart hint then.
type nextLayers struct {
	s     *Service
	build string
	keys  map[int64]string
}

// NextLayers returns the layers a start would use now, for the restart
// hints (store.Server.LayersPending).
func (s *Service) NextLayers(ctx context.Context) *nextLayers {
	n := &nextLayers{s: s, keys: map[int64]string{}}
	if s.game == nil {
		return n
	}
	st, err := s.game.GameStatus(ctx)
	if err != nil {
		s.log.Warn("read the game's builds for the restart hints", "err", err)
		return n
	}
	n.build = st.CurrentBuild()
	return n
}

// Key is the store.LayersKey of a start of a server of blueprint bpID.
func (n *nextLayers) Key(ctx context.Context, bpID int64) string {
	if n.build == "" {
		return ""
	}
	if k, ok := n.keys[bpID]; ok {
		return k
	}
	spec := hostbackend.InstanceSpec{Build: n.build}
	if n.s.addons != nil {
		sets, err := n.s.addons.Resolve(ctx, bpID)
		if err != nil {
			n.s.log.Warn("resolve a blueprint's add-on sets for the restart hints", "blueprint", bpID, "err", err)
			n.keys[bpID] = ""
			return ""
		}
		spec.Sets = sets
	}
	n.keys[bpID] = store.LayersKey(spec)
	return n.keys[bpID]
}

// Pending reports whether srv waits for a restart to run what it now
// would: its own or its blueprint's spec changed (RestartPending), or its
// layers (a game update, a change to one of its add-on sets).
func (n *nextLayers) Pending(ctx context.Context, srv *store.Server, bp *store.Blueprint) bool {
	if bp == nil {
		return false
	}
	return srv.RestartPending(bp) || srv.LayersPending(n.Key(ctx, bp.ID))
}

// layersPanel gathers the server page's Layers section.
func (h *handlers) layersPanel(ctx context.Context, next *nextLayers, s *store.Server, bp *store.Blueprint, active *store.Job) views.LayersPanel {
	p := views.LayersPanel{Name: s.Name, Applied: s.AppliedLayers,
		Running: s.ActualState != hostbackend.StateStopped && s.ActualState != hostbackend.StateFailed,
		Stopped: (s.ActualState == hostbackend.StateStopped || s.ActualState == hostbackend.StateFailed) && active == nil}
	if bp != nil {
		p.Next = next.Key(ctx, bp.ID)
	}
	l, ok := h.Backend.(hostbackend.Layers)
	if !ok {
		return p
	}
	w, err := l.WritableLayer(ctx, s.Name)
	if err != nil {
		p.Error = "Could not read the writable layer: " + err.Error()
		return p
	}
	p.Writable = &w
	return p
}

// ResetWritableLayer empties the named server's writable layer (what its
// srcds wrote). It refuses, changing nothing, while a job of the server
// is on its way or its unit is not stopped: the layer is mounted while
// the server runs.
func (s *Service) ResetWritableLayer(ctx context.Context, backend hostbackend.Backend, name string) error {
	srv, err := s.db.GetServerByName(ctx, name)
	if err != nil {
		return err
	}
	l, ok := backend.(hostbackend.Layers)
	if !ok {
		return &store.Error{Kind: store.ErrConflict, Msg: "this host keeps no writable layers"}
	}
	active, err := s.db.ListJobs(ctx, store.JobFilter{ServerID: srv.ID, Active: true, Limit: 1})
	if err != nil {
		return err
	}
	if len(active) > 0 {
		return &store.Error{Kind: store.ErrConflict, Msg: fmt.Sprintf("a %s job of %s is on its way; reset its writable layer once the server is stopped", active[0].Operation, name)}
	}
	switch err := l.ResetWritableLayer(ctx, name); {
	case errors.Is(err, hostbackend.ErrInstanceRunning):
		return &store.Error{Kind: store.ErrConflict, Msg: fmt.Sprintf("%s is not stopped: stop it first, its writable layer is mounted while it runs", name)}
	case err != nil:
		return fmt.Errorf("reset the writable layer of %s: %w", name, err)
	}
	s.log.Info("writable layer reset", "server", name)
	return nil
}

// layerResetFlash is the flash cookie's operation for a reset writable
// layer: "layer-reset.NAME".
const layerResetFlash = "layer-reset"

// serverLayerReset is POST /servers/:name/layer/reset.
func (h *handlers) serverLayerReset(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	name := c.Params("name")
	if err := h.svc.ResetWritableLayer(ctx, h.Backend, name); err != nil {
		return err
	}
	h.setCookie(c, flashCookie, layerResetFlash+"."+name, h.Now().Add(time.Minute))
	return c.Redirect("/servers/"+name, fiber.StatusSeeOther)
}

// apiLayers is GET /api/v1/servers/:name/layers.
type apiLayers struct {
	Applied        *apiLayerStack `json:"applied"`
	Next           *apiLayerStack `json:"next"`
	RestartPending bool           `json:"restart_pending"`
	Writable       *apiWritable   `json:"writable"`
}

type apiLayerStack struct {
	Build string             `json:"build"`
	Sets  []apiLayerStackSet `json:"addon_sets"`
}

type apiLayerStackSet struct {
	Name     string `json:"name"`
	Revision int    `json:"revision"`
}

type apiWritable struct {
	Bytes     int64          `json:"bytes"`
	Files     int            `json:"files"`
	List      []apiLayerFile `json:"list"`
	Truncated bool           `json:"truncated"`
}

type apiLayerFile struct {
	Path  string `json:"path"`
	Bytes int64  `json:"bytes"`
}

func layerStack(key string) *apiLayerStack {
	build, sets, err := store.ParseLayersKey(key)
	if err != nil || build == "" {
		return nil
	}
	st := &apiLayerStack{Build: build, Sets: []apiLayerStackSet{}}
	for _, s := range sets {
		st.Sets = append(st.Sets, apiLayerStackSet{Name: s.Name, Revision: s.Rev})
	}
	return st
}

func (a *apiHandlers) apiServerLayers(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	s, err := a.DB.GetServerByName(ctx, c.Params("name"))
	if err != nil {
		return err
	}
	bp, err := a.DB.GetBlueprint(ctx, s.BlueprintID)
	if err != nil {
		return err
	}
	next := a.svc.NextLayers(ctx)
	p := a.layersPanel(ctx, next, s, bp, nil)
	out := apiLayers{Next: layerStack(p.Next), RestartPending: next.Pending(ctx, s, bp)}
	if p.Running {
		out.Applied = layerStack(p.Applied)
	}
	if p.Error != "" {
		return fmt.Errorf("%s", p.Error)
	}
	if p.Writable != nil {
		w := &apiWritable{Bytes: p.Writable.Bytes, Files: p.Writable.Files, Truncated: p.Writable.Truncated, List: []apiLayerFile{}}
		for _, f := range p.Writable.List {
			w.List = append(w.List, apiLayerFile{Path: f.Path, Bytes: f.Bytes})
		}
		out.Writable = w
	}
	return c.JSON(out)
}

// apiServerLayerReset is POST /api/v1/servers/:name/layers/reset: 204, or
// 409 while the server is not stopped.
func (a *apiHandlers) apiServerLayerReset(c *fiber.Ctx) error {
	ctx, cancel := requestContext(c)
	defer cancel()
	if err := a.svc.ResetWritableLayer(ctx, a.Backend, c.Params("name")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
