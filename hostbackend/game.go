package hostbackend

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Game is the host side of the one game installation every instance
// shares, a capability a Backend may have beside its methods: the job
// workers install, update and validate the game through it, and the
// panel's pages read its status. Methods honour context cancellation
// (steamcmd is stopped) and are safe for concurrent use, though the job
// queue runs one game job at a time.
type Game interface {
	// GameStatus reports what is installed. It does not ask Steam.
	GameStatus(ctx context.Context) (GameStatus, error)
	// GameInstall installs the game, or updates it when it is installed;
	// with validate every file is checked too. Output, progress and
	// questions go to ev.
	GameInstall(ctx context.Context, validate bool, ev GameEvents) error
	// GameLatestBuild asks Steam for the newest public build id. It
	// returns ErrBuildUnknown when Steam does not say.
	GameLatestBuild(ctx context.Context, ev GameEvents) (string, error)
	// GameGC removes the builds that are neither the current one nor
	// named in inUse (the builds running servers started on) and returns
	// the ids it removed.
	GameGC(ctx context.Context, inUse []string) ([]string, error)
	// InstanceBuild returns the build the named instance was last
	// provisioned to start on, "" when it names none (it runs whatever
	// build was current when it started).
	InstanceBuild(ctx context.Context, name string) (string, error)
}

// ErrGameMissing is returned by CheckGameInstalled: a server cannot start
// without the program that runs it.
var ErrGameMissing = errors.New("the game is not installed yet")

// CheckGameInstalled returns an error matching ErrGameMissing, naming the
// missing program, when b has the Game capability and says the game is not
// installed; nil otherwise (a backend without the capability cannot tell).
// Starting a server checks it first, so the refusal is this sentence
// rather than a unit failing inside systemd.
func CheckGameInstalled(ctx context.Context, b Backend) error {
	g, ok := b.(Game)
	if !ok {
		return nil
	}
	st, err := g.GameStatus(ctx)
	if err != nil || st.Installed {
		return nil // the start itself will say what is wrong
	}
	return fmt.Errorf("%w (%s is not an executable file): install it on the panel's Game page or with POST /api/v1/game/install", ErrGameMissing, st.Program)
}

// CurrentBuild is the game build a server starting now runs on: the
// current one of GameStatus's Builds when b has the Game capability and
// keeps the game as builds, "" otherwise (the server then runs the game
// directory as it is, without layers).
func CurrentBuild(ctx context.Context, b Backend) (string, error) {
	g, ok := b.(Game)
	if !ok {
		return "", nil
	}
	st, err := g.GameStatus(ctx)
	if err != nil {
		return "", err
	}
	return st.CurrentBuild(), nil
}

// CurrentBuild is the id of the current one of st's Builds, "" when the
// game is not kept as builds.
func (st GameStatus) CurrentBuild() string {
	for _, bd := range st.Builds {
		if bd.Current {
			return bd.ID
		}
	}
	return ""
}

// ErrBuildUnknown is returned by GameLatestBuild when Steam gave no build
// id (steamcmd's app_info_print sometimes prints nothing).
var ErrBuildUnknown = errors.New("Steam did not say which build is the latest")

// GameStatus is the installation as found on disk.
type GameStatus struct {
	// Installed is true when the program that runs a server is there and
	// executable: the game's srcds_run, or the program LEFT4ME_SRCDS
	// names instead (a stand-in server).
	Installed bool
	// Path is the installation directory.
	Path string
	// Program is what runs a server (srcds_run in Path, or the stand-in).
	Program string
	// BuildID is the installed build (steamapps/appmanifest_222860.acf);
	// "" when unknown.
	BuildID string
	// SizeBytes is the installation's size on disk.
	SizeBytes int64
	// UpdatedAt is when the installation was last updated; zero if unknown.
	UpdatedAt time.Time
	// Partial is true when an update was left half-finished (the
	// manifest's BytesDownloaded differs from BytesToDownload).
	Partial bool
	// Builds are the builds present, oldest first: the current one
	// (BuildID) and those kept for servers that started on them.
	Builds []GameBuild
}

// GameBuild is one build of the game present on the host. An update
// installs a new build beside the old ones; a running server keeps the
// build it started on until its next start.
type GameBuild struct {
	ID        string
	Current   bool
	SizeBytes int64
	UpdatedAt time.Time
}

// GameProgress is one progress report of steamcmd: the phase it is in
// ("downloading", "validating", "committing", ...), the percent of that
// phase, and bytes done of total (0 when steamcmd does not say).
type GameProgress struct {
	Phase   string
	Percent float64
	Done    int64
	Total   int64
}

// GameEvents receives what a game operation reports while it runs. Any
// field may be nil.
type GameEvents struct {
	// Line gets every output line (never an answer to a question).
	Line LineFunc
	// Progress gets every progress report.
	Progress func(GameProgress)
	// Ask is called when steamcmd waits for an answer (a password, a
	// Steam Guard code) with the question as steamcmd put it; it returns
	// the answer, or an error to give up. Without Ask, a question fails
	// the operation.
	Ask func(ctx context.Context, prompt string) (string, error)
}

// EmitLine reports one output line to ev.Line, if set.
func (ev GameEvents) EmitLine(s Stream, text string) { ev.Line.emit(s, text) }

// EmitProgress reports p to ev.Progress, if set.
func (ev GameEvents) EmitProgress(p GameProgress) {
	if ev.Progress != nil {
		ev.Progress(p)
	}
}

// AskFor asks ev.Ask, or fails when nobody can answer.
func (ev GameEvents) AskFor(ctx context.Context, prompt string) (string, error) {
	if ev.Ask == nil {
		return "", errors.New("steamcmd asked " + prompt + " and nobody can answer here")
	}
	return ev.Ask(ctx, prompt)
}
