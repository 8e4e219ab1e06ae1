package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/internal/text"
)

// MaxTitleLen is the longest server title allowed, in characters.
const MaxTitleLen = 100

// NewServer is what CreateServer needs.
type NewServer struct {
	Name        string // the instance name; see hostbackend.ValidateName
	Title       string // free display title; empty shows the name
	Port        int    // 1024-65535, unique among servers
	BlueprintID int64
}

// CreateServer validates ns and inserts the server, desired stopped and
// actual unknown until the first poll. Errors are sentences for the user:
// they match ErrInvalid for a bad name, port or title, ErrNotFound for a
// missing blueprint and ErrConflict for a name or port already in use.
func (db *DB) CreateServer(ctx context.Context, ns NewServer) (*Server, error) {
	if err := hostbackend.ValidateName(ns.Name); err != nil {
		return nil, invalidf(strings.TrimPrefix(err.Error(), hostbackend.ErrInvalidName.Error()+": "))
	}
	if ns.Port < 1024 || ns.Port > 65535 {
		return nil, invalidf(fmt.Sprintf("port %d is outside 1024-65535", ns.Port))
	}
	if msg := text.Check(ns.Title, text.Line, MaxTitleLen); msg != "" {
		return nil, invalidf(msg)
	}
	now := NewTime(db.Now())
	s := &Server{
		Name:         ns.Name,
		Title:        strings.TrimSpace(ns.Title),
		Port:         ns.Port,
		BlueprintID:  ns.BlueprintID,
		DesiredState: DesiredStopped,
		ActualState:  hostbackend.StateUnknown,
		StateReason:  "not checked yet",
		CreatedAt:    now,
		RCONPassword: NewRCONPassword(),
	}
	err := db.WriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var other Server
		err := tx.NewSelect().Model(&other).Column("name", "port").
			Where("name = ? OR port = ?", ns.Name, ns.Port).Limit(1).Scan(ctx)
		switch {
		case err == nil && other.Name == ns.Name:
			return conflictf(fmt.Sprintf("a server named %s already exists", ns.Name))
		case err == nil:
			return conflictf(fmt.Sprintf("port %d is already used by server %s", ns.Port, other.Name))
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		exists, err := tx.NewSelect().Model((*Blueprint)(nil)).Where("id = ?", ns.BlueprintID).Exists(ctx)
		if err != nil {
			return err
		}
		if !exists {
			return notFound(fmt.Sprintf("blueprint %d does not exist", ns.BlueprintID))
		}
		_, err = tx.NewInsert().Model(s).Returning("id").Exec(ctx)
		if isUniqueViolation(err) { // another process won the race since the check
			return conflictf(fmt.Sprintf("the name %s or port %d is already in use", ns.Name, ns.Port))
		}
		return err
	})
	if err != nil {
		return nil, wrap("create server", err)
	}
	return s, nil
}

// GetServer returns the server with the given id, or an error matching
// ErrNotFound.
func (db *DB) GetServer(ctx context.Context, id int64) (*Server, error) {
	s := new(Server)
	err := db.reader.NewSelect().Model(s).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(fmt.Sprintf("server %d does not exist", id))
	}
	if err != nil {
		return nil, fmt.Errorf("get server %d: %w", id, err)
	}
	return s, nil
}

// GetServerByName returns the server with the given instance name, or an
// error matching ErrNotFound (at once for a name no server can have).
func (db *DB) GetServerByName(ctx context.Context, name string) (*Server, error) {
	if hostbackend.ValidateName(name) != nil {
		return nil, notFound(fmt.Sprintf("server %q does not exist", name))
	}
	s := new(Server)
	err := db.reader.NewSelect().Model(s).Where("name = ?", name).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(fmt.Sprintf("server %s does not exist", name))
	}
	if err != nil {
		return nil, fmt.Errorf("get server %s: %w", name, err)
	}
	return s, nil
}

