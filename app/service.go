package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/addons"
	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/internal/text"
	"github.com/left4me/left4me/jobs"
	"github.com/left4me/left4me/store"
)

// FieldErrors maps a form or JSON field to what is wrong with it, as a
// sentence for the user. It is the error of a refused create or update.
type FieldErrors map[string]string

// Error lists the fields and their messages, sorted by field.
func (e FieldErrors) Error() string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e[k]
	}
	return strings.Join(parts, "; ")
}

// ServiceOptions configures NewService. DB and Queue are required.
type ServiceOptions struct {
	DB                           *store.DB
	Queue                        *jobs.Queue
	PortRangeStart, PortRangeEnd int
	// Logger gets a line when bookkeeping writes start failing and when
	// they work again (default slog.Default()).
	Logger *slog.Logger
	// Hashing bounds the password hashes and checks that run at once
	// (default NewHashGate(0, 0)).
	Hashing *HashGate
	// Backend is asked about the game installation (hostbackend.Game);
	// nil, or one without the capability, refuses game jobs and lets
	// servers start without asking.
	Backend hostbackend.Backend
	// LookState reads a new server's state (Options.LookState); nil
	// does not.
	LookState func(ctx context.Context, serverID int64) error
	// Addons keeps the add-on sets blueprints list; nil leaves every
	// blueprint's list as it is.
	Addons *addons.Manager
}

// Service is the panel's operations, shared by the HTML handlers and the
// JSON API: validation with field errors, then the store or the queue.
type Service struct {
	db                 *store.DB
	queue              *jobs.Queue
	portStart, portEnd int
	bookkeeping        *bookkeeping
	hashing            *HashGate
	game               hostbackend.Game // nil without the capability
	lookState          func(ctx context.Context, serverID int64) error
	addons             *addons.Manager // nil: no add-on sets
	workshop           bool            // the backend can download Workshop items
	log                *slog.Logger
}

