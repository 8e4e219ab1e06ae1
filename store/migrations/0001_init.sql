-- left4me schema, version 1.
--
-- Every instant is an INTEGER of unix milliseconds (UTC), so that SQL can
-- compare leases and deadlines with plain integer comparisons.
-- Every state column has a CHECK listing its valid values.

CREATE TABLE blueprints (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),
    map         TEXT    NOT NULL CHECK (length(map) BETWEEN 1 AND 64),
    game_mode   TEXT    NOT NULL CHECK (length(game_mode) BETWEEN 1 AND 32),
    max_players INTEGER NOT NULL CHECK (max_players BETWEEN 1 AND 32),
    -- a JSON list of strings, one srcds argument per element
    args        TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(args) AND json_type(args) = 'array'),
    server_cfg  TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'operator')),
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    -- the SHA-256 of the session token, hex; the token itself is never stored
    id         TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE servers (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    -- the instance-name rule ^[a-z0-9][a-z0-9_-]{0,31}$, as far as GLOB can say it
    name          TEXT    NOT NULL UNIQUE CHECK (
                      length(name) BETWEEN 1 AND 32
                      AND name GLOB '[a-z0-9]*'
                      AND name NOT GLOB '*[^-a-z0-9_]*'),
    title         TEXT    NOT NULL DEFAULT '',
    port          INTEGER NOT NULL UNIQUE CHECK (port BETWEEN 1024 AND 65535),
    blueprint_id  INTEGER NOT NULL REFERENCES blueprints (id),
    desired_state TEXT    NOT NULL DEFAULT 'stopped' CHECK (desired_state IN ('running', 'stopped')),
    actual_state  TEXT    NOT NULL DEFAULT 'unknown' CHECK (actual_state IN (
                      'running', 'starting', 'crashlooping', 'stopping', 'stopped', 'failed', 'unknown')),
    -- systemd's last answer about the unit
    systemd_active TEXT   NOT NULL DEFAULT '',
    systemd_sub    TEXT   NOT NULL DEFAULT '',
    systemd_result TEXT   NOT NULL DEFAULT '',
    n_restarts     INTEGER NOT NULL DEFAULT 0,
    -- why actual_state is what it is (the reason of its last change, or the error for unknown)
    state_reason   TEXT   NOT NULL DEFAULT '',
    -- bumped by every write of actual_state; writers that read before asking
    -- the backend update only if it is unchanged
    state_version  INTEGER NOT NULL DEFAULT 0,
    actual_state_updated_at INTEGER,
    created_at     INTEGER NOT NULL
);
CREATE INDEX servers_blueprint ON servers (blueprint_id);

CREATE TABLE server_history (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    server_id INTEGER NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    at        INTEGER NOT NULL,
    old_state TEXT    NOT NULL CHECK (old_state IN (
                  'running', 'starting', 'crashlooping', 'stopping', 'stopped', 'failed', 'unknown')),
    new_state TEXT    NOT NULL CHECK (new_state IN (
                  'running', 'starting', 'crashlooping', 'stopping', 'stopped', 'failed', 'unknown')),
    reason    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX server_history_server ON server_history (server_id, id);

CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    -- NULL once the server is deleted; server_name keeps saying which it was
    server_id        INTEGER REFERENCES servers (id) ON DELETE SET NULL,
    server_name      TEXT    NOT NULL,
    operation        TEXT    NOT NULL CHECK (operation IN ('start', 'stop', 'restart', 'delete')),
    state            TEXT    NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts     INTEGER NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
    requested_by     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    lease_until      INTEGER,
    heartbeat_at     INTEGER,
    cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
    error            TEXT    NOT NULL DEFAULT '',
    log_truncated    INTEGER NOT NULL DEFAULT 0 CHECK (log_truncated IN (0, 1)),
    created_at       INTEGER NOT NULL,
    started_at       INTEGER,
    finished_at      INTEGER,
    CHECK ((state = 'running') = (lease_until IS NOT NULL))
);
-- the claim looks for the oldest queued job per server and for running jobs
CREATE INDEX jobs_active ON jobs (server_name, state, id) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_queued ON jobs (id) WHERE state = 'queued';
CREATE INDEX jobs_server ON jobs (server_id, id);

CREATE TABLE job_lines (
    job_id     INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL CHECK (seq >= 1),
    stream     TEXT    NOT NULL CHECK (stream IN ('stdout', 'stderr', 'system')),
    text       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;

-- The default blueprint: a plain co-op campaign. Other features rely on it existing.
INSERT INTO blueprints (name, map, game_mode, max_players, args, server_cfg, created_at, updated_at)
VALUES ('default', 'c1m1_hotel', 'coop', 4, '[]', '',
        CAST(unixepoch('subsec') * 1000 AS INTEGER), CAST(unixepoch('subsec') * 1000 AS INTEGER));
