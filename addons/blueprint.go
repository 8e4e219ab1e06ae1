package addons

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/store"
)

// SetBlueprintSets makes names, lowest first, the add-on sets of the
// blueprint blueprintID (a later set wins over an earlier one); an empty
// list takes them all off. Servers of the blueprint get the change at
// their next start. Errors match store.ErrNotFound (no such blueprint)
// or store.ErrInvalid (a set that does not exist, one listed twice, more
// than hostbackend.MaxLayerSets); the list is then unchanged.
func (m *Manager) SetBlueprintSets(ctx context.Context, blueprintID int64, names []string) error {
	if len(names) > hostbackend.MaxLayerSets {
		return invalid("a blueprint may stack at most %d add-on sets, not %d", hostbackend.MaxLayerSets, len(names))
	}
	seen := map[string]bool{}
	for _, n := range names {
		if err := checkName(n); err != nil {
			return err
		}
		if seen[n] {
			return invalid("add-on set %s is listed twice", n)
		}
		seen[n] = true
	}
	return m.db.WriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var exists int
		if err := tx.NewRaw(`SELECT count(*) FROM blueprints WHERE id = ?`, blueprintID).Scan(ctx, &exists); err != nil {
			return fmt.Errorf("set add-on sets of blueprint %d: %w", blueprintID, err)
		}
		if exists == 0 {
			return notFound("blueprint %d does not exist", blueprintID)
		}
		ids := make([]int64, len(names))
		for i, n := range names {
			r, err := m.row(ctx, tx, n)
			if errors.Is(err, store.ErrNotFound) {
				return invalid("add-on set %s does not exist", n)
			}
			if err != nil {
				return err
			}
			ids[i] = r.ID
		}
		if _, err := tx.NewRaw(`DELETE FROM blueprint_addon_sets WHERE blueprint_id = ?`, blueprintID).Exec(ctx); err != nil {
			return fmt.Errorf("set add-on sets of blueprint %d: %w", blueprintID, err)
		}
		for pos, id := range ids {
			if _, err := tx.NewRaw(`INSERT INTO blueprint_addon_sets (blueprint_id, set_id, position) VALUES (?, ?, ?)`,
				blueprintID, id, pos).Exec(ctx); err != nil {
				return fmt.Errorf("set add-on sets of blueprint %d: %w", blueprintID, err)
			}
		}
		_, err := tx.NewRaw(`UPDATE blueprints SET updated_at = ? WHERE id = ?`, store.NewTime(m.db.Now()), blueprintID).Exec(ctx)
		return err
	})
}

// BlueprintSets returns the names of the add-on sets of the blueprint
// blueprintID, lowest first (none for a blueprint that does not exist).
func (m *Manager) BlueprintSets(ctx context.Context, blueprintID int64) ([]string, error) {
	layers, err := m.Resolve(ctx, blueprintID)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(layers))
	for i, l := range layers {
		names[i] = l.Name
	}
	return names, nil
}

// Resolve returns the layers the blueprint blueprintID stacks over the
// game now: its add-on sets, lowest first, each at its current revision
// (for hostbackend.InstanceSpec.Sets). A revision never changes, so a
// server started with these keeps seeing exactly them, whatever changes
// later; GC keeps them while they are in its list.
func (m *Manager) Resolve(ctx context.Context, blueprintID int64) ([]hostbackend.LayerSet, error) {
	var rows []struct {
		Name string `bun:"name"`
		Rev  int    `bun:"rev"`
	}
	err := m.db.Reader().NewRaw(`SELECT s.name, s.rev FROM blueprint_addon_sets b
		JOIN addon_sets s ON s.id = b.set_id WHERE b.blueprint_id = ? ORDER BY b.position`, blueprintID).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("add-on sets of blueprint %d: %w", blueprintID, err)
	}
	layers := make([]hostbackend.LayerSet, len(rows))
	for i, r := range rows {
		layers[i] = hostbackend.LayerSet{Name: r.Name, Rev: r.Rev}
	}
	return layers, nil
}

