package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/left4me/left4me/internal/text"
)

// MaxTokenNameLen is the longest API token name allowed, in characters.
const MaxTokenNameLen = 64

// MaxAPITokens is how many working (not revoked) API tokens one user may
// have. The API's rate limit is per user, whatever the number of tokens;
// the cap keeps the list of tokens one a person can review.
const MaxAPITokens = 20

// APIToken is a personal token for the JSON API. It acts with its user's
// role. The token itself is shown once and never stored: TokenHash is
// its SHA-256.
type APIToken struct {
	bun.BaseModel `bun:"table:api_tokens"`

	ID        int64  `bun:"id,pk,autoincrement"`
	UserID    int64  `bun:"user_id,notnull"`
	Name      string `bun:"name,notnull"`
	TokenHash string `bun:"token_hash,notnull"`
	// Prefix is the token's first characters ("l4m_ab12"), not a secret,
	// shown so that the right token is revoked; "" for a token made before
	// migration 0008.
	Prefix    string `bun:"prefix,notnull"`
	CreatedAt Time   `bun:"created_at,notnull"`
	// LastUsedAt is when the token last authenticated a request, to the
	// minute (see TouchAPIToken); zero if never.
	LastUsedAt Time `bun:"last_used_at"`
	// RevokedAt is when the token was revoked; zero while it works.
	RevokedAt Time `bun:"revoked_at"`
}

// MaxTokenPrefixLen is the longest prefix of a token the database keeps.
const MaxTokenPrefixLen = 16

// HashAPIToken returns what the database stores for token: its SHA-256,
// hex.
func HashAPIToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateAPIToken stores a token of the user, given the token's hash
// (HashAPIToken) and its first characters to show (at most
// MaxTokenPrefixLen, not a secret). Errors match ErrInvalid for a bad
// name (text.Check's rule for a line), ErrNotFound for a missing user and
// ErrConflict when the user has MaxAPITokens working tokens already or a
// working token whose name differs from name only in case, spaces or
// invisible characters (text.Fold). A revoked token's name may be used
// again: the list no longer shows it, and a new token replacing a leaked
// one often keeps its name.
func (db *DB) CreateAPIToken(ctx context.Context, userID int64, name, tokenHash, prefix string) (*APIToken, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, invalidf(fmt.Sprintf("a token name must have 1 to %d characters", MaxTokenNameLen))
	}
	if msg := text.Check(name, text.Line, MaxTokenNameLen); msg != "" {
		return nil, invalidf(msg)
	}
	if len(tokenHash) != 64 {
		return nil, invalidf("a token hash must be a hex SHA-256")
	}
	if len(prefix) > MaxTokenPrefixLen || !sqlSafe(prefix) {
		return nil, invalidf(fmt.Sprintf("a token prefix must have at most %d characters", MaxTokenPrefixLen))
	}
	t := &APIToken{UserID: userID, Name: name, TokenHash: tokenHash, Prefix: prefix, CreatedAt: NewTime(db.Now())}
	err := db.WriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		exists, err := tx.NewSelect().Model((*User)(nil)).Where("id = ?", userID).Exists(ctx)
		if err != nil {
			return err
		}
		if !exists {
			return notFound(fmt.Sprintf("user %d does not exist", userID))
		}
		var names []string
		err = tx.NewSelect().Model((*APIToken)(nil)).Column("name").Where("user_id = ? AND revoked_at IS NULL", userID).Scan(ctx, &names)
		if err != nil {
			return err
		}
		if len(names) >= MaxAPITokens {
			return conflictf(fmt.Sprintf("you have %d working tokens, the most one account may have: revoke one you no longer use first", len(names)))
		}
		key := text.Fold(name)
		for _, other := range names {
			if text.Fold(other) == key {
				return conflictf(fmt.Sprintf("you already have a token named %s: give this one another name, or revoke that one first", other))
			}
		}
		_, err = tx.NewInsert().Model(t).Returning("id").Exec(ctx)
		if isUniqueViolation(err) {
			return conflictf("that token exists already; create another one")
		}
		return err
	})
	if err != nil {
		return nil, wrap("create API token", err)
	}
	return t, nil
}

// ListAPITokens returns the user's tokens that have not been revoked,
// newest first.
func (db *DB) ListAPITokens(ctx context.Context, userID int64) ([]APIToken, error) {
	var ts []APIToken
	err := db.reader.NewSelect().Model(&ts).Where("user_id = ? AND revoked_at IS NULL", userID).
		OrderExpr("id DESC").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list API tokens: %w", err)
	}
	return ts, nil
}

// GetAPITokenByHash returns the token whose hash is tokenHash, or an error
// matching ErrNotFound when there is none or it has been revoked.
func (db *DB) GetAPITokenByHash(ctx context.Context, tokenHash string) (*APIToken, error) {
	t := new(APIToken)
	err := db.reader.NewSelect().Model(t).Where("token_hash = ? AND revoked_at IS NULL", tokenHash).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("the token is unknown or has been revoked")
	}
	if err != nil {
		return nil, fmt.Errorf("get API token: %w", err)
	}
	return t, nil
}

// RevokeAPIToken revokes the user's token with id. It returns an error
// matching ErrNotFound when the user has no such working token (another
// user's token counts as none).
func (db *DB) RevokeAPIToken(ctx context.Context, userID, id int64) error {
	res, err := db.writer.NewUpdate().Model((*APIToken)(nil)).Set("revoked_at = ?", NewTime(db.Now())).
		Where("id = ? AND user_id = ? AND revoked_at IS NULL", id, userID).Exec(ctx)
	return wrap("revoke API token", oneRow(res, err, fmt.Sprintf("you have no token %d (or it is already revoked)", id)))
}

// TouchAPIToken records that the token was used at now, unless its
// last-used time is less than every old: that keeps API requests from
// each costing a write. It reports whether it wrote.
func (db *DB) TouchAPIToken(ctx context.Context, id int64, now time.Time, every time.Duration) (bool, error) {
	now = NewTime(now).Time
	res, err := db.writer.NewUpdate().Model((*APIToken)(nil)).Set("last_used_at = ?", now.UnixMilli()).
		Where("id = ? AND (last_used_at IS NULL OR last_used_at <= ?)", id, now.Add(-every).UnixMilli()).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("touch API token: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("touch API token: %w", err)
	}
	return n > 0, nil
}
