package fake

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
	build     string
	updatedAt time.Time
	latest    string // "" makes GameLatestBuild fail with ErrBuildUnknown

	failNext string // the next GameInstall fails with this sentence
	ask      string // GameInstall asks this question first ...
	answer   string // ... and fails unless this is the answer
	hang     bool   // GameInstall blocks until cancelled
}

// SetLatestBuild sets the build id the fake's Steam calls the latest; ""
// makes GameLatestBuild fail with hostbackend.ErrBuildUnknown.
func (b *Backend) SetLatestBuild(build string) {
	b.mu.Lock()
	b.game.latest = build
	b.mu.Unlock()
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
	}
	return st, nil
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
	b.game.installed, b.game.build, b.game.updatedAt = true, strings.TrimSpace(string(data)), fi.ModTime()
}

// GameLatestBuild implements hostbackend.Game.
func (b *Backend) GameLatestBuild(ctx context.Context, ev hostbackend.GameEvents) (string, error) {
	b.mu.Lock()
	b.calls = append(b.calls, Call{Verb: "game-latest"})
	latest := b.game.latest
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
// installed at the latest build.
func (b *Backend) GameInstall(ctx context.Context, validate bool, ev hostbackend.GameEvents) error {
	b.mu.Lock()
	b.calls = append(b.calls, Call{Verb: "game-install"})
	b.loadGameLocked()
	g := b.game
	b.game.failNext = ""
	b.mu.Unlock()

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
	b.mu.Lock()
	b.game.installed, b.game.build, b.game.updatedAt = true, b.game.latest, b.opts.Now()
	if b.game.build == "" {
		b.game.build = DefaultGameBuild
	}
	build := b.game.build
	b.mu.Unlock()
	if b.opts.StateRoot != "" {
		path := filepath.Join(b.opts.StateRoot, gameMarker)
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(build+"\n"), 0o640); err != nil {
			return err
		}
	}
	ev.EmitLine(hostbackend.Stdout, "Success! App '222860' fully installed.")
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
