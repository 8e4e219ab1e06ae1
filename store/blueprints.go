package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/uptrace/bun"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/internal/text"
)

// DefaultBlueprintName is the blueprint the first migration creates.
const DefaultBlueprintName = "default"

// MaxBlueprintNameLen is the longest blueprint name allowed, in
// characters.
const MaxBlueprintNameLen = 64

// validateBlueprint checks what a blueprint may contain. Map and game
// mode become srcds arguments, so they follow the argument rule too; the
// name is a line and server.cfg lines of text (text.Check).
func validateBlueprint(b *Blueprint) error {
	b.Name = strings.TrimSpace(b.Name)
	switch {
	case b.Name == "":
		return invalidf(fmt.Sprintf("a blueprint needs a name of 1 to %d characters", MaxBlueprintNameLen))
	case text.Check(b.Name, text.Line, MaxBlueprintNameLen) != "":
		return invalidf(text.Check(b.Name, text.Line, MaxBlueprintNameLen))
	case b.Map == "" || len(b.Map) > 64:
		return invalidf("a blueprint needs a map of 1 to 64 characters")
	case b.GameMode == "" || len(b.GameMode) > 32:
		return invalidf("a blueprint needs a game mode of 1 to 32 characters")
	case b.MaxPlayers < 1 || b.MaxPlayers > 32:
		return invalidf(fmt.Sprintf("max players must be 1-32, not %d", b.MaxPlayers))
	case len(b.Args) > hostbackend.MaxArgs-6: // room for +map, +mp_gamemode, +maxplayers
		return invalidf(fmt.Sprintf("at most %d extra arguments are allowed", hostbackend.MaxArgs-6))
	case text.Check(b.ServerCfg, text.Lines, 0) != "":
		return invalidf("server.cfg: " + text.Check(b.ServerCfg, text.Lines, 0))
	}
	for _, v := range []string{b.Map, b.GameMode} {
		if err := hostbackend.ValidateArg(v); err != nil {
			return invalidf(err.Error())
		}
	}
	for _, a := range b.Args {
		if err := hostbackend.ValidateArg(a); err != nil {
			return invalidf(err.Error())
		}
	}
	if b.Args == nil {
		b.Args = []string{}
	}
	return nil
}

// SrcdsArgs returns the srcds arguments the blueprint starts a server
// with: its extra arguments, then +map, +mp_gamemode and +maxplayers, each
// value its own element.
func (b *Blueprint) SrcdsArgs() []string {
	args := make([]string, 0, len(b.Args)+6)
	args = append(args, b.Args...)
	return append(args,
		"+map", b.Map,
		"+mp_gamemode", b.GameMode,
		"+maxplayers", strconv.Itoa(b.MaxPlayers))
}

// ServerSpec is what a start or restart of srv provisions from its
// blueprint bp: the instance files Provision writes.
func ServerSpec(srv *Server, bp *Blueprint) hostbackend.InstanceSpec {
	return hostbackend.InstanceSpec{Name: srv.Name, Port: srv.Port, Args: bp.SrcdsArgs(), ServerConfig: bp.ServerCfg}
}

// SpecFingerprint is the SHA-256, in hex, of spec: equal specs have equal
// fingerprints, and any change of name, port, argument or server.cfg
// changes it. Server.AppliedSpec holds the one a job started the process
// with.
func SpecFingerprint(spec hostbackend.InstanceSpec) string {
	var small [1024]byte
	b := appendPart(small[:0], spec.Name)
	b = appendNumber(b, spec.Port)
	b = appendNumber(b, len(spec.Args))
	for _, a := range spec.Args {
		b = appendPart(b, a)
	}
	b = appendPart(b, spec.ServerConfig)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// RestartPending reports whether srv runs (or is starting) with another
// spec than its blueprint bp now gives it, after an edit of the server or
// of the blueprint: a restart would apply the change. A stopped server
// applies it at its next start, and one whose applied spec is unknown
// (started before the panel recorded it) is not asked to restart.
//
// The dashboard asks this of every server at each reload of its status,
// so it hashes ServerSpec(srv, bp) without building it (the same bytes
// SpecFingerprint hashes) and without allocating for a usual spec.
func (srv *Server) RestartPending(bp *Blueprint) bool {
	if bp == nil || srv.AppliedSpec == "" ||
		(srv.ActualState != hostbackend.StateRunning && srv.ActualState != hostbackend.StateStarting) {
		return false
	}
	var small [1024]byte
	b := appendPart(small[:0], srv.Name)
	b = appendNumber(b, srv.Port)
	b = appendNumber(b, len(bp.Args)+6) // as SrcdsArgs
	for _, a := range bp.Args {
		b = appendPart(b, a)
	}
	b = appendPart(b, "+map")
	b = appendPart(b, bp.Map)
	b = appendPart(b, "+mp_gamemode")
	b = appendPart(b, bp.GameMode)
	b = appendPart(b, "+maxplayers")
	b = appendNumber(b, bp.MaxPlayers)
	b = appendPart(b, bp.ServerCfg)
	sum := sha256.Sum256(b)
	var enc [2 * sha256.Size]byte
	hex.Encode(enc[:], sum[:])
	return string(enc[:]) != srv.AppliedSpec
}

// appendPart appends one part of a spec's fingerprint: its length, then
// the part, so that no two specs give the same bytes (an argument moved
// into the next one, say).
func appendPart(b []byte, s string) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	return append(b, s...)
}

