package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"
)

// CountUsers returns how many users exist, disabled ones included.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	n, err := db.reader.NewSelect().Model((*User)(nil)).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return int(n), nil
}

// UserChange is a change to a user for UpdateUser; nil and empty fields
// are left as they are.
type UserChange struct {
	Role         *Role
	Disabled     *bool
	PasswordHash string
	// KeepSession, with a new password, is the session (its id) that
	// goes on: the user's own, changing their password. Their other
	// sessions end.
	KeepSession string
}

// UpdateUser applies ch to the user with id in one transaction. It
// refuses, with an error matching ErrConflict, a change that would leave
// no enabled admin. Disabling a user or setting a new password ends the
// user's sessions and revokes their API tokens; Ended says how many.
// Errors match ErrNotFound, ErrInvalid or ErrConflict.
func (db *DB) UpdateUser(ctx context.Context, id int64, ch UserChange) (Ended, error) {
	if ch.Role != nil && *ch.Role != RoleAdmin && *ch.Role != RoleOperator {
		return Ended{}, invalidf(fmt.Sprintf("unknown role %q: choose admin or operator", *ch.Role))
	}
	var ended Ended
	err := db.WriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		u := new(User)
		err := tx.NewSelect().Model(u).Where("id = ?", id).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(fmt.Sprintf("user %d does not exist", id))
		}
		if err != nil {
			return err
		}
		q := tx.NewUpdate().Model((*User)(nil)).Where("id = ?", id)
		if ch.Role != nil {
			q = q.Set("role = ?", *ch.Role)
		}
		if ch.Disabled != nil {
			q = q.Set("disabled = ?", *ch.Disabled)
		}
		if ch.PasswordHash != "" {
			q = q.Set("password_hash = ?", ch.PasswordHash)
		}
		if ch.Role == nil && ch.Disabled == nil && ch.PasswordHash == "" {
			return nil
		}
		if _, err := q.Exec(ctx); err != nil {
			return err
		}
		admins, err := tx.NewSelect().Model((*User)(nil)).Where("role = ? AND NOT disabled", RoleAdmin).Count(ctx)
		if err != nil {
			return err
		}
		if admins == 0 && u.Role == RoleAdmin && !u.Disabled { // only an enabled admin's change can leave none
			return conflictf(fmt.Sprintf("%s is the last enabled admin; make another user admin first", u.Name))
		}
		if (ch.Disabled != nil && *ch.Disabled) || ch.PasswordHash != "" {
			ended, err = db.endAccess(ctx, tx, id, ch.KeepSession)
		}
		return err
	})
	if err != nil {
		return Ended{}, wrap("update user", err)
	}
	return ended, nil
}

// LastStateChanges returns, for every server with history, when its
// actual_state last changed: the time of its newest history row that
// changed the state. A row for a restart systemd made (old state = new
// state, written when n_restarts rose) changed nothing: "failed 5 min ago"
// is when the unit became failed, not when it was last restarted. It
// reads through the server_history (server_id, id) index from each
// server's last entry, so its cost does not grow with the history.
func (db *DB) LastStateChanges(ctx context.Context) (map[int64]Time, error) {
	var rows []struct {
		ServerID int64 `bun:"server_id"`
		At       Time  `bun:"at"`
	}
	if err := db.reader.NewRaw(lastStateChangesSQL).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("last state changes: %w", err)
	}
	m := make(map[int64]Time, len(rows))
	for _, r := range rows {
		if !r.At.IsZero() { // a server without history
			m[r.ServerID] = r.At
		}
	}
	return m, nil
}

// lastStateChangesSQL asks, per server, for its newest history row by id
// (ORDER BY id DESC LIMIT 1 walks the index backwards from the server's
// last entry) instead of grouping every history row.
const lastStateChangesSQL = `SELECT s.id AS server_id,
	(SELECT h.at FROM server_history AS h WHERE h.server_id = s.id AND h.old_state <> h.new_state
		ORDER BY h.id DESC LIMIT 1) AS at
FROM servers AS s`

// LastStateChange returns when server serverID's actual_state last
// changed, as LastStateChanges counts it, or the zero Time when it never
// did.
func (db *DB) LastStateChange(ctx context.Context, serverID int64) (Time, error) {
	var at Time
	err := db.reader.NewRaw(`SELECT at FROM server_history WHERE server_id = ? AND old_state <> new_state
		ORDER BY id DESC LIMIT 1`, serverID).Scan(ctx, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return Time{}, nil
	}
	if err != nil {
		return Time{}, fmt.Errorf("last state change: %w", err)
	}
	return at, nil
}
