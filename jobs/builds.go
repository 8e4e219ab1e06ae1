package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/store"
)

// buildGCInterval is how often the runner looks for game builds no server
// runs any more besides after the jobs that can free one: a server that
// crashed or was stopped outside the panel frees its build too.
const buildGCInterval = time.Minute

// LiveBuilds returns, for every server that may run a game build now, the
// build it started on ("" when unknown, and it may run whatever build was
// current when it started). A server may run one when its unit is not
// stopped or failed (unknown counts), or a job of it is queued or running
// (a start may be on its way). The build is the one its start recorded
// (servers.applied_layers), else the one its layers file names: the file
// alone can be newer than the process, as a start of a running unit
// rewrites it and leaves the process (and its mount) as it is.
func LiveBuilds(ctx context.Context, db *store.DB, g hostbackend.Game) (map[string]string, error) {
	live, err := liveServers(ctx, db)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(live))
	for _, srv := range live {
		b := srv.AppliedBuild()
		if b == "" {
			if b, err = g.InstanceBuild(ctx, srv.Name); err != nil {
				return nil, err
			}
		}
		out[srv.Name] = b
	}
	return out, nil
}

// liveServers are the servers that may run now (see LiveBuilds), with
// the layers their starts recorded.
func liveServers(ctx context.Context, db *store.DB) ([]store.Server, error) {
	var live []store.Server
	err := db.Reader().NewSelect().Model(&live).Column("name", "applied_layers").
		Where("actual_state NOT IN ('stopped', 'failed') OR name IN (SELECT server_name FROM jobs WHERE state IN ('queued', 'running'))").
		Order("name").Scan(ctx)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("list the servers that may run: %w", err)
	}
	return live, nil
}

// pendingLayersBuilds are the builds the layers files of servers with a
// queued or running job name.
func pendingLayersBuilds(ctx context.Context, db *store.DB, g hostbackend.Game) ([]string, error) {
	var names []string
	err := db.Reader().NewRaw(`SELECT DISTINCT server_name FROM jobs WHERE state IN ('queued', 'running') AND server_name != ''`).Scan(ctx, &names)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("list the servers with a job on its way: %w", err)
	}
	var builds []string
	for _, n := range names {
		b, err := g.InstanceBuild(ctx, n)
		if err != nil {
			return nil, err
		}
		if b != "" {
			builds = append(builds, b)
		}
	}
	return builds, nil
}

// CollectSets removes the revisions of add-on sets that no server that
// may run (LiveBuilds' rule) started on, through RunnerOpts.SetsGC, which
// also keeps every current revision and those replaced only moments ago
// (a start may have chosen one just before the change).
func (r *Runner) CollectSets(ctx context.Context) ([]hostbackend.LayerSet, error) {
	if r.opts.SetsGC == nil {
		return nil, nil
	}
	live, err := liveServers(ctx, r.q.db)
	if err != nil {
		return nil, err
	}
	var inUse []hostbackend.LayerSet
	for _, srv := range live {
		_, sets, err := store.ParseLayersKey(srv.AppliedLayers)
		if err != nil {
			return nil, err
		}
		inUse = append(inUse, sets...)
	}
	removed, err := r.opts.SetsGC(ctx, inUse)
	if len(removed) > 0 {
		r.opts.Logger.Info("removed add-on set revisions no server runs", "revisions", len(removed))
	}
	return removed, err
}

// CollectBuilds removes the game builds that are neither current nor run
// by a server (LiveBuilds) and returns their ids. While a server that may
// run has no known build, nothing is removed: it may run any of them.
func (r *Runner) CollectBuilds(ctx context.Context) ([]string, error) {
	g, ok := r.opts.Backend.(hostbackend.Game)
	if !ok {
		return nil, nil
	}
	st, err := g.GameStatus(ctx)
	if err != nil || len(st.Builds) < 2 {
		return nil, err
	}
	live, err := LiveBuilds(ctx, r.q.db, g)
	if err != nil {
		return nil, err
	}
	var inUse, unknown []string
	for name, b := range live {
		if b == "" {
			unknown = append(unknown, name)
		}
		inUse = append(inUse, b)
	}
	// A server with a job on its way may be about to mount the build its
	// layers file names (a start chose the then current build and wrote
	// the file before an update made another current), while its record
	// still names the build it ran before: both are in use.
	starting, err := pendingLayersBuilds(ctx, r.q.db, g)
	if err != nil {
		return nil, err
	}
	inUse = append(inUse, starting...)
	if len(unknown) > 0 {
		sort.Strings(unknown)
		r.opts.Logger.Debug("game builds kept: servers run builds the panel does not know", "servers", strings.Join(unknown, ","))
		return nil, nil
	}
	removed, err := g.GameGC(ctx, inUse)
	if len(removed) > 0 {
		r.opts.Logger.Info("removed game builds no server runs", "builds", strings.Join(removed, ","))
	}
	return removed, err
}

// kickBuilds asks the build collector to look now.
func (r *Runner) kickBuilds() {
	select {
	case r.buildsKick <- struct{}{}:
	default:
	}
}

// collectBuilds runs CollectBuilds and CollectSets when kicked (after a game job, a stop,
// restart or delete) and every buildGCInterval, until ctx ends.
func (r *Runner) collectBuilds(ctx context.Context) {
	t := time.NewTicker(buildGCInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.buildsKick:
		case <-t.C:
		}
		if _, err := r.CollectBuilds(ctx); err != nil && ctx.Err() == nil {
			r.opts.Logger.Error("remove unused game builds", "err", err)
		}
		if _, err := r.CollectSets(ctx); err != nil && ctx.Err() == nil {
			r.opts.Logger.Error("remove unused add-on set revisions", "err", err)
		}
	}
}

// freesBuild reports whether a job that ended may have left a game build
// that no server runs.
func freesBuild(op store.Operation) bool {
	return op.IsGame() || op == store.OpStop || op == store.OpRestart || op == store.OpDelete
}
