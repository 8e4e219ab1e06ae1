package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/left4me/left4me/internal/text"
)

// MaxUserNameLen is the longest user name allowed, in characters.
const MaxUserNameLen = 64

// CreateUser inserts a user with an already hashed password. The name
// follows text.Check's rule for names and must differ from every other
// user's by more than case, spaces or invisible characters (text.Fold).
// Errors match ErrInvalid or, for a name in use, ErrConflict.
func (db *DB) CreateUser(ctx context.Context, name, passwordHash string, role Role) (*User, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, invalidf(fmt.Sprintf("a user name must have 1 to %d characters", MaxUserNameLen))
	}
	if msg := text.Check(name, text.Name, MaxUserNameLen); msg != "" {
		return nil, invalidf(msg)
	}
	if role != RoleAdmin && role != RoleOperator {
		return nil, invalidf(fmt.Sprintf("unknown role %q: choose admin or operator", role))
	}
	if passwordHash == "" {
		return nil, invalidf("a password is required")
	}
	u := &User{Name: name, NameKey: text.Fold(name), PasswordHash: passwordHash, Role: role, CreatedAt: NewTime(db.Now())}
	_, err := db.writer.NewInsert().Model(u).Returning("id").Exec(ctx)
	if isUniqueViolation(err) {
		var other User
		if err := db.writer.NewSelect().Model(&other).Column("name").Where("name = ? OR name_key = ?", u.Name, u.NameKey).
			OrderExpr("name = ? DESC", u.Name).Limit(1).Scan(ctx); err == nil && other.Name != name {
			return nil, conflictf(fmt.Sprintf("%s is too like the name of user %s: names that differ only in case, spaces or invisible characters count as the same", name, other.Name))
		}
		return nil, conflictf(fmt.Sprintf("a user named %s already exists", name))
	}
	if err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// keyUserNames gives name_key to the users without one (those created
// before migration 0005), oldest first. A user whose key an older user
// holds keeps none: a look-alike from before the rule, left working for an
// admin to judge. It writes only when there is a key to give.
func (db *DB) keyUserNames(ctx context.Context) error {
	var us []User
	if err := db.writer.NewSelect().Model(&us).Column("id", "name", "name_key").Order("id").Scan(ctx); err != nil {
		return fmt.Errorf("key user names: %w", err)
	}
	taken := make(map[string]bool, len(us))
	for _, u := range us {
		taken[u.NameKey] = u.NameKey != ""
	}
	var give []User
	for _, u := range us {
		if k := text.Fold(u.Name); u.NameKey == "" && !taken[k] {
			taken[k] = true
			give = append(give, User{ID: u.ID, NameKey: k})
		}
	}
	if len(give) == 0 {
		return nil
	}
	err := db.WriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for _, u := range give {
			_, err := tx.NewUpdate().Model((*User)(nil)).Set("name_key = ?", u.NameKey).
				Where("id = ? AND name_key IS NULL", u.ID).Exec(ctx)
			if err != nil && !isUniqueViolation(err) { // a violation: another process was first
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("key user names: %w", err)
	}
	return nil
}

// GetUser returns the user with the given id, or an error matching
// ErrNotFound.
func (db *DB) GetUser(ctx context.Context, id int64) (*User, error) {
	return db.getUser(ctx, "id = ?", id, fmt.Sprintf("user %d does not exist", id))
}

// GetUserByName returns the user with the given name, or an error
// matching ErrNotFound.
func (db *DB) GetUserByName(ctx context.Context, name string) (*User, error) {
	if !sqlSafe(name) {
		return nil, notFound(fmt.Sprintf("user %q does not exist", name))
	}
	return db.getUser(ctx, "name = ?", name, fmt.Sprintf("user %s does not exist", name))
}

func (db *DB) getUser(ctx context.Context, where string, arg any, missing string) (*User, error) {
	u := new(User)
	err := db.reader.NewSelect().Model(u).Where(where, arg).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(missing)
	}
	if err != nil {
		return nil, fmt.Errorf("get user: %w", err)
	}
	return u, nil
}

// ListUsers returns every user ordered by name.
func (db *DB) ListUsers(ctx context.Context) ([]User, error) {
	var us []User
	if err := db.reader.NewSelect().Model(&us).Order("name").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return us, nil
}

// SetUserDisabled disables or re-enables a user; disabling also ends the
// user's sessions and revokes their API tokens (enabling brings neither
// back). It returns an error matching ErrNotFound.
func (db *DB) SetUserDisabled(ctx context.Context, id int64, disabled bool) error {
	return wrap("set user disabled", db.WriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*User)(nil)).Set("disabled = ?", disabled).Where("id = ?", id).Exec(ctx)
		if err := oneRow(res, err, fmt.Sprintf("user %d does not exist", id)); err != nil || !disabled {
			return err
		}
		_, err = db.endAccess(ctx, tx, id, "")
		return err
	}))
}

