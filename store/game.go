package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"
)

// GameCheck is what the newest check for a game update found.
type GameCheck struct {
	bun.BaseModel `bun:"table:game_check"`

	ID int64 `bun:"id,pk"`
	// LatestBuildID is the newest public build Steam named; "" if it did
	// not say.
	LatestBuildID string `bun:"latest_buildid,notnull"`
	CheckedAt     Time   `bun:"checked_at,notnull"`
	// Error says why the check could not name the latest build.
	Error string `bun:"error,notnull"`
}

// GetGameCheck returns the newest check for a game update, or an error
// matching ErrNotFound when there has been none.
func (db *DB) GetGameCheck(ctx context.Context) (*GameCheck, error) {
	c := new(GameCheck)
	err := db.reader.NewSelect().Model(c).Where("id = 1").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("the game has not been checked for updates yet")
	}
	if err != nil {
		return nil, fmt.Errorf("get game check: %w", err)
	}
	return c, nil
}

// SaveGameCheck records a check for a game update in tx, replacing the
// previous one. A check that could not name the build (c.Error set) keeps
// the build id the previous one found.
func SaveGameCheck(ctx context.Context, tx bun.IDB, c GameCheck) error {
	c.ID = 1
	_, err := tx.NewInsert().Model(&c).
		On("CONFLICT (id) DO UPDATE").
		Set("latest_buildid = CASE WHEN EXCLUDED.error = '' THEN EXCLUDED.latest_buildid ELSE game_check.latest_buildid END").
		Set("checked_at = EXCLUDED.checked_at").
		Set("error = EXCLUDED.error").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("save game check: %w", err)
	}
	return nil
}