// GC removes what no server needs: every revision of a set that is
// neither the set's current one nor in inUse and was replaced more than
// Options.KeepReplaced ago, all of a deleted set's revisions alike, and
// what a crash left (staging, a revision never swapped in). inUse holds
// the layers of every server that runs or starts (what each was started
// with); KeepReplaced covers a start that resolved its layers just before
// a change and has not recorded them yet. A revision is removed only
// while nothing has it mounted. It returns the revisions removed.
func (m *Manager) GC(ctx context.Context, inUse []hostbackend.LayerSet) ([]hostbackend.LayerSet, error) {
	keep := map[hostbackend.LayerSet]bool{}
	for _, l := range inUse {
		keep[l] = true
	}
	ents, err := os.ReadDir(m.dir)
	if err != nil {
		return nil, fmt.Errorf("collect add-on sets: %w", err)
	}
	var removed []hostbackend.LayerSet
	for _, e := range ents {
		if !e.IsDir() || checkName(e.Name()) != nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		gone, err := m.gcSet(ctx, e.Name(), keep)
		removed = append(removed, gone...)
		if err != nil {
			return removed, err
		}
	}
	return removed, nil
}

// replacedAt is when revs[i] of set name stopped being current: the
// time of the next revision on disk, or of a deleted set's marker.
func (m *Manager) replacedAt(name string, revs []int, i int) time.Time {
	p := filepath.Join(m.dir, name, deletedMarker)
	if i+1 < len(revs) {
		p = m.Dir(name, revs[i+1])
	}
	fi, err := os.Stat(p)
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}

// gcSet is GC of the set name.
func (m *Manager) gcSet(ctx context.Context, name string, keep map[hostbackend.LayerSet]bool) ([]hostbackend.LayerSet, error) {
	defer m.lock(name)()
	current := 0
	r, err := m.row(ctx, m.db.Reader(), name)
	switch {
	case err == nil:
		current = r.Rev
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	setDir := filepath.Join(m.dir, name)
	// A staging tree, or a revision half removed, that a crash left.
	leftovers, _ := filepath.Glob(filepath.Join(setDir, "gc-*"))
	for _, d := range append(leftovers, filepath.Join(setDir, "staging")) {
		if err := os.RemoveAll(d); err != nil {
			return nil, fmt.Errorf("collect add-on set %s: %w", name, err)
		}
	}
	revs, err := m.revs(name)
	if err != nil {
		return nil, fmt.Errorf("collect add-on set %s: %w", name, err)
	}
	var removed []hostbackend.LayerSet
	left := 0
	now := time.Now()
	for i, rev := range revs {
		l := hostbackend.LayerSet{Name: name, Rev: rev}
		if rev == current || keep[l] {
			left++
			continue
		}
		// A revision above the current one never was current (a crash
		// before its swap); one below may have been resolved by a start
		// just before it was replaced.
		if !(current > 0 && rev > current) && now.Sub(m.replacedAt(name, revs, i)) < m.opts.KeepReplaced {
			left++
			continue
		}
		// Out of revs/ first, so a half-removed tree is never a revision.
		trash := filepath.Join(setDir, "gc-"+strconv.Itoa(rev))
		if err := os.Rename(m.Dir(name, rev), trash); err != nil {
			return removed, fmt.Errorf("collect add-on set %s: %w", name, err)
		}
		if err := os.RemoveAll(trash); err != nil {
			return removed, fmt.Errorf("collect add-on set %s: %w", name, err)
		}
		removed = append(removed, l)
	}
	if current == 0 && left == 0 {
		if err := os.RemoveAll(setDir); err != nil {
			return removed, fmt.Errorf("collect add-on set %s: %w", name, err)
		}
	}
	return removed, nil
}