// Ended is what ending a user's access did.
type Ended struct {
	// Sessions is how many logged-in browsers were logged out.
	Sessions int
	// Tokens is how many working API tokens were revoked.
	Tokens int
}

// endAccess ends the user's sessions but the one with id keep ("" for
// none) and revokes their working API tokens, in tx.
func (db *DB) endAccess(ctx context.Context, tx bun.Tx, userID int64, keep string) (Ended, error) {
	var e Ended
	res, err := tx.NewDelete().Model((*Session)(nil)).Where("user_id = ? AND id != ?", userID, keep).Exec(ctx)
	if err != nil {
		return e, fmt.Errorf("end sessions of user %d: %w", userID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return e, fmt.Errorf("end sessions of user %d: %w", userID, err)
	}
	e.Sessions = int(n)
	res, err = tx.NewUpdate().Model((*APIToken)(nil)).Set("revoked_at = ?", NewTime(db.Now())).
		Where("user_id = ? AND revoked_at IS NULL", userID).Exec(ctx)
	if err != nil {
		return e, fmt.Errorf("revoke API tokens of user %d: %w", userID, err)
	}
	if n, err = res.RowsAffected(); err != nil {
		return e, fmt.Errorf("revoke API tokens of user %d: %w", userID, err)
	}
	e.Tokens = int(n)
	return e, nil
}

// CreateSession stores s; s.ID must be the hash of the browser's token.
func (db *DB) CreateSession(ctx context.Context, s *Session) error {
	if s.ID == "" || s.CSRFToken == "" || s.ExpiresAt.IsZero() {
		return invalidf("a session needs an id, a CSRF token and an expiry")
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = NewTime(db.Now())
	}
	if _, err := db.writer.NewInsert().Model(s).Exec(ctx); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// GetSession returns the unexpired session with the given id (the token's
// hash), or an error matching ErrNotFound, also for an expired one.
func (db *DB) GetSession(ctx context.Context, id string) (*Session, error) {
	s := new(Session)
	err := db.reader.NewSelect().Model(s).Where("id = ? AND expires_at > ?", id, db.Now().UnixMilli()).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("the session has expired or does not exist")
	}
	if err != nil {
		return nil, fmt.Errorf("get session: %w", err)
	}
	return s, nil
}

// DeleteSession removes a session; a missing one is not an error.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	if _, err := db.writer.NewDelete().Model((*Session)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes the sessions that expired before now and
// returns how many.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := db.writer.NewDelete().Model((*Session)(nil)).Where("expires_at <= ?", now.UnixMilli()).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return res.RowsAffected()
}

// UserName returns the name of user id, read in db (a transaction, such
// as the one queueing a job that records who asked). It returns an error
// matching ErrNotFound for a missing user.
func UserName(ctx context.Context, db bun.IDB, id int64) (string, error) {
	var name string
	err := db.NewSelect().Model((*User)(nil)).Column("name").Where("id = ?", id).Scan(ctx, &name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound(fmt.Sprintf("user %d does not exist", id))
	}
	if err != nil {
		return "", fmt.Errorf("user name: %w", err)
	}
	return name, nil
}

// DeleteUser deletes the user with id and returns who they were and what
// ended with them: their sessions end and their API tokens go (the rows
// are deleted). Their jobs stay, and keep the name of who asked
// (Job.RequestedByName). The last enabled admin cannot be deleted: an
// error matching ErrConflict; a missing user matches ErrNotFound.
func (db *DB) DeleteUser(ctx context.Context, id int64) (*User, Ended, error) {
	u := new(User)
	var ended Ended
	err := db.WriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		err := tx.NewSelect().Model(u).Where("id = ?", id).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(fmt.Sprintf("user %d does not exist", id))
		}
		if err != nil {
			return err
		}
		if u.Role == RoleAdmin && !u.Disabled {
			admins, err := tx.NewSelect().Model((*User)(nil)).Where("role = ? AND NOT disabled", RoleAdmin).Count(ctx)
			if err != nil {
				return err
			}
			if admins <= 1 {
				return conflictf(fmt.Sprintf("%s is the last enabled admin and cannot be deleted; make another user admin first", u.Name))
			}
		}
		if ended, err = db.endAccess(ctx, tx, id, ""); err != nil {
			return err
		}
		_, err = tx.NewDelete().Model((*User)(nil)).Where("id = ?", id).Exec(ctx)
		return err
	})
	if err != nil {
		return nil, Ended{}, wrap("delete user", err)
	}
	return u, ended, nil
}
