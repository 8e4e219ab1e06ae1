package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/left4me/left4me/addons"
	"github.com/left4me/left4me/game"
	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/store"
)

// WorkshopPrefix is where a Workshop item lives in an add-on set,
// relative to left4dead2/: addons/workshop/ID.vpk, where the game loads
// Workshop add-ons from.
const WorkshopPrefix = "addons/workshop/"

// MaxWorkshopItems is the most items one job downloads.
const MaxWorkshopItems = 50

// WorkshopOptions are a game-workshop job's options (its options column,
// as JSON): the add-on set and the items to download into it; no items
// downloads again every item the set holds (a refresh).
type WorkshopOptions struct {
	Set   string   `json:"set"`
	Items []string `json:"items,omitempty"`
}

// WorkshopItemPath is item id's path in an add-on set.
func WorkshopItemPath(id string) string { return WorkshopPrefix + id + ".vpk" }

// WorkshopItems returns the Workshop items among files (a set's, as
// addons.Manager.Files lists them), by id, with their sizes.
func WorkshopItems(files []addons.File) []addons.File {
	var out []addons.File
	for _, f := range files {
		rest, ok := strings.CutPrefix(f.Path, WorkshopPrefix)
		id, vpk := strings.CutSuffix(rest, ".vpk")
		if ok && vpk && game.ValidWorkshopID(id) {
			out = append(out, addons.File{Path: id, Bytes: f.Bytes})
		}
	}
	sort.Slice(out, func(i, j int) bool { return lessID(out[i].Path, out[j].Path) })
	return out
}

// lessID orders ids as numbers.
func lessID(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// ParseWorkshopOptions reads and checks a game-workshop job's options.
func ParseWorkshopOptions(s string) (WorkshopOptions, error) {
	var o WorkshopOptions
	if err := json.Unmarshal([]byte(s), &o); err != nil {
		return o, fmt.Errorf("the job's options %q are not a set and items", s)
	}
	if err := hostbackend.ValidateName(o.Set); err != nil {
		return o, fmt.Errorf("add-on set: %v", err)
	}
	if len(o.Items) > MaxWorkshopItems {
		return o, fmt.Errorf("%d Workshop items, at most %d in one job", len(o.Items), MaxWorkshopItems)
	}
	seen := map[string]bool{}
	for _, id := range o.Items {
		if !game.ValidWorkshopID(id) {
			return o, fmt.Errorf("%q is not a Workshop item id (the digits after ?id= in the item's address)", id)
		}
		if seen[id] {
			return o, fmt.Errorf("Workshop item %s is listed twice", id)
		}
		seen[id] = true
	}
	return o, nil
}

// EnqueueWorkshop queues a game-workshop job that downloads items into
// the add-on set (none: every item it holds, a refresh), for the user
// requestedBy (0: the system). It runs one at a time with the game's
// jobs. Errors match store.ErrInvalid for a bad set name or item id.
func (q *Queue) EnqueueWorkshop(ctx context.Context, o WorkshopOptions, requestedBy int64) (*store.Job, error) {
	b, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	if _, err := ParseWorkshopOptions(string(b)); err != nil {
		return nil, &store.Error{Kind: store.ErrInvalid, Msg: err.Error()}
	}
	return q.EnqueueGame(ctx, GameParams{Operation: store.OpGameWorkshop, Options: string(b), RequestedBy: requestedBy})
}

// runWorkshop downloads the job's Workshop items through the backend's
// Workshop capability and puts them into the add-on set as one new
// revision, all or nothing: an item that fails leaves the set as it was.
func (r *Runner) runWorkshop(ctx context.Context, job *store.Job, lines *lineSink) error {
	ws, ok := r.opts.Backend.(hostbackend.Workshop)
	if !ok {
		return errors.New("this host backend cannot download Workshop items")
	}
	if r.opts.Addons == nil {
		return errors.New("this panel keeps no add-on sets")
	}
	o, err := ParseWorkshopOptions(job.Options)
	if err != nil {
		return err
	}
	set, err := r.opts.Addons.Set(ctx, o.Set)
	if err != nil {
		return err
	}
	items := o.Items
	if len(items) == 0 {
		files, err := r.opts.Addons.Files(ctx, o.Set)
		if err != nil {
			return err
		}
		for _, f := range WorkshopItems(files) {
			items = append(items, f.Path)
		}
		if len(items) == 0 {
			lines.system("add-on set %s holds no Workshop items: nothing to refresh", o.Set)
			return nil
		}
		lines.system("refreshing the %d Workshop item(s) of add-on set %s: %s", len(items), o.Set, strings.Join(items, ", "))
	}
	type download struct {
		id   string
		body io.ReadCloser
	}
	var got []download
	defer func() {
		for _, d := range got {
			d.body.Close()
		}
	}()
	for i, id := range items {
		n := len(items)
		ev := hostbackend.GameEvents{Line: lines.lineFunc(), Ask: r.asker(job, lines), Progress: func(p hostbackend.GameProgress) {
			// The job's percent is over all its items.
			p.Phase = fmt.Sprintf("item %s (%d of %d)", id, i+1, n)
			p.Percent = (float64(i) + p.Percent/100) * 100 / float64(n)
			lines.setProgress(p)
		}}
		ev.EmitProgress(hostbackend.GameProgress{})
		body, size, err := ws.WorkshopDownload(ctx, id, ev)
		if err != nil {
			return fmt.Errorf("Workshop item %s: %w; add-on set %s is unchanged", id, err, o.Set)
		}
		got = append(got, download{id, body})
		lines.system("Workshop item %s: %d bytes", id, size)
	}
	after, err := r.opts.Addons.Update(ctx, o.Set, func(c *addons.Change) error {
		for _, d := range got {
			if err := c.Put(WorkshopItemPath(d.id), d.body); err != nil {
				return fmt.Errorf("put Workshop item %s: %w", d.id, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add-on set %s: %w; it is unchanged", o.Set, err)
	}
	lines.system("add-on set %s: revision %d (was %d) holds the item(s) as %s*.vpk", o.Set, after.Rev, set.Rev, WorkshopPrefix)
	if len(after.UsedBy) > 0 {
		lines.system("servers of blueprint(s) %s pick it up at their next start", strings.Join(after.UsedBy, ", "))
	}
	return nil
}