// NewService returns a service. It panics without a DB or Queue.
func NewService(opts ServiceOptions) *Service {
	if opts.DB == nil || opts.Queue == nil {
		panic("app.NewService: DB and Queue are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Hashing == nil {
		opts.Hashing = NewHashGate(0, 0)
	}
	g, _ := opts.Backend.(hostbackend.Game)
	_, ws := opts.Backend.(hostbackend.Workshop)
	return &Service{workshop: ws, db: opts.DB, queue: opts.Queue, portStart: opts.PortRangeStart, portEnd: opts.PortRangeEnd,
		bookkeeping: &bookkeeping{log: opts.Logger}, hashing: opts.Hashing, game: g,
		lookState: opts.LookState, addons: opts.Addons, log: opts.Logger}
}

// reservedNames are instance names that would hide a page of the panel.
var reservedNames = map[string]bool{"new": true, "status": true}

// ServerInput is what creating a server takes. Port 0 means the lowest
// free port of the range.
type ServerInput struct {
	// ID is the server being edited (UpdateServer), 0 for a new one: the
	// checks for a name or port in use skip it.
	ID          int64
	Name        string
	Title       string
	BlueprintID int64
	// Blueprint names the blueprint when BlueprintID is 0 (the JSON API
	// takes names).
	Blueprint string
	Port      int
}

// resolveBlueprint sets in.BlueprintID from in.Blueprint, if it names a
// blueprint and no id is given.
func (s *Service) resolveBlueprint(ctx context.Context, in *ServerInput) error {
	if in.BlueprintID != 0 || in.Blueprint == "" {
		return nil
	}
	b, err := s.db.GetBlueprintByName(ctx, in.Blueprint)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	in.BlueprintID = b.ID
	return nil
}

// ValidateServer returns what is wrong with in, field by field, or nil.
func (s *Service) ValidateServer(ctx context.Context, in ServerInput) (FieldErrors, error) {
	errs := FieldErrors{}
	if err := s.resolveBlueprint(ctx, &in); err != nil {
		return nil, err
	}
	servers, err := s.db.ListServers(ctx)
	if err != nil {
		return nil, err
	}
	if in.ID != 0 {
		servers = slices.DeleteFunc(servers, func(o store.Server) bool { return o.ID == in.ID })
	}
	if err := hostbackend.ValidateName(in.Name); err != nil {
		errs["name"] = strings.TrimPrefix(err.Error(), hostbackend.ErrInvalidName.Error()+": ")
	} else if reservedNames[in.Name] {
		errs["name"] = fmt.Sprintf("%q is reserved for a page of the panel; choose another name", in.Name)
	}
	if msg := text.Check(in.Title, text.Line, store.MaxTitleLen); msg != "" {
		errs["title"] = msg
	}
	if in.Port != 0 && (in.Port < 1024 || in.Port > 65535) {
		errs["port"] = fmt.Sprintf("Port %d is outside 1024-65535.", in.Port)
	}
	for _, o := range servers {
		if o.Name == in.Name {
			errs["name"] = fmt.Sprintf("A server named %s already exists.", in.Name)
		}
		if in.Port != 0 && o.Port == in.Port {
			errs["port"] = fmt.Sprintf("Port %d is already used by server %s.", in.Port, o.Name)
		}
	}
	if in.Port == 0 && s.freePort(servers) == 0 {
		errs["port"] = fmt.Sprintf("Every port from %d to %d is taken; choose one.", s.portStart, s.portEnd)
	}
	if in.BlueprintID == 0 && in.Blueprint != "" && text.Check(in.Blueprint, text.Line, store.MaxBlueprintNameLen) == "" {
		errs["blueprint"] = fmt.Sprintf("There is no blueprint named “%s”.", in.Blueprint)
	} else if in.BlueprintID == 0 && in.Blueprint != "" {
		errs["blueprint"] = "There is no such blueprint."
	} else if in.BlueprintID == 0 {
		errs["blueprint"] = "Choose a blueprint."
	} else if _, err := s.db.GetBlueprint(ctx, in.BlueprintID); errors.Is(err, store.ErrNotFound) {
		errs["blueprint"] = "That blueprint does not exist (any more)."
	} else if err != nil {
		return nil, err
	}
	if len(errs) == 0 {
		return nil, nil
	}
	return errs, nil
}

// freePort is the lowest port of the range no server uses, or 0.
func (s *Service) freePort(servers []store.Server) int {
	used := make(map[int]bool, len(servers))
	for _, o := range servers {
		used[o.Port] = true
	}
	for p := s.portStart; p <= s.portEnd; p++ {
		if !used[p] {
			return p
		}
	}
	return 0
}

// NextFreePort is the port a server created now would get, or 0 when the
// range is full.
func (s *Service) NextFreePort(ctx context.Context) (int, error) {
	servers, err := s.db.ListServers(ctx)
	if err != nil {
		return 0, err
	}
	return s.freePort(servers), nil
}

// CreateServer validates in and creates the server, stopped. A refusal is
// FieldErrors; nothing is saved then.
func (s *Service) CreateServer(ctx context.Context, in ServerInput) (*store.Server, error) {
	in.Name = strings.TrimSpace(in.Name)
	in.Title = strings.TrimSpace(in.Title)
	if err := s.resolveBlueprint(ctx, &in); err != nil {
		return nil, err
	}
	errs, err := s.ValidateServer(ctx, in)
	if err != nil {
		return nil, err
	}
	if errs != nil {
		return nil, errs
	}
	if in.Port == 0 {
		if in.Port, err = s.NextFreePort(ctx); err != nil {
			return nil, err
		}
	}
	srv, err := s.db.CreateServer(ctx, store.NewServer{Name: in.Name, Title: in.Title, Port: in.Port, BlueprintID: in.BlueprintID})
	var se *store.Error
	if errors.As(err, &se) && !errors.Is(err, store.ErrNotFound) {
		// Another request took the name or port since the validation.
		field := "name"
		if strings.Contains(se.Msg, "port") {
			field = "port"
		}
		return nil, FieldErrors{field: se.Msg}
	}
	if err != nil || s.lookState == nil {
		return srv, err
	}
	// Its state now rather than "unknown" until the next tick. The server
	// exists either way: a failure here is the poller's to retry.
	if err := s.lookState(ctx, srv.ID); err != nil {
		s.log.Warn("read the new server's state", "server", srv.Name, "err", err)
		return srv, nil
	}
	if read, err := s.db.GetServerByName(ctx, srv.Name); err == nil {
		srv = read
	}
	return srv, nil
}

// UpdateServer changes the named server's title, port and blueprint to
// in's (its Name and ID are taken from the server; port 0 keeps the
// port), validated as CreateServer validates. A running server keeps
// what it started with until a restart (store.Server.RestartPending). A
// refusal is FieldErrors; nothing is changed then. A missing server
// matches store.ErrNotFound.
func (s *Service) UpdateServer(ctx context.Context, name string, in ServerInput) (*store.Server, error) {
	srv, err := s.db.GetServerByName(ctx, name)
	if err != nil {
		return nil, err
	}
	in.ID, in.Name = srv.ID, srv.Name
	in.Title = strings.TrimSpace(in.Title)
	if in.Port == 0 {
		in.Port = srv.Port
	}
	if err := s.resolveBlueprint(ctx, &in); err != nil {
		return nil, err
	}
	errs, err := s.ValidateServer(ctx, in)
	if err != nil {
		return nil, err
	}
	delete(errs, "name") // it stays as it is
	if len(errs) > 0 {
		return nil, errs
	}
	err = s.db.UpdateServer(ctx, srv.ID, store.ServerChange{Title: in.Title, Port: in.Port, BlueprintID: in.BlueprintID})
	var se *store.Error
	if errors.As(err, &se) && !errors.Is(err, store.ErrNotFound) {
		// Another request took the port since the validation.
		return nil, FieldErrors{"port": sentence(se.Msg)}
	}
	if err != nil {
		return nil, err
	}
	return s.db.GetServer(ctx, srv.ID)
}

// Enqueue asks for op on the named server on behalf of user byUser and
// returns the job. Errors match store.ErrNotFound or store.ErrConflict;
// a start or restart while the game is not installed is a
// store.ErrConflict saying so.
func (s *Service) Enqueue(ctx context.Context, name string, op store.Operation, byUser int64) (*store.Job, error) {
	if hostbackend.ValidateName(name) != nil {
		return nil, &store.Error{Kind: store.ErrNotFound, Msg: fmt.Sprintf("server %q does not exist", name)}
	}
	if op == store.OpStart || op == store.OpRestart {
		if _, err := s.db.GetServerByName(ctx, name); err != nil {
			return nil, err
		}
		if err := s.gameReady(ctx); err != nil {
			return nil, err
		}
	}
	return s.queue.Enqueue(ctx, jobs.EnqueueParams{ServerName: name, Operation: op, RequestedBy: byUser})
}

// CancelJob cancels a queued or running job on behalf of by. Deleting a
// server is an admin's operation, and so is cancelling it: a delete cut
// short between its steps leaves the server half removed. The same goes
// for the game's jobs, which only admins ask for. Errors: a missing job
// matches store.ErrNotFound, a finished one store.ErrConflict, an
// operator cancelling a delete or a game job is a 403.
func (s *Service) CancelJob(ctx context.Context, id int64, by *store.User) (*store.Job, error) {
	j, err := s.db.GetJob(ctx, id)
	if err != nil {
		return nil, err
	}
	if j.Operation == store.OpDelete && (by == nil || by.Role != store.RoleAdmin) {
		return nil, fiber.NewError(fiber.StatusForbidden, "Only an admin may cancel the deletion of a server.")
	}
	if j.Operation.IsGame() && (by == nil || by.Role != store.RoleAdmin) {
		return nil, fiber.NewError(fiber.StatusForbidden, "Only an admin may cancel a job on the game.")
	}
	j, err = s.queue.Cancel(ctx, id)
	if errors.Is(err, jobs.ErrFinished) {
		return nil, &store.Error{Kind: store.ErrConflict, Msg: fmt.Sprintf("job %d has already finished", id)}
	}
	return j, err
}

// BlueprintInput is what creating or updating a blueprint takes.
type BlueprintInput struct {
	Name       string
	Map        string
	GameMode   string
	MaxPlayers int
	// Args are extra srcds arguments, one per element.
	Args      []string
	ServerCfg string
	// AddonSets are the blueprint's add-on sets, lowest first, when
	// SetAddons; otherwise its list stays as it is.
	AddonSets []string
	SetAddons bool
}

// validateBlueprint returns what is wrong with in, field by field. Args
// errors are keyed "args" and name the argument and its bad character.
func validateBlueprint(in BlueprintInput) FieldErrors {
	errs := FieldErrors{}
	if in.Name == "" {
		errs["name"] = fmt.Sprintf("Use 1 to %d characters.", store.MaxBlueprintNameLen)
	} else if msg := text.Check(in.Name, text.Line, store.MaxBlueprintNameLen); msg != "" {
		errs["name"] = msg
	}
	for field, v := range map[string]string{"map": in.Map, "game_mode": in.GameMode} {
		if v == "" {
			errs[field] = "Required."
		} else if err := hostbackend.ValidateArg(v); err != nil {
			errs[field] = sentence(err.Error())
		}
	}
	if len(in.Map) > 64 {
		errs["map"] = "Use at most 64 characters."
	}
	if len(in.GameMode) > 32 {
		errs["game_mode"] = "Use at most 32 characters."
	}
	if in.MaxPlayers < 1 || in.MaxPlayers > 32 {
		errs["max_players"] = "Choose 1 to 32 players."
	}
	if max := hostbackend.MaxArgs - 6; len(in.Args) > max {
		errs["args"] = fmt.Sprintf("At most %d extra arguments are allowed.", max)
	}
	for _, a := range in.Args {
		if err := hostbackend.ValidateArg(a); err != nil {
			errs["args"] = sentence(err.Error())
			break
		}
	}
	if msg := text.Check(in.ServerCfg, text.Lines, 0); msg != "" {
		errs["server_cfg"] = msg
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// SaveBlueprint creates a blueprint (id 0) or updates the one with id.
// Servers using it get the change at their next start. A refusal is
// FieldErrors.
func (s *Service) SaveBlueprint(ctx context.Context, id int64, in BlueprintInput) (*store.Blueprint, error) {
	in.Name = strings.TrimSpace(in.Name)
	if errs := validateBlueprint(in); errs != nil {
		return nil, errs
	}
	if id != 0 {
		old, err := s.db.GetBlueprint(ctx, id)
		if err != nil {
			return nil, err
		}
		if old.Name == store.DefaultBlueprintName && in.Name != old.Name {
			return nil, FieldErrors{"name": "The default blueprint keeps its name; create a new blueprint instead."}
		}
	}
	if in.SetAddons {
		if errs := s.checkAddonSets(ctx, in.AddonSets); errs != nil {
			return nil, errs
		}
	}
	b := &store.Blueprint{ID: id, Name: in.Name, Map: in.Map, GameMode: in.GameMode, MaxPlayers: in.MaxPlayers,
		Args: in.Args, ServerCfg: in.ServerCfg}
	var err error
	if id == 0 {
		err = s.db.CreateBlueprint(ctx, b)
	} else {
		err = s.db.UpdateBlueprint(ctx, b)
	}
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrInvalid) {
		return nil, FieldErrors{"name": sentence(err.Error())}
	}
	if err != nil {
		return nil, err
	}
	if in.SetAddons {
		if err := s.SetBlueprintAddons(ctx, b.ID, in.AddonSets); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// checkAddonSets says what is wrong with names as a blueprint's add-on
// sets (one that does not exist, one listed twice), keyed "addon_sets".
func (s *Service) checkAddonSets(ctx context.Context, names []string) FieldErrors {
	if len(names) == 0 {
		return nil
	}
	if s.addons == nil {
		return FieldErrors{"addon_sets": "This panel keeps no add-on sets (it has no state root)."}
	}
	if len(names) > hostbackend.MaxLayerSets {
		return FieldErrors{"addon_sets": fmt.Sprintf("A blueprint may stack at most %d add-on sets.", hostbackend.MaxLayerSets)}
	}
	for i, n := range names {
		if slices.Contains(names[:i], n) {
			return FieldErrors{"addon_sets": fmt.Sprintf("Add-on set “%s” is listed twice.", n)}
		}
		if hostbackend.ValidateName(n) != nil {
			return FieldErrors{"addon_sets": fmt.Sprintf("There is no add-on set named %q.", n)}
		}
		if _, err := s.addons.Set(ctx, n); errors.Is(err, store.ErrNotFound) {
			return FieldErrors{"addon_sets": fmt.Sprintf("There is no add-on set named “%s”.", n)}
		} else if err != nil {
			return FieldErrors{"addon_sets": sentence(err.Error())}
		}
	}
	return nil
}

// BlueprintAddons returns the add-on sets of blueprint id, lowest first.
func (s *Service) BlueprintAddons(ctx context.Context, id int64) ([]string, error) {
	if s.addons == nil {
		return []string{}, nil
	}
	return s.addons.BlueprintSets(ctx, id)
}

// SetBlueprintAddons makes names, lowest first, the add-on sets of
// blueprint id; its servers get them at their next start. A refusal is
// FieldErrors keyed "addon_sets"; the list is then unchanged.
func (s *Service) SetBlueprintAddons(ctx context.Context, id int64, names []string) error {
	if errs := s.checkAddonSets(ctx, names); errs != nil {
		return errs
	}
	if s.addons == nil {
		return nil
	}
	err := s.addons.SetBlueprintSets(ctx, id, names)
	if errors.Is(err, store.ErrInvalid) {
		return FieldErrors{"addon_sets": sentence(err.Error())}
	}
	return err
}

// BlueprintServers returns the servers using blueprint id, by name.
func (s *Service) BlueprintServers(ctx context.Context, id int64) ([]store.Server, error) {
	servers, err := s.db.ListServers(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(servers, func(o store.Server) bool { return o.BlueprintID != id }), nil
}

// RestartBlueprintServers enqueues a restart, on behalf of user byUser,
// of every server using blueprint id that is wanted running, so that
// they all run the blueprint as it is now; stopped servers get it at
// their next start. It returns the jobs, in server name order. While the
// game is not installed it enqueues nothing and the error matches
// store.ErrConflict; a server deleted meanwhile is skipped.
func (s *Service) RestartBlueprintServers(ctx context.Context, id int64, byUser int64) ([]store.Job, error) {
	if _, err := s.db.GetBlueprint(ctx, id); err != nil {
		return nil, err
	}
	servers, err := s.BlueprintServers(ctx, id)
	if err != nil {
		return nil, err
	}
	var started []store.Job
	for _, srv := range servers {
		if srv.DesiredState != store.DesiredRunning {
			continue
		}
		j, err := s.Enqueue(ctx, srv.Name, store.OpRestart, byUser)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return started, err
		}
		started = append(started, *j)
	}
	return started, nil
}

// DeleteBlueprint removes a blueprint no server uses other than the
// default one; otherwise the error matches store.ErrConflict.
func (s *Service) DeleteBlueprint(ctx context.Context, id int64) error {
	b, err := s.db.GetBlueprint(ctx, id)
	if err != nil {
		return err
	}
	if b.Name == store.DefaultBlueprintName {
		return &store.Error{Kind: store.ErrConflict, Msg: "the default blueprint cannot be deleted"}
	}
	return s.db.DeleteBlueprint(ctx, id)
}

// Authenticate returns the enabled user with name and password, or nil
// when they do not match or the user is disabled. A name nobody has takes
// the same path and the same hashing as a wrong password. It is ErrBusy
// when no hashing slot came free in time.
func (s *Service) Authenticate(ctx context.Context, name, password string) (*store.User, error) {
	u, err := s.db.GetUserByName(ctx, strings.TrimSpace(name))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	hash := dummyHash
	if u != nil {
		hash = u.PasswordHash
	}
	ok, err := s.checkPassword(ctx, hash, password)
	if err != nil || u == nil || !ok || u.Disabled {
		return nil, err
	}
	return u, nil
}

// UserInput is what creating a user takes.
type UserInput struct {
	Name            string
	Role            store.Role
	Password        string
	PasswordConfirm string
}

// CreateUser validates in and creates the user. A refusal is FieldErrors.
func (s *Service) CreateUser(ctx context.Context, in UserInput) (*store.User, error) {
	in.Name = strings.TrimSpace(in.Name)
	errs := FieldErrors{}
	if in.Name == "" {
		errs["name"] = fmt.Sprintf("Use 1 to %d characters.", store.MaxUserNameLen)
	} else if msg := text.Check(in.Name, text.Name, store.MaxUserNameLen); msg != "" {
		errs["name"] = msg
	}
	if in.Role != store.RoleAdmin && in.Role != store.RoleOperator {
		errs["role"] = "Choose admin or operator."
	}
	if msg := validatePassword(in.Password, in.PasswordConfirm); msg != "" {
		errs["password"] = msg
	}
	if len(errs) > 0 {
		return nil, errs
	}
	hash, err := s.hashPassword(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	u, err := s.db.CreateUser(ctx, in.Name, hash, in.Role)
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrInvalid) {
		return nil, FieldErrors{"name": sentence(err.Error())}
	}
	return u, err
}

// SetUserRole changes a user's role; demoting the last enabled admin is
// a store.ErrConflict error.
func (s *Service) SetUserRole(ctx context.Context, id int64, role store.Role) error {
	_, err := s.db.UpdateUser(ctx, id, store.UserChange{Role: &role})
	return err
}

// SetUserDisabled disables or re-enables a user. Disabling ends the
// user's sessions and revokes their API tokens (for good: enabling brings
// none back); Ended says how many. Disabling the last enabled admin is a
// store.ErrConflict error.
func (s *Service) SetUserDisabled(ctx context.Context, id int64, disabled bool) (store.Ended, error) {
	return s.db.UpdateUser(ctx, id, store.UserChange{Disabled: &disabled})
}

// ResetPassword sets a new password, ends the user's sessions but the
// session keep ("" for none: an admin resetting their own password keeps
// the one they do it from) and revokes their API tokens: whoever knew the
// old password may have made one. Ended says how many. A refusal is
// FieldErrors.
func (s *Service) ResetPassword(ctx context.Context, id int64, password, confirm, keep string) (store.Ended, error) {
	if msg := validatePassword(password, confirm); msg != "" {
		return store.Ended{}, FieldErrors{"password": msg}
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return store.Ended{}, err
	}
	return s.db.UpdateUser(ctx, id, store.UserChange{PasswordHash: hash, KeepSession: keep})
}

// ChangeOwnPassword sets a new password for user id, who proves the
// current one, as ResetPassword does: the session keep goes on, their
// other sessions end and their API tokens are revoked. A wrong current
// password changes nothing. A refusal is FieldErrors ("current_password",
// "password").
func (s *Service) ChangeOwnPassword(ctx context.Context, id int64, current, password, confirm, keep string) (store.Ended, error) {
	errs := FieldErrors{}
	if msg := validatePassword(password, confirm); msg != "" {
		errs["password"] = msg
	}
	u, err := s.db.GetUser(ctx, id)
	if err != nil {
		return store.Ended{}, err
	}
	ok, err := s.checkPassword(ctx, u.PasswordHash, current)
	switch {
	case err != nil:
		return store.Ended{}, err
	case !ok:
		errs["current_password"] = "That is not your current password: nothing was changed."
	case password == current && errs["password"] == "":
		errs["password"] = "That is your current password: choose a new one."
	}
	if len(errs) > 0 {
		return store.Ended{}, errs
	}
	return s.ResetPassword(ctx, id, password, confirm, keep)
}

// DeleteUser deletes user id for the admin by: their sessions end and
// their API tokens go; their jobs keep their name. Nobody deletes
// themselves, and the last enabled admin stays: both are
// store.ErrConflict errors.
func (s *Service) DeleteUser(ctx context.Context, by *store.User, id int64) (*store.User, store.Ended, error) {
	if by.ID == id {
		return nil, store.Ended{}, &store.Error{Kind: store.ErrConflict,
			Msg: "you cannot delete your own account; another admin can"}
	}
	return s.db.DeleteUser(ctx, id)
}

// sentence capitalises msg and ends it with a full stop.
func sentence(msg string) string {
	if msg == "" {
		return msg
	}
	msg = strings.ToUpper(msg[:1]) + msg[1:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}