// ListServers returns every server ordered by name.
func (db *DB) ListServers(ctx context.Context) ([]Server, error) {
	var ss []Server
	if err := db.reader.NewSelect().Model(&ss).Order("name").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list servers: %w", err)
	}
	return ss, nil
}

// SetServerTitle changes a server's display title. It returns an error
// matching ErrNotFound or ErrInvalid.
func (db *DB) SetServerTitle(ctx context.Context, id int64, title string) error {
	if msg := text.Check(title, text.Line, MaxTitleLen); msg != "" {
		return invalidf(msg)
	}
	res, err := db.writer.NewUpdate().Model((*Server)(nil)).Set("title = ?", strings.TrimSpace(title)).
		Where("id = ?", id).Exec(ctx)
	return wrap("set server title", oneRow(res, err, fmt.Sprintf("server %d does not exist", id)))
}

// ServerChange is what UpdateServer sets: the name stays.
type ServerChange struct {
	Title       string
	Port        int
	BlueprintID int64
}

// UpdateServer changes a server's title, port and blueprint. A running
// server keeps what it was started with until its next start or restart
// (Server.RestartPending). Errors are sentences for the user: they match
// ErrInvalid for a bad port or title, ErrNotFound for a missing server
// or blueprint and ErrConflict for a port another server uses.
func (db *DB) UpdateServer(ctx context.Context, id int64, ch ServerChange) error {
	if ch.Port < 1024 || ch.Port > 65535 {
		return invalidf(fmt.Sprintf("port %d is outside 1024-65535", ch.Port))
	}
	if msg := text.Check(ch.Title, text.Line, MaxTitleLen); msg != "" {
		return invalidf(msg)
	}
	return wrap("update server", db.WriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var other Server
		err := tx.NewSelect().Model(&other).Column("name").Where("port = ? AND id <> ?", ch.Port, id).Limit(1).Scan(ctx)
		switch {
		case err == nil:
			return conflictf(fmt.Sprintf("port %d is already used by server %s", ch.Port, other.Name))
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		exists, err := tx.NewSelect().Model((*Blueprint)(nil)).Where("id = ?", ch.BlueprintID).Exists(ctx)
		if err != nil {
			return err
		}
		if !exists {
			return notFound(fmt.Sprintf("blueprint %d does not exist", ch.BlueprintID))
		}
		res, err := tx.NewUpdate().Model((*Server)(nil)).
			Set("title = ?", strings.TrimSpace(ch.Title)).Set("port = ?", ch.Port).Set("blueprint_id = ?", ch.BlueprintID).
			Where("id = ?", id).Exec(ctx)
		if isUniqueViolation(err) { // another process took the port since the check
			return conflictf(fmt.Sprintf("port %d is already in use", ch.Port))
		}
		return oneRow(res, err, fmt.Sprintf("server %d does not exist", id))
	}))
}

// DeleteServer removes the server's row, its history with it; its jobs
// keep their server_name. It does not touch the host: to remove an
// instance, enqueue a delete job, which calls this once the host is clean.
// It returns an error matching ErrNotFound if there is no such server.
func (db *DB) DeleteServer(ctx context.Context, id int64) error {
	res, err := db.writer.NewDelete().Model((*Server)(nil)).Where("id = ?", id).Exec(ctx)
	return wrap("delete server", oneRow(res, err, fmt.Sprintf("server %d does not exist", id)))
}

// ListServerHistory returns the newest limit changes of the server's
// actual_state, newest first (limit <= 0 means 100).
func (db *DB) ListServerHistory(ctx context.Context, serverID int64, limit int) ([]HistoryEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	var hs []HistoryEntry
	err := db.reader.NewSelect().Model(&hs).Where("server_id = ?", serverID).
		OrderExpr("id DESC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list server history: %w", err)
	}
	return hs, nil
}

// oneRow turns "no row affected" into ErrNotFound with msg.
func oneRow(res sql.Result, err error, msg string) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound(msg)
	}
	return nil
}

// wrap adds context to driver errors but leaves the user-facing *Error
// messages as they are.
func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	var ue *Error
	if errors.As(err, &ue) {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}
