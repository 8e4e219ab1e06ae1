// Package console is what the panel does with a game server over RCON:
// commands typed into its console, the player list from `status`, kicks,
// and the panel's own ban list per server. Every command the panel runs
// for someone is audited in the store (who, when, the command, the first
// 4 KB of the answer or the error); the polls of the player list are not.
//
// RCON needs the server's password, which only the panel and the game
// know: store.CreateServer makes it, and the start job writes it into the
// instance's server.cfg after the blueprint's text (ServerConfig), with
// sane failure limits and one banid per ban, so that neither a blueprint
// nor a restart can lose a ban or the password. It is never shown.
package console

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/internal/rcon"
	"github.com/left4me/left4me/internal/text"
	"github.com/left4me/left4me/store"
)

// MaxCommandLen is the longest console command, in bytes.
const MaxCommandLen = 512

// DefaultTimeout bounds one RCON command.
const DefaultTimeout = 5 * time.Second

var (
	// ErrInvalid matches a command, Steam ID or user id that is refused
	// before anything is sent; the message says why.
	ErrInvalid = errors.New("invalid input")
	// ErrNotRunning matches a command refused because the server does
	// not run; the message says so.
	ErrNotRunning = errors.New("the server is not running")
	// ErrUnavailable matches a command refused because the host cannot
	// speak RCON (no backend, or one without hostbackend.Live).
	ErrUnavailable = errors.New("RCON is not available on this host")
)

// refusal is an error with a sentence for the user that matches a
// sentinel.
type refusal struct {
	kind error
	msg  string
}

func (r *refusal) Error() string        { return r.msg }
func (r *refusal) Is(target error) bool { return target == r.kind }

func refuse(kind error, format string, args ...any) error {
	return &refusal{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// Options configures New.
type Options struct {
	DB *store.DB
	// Host speaks RCON to the games; nil refuses every command with
	// ErrUnavailable.
	Host hostbackend.Live
	// Timeout bounds each command (default DefaultTimeout).
	Timeout time.Duration
	Logger  *slog.Logger
}

// Console runs RCON commands on the panel's servers.
type Console struct{ opts Options }

// New returns a Console.
func New(opts Options) *Console {
	if opts.DB == nil {
		panic("console.New: Options.DB is required")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Console{opts: opts}
}

// Actor is who asks for a command: the user's id and name.
type Actor struct {
	ID   int64
	Name string
}

// CheckCommand returns an error matching ErrInvalid, with a sentence,
// when command cannot be sent: empty, more than one line, control
// characters or longer than MaxCommandLen.
func CheckCommand(command string) error {
	if strings.ContainsAny(command, "\x00\r\n") {
		return refuse(ErrInvalid, "A console command is one line: remove the line breaks (and NUL characters), or send the lines one by one.")
	}
	if strings.TrimSpace(command) == "" {
		return refuse(ErrInvalid, "Type a command, such as status.")
	}
	if len(command) > MaxCommandLen {
		return refuse(ErrInvalid, "A console command is at most %d bytes long; this one has %d.", MaxCommandLen, len(command))
	}
	if msg := text.Check(command, text.Line, 0); msg != "" {
		return refuse(ErrInvalid, "%s", msg)
	}
	return nil
}

// Running reports whether srv's game can be asked: its unit runs.
func Running(srv *store.Server) bool { return srv.ActualState == hostbackend.StateRunning }

// notRunning is the refusal for a server that does not run.
func notRunning(srv *store.Server) error {
	return refuse(ErrNotRunning, "Server %s is not running (it is %s): start it to use its console.", srv.Name, srv.ActualState)
}

// Run sends command to srv's game for who, records it with the answer or
// the error, and returns the answer. A command that cannot be sent is
// refused before anything happens (ErrInvalid, ErrNotRunning,
// ErrUnavailable) and not recorded.
func (c *Console) Run(ctx context.Context, srv *store.Server, who Actor, command string) (string, error) {
	command = strings.TrimSpace(command)
	if err := CheckCommand(command); err != nil {
		return "", err
	}
	answer, err := c.exec(ctx, srv, command)
	if errors.Is(err, ErrNotRunning) || errors.Is(err, ErrUnavailable) {
		return "", err
	}
	c.audit(srv, who, command, answer, err)
	return answer, err
}

// exec sends one command, bounded by the Console's timeout, without
// recording it.
func (c *Console) exec(ctx context.Context, srv *store.Server, command string) (string, error) {
	if c.opts.Host == nil {
		return "", refuse(ErrUnavailable, "This host cannot speak RCON to its games.")
	}
	if !Running(srv) {
		return "", notRunning(srv)
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	answer, err := c.opts.Host.RCON(ctx, hostbackend.LiveTarget{Name: srv.Name, Port: srv.Port}, srv.RCONPassword, command)
	switch {
	case err == nil:
		// srcds keeps the password to itself (a protected cvar), but
		// should a plugin say it, it goes no further.
		return scrub(answer, srv.RCONPassword), nil
	case errors.Is(err, context.DeadlineExceeded):
		return "", fmt.Errorf("the game did not answer within %s", c.opts.Timeout)
	case errors.Is(err, hostbackend.ErrRCONPassword), errors.Is(err, rcon.ErrBadPassword):
		return "", errors.New("the game refused the panel's RCON password: restart the server so that it reads its server.cfg again")
	}
	return "", fmt.Errorf("RCON: %s", scrub(err.Error(), srv.RCONPassword))
}

// audit records a command; a failure to record is logged, since the
// command has run.
func (c *Console) audit(srv *store.Server, who Actor, command, answer string, err error) {
	row := &store.RCONCommand{ServerID: &srv.ID, ServerName: srv.Name, UserName: who.Name, Command: command, Answer: answer}
	if who.ID != 0 {
		row.UserID = &who.ID
	}
	if err != nil {
		row.Error = err.Error()
	}
	// The command ran: record it even when the request was cancelled.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.opts.DB.AddRCONCommand(ctx, row); err != nil {
		c.opts.Logger.Error("record rcon command", "server", srv.Name, "user", who.Name, "err", err)
	}
}

// scrub removes the password from a message, should a transport ever
// repeat it.
func scrub(msg, password string) string {
	if password == "" {
		return msg
	}
	return strings.ReplaceAll(msg, password, "…")
}

// Players asks srv's game for `status` and returns what it said. It is a
// look, not recorded.
func (c *Console) Players(ctx context.Context, srv *store.Server) (rcon.Status, error) {
	answer, err := c.exec(ctx, srv, "status")
	if err != nil {
		return rcon.Status{}, err
	}
	return rcon.ParseStatus(answer), nil
}

// Kick kicks the player with the game's user id from srv (kickid),
// recorded as who's command, and returns the game's answer.
func (c *Console) Kick(ctx context.Context, srv *store.Server, who Actor, userID int) (string, error) {
	if userID <= 0 {
		return "", refuse(ErrInvalid, "A player's user id is a positive number, as status lists it.")
	}
	return c.Run(ctx, srv, who, "kickid "+strconv.Itoa(userID))
}
