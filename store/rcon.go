package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/left4me/left4me/internal/text"
)

// MaxAuditAnswer is how much of a game's answer an RCON audit row keeps,
// in bytes.
const MaxAuditAnswer = 4096

// MaxBanReasonLen is the longest ban reason, in characters.
const MaxBanReasonLen = 200

// maxPlayerNameLen bounds a banned player's name as kept, in characters
// (Steam allows 32; a game may say more).
const maxPlayerNameLen = 128

// RCONCommand is one RCON command the panel ran for someone, and what
// came of it.
type RCONCommand struct {
	bun.BaseModel `bun:"table:rcon_commands"`

	ID int64 `bun:"id,pk,autoincrement"`
	// ServerID is nil once the server is deleted; ServerName stays.
	ServerID   *int64 `bun:"server_id"`
	ServerName string `bun:"server_name,notnull"`
	// UserID is nil once the user is deleted; UserName stays.
	UserID   *int64 `bun:"user_id"`
	UserName string `bun:"user_name,notnull"`
	At       Time   `bun:"at,notnull"`
	Command  string `bun:"command,notnull"`
	// Answer is the first MaxAuditAnswer bytes of the game's answer.
	Answer string `bun:"answer,notnull"`
	// Error says why there is no answer, "" when there is one.
	Error string `bun:"error,notnull"`
}

// Ban is one player banned from one server by the panel.
type Ban struct {
	bun.BaseModel `bun:"table:bans"`

	ID         int64  `bun:"id,pk,autoincrement"`
	ServerID   int64  `bun:"server_id,notnull"`
	SteamID    string `bun:"steam_id,notnull"`
	PlayerName string `bun:"player_name,notnull"`
	Reason     string `bun:"reason,notnull"`
	// CreatedBy is the name of the user who banned.
	CreatedBy string `bun:"created_by,notnull"`
	CreatedAt Time   `bun:"created_at,notnull"`
	// ExpiresAt is when the ban ends; zero for never.
	ExpiresAt Time `bun:"expires_at"`
}

// Active reports whether the ban holds at now.
func (b Ban) Active(now time.Time) bool { return b.ExpiresAt.IsZero() || b.ExpiresAt.After(now) }

// NewRCONPassword returns a new random RCON password: 32 random bytes,
// URL-safe base64 without padding (43 characters, no quote or space, so
// it sits in server.cfg's quotes as it is).
func NewRCONPassword() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("store: no randomness for an RCON password: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// AddRCONCommand records c, setting its ID; At defaults to now. The answer
// and the error are kept as UTF-8 (other bytes and NULs become U+FFFD)
// and the answer is cut at MaxAuditAnswer bytes.
func (db *DB) AddRCONCommand(ctx context.Context, c *RCONCommand) error {
	if !sqlSafe(c.Command) || !sqlSafe(c.UserName) || !sqlSafe(c.ServerName) {
		return invalidf("An RCON command, user or server name may not contain a NUL character.")
	}
	if c.At.IsZero() {
		c.At = NewTime(db.Now())
	}
	c.Answer = cut(clean(c.Answer), MaxAuditAnswer)
	c.Error = cut(clean(c.Error), MaxAuditAnswer)
	if _, err := db.writer.NewInsert().Model(c).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("record rcon command: %w", err)
	}
	return nil
}

// ListRCONCommands returns the newest limit commands run on the server,
// newest first (limit <= 0 means 50).
func (db *DB) ListRCONCommands(ctx context.Context, serverID int64, limit int) ([]RCONCommand, error) {
	if limit <= 0 {
		limit = 50
	}
	var cs []RCONCommand
	err := db.reader.NewSelect().Model(&cs).Where("server_id = ?", serverID).
		OrderExpr("id DESC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list rcon commands: %w", err)
	}
	return cs, nil
}

