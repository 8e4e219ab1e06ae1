package fake

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/left4me/left4me/hostbackend"
)

// DefaultGameBuild is the build id the fake's Steam calls the latest.
const DefaultGameBuild = "16548521"

// gameSize is the simulated installation's size, about the real one's.
const gameSize = 10_912_614_400

// gameMarker, under the state root, keeps a simulated installation's build
// id across restarts of the panel (make run).
const gameMarker = "game/.fake-installed"

var _ hostbackend.Game = (*Backend)(nil)

// gameSim is the simulated game installation.
type gameSim struct {
	installed bool
	build     string   // the current build
	older     []string // the builds kept beside it, oldest first
	updatedAt time.Time
	latest    string // "" makes GameLatestBuild fail with ErrBuildUnknown

	failNext string // the next GameInstall fails with this sentence
	ask      string // GameInstall asks this question first ...
	answer   string // ... and fails unless this is the answer
	hang     bool   // GameInstall blocks until cancelled

	missingItem string // a Workshop item id Steam does not have
}

// SetLatestBuild sets the build id the fake's Steam calls the latest; ""
// makes GameLatestBuild fail with hostbackend.ErrBuildUnknown.
func (b *Backend) SetLatestBuild(build string) {
	b.mu.Lock()
	b.game.latest = build
	b.opts.GameBuildEvery = 0
	b.mu.Unlock()
}

// gameBuildEpoch is when the simulated Steam's builds start counting
// (Options.GameBuildEvery).
var gameBuildEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// latestLocked is the build the simulated Steam calls the latest: with
// GameBuildEvery, GameBuild plus one per GameBuildEvery since
// gameBuildEpoch, so a demo panel sees new builds come out.
func (b *Backend) latestLocked() string {
	every := b.opts.GameBuildEvery
	if every <= 0 || b.game.latest == "" {
		return b.game.latest
	}
	base, err := strconv.ParseInt(b.game.latest, 10, 64)
	if err != nil {
		return b.game.latest
	}
	return strconv.FormatInt(base+int64(b.opts.Now().Sub(gameBuildEpoch)/every), 10)
}

// FailGameInstall makes the next GameInstall fail with message, as
// steamcmd's error (e.g. "ERROR! Failed to install app '222860' (No
// subscription)").
func (b *Backend) FailGameInstall(message string) {
	b.mu.Lock()
	b.game.failNext = message
	b.mu.Unlock()
}

// AskOnGameInstall makes every later GameInstall ask prompt (e.g. "Steam
// Guard code:") before it starts, and fail as a login failure unless the
// answer is answer. An empty prompt stops asking.
func (b *Backend) AskOnGameInstall(prompt, answer string) {
	b.mu.Lock()
	b.game.ask, b.game.answer = prompt, answer
	b.mu.Unlock()
}

// HangGameInstall makes later GameInstalls block, after their first
// progress report, until cancelled; false undoes it.
func (b *Backend) HangGameInstall(hang bool) {
	b.mu.Lock()
	b.game.hang = hang
	b.mu.Unlock()
}

// GameStatus implements hostbackend.Game.
func (b *Backend) GameStatus(ctx context.Context) (hostbackend.GameStatus, error) {
	// Not recorded in Calls: the dashboard reads it at every reload.
	b.mu.Lock()
	defer b.mu.Unlock()
	b.loadGameLocked()
	st := hostbackend.GameStatus{Path: b.gamePath(), Program: filepath.Join(b.gamePath(), "srcds_run")}
	if b.game.installed {
		st.Installed, st.BuildID, st.SizeBytes, st.UpdatedAt = true, b.game.build, gameSize, b.game.updatedAt
		for _, id := range b.game.older {
			st.Builds = append(st.Builds, hostbackend.GameBuild{ID: id, SizeBytes: gameSize})
		}
		st.Builds = append(st.Builds, hostbackend.GameBuild{ID: b.game.build, Current: true, SizeBytes: gameSize, UpdatedAt: b.game.updatedAt})
	}
	return st, nil
}

