package views

import (
	"context"
	"strconv"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/store"
)

// Game is the game installation as the panel shows it: what is on disk,
// what the latest check for an update found, and the game job that runs
// (or, if none runs, the newest queued one).
type Game struct {
	// Supported is false when the host backend cannot install the game;
	// nothing else is then known.
	Supported bool
	// Status is what the backend found on disk; Err says why it could
	// not be read ("" when it was).
	Status hostbackend.GameStatus
	Err    string
	// Check is the latest check for an update; nil before the first.
	Check *store.GameCheck
	// Job is the game job running, else the newest queued; nil if none.
	Job *store.Job
}

// Missing reports whether the game is known not to be installed: the
// state in which a server cannot start.
func (g Game) Missing() bool {
	return g.Supported && g.Err == "" && !g.Status.Installed
}

// LatestBuild is the newest build Steam named, "" if no check named one.
func (g Game) LatestBuild() string {
	if g.Check == nil {
		return ""
	}
	return g.Check.LatestBuildID
}

// UpdateAvailable reports whether Steam named a build newer than the
// installed one. Build ids are numbers that grow; ids that are not
// numbers count as newer when they differ.
func (g Game) UpdateAvailable() bool {
	latest, have := g.LatestBuild(), g.Status.BuildID
	if !g.Status.Installed || latest == "" || have == "" || latest == have {
		return false
	}
	l, err1 := strconv.ParseUint(latest, 10, 64)
	h, err2 := strconv.ParseUint(have, 10, 64)
	if err1 != nil || err2 != nil {
		return true
	}
	return l > h
}

// ProgressNote is a job's progress in words, "downloading 42%", or ""
// when it reported none.
func ProgressNote(p store.JobProgress) string {
	if p.Phase == "" || p.Percent == nil {
		return p.Phase
	}
	return p.Phase + " " + strconv.FormatFloat(*p.Percent, 'f', 0, 64) + "%"
}

// mayCancel reports whether the viewer may cancel job: only admins cancel
// the game's jobs (app.Service.CancelJob).
func mayCancel(ctx context.Context, job store.Job) bool {
	return !job.Operation.IsGame() || isAdmin(ctx)
}

// Installing is the game job that installs, updates or validates the game
// right now, or nil.
func (g Game) Installing() *store.Job {
	if g.Job == nil || g.Job.State != store.JobRunning || g.Job.Operation == store.OpGameCheck {
		return nil
	}
	return g.Job
}

// GameBuildRow is a build of the game present on the host and the
// servers that run it (those started on it that may still run).
type GameBuildRow struct {
	hostbackend.GameBuild
	Servers []string
}

// OlderBuildServers returns the servers that run a build other than the
// current one, sorted as the builds are.
func OlderBuildServers(rows []GameBuildRow) []string {
	var out []string
	for _, r := range rows {
		if !r.Current {
			out = append(out, r.Servers...)
		}
	}
	return out
}

// CurrentBuild returns the current build's id, "" when none is.
func CurrentBuild(rows []GameBuildRow) string {
	for _, r := range rows {
		if r.Current {
			return r.ID
		}
	}
	return ""
}