// appendNumber is appendPart(b, strconv.Itoa(n)).
func appendNumber(b []byte, n int) []byte {
	var d [20]byte
	digits := strconv.AppendInt(d[:0], int64(n), 10)
	b = strconv.AppendInt(b, int64(len(digits)), 10)
	b = append(b, ':')
	return append(b, digits...)
}

// CreateBlueprint validates b and inserts it, setting its ID and stamps.
// Errors match ErrInvalid or, for a name in use, ErrConflict.
func (db *DB) CreateBlueprint(ctx context.Context, b *Blueprint) error {
	if err := validateBlueprint(b); err != nil {
		return err
	}
	now := NewTime(db.Now())
	b.CreatedAt, b.UpdatedAt = now, now
	_, err := db.writer.NewInsert().Model(b).Returning("id").Exec(ctx)
	if isUniqueViolation(err) {
		return conflictf(fmt.Sprintf("a blueprint named %s already exists", b.Name))
	}
	return wrap("create blueprint", err)
}

// UpdateBlueprint validates b and overwrites the blueprint with b.ID. The
// servers using it pick the change up on their next start. Errors match
// ErrInvalid, ErrNotFound or ErrConflict.
func (db *DB) UpdateBlueprint(ctx context.Context, b *Blueprint) error {
	if err := validateBlueprint(b); err != nil {
		return err
	}
	b.UpdatedAt = NewTime(db.Now())
	res, err := db.writer.NewUpdate().Model(b).
		Column("name", "map", "game_mode", "max_players", "args", "server_cfg", "updated_at").
		WherePK().Exec(ctx)
	if isUniqueViolation(err) {
		return conflictf(fmt.Sprintf("a blueprint named %s already exists", b.Name))
	}
	return wrap("update blueprint", oneRow(res, err, fmt.Sprintf("blueprint %d does not exist", b.ID)))
}

// GetBlueprint returns the blueprint with the given id, or an error
// matching ErrNotFound.
func (db *DB) GetBlueprint(ctx context.Context, id int64) (*Blueprint, error) {
	return db.getBlueprint(ctx, db.reader, "id = ?", id, fmt.Sprintf("blueprint %d does not exist", id))
}

// GetBlueprintByName returns the blueprint with the given name, or an
// error matching ErrNotFound.
func (db *DB) GetBlueprintByName(ctx context.Context, name string) (*Blueprint, error) {
	if !sqlSafe(name) {
		return nil, notFound(fmt.Sprintf("blueprint %q does not exist", name))
	}
	return db.getBlueprint(ctx, db.reader, "name = ?", name, fmt.Sprintf("blueprint %s does not exist", name))
}

func (db *DB) getBlueprint(ctx context.Context, q bun.IDB, where string, arg any, missing string) (*Blueprint, error) {
	b := new(Blueprint)
	err := q.NewSelect().Model(b).Where(where, arg).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(missing)
	}
	if err != nil {
		return nil, fmt.Errorf("get blueprint: %w", err)
	}
	return b, nil
}

// ListBlueprints returns every blueprint ordered by name.
func (db *DB) ListBlueprints(ctx context.Context) ([]Blueprint, error) {
	var bs []Blueprint
	if err := db.reader.NewSelect().Model(&bs).Order("name").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list blueprints: %w", err)
	}
	return bs, nil
}

// DeleteBlueprint removes a blueprint no server uses. Errors match
// ErrNotFound or, when a server uses it, ErrConflict naming the servers.
func (db *DB) DeleteBlueprint(ctx context.Context, id int64) error {
	return wrap("delete blueprint", db.WriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		b, err := db.getBlueprint(ctx, tx, "id = ?", id, fmt.Sprintf("blueprint %d does not exist", id))
		if err != nil {
			return err
		}
		var users []string
		err = tx.NewSelect().Model((*Server)(nil)).Column("name").Where("blueprint_id = ?", id).Order("name").Scan(ctx, &users)
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return conflictf(fmt.Sprintf("blueprint %s is used by %s", b.Name, serverList(users)))
		}
		res, err := tx.NewDelete().Model((*Blueprint)(nil)).Where("id = ?", id).Exec(ctx)
		return oneRow(res, err, fmt.Sprintf("blueprint %d does not exist", id))
	}))
}

// serverList is "server a", "servers a and b" or "servers a, b and c".
func serverList(names []string) string {
	if len(names) == 1 {
		return "server " + names[0]
	}
	return "servers " + strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