// GameBuilds returns the simulated builds present, oldest first, the
// current one last.
func (b *Backend) GameBuilds() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.loadGameLocked()
	if !b.game.installed {
		return nil
	}
	return append(append([]string(nil), b.game.older...), b.game.build)
}

// GameGC implements hostbackend.Game: the simulated builds neither
// current nor in inUse are removed.
func (b *Backend) GameGC(ctx context.Context, inUse []string) ([]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.loadGameLocked()
	keep := map[string]bool{}
	for _, id := range inUse {
		keep[id] = true
	}
	var kept, removed []string
	for _, id := range b.game.older {
		if keep[id] {
			kept = append(kept, id)
		} else {
			removed = append(removed, id)
		}
	}
	if len(removed) == 0 {
		return nil, nil
	}
	b.calls = append(b.calls, Call{Verb: "game-gc", Names: removed})
	b.game.older = kept
	return removed, b.saveGameLocked()
}

// InstanceBuild implements hostbackend.Game: the build in the
// instance's layers file (in memory: the spec Provision stored).
func (b *Backend) InstanceBuild(ctx context.Context, name string) (string, error) {
	if b.opts.StateRoot != "" {
		return hostbackend.InstanceFiles{Root: b.opts.StateRoot}.Build(name)
	}
	if err := hostbackend.ValidateName(name); err != nil {
		return "", err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.specs[name].Build, nil
}

// saveGameLocked keeps the simulated builds under the state root: the
// current build's id on the marker's first line, the older ones after it.
func (b *Backend) saveGameLocked() error {
	if b.opts.StateRoot == "" || !b.game.installed {
		return nil
	}
	path := filepath.Join(b.opts.StateRoot, gameMarker)
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	text := b.game.build + "\n"
	for _, id := range b.game.older {
		text += id + "\n"
	}
	return os.WriteFile(path, []byte(text), 0o640)
}

func (b *Backend) gamePath() string {
	if b.opts.StateRoot == "" {
		return "/var/lib/left4me/game"
	}
	return filepath.Join(b.opts.StateRoot, "game")
}

// loadGameLocked reads the marker a simulated install left under the
// state root, so a restarted demo panel still has its game.
func (b *Backend) loadGameLocked() {
	if b.opts.StateRoot == "" || b.game.installed {
		return
	}
	path := filepath.Join(b.opts.StateRoot, gameMarker)
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	fi, _ := os.Stat(path)
	ids := strings.Fields(string(data))
	if len(ids) == 0 {
		return
	}
	b.game.installed, b.game.build, b.game.older, b.game.updatedAt = true, ids[0], ids[1:], fi.ModTime()
}

// GameLatestBuild implements hostbackend.Game.
func (b *Backend) GameLatestBuild(ctx context.Context, ev hostbackend.GameEvents) (string, error) {
	b.mu.Lock()
	b.calls = append(b.calls, Call{Verb: "game-latest"})
	latest := b.latestLocked()
	b.mu.Unlock()
	ev.EmitLine(hostbackend.Stdout, "Logging in user 'anonymous' to Steam Public...OK")
	ev.EmitLine(hostbackend.Stdout, `AppID : 222860, change number : 27000000/0, last change : Mon Nov 30 06:00:00 2026`)
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if latest == "" {
		return "", hostbackend.ErrBuildUnknown
	}
	ev.EmitLine(hostbackend.Stdout, fmt.Sprintf(`"buildid"		"%s"`, latest))
	return latest, nil
}

// gamePhases are the simulated install's phases: steamcmd's state word
// and how many progress reports each gets.
var gamePhases = []struct {
	state string
	word  string
	steps int
}{
	{"0x3", "reconfiguring", 2},
	{"0x11", "preallocating", 8},
	{"0x61", "downloading", 30},
	{"0x5", "validating", 12},
	{"0x81", "committing", 8},
}

// GameInstall implements hostbackend.Game: it prints steamcmd-shaped
// lines and progress over GameStepDelay steps and then marks the game
// installed at the latest build. An update to a newer build keeps the
// old one beside it, as the sudo backend does, until GameGC; a
// validation changes no build.
func (b *Backend) GameInstall(ctx context.Context, validate bool, ev hostbackend.GameEvents) error {
	b.mu.Lock()
	b.calls = append(b.calls, Call{Verb: "game-install"})
	b.loadGameLocked()
	g := b.game
	latest := b.latestLocked()
	b.game.failNext = ""
	b.mu.Unlock()
	if g.installed && !validate {
		ev.EmitLine(hostbackend.Stdout, fmt.Sprintf("Copied build %s to a staging directory for the update.", g.build))
	}

	ev.EmitLine(hostbackend.Stdout, "Redirecting stderr to '/var/lib/left4me/Steam/logs/stderr.txt'")
	ev.EmitLine(hostbackend.Stdout, "Loading Steam API...OK")
	if g.ask != "" {
		answer, err := ev.AskFor(ctx, g.ask)
		if err != nil {
			return err
		}
		if answer != g.answer {
			ev.EmitLine(hostbackend.Stdout, "FAILED (Invalid Login Auth Code)")
			return errors.New("steamcmd could not log in (exit 5): check the Steam account's name, password and Steam Guard code")
		}
	}
	ev.EmitLine(hostbackend.Stdout, "Logging in user 'anonymous' to Steam Public...OK")
	ev.EmitLine(hostbackend.Stdout, "Waiting for user info...OK")
	if g.failNext != "" {
		ev.EmitLine(hostbackend.Stdout, g.failNext)
		return errors.New(g.failNext)
	}
	total := int64(gameSize)
	for _, ph := range gamePhases {
		if ph.word == "validating" && !validate && g.installed {
			continue
		}
		for i := 1; i <= ph.steps; i++ {
			pct := float64(i) * 100 / float64(ph.steps)
			done := int64(pct / 100 * float64(total))
			if i == 1 {
				// Like the sudo backend, only a phase's first progress line
				// goes to the output; the rest is the job's progress.
				ev.EmitLine(hostbackend.Stdout, fmt.Sprintf(" Update state (%s) %s, progress: %.2f (%d / %d)", ph.state, ph.word, pct, done, total))
			}
			ev.EmitProgress(hostbackend.GameProgress{Phase: ph.word, Percent: pct, Done: done, Total: total})
			if g.hang {
				<-ctx.Done()
			}
			if err := b.gameStep(ctx); err != nil {
				return err
			}
		}
	}
	if latest == "" {
		latest = DefaultGameBuild
	}
	b.mu.Lock()
	prev := b.game.build
	switch {
	case !b.game.installed:
		b.game.older = nil
	case validate || latest == prev:
		latest = prev
	default:
		b.game.older = append(b.game.older, prev)
	}
	b.game.installed, b.game.build, b.game.updatedAt = true, latest, b.opts.Now()
	err := b.saveGameLocked()
	b.mu.Unlock()
	if err != nil {
		return err
	}
	ev.EmitLine(hostbackend.Stdout, "Success! App '222860' fully installed.")
	if g.installed && !validate {
		if latest != prev {
			ev.EmitLine(hostbackend.Stdout, fmt.Sprintf("Build %s is the current one; running servers keep theirs until their next start.", latest))
		} else {
			ev.EmitLine(hostbackend.Stdout, fmt.Sprintf("Build %s was the current one already; nothing changed.", latest))
		}
	}
	return nil
}

// gameStep waits GameStepDelay, or returns the context's error.
func (b *Backend) gameStep(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if b.opts.GameStepDelay <= 0 {
		return nil
	}
	t := time.NewTimer(b.opts.GameStepDelay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
