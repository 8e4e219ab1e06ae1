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
// build it started on ("" when unknown: it has no layers file naming one,
// so it runs whatever build was current when it started). A server may
// run one when its unit is not stopped or failed (unknown counts), or a
// job of it is queued or running (a start may be on its way).
func LiveBuilds(ctx context.Context, db *store.DB, g hostbackend.Game) (map[string]string, error) {
	var names []string
	err := db.Reader().NewRaw(`SELECT name FROM servers
		WHERE actual_state NOT IN ('stopped', 'failed')
		   OR name IN (SELECT server_name FROM jobs WHERE state IN ('queued', 'running'))
		ORDER BY name`).Scan(ctx, &names)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("list the servers that may run: %w", err)
	}
	out := make(map[string]string, len(names))
	for _, n := range names {
		b, err := g.InstanceBuild(ctx, n)
		if err != nil {
			return nil, err
		}
		out[n] = b
	}
	return out, nil
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

// collectBuilds runs CollectBuilds when kicked (after a game job, a stop,
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
	}
}

// freesBuild reports whether a job that ended may have left a game build
// that no server runs.
func freesBuild(op store.Operation) bool {
	return op.IsGame() || op == store.OpStop || op == store.OpRestart || op == store.OpDelete
}
