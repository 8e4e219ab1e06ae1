package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// CreateUser inserts a user with an already hashed password. Errors match
// ErrInvalid or, for a name in use, ErrConflict.
func (db *DB) CreateUser(ctx context.Context, name, passwordHash string, role Role) (*User, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 64 {
		return nil, invalidf("a user name must have 1 to 64 characters")
	}
	if role != RoleAdmin && role != RoleOperator {
		return nil, invalidf(fmt.Sprintf("unknown role %q: choose admin or operator", role))
	}
	if passwordHash == "" {
		return nil, invalidf("a password is required")
	}
	u := &User{Name: name, PasswordHash: passwordHash, Role: role, CreatedAt: NewTime(db.Now())}
	_, err := db.writer.NewInsert().Model(u).Returning("id").Exec(ctx)
	if isUniqueViolation(err) {
		return nil, conflictf(fmt.Sprintf("a user named %s already exists", name))
	}
	if err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// GetUser returns the user with the given id, or an error matching
// ErrNotFound.
func (db *DB) GetUser(ctx context.Context, id int64) (*User, error) {
	return db.getUser(ctx, "id = ?", id, fmt.Sprintf("user %d does not exist", id))
}

// GetUserByName returns the user with the given name, or an error
// matching ErrNotFound.
func (db *DB) GetUserByName(ctx context.Context, name string) (*User, error) {
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
// user's sessions. It returns an error matching ErrNotFound.
func (db *DB) SetUserDisabled(ctx context.Context, id int64, disabled bool) error {
	res, err := db.writer.NewUpdate().Model((*User)(nil)).Set("disabled = ?", disabled).Where("id = ?", id).Exec(ctx)
	if err := oneRow(res, err, fmt.Sprintf("user %d does not exist", id)); err != nil {
		return wrap("set user disabled", err)
	}
	if disabled {
		if _, err := db.writer.NewDelete().Model((*Session)(nil)).Where("user_id = ?", id).Exec(ctx); err != nil {
			return fmt.Errorf("end sessions of user %d: %w", id, err)
		}
	}
	return nil
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
