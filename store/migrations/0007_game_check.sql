-- The latest build of the game Steam publishes, as the newest check for
-- an update found it (one row). The installed build is read from the
-- installation itself, never stored here.
CREATE TABLE game_check (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    latest_buildid TEXT    NOT NULL DEFAULT '',
    checked_at     INTEGER NOT NULL,
    -- why the newest check could not say, '' when it could
    error          TEXT    NOT NULL DEFAULT ''
);