// AddBan bans b.SteamID from server b.ServerID, setting b's ID; CreatedAt
// defaults to now. An expired ban of the same player is replaced. Errors
// are sentences: ErrInvalid for a bad reason or name, ErrConflict when the
// player is banned already, ErrNotFound for a missing server. The Steam
// ID's form is the caller's rule.
func (db *DB) AddBan(ctx context.Context, b *Ban) error {
	b.PlayerName = cut(strings.TrimSpace(clean(b.PlayerName)), maxPlayerNameLen*4)
	b.Reason = strings.TrimSpace(b.Reason)
	if msg := text.Check(b.Reason, text.Line, MaxBanReasonLen); msg != "" {
		return invalidf("Reason: " + msg)
	}
	if msg := text.Check(b.PlayerName, text.Line, maxPlayerNameLen); msg != "" {
		return invalidf("Player name: " + msg)
	}
	if b.SteamID == "" || !sqlSafe(b.SteamID) || !sqlSafe(b.CreatedBy) {
		return invalidf("A ban needs a Steam ID.")
	}
	now := NewTime(db.Now())
	if b.CreatedAt.IsZero() {
		b.CreatedAt = now
	}
	if !b.ExpiresAt.IsZero() && !b.ExpiresAt.After(now.Time) {
		return invalidf("The ban would end before it begins: choose an end in the future.")
	}
	return wrap("add ban", db.WriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		exists, err := tx.NewSelect().Model((*Server)(nil)).Where("id = ?", b.ServerID).Exists(ctx)
		if err != nil {
			return err
		}
		if !exists {
			return notFound(fmt.Sprintf("server %d does not exist", b.ServerID))
		}
		if _, err := tx.NewDelete().Model((*Ban)(nil)).
			Where("server_id = ? AND steam_id = ? AND expires_at IS NOT NULL AND expires_at <= ?", b.ServerID, b.SteamID, now).
			Exec(ctx); err != nil {
			return err
		}
		_, err = tx.NewInsert().Model(b).Returning("id").Exec(ctx)
		if isUniqueViolation(err) {
			return conflictf(fmt.Sprintf("%s is banned from this server already; unban first to change the ban.", b.SteamID))
		}
		return err
	}))
}

// ListBans returns the server's bans that hold now, newest first.
func (db *DB) ListBans(ctx context.Context, serverID int64) ([]Ban, error) {
	var bs []Ban
	err := db.reader.NewSelect().Model(&bs).
		Where("server_id = ? AND (expires_at IS NULL OR expires_at > ?)", serverID, NewTime(db.Now())).
		OrderExpr("created_at DESC, id DESC").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list bans: %w", err)
	}
	return bs, nil
}

// GetBan returns the server's ban of steamID, expired or not, or an error
// matching ErrNotFound.
func (db *DB) GetBan(ctx context.Context, serverID int64, steamID string) (*Ban, error) {
	if !sqlSafe(steamID) {
		return nil, notFound(fmt.Sprintf("%s is not banned from this server", steamID))
	}
	b := new(Ban)
	err := db.reader.NewSelect().Model(b).Where("server_id = ? AND steam_id = ?", serverID, steamID).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(fmt.Sprintf("%s is not banned from this server", steamID))
	}
	if err != nil {
		return nil, fmt.Errorf("get ban: %w", err)
	}
	return b, nil
}

// DeleteBan lifts the server's ban of steamID. It returns an error
// matching ErrNotFound if there is none.
func (db *DB) DeleteBan(ctx context.Context, serverID int64, steamID string) error {
	if !sqlSafe(steamID) {
		return notFound(fmt.Sprintf("%s is not banned from this server", steamID))
	}
	res, err := db.writer.NewDelete().Model((*Ban)(nil)).Where("server_id = ? AND steam_id = ?", serverID, steamID).Exec(ctx)
	return wrap("delete ban", oneRow(res, err, fmt.Sprintf("%s is not banned from this server", steamID)))
}

// clean makes s valid UTF-8 without NULs: what a game says may hold
// anything.
func clean(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// cut returns s cut to at most n bytes, at a character boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
