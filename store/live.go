package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"
)

// LiveSample is what one live sweep heard from one server's game.
type LiveSample struct {
	bun.BaseModel `bun:"table:live_samples"`

	ServerID   int64  `bun:"server_id,pk"`
	At         Time   `bun:"at,pk"`
	Answered   bool   `bun:"answered,notnull"`
	Players    int    `bun:"players,notnull"`
	MaxPlayers int    `bun:"max_players,notnull"`
	Map        string `bun:"map,notnull"`
}

// AddLiveSamples stores one sweep's samples in one transaction. A sample
// of a server deleted meanwhile is dropped, not an error; a second sample
// of a server at the same millisecond replaces the first.
func (db *DB) AddLiveSamples(ctx context.Context, samples []LiveSample) error {
	if len(samples) == 0 {
		return nil
	}
	return db.WriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ids := make([]int64, len(samples))
		for i, s := range samples {
			ids[i] = s.ServerID
		}
		var present []int64
		if err := tx.NewSelect().Table("servers").Column("id").Where("id IN (?)", bun.In(ids)).Scan(ctx, &present); err != nil {
			return fmt.Errorf("add live samples: %w", err)
		}
		// A server deleted between the sweep and this write: keep the rest.
		keep := samples[:0:0]
		for _, s := range samples {
			if slices.Contains(present, s.ServerID) {
				keep = append(keep, s)
			}
		}
		if len(keep) == 0 {
			return nil
		}
		_, err := tx.NewInsert().Model(&keep).
			On("CONFLICT (server_id, at) DO UPDATE").
			Set("answered = EXCLUDED.answered, players = EXCLUDED.players, max_players = EXCLUDED.max_players, map = EXCLUDED.map").
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("add live samples: %w", err)
		}
		return nil
	})
}

// PruneLiveSamples deletes the samples taken before t and reports how many.
func (db *DB) PruneLiveSamples(ctx context.Context, before time.Time) (int64, error) {
	res, err := db.writer.NewDelete().Model((*LiveSample)(nil)).Where("at < ?", NewTime(before)).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("prune live samples: %w", err)
	}
	return res.RowsAffected()
}

// LiveBucket is the samples of one stretch of time, summed up: the most
// players heard, the most the server took, and how many of the sweeps got
// an answer.
type LiveBucket struct {
	Start      Time `bun:"start"`
	MaxPlayers int  `bun:"max_players"`
	Players    int  `bun:"players"`
	Samples    int  `bun:"samples"`
	Answered   int  `bun:"answered"`
}

// LiveHistory sums up the server's samples from since on in buckets of
// width each (at least a second), oldest first; a stretch without
// samples has no bucket.
func (db *DB) LiveHistory(ctx context.Context, serverID int64, since time.Time, width time.Duration) ([]LiveBucket, error) {
	w := max(width.Milliseconds(), 1000)
	var out []LiveBucket
	err := db.reader.NewRaw(`SELECT (at / ?0) * ?0 AS start, MAX(players) AS players, MAX(max_players) AS max_players,
			COUNT(*) AS samples, SUM(answered) AS answered
		FROM live_samples WHERE server_id = ?1 AND at >= ?2 GROUP BY at / ?0 ORDER BY start`,
		w, serverID, since.UnixMilli()).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("live history: %w", err)
	}
	return out, nil
}

// LiveSamples returns the server's samples from since on (a zero since:
// all), oldest first, at
// most limit of them (limit <= 0: 10000).
func (db *DB) LiveSamples(ctx context.Context, serverID int64, since time.Time, limit int) ([]LiveSample, error) {
	if limit <= 0 {
		limit = 10000
	}
	var out []LiveSample
	err := db.reader.NewSelect().Model(&out).Where("server_id = ? AND at >= ?", serverID, since.UnixMilli()).
		OrderExpr("at").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("live samples: %w", err)
	}
	return out, nil
}
