package sudo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

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

// steam is a game.Steam for this host's settings. steamcmd runs as the
// panel's own user, which owns the game directory: no root helper.
func (b *Backend) steam() *game.Steam {
	opts := game.Options{Dir: b.gameDir(), SteamCMD: b.steamcmd, NeedBytes: b.freeSpace, RetryDelay: b.steamRetryDelay}
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
	if fi, err := os.Stat(st.Program); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
		st.Installed = true
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
// pseudo-terminal: an install when there is no installation yet, else an
// update, or a validation when validate is set.
func (b *Backend) GameInstall(ctx context.Context, validate bool, ev hostbackend.GameEvents) error {
	s := b.steam()
	h := gameHooks(ev)
	_, err := game.ReadManifest(s.Dir())
	switch {
	case errors.Is(err, game.ErrNotInstalled):
		_, err = s.Install(ctx, h)
	case validate:
		_, err = s.Validate(ctx, h)
	default:
		_, err = s.Update(ctx, h)
	}
	return err
}

// GameLatestBuild implements hostbackend.Game.
func (b *Backend) GameLatestBuild(ctx context.Context, ev hostbackend.GameEvents) (string, error) {
	build, err := b.steam().LatestBuild(ctx, gameHooks(ev))
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
