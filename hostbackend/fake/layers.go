package fake

import (
	"context"
	"fmt"
	"io"
	"os"

	"path/filepath"
	"sort"
	"strconv"

	"time"

	"github.com/left4me/left4me/hostbackend"
)

var _ hostbackend.Layers = (*Backend)(nil)

// The simulated host runs an instance provisioned with a build on layers,
// as the real one does, and its simulated srcds writes its log into the
// instance's writable layer at each start, as srcds does after "log on":
// left4dead2/logs/LMMDDNNN.log, the first free NNN. With a state root the
// layer is instances/NAME/upper there; without one it is kept in memory.

// simLogFile is the log a simulated start writes into the writable
// layer, given the names there already.
func simLogFile(at time.Time, exists func(string) bool) string {
	for n := 0; ; n++ {
		p := fmt.Sprintf("left4dead2/logs/L%s%03d.log", at.Format("0102"), n)
		if !exists(p) || n == 999 {
			return p
		}
	}
}

func simLogText(name string, at time.Time) string {
	stamp := at.Format("01/02/2006 - 15:04:05")
	return "L " + stamp + ": Log file started (file \"logs/L" + at.Format("0102") + ".log\") (game \"left4dead2\") (version \"8749\")\n" +
		"L " + stamp + ": server " + name + " started on its layers (simulated)\n"
}

// writeLayerLogLocked is the simulated srcds's write at a start of name:
// only for an instance provisioned with a build.
func (b *Backend) writeLayerLogLocked(name string, at time.Time) {
	if b.opts.StateRoot == "" {
		if b.specs[name].Build == "" {
			return
		}
		if b.uppers == nil {
			b.uppers = map[string]map[string]int64{}
		}
		files := b.uppers[name]
		if files == nil {
			files = map[string]int64{}
			b.uppers[name] = files
		}
		p := simLogFile(at, func(p string) bool { _, ok := files[p]; return ok })
		files[p] = int64(len(simLogText(name, at)))
		return
	}
	files := hostbackend.InstanceFiles{Root: b.opts.StateRoot}
	spec, err := files.Read(name)
	if err != nil || spec.Build == "" {
		return
	}
	upper := filepath.Join(files.Dir(name), hostbackend.UpperDir)
	p := simLogFile(at, func(p string) bool { _, err := os.Lstat(filepath.Join(upper, p)); return err == nil })
	full := filepath.Join(upper, filepath.FromSlash(p))
	if os.MkdirAll(filepath.Dir(full), 0o755) == nil {
		_ = os.WriteFile(full, []byte(simLogText(name, at)), 0o644) // a simulated write; a real srcds would go on too
	}
}

// WritableLayer implements hostbackend.Layers.
func (b *Backend) WritableLayer(ctx context.Context, name string) (hostbackend.WritableLayer, error) {
	if err := hostbackend.ValidateName(name); err != nil {
		return hostbackend.WritableLayer{}, err
	}
	if err := ctx.Err(); err != nil {
		return hostbackend.WritableLayer{}, err
	}
	if err := b.lock(); err != nil {
		b.unlock()
		return hostbackend.WritableLayer{}, err
	}
	defer b.unlock()
	b.calls = append(b.calls, Call{Verb: "writable-layer", Names: []string{name}})
	b.unitLocked(name, b.opts.Now()) // a start due by now has written its log
	if b.opts.StateRoot != "" {
		return hostbackend.InstanceFiles{Root: b.opts.StateRoot}.WritableLayer(name)
	}
	var w hostbackend.WritableLayer
	for p, n := range b.uppers[name] {
		w.Files++
		w.Bytes += n
		w.List = append(w.List, hostbackend.LayerFile{Path: p, Bytes: n})
	}
	sort.Slice(w.List, func(i, j int) bool { return w.List[i].Path < w.List[j].Path })
	if len(w.List) > hostbackend.MaxLayerListing {
		w.List, w.Truncated = w.List[:hostbackend.MaxLayerListing], true
	}
	return w, nil
}

// ResetWritableLayer implements hostbackend.Layers: refused unless the
// unit is stopped or failed.
func (b *Backend) ResetWritableLayer(ctx context.Context, name string) error {
	if err := b.begin(ctx, "reset-layer", name, nil); err != nil {
		return err
	}
	if err := b.lock(); err != nil {
		b.unlock()
		return err
	}
	defer b.unlock()
	if err := hostbackend.CheckStopped(b.statusLocked(name, b.opts.Now())); err != nil {
		return fmt.Errorf("reset the writable layer of %s: %w", name, err)
	}
	if b.opts.StateRoot != "" {
		return hostbackend.InstanceFiles{Root: b.opts.StateRoot}.ResetWritableLayer(name)
	}
	delete(b.uppers, name)
	return nil
}

// MaxMergedFile caps what mergedFile reads.
const MaxMergedFile = 64 << 10

// mergedFile is the text of the file at rel (a game path such as
// left4dead2/cfg/autoexec.cfg) in the merged view of spec's layers, as
// the overlay would show it: the instance's writable layer first, then
// its add-on sets from the last, then the build, all under the state
// root. "" when spec has no build, the fake keeps no files, or no layer
// has the file.
func (b *Backend) mergedFile(spec hostbackend.InstanceSpec, rel string) string {
	if spec.Build == "" || b.opts.StateRoot == "" {
		return ""
	}
	root := b.opts.StateRoot
	dirs := []string{filepath.Join(root, "instances", spec.Name, hostbackend.UpperDir)}
	for i := len(spec.Sets) - 1; i >= 0; i-- {
		dirs = append(dirs, filepath.Join(root, "addons", spec.Sets[i].Name, "revs", strconv.Itoa(spec.Sets[i].Rev)))
	}
	dirs = append(dirs, filepath.Join(root, "builds", spec.Build))
	for _, d := range dirs {
		f, err := os.Open(filepath.Join(d, filepath.FromSlash(rel)))
		if err != nil {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(f, MaxMergedFile))
		f.Close()
		if err == nil {
			return string(data)
		}
	}
	return ""
}
