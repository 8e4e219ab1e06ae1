package app

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// gameStatusTimeout bounds one look at the game installation on disk.
const gameStatusTimeout = 3 * time.Second

// maxAnswerLen bounds an answer to steamcmd's question (a password, a
// Steam Guard code).
const maxAnswerLen = 256

// Game reads the game installation: what is on disk (from the host
// backend), the latest check for an update, and the game job running or
// else the newest queued. A backend that cannot be asked is reported in
// the answer's Err, not as an error; errors are the database's.
func (s *Service) Game(ctx context.Context) (views.Game, error) {
	var g views.Game
	active, err := s.db.ListJobs(ctx, store.JobFilter{Game: true, Active: true, Limit: 100})
	if err != nil {
		return g, err
	}
	for i := range active { // newest first
		if active[i].Operation == store.OpGameWorkshop {
			continue // the add-on set's, not the installation's
		}
		if g.Job == nil || active[i].State == store.JobRunning {
			g.Job = &active[i]
		}
		if active[i].State == store.JobRunning {
			break
		}
	}
	if c, err := s.db.GetGameCheck(ctx); err == nil {
		g.Check = c
	} else if !errors.Is(err, store.ErrNotFound) {
		return g, err
	}
	if s.game == nil {
		return g, nil
	}
	g.Supported = true
	sctx, cancel := context.WithTimeout(ctx, gameStatusTimeout)
	defer cancel()
	if g.Status, err = s.game.GameStatus(sctx); err != nil {
		g.Err = err.Error()
	}
	return g, nil
}

// GameBuilds returns the builds of st, oldest first, each with the
// servers that run it (jobs.LiveBuilds), and the servers that may run
// whose build is unknown. Without the Game capability there are none.
func (s *Service) GameBuilds(ctx context.Context, st hostbackend.GameStatus) ([]views.GameBuildRow, []string, error) {
	if s.game == nil || len(st.Builds) == 0 {
		return nil, nil, nil
	}
	live, err := jobs.LiveBuilds(ctx, s.db, s.game)
	if err != nil {
		return nil, nil, err
	}
	rows := make([]views.GameBuildRow, len(st.Builds))
	at := make(map[string]int, len(st.Builds))
	for i, b := range st.Builds {
		rows[i] = views.GameBuildRow{GameBuild: b}
		at[b.ID] = i
	}
	names := make([]string, 0, len(live))
	for n := range live {
		names = append(names, n)
	}
	sort.Strings(names)
	var unknown []string
	for _, n := range names {
		i, ok := at[live[n]]
		switch {
		case live[n] == "":
			unknown = append(unknown, n)
		case ok:
			rows[i].Servers = append(rows[i].Servers, n)
		default: // a build no longer there (removed by hand)
			at[live[n]] = len(rows)
			rows = append(rows, views.GameBuildRow{GameBuild: hostbackend.GameBuild{ID: live[n]}, Servers: []string{n}})
		}
	}
	return rows, unknown, nil
}

// gameReady returns nil when a server may start: the game is installed,
// or the backend cannot tell. Otherwise it is a store.ErrConflict that
// says what to do.
func (s *Service) gameReady(ctx context.Context) error {
	g, err := s.Game(ctx)
	if err != nil || !g.Missing() {
		return err
	}
	msg := "The game is not installed yet: an admin installs it on the Game page (or with POST /api/v1/game/install), then the server can start."
	if j := g.Installing(); j != nil {
		note := ""
		if n := views.ProgressNote(j.Progress); n != "" {
			note = ", " + n
		}
		msg = fmt.Sprintf("The game is not installed yet: its installation is running (job %d%s); start the server once it has finished.",
			j.ID, note)
	} else if g.Job != nil && g.Job.Operation != store.OpGameCheck {
		msg = fmt.Sprintf("The game is not installed yet: its installation is queued (job %d); start the server once it has finished.", g.Job.ID)
	}
	return &store.Error{Kind: store.ErrConflict, Msg: msg}
}

// EnqueueGame asks for a game operation (store.OpGameInstall, Update,
// Validate or Check) on behalf of by, an admin, and returns the job; the
// same operation with the same options while one is queued returns that
// one. restartServers lets an install, update or validation stop the
// running servers and start them again. Errors: 403 for a non-admin,
// FieldErrors for restartServers with a check, store.ErrConflict when
// the backend cannot install the game.
func (s *Service) EnqueueGame(ctx context.Context, op store.Operation, restartServers bool, by *store.User) (*store.Job, error) {
	if by == nil || by.Role != store.RoleAdmin {
		return nil, fiber.NewError(fiber.StatusForbidden, "Only an admin may install, update or check the game.")
	}
	if !op.IsGame() {
		return nil, fiber.ErrNotFound
	}
	if s.game == nil {
		return nil, &store.Error{Kind: store.ErrConflict, Msg: "This panel's host backend cannot install the game."}
	}
	p := jobs.GameParams{Operation: op, RequestedBy: by.ID}
	if restartServers {
		if op == store.OpGameCheck {
			return nil, FieldErrors{"restart_servers": "A check for an update stops no server; leave this out."}
		}
		p.Options = store.OptionRestartServers
	}
	return s.queue.EnqueueGame(ctx, p)
}

// AnswerJob hands answer to the question a game job waits on (steamcmd's
// password or Steam Guard prompt), on behalf of by, an admin. The answer
// is never stored, logged, or repeated in an error. Errors: 403 for a
// non-admin, store.ErrNotFound for no such job, FieldErrors for an empty
// or unusable answer, store.ErrConflict when the job waits for none.
func (s *Service) AnswerJob(ctx context.Context, id int64, answer string, by *store.User) (*store.Job, error) {
	if by == nil || by.Role != store.RoleAdmin {
		return nil, fiber.NewError(fiber.StatusForbidden, "Only an admin may answer steamcmd's questions.")
	}
	j, err := s.db.GetJob(ctx, id)
	if err != nil {
		return nil, err
	}
	if msg := checkAnswer(answer); msg != "" {
		return nil, FieldErrors{"answer": msg}
	}
	if err := s.queue.Answer(id, answer); errors.Is(err, jobs.ErrNotWaiting) {
		return nil, &store.Error{Kind: store.ErrConflict,
			Msg: fmt.Sprintf("Job %d is not waiting for an answer: it asked nothing, has its answer already, or has ended.", id)}
	} else if err != nil {
		return nil, err
	}
	return j, nil
}

// checkAnswer says what is wrong with an answer to steamcmd, without
// repeating it: steamcmd reads it as one line, so it may hold no line
// break or other control character.
func checkAnswer(a string) string {
	switch {
	case strings.TrimSpace(a) == "":
		return "Type the answer steamcmd asks for."
	case len(a) > maxAnswerLen:
		return fmt.Sprintf("Use at most %d characters.", maxAnswerLen)
	case !utf8.ValidString(a):
		return "The answer is not valid text (UTF-8)."
	case strings.IndexFunc(a, unicode.IsControl) >= 0:
		return "The answer may hold no line break, tab or other control character."
	}
	return ""
}
