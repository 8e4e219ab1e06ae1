-- What each live sweep heard from each running server: whether its game
-- answered the Source query, its players (bots included), the most it
-- takes and its map. One row per server per sweep (every 10 s by
-- default), kept LEFT4ME_LIVE_RETENTION (14 days) and pruned by age, so
-- the prune and the charts' ranges walk the (server_id, at) key.
CREATE TABLE live_samples (
    server_id   INTEGER NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    answered    INTEGER NOT NULL CHECK (answered IN (0, 1)),
    players     INTEGER NOT NULL DEFAULT 0 CHECK (players >= 0),
    max_players INTEGER NOT NULL DEFAULT 0 CHECK (max_players >= 0),
    map         TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (server_id, at)
) WITHOUT ROWID;
CREATE INDEX live_samples_at ON live_samples (at);
