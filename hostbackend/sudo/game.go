package sudo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/left4me/left4me/game"
	"github.com/left4me/left4me/hostbackend"
)

// DefaultServerEnv is where deploy/install.sh writes the instance units'
// host-wide settings.
const DefaultServerEnv = "/etc/left4me/server.env"

var _ hostbackend.Game = (*Backend)(nil)

// gameDir is the one installation every instance shares; the instance
// unit and the launcher name the same path.
func (b *Backend) gameDir() string { return filepath.Join(b.files.Root, "game") }

// builds are the game's builds under the state root; gameDir is the
// link to the current one. A new build gets the server.cfg link before
// it becomes current.
func (b *Backend) builds() game.Builds {
	return game.Builds{Root: b.files.Root, Prepare: hostbackend.LinkBuildCfg}
}

// steam is a game.Steam for this host's settings, installing into dir.
// steamcmd runs as the panel's own user, which owns the game directory:
// no root helper.
func (b *Backend) steam(dir string) *game.Steam {
	opts := game.Options{Dir: dir, SteamCMD: b.steamcmd, NeedBytes: b.freeSpace, RetryDelay: b.steamRetryDelay}
	if b.steamUser != "" {
		opts.Strategy, opts.User = game.Account, b.steamUser
	}
	return game.New(opts)
}

// GameStatus implements hostbackend.Game: the program that runs a server
// (LEFT4ME_SRCDS in server.env, else the game's srcds_run) and the
// installation's manifest.
func (b *Backend) GameStatus(ctx context.Context) (hostbackend.GameStatus, error) {
	st := hostbackend.GameStatus{Path: b.gameDir(), Program: filepath.Join(b.gameDir(), "srcds_run")}
	if srcds, err := envValue(b.serverEnv, "LEFT4ME_SRCDS"); err != nil {
		return st, err
	} else if srcds != "" {
		st.Program = srcds
	}
	bs := b.builds()
	if _, err := bs.Current(); err != nil { // moves a game from before builds into builds/
		return st, err
	}
	if fi, err := os.Stat(st.Program); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
		st.Installed = true
	}
	list, err := bs.List()
	if err != nil {
		return st, err
	}
	for _, bd := range list {
		st.Builds = append(st.Builds, hostbackend.GameBuild{ID: bd.ID, Current: bd.Current, SizeBytes: bd.SizeOnDisk, UpdatedAt: bd.LastUpdated})
	}
	m, err := game.ReadManifest(st.Path)
	switch {
	case errors.Is(err, game.ErrNotInstalled):
		return st, nil
	case err != nil:
		return st, fmt.Errorf("read the game's manifest: %w", err)
	}
	st.BuildID, st.SizeBytes, st.UpdatedAt, st.Partial = m.BuildID, m.SizeOnDisk, m.LastUpdated, m.Partial()
	return st, nil
}

// GameInstall implements hostbackend.Game with steamcmd under a
// pseudo-terminal. An install (no build yet) or an update runs in a
// staging directory beside the builds (for an update, a copy of the
// current build) that becomes a new build and the current one when
// steamcmd succeeds; running servers keep the build they started on. A
// validation checks the current build in place: the caller makes sure
// no server runs it.
func (b *Backend) GameInstall(ctx context.Context, validate bool, ev hostbackend.GameEvents) error {
	bs := b.builds()
	h := gameHooks(ev)
	cur, err := bs.Current()
	if err != nil {
		return err
	}
	if validate && cur != "" {
		_, err := b.steam(bs.Path(cur)).Validate(ctx, h)
		return err
	}
	unlock, err := bs.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	began := time.Now()
	staging, err := bs.Stage(ctx, cur)
	if err != nil {
		return err
	}
	if cur != "" {
		ev.EmitLine(hostbackend.Stdout, fmt.Sprintf("Copied build %s to %s for the update in %s.", cur, staging, time.Since(began).Round(time.Millisecond)))
	}
	s := b.steam(staging)
	if cur == "" {
		_, err = s.Install(ctx, h)
	} else {
		_, err = s.Update(ctx, h)
	}
	if err != nil {
		return errors.Join(err, bs.Discard(staging))
	}
	id, changed, err := bs.Commit(staging)
	if err != nil {
		return errors.Join(err, bs.Discard(staging))
	}
	switch {
	case cur == "":
		ev.EmitLine(hostbackend.Stdout, fmt.Sprintf("Build %s is installed in %s.", id, bs.Path(id)))
	case changed:
		ev.EmitLine(hostbackend.Stdout, fmt.Sprintf("Build %s is the current one; running servers keep theirs until their next start.", id))
	default:
		ev.EmitLine(hostbackend.Stdout, fmt.Sprintf("Build %s was the current one already; nothing changed.", id))
	}
	return nil
}

// GameGC implements hostbackend.Game.
func (b *Backend) GameGC(ctx context.Context, inUse []string) ([]string, error) {
	return b.builds().GC(inUse)
}

// InstanceBuild implements hostbackend.Game: the build in the instance's
// layers file.
func (b *Backend) InstanceBuild(ctx context.Context, name string) (string, error) {
	return b.files.Build(name)
}

// GameLatestBuild implements hostbackend.Game.
func (b *Backend) GameLatestBuild(ctx context.Context, ev hostbackend.GameEvents) (string, error) {
	build, err := b.steam(b.gameDir()).LatestBuild(ctx, gameHooks(ev))
	if errors.Is(err, game.ErrBuildUnknown) {
		return "", fmt.Errorf("%w: %v", hostbackend.ErrBuildUnknown, err)
	}
	return build, err
}

// gameHooks passes what steamcmd reports on to ev. Of the progress lines
// (hundreds in a real download) only the first of each phase goes to the
// output: the rest is in the progress reports, and a job's stored output
// is bounded, so they would push out the lines that matter (the result,
// an error).
func gameHooks(ev hostbackend.GameEvents) game.Hooks {
	lastPhase := ""
	return game.Hooks{
		Line: func(line string) {
			if p, ok := game.ParseProgress(line); ok {
				if p.Phase == lastPhase {
					return
				}
				lastPhase = p.Phase
			} else {
				lastPhase = ""
			}
			ev.EmitLine(hostbackend.Stdout, line)
		},
		Step: func(sentence string) { ev.EmitLine(hostbackend.Stdout, sentence) },
		Progress: func(p game.Progress) {
			phase := p.Phase
			if p.Passes > 1 {
				phase = fmt.Sprintf("%s (pass %d of %d)", p.Phase, p.Pass, p.Passes)
			}
			ev.EmitProgress(hostbackend.GameProgress{Phase: phase, Percent: p.Percent, Done: p.Done, Total: p.Total})
		},
		Answer: func(ctx context.Context, p game.Prompt) (string, error) { return ev.AskFor(ctx, p.Text) },
	}
}

// envValue reads KEY's value from an environment file of systemd's
// KEY=VALUE lines (quotes around the value removed). A missing file or
// key is "".
func envValue(path, key string) (string, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	var value string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok || strings.TrimSpace(k) != key {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		value = v // the last assignment wins, as in systemd
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return value, nil
}
