-- Workshop items in add-on sets: a game-workshop job downloads Steam
-- Workshop items with steamcmd (+workshop_download_item 550 ID) and puts
-- each into an add-on set as addons/workshop/ID.vpk. Like the other game
-- jobs it belongs to no server (server_name ''), so it runs one at a time
-- with them, never beside another steamcmd. Its options say which set and
-- which items (JSON).
--
-- SQLite cannot change a CHECK in place: jobs is rebuilt as 0006 did, with
-- requested_by_name (0008) carried over.
CREATE TABLE jobs_new (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    server_id         INTEGER REFERENCES servers (id) ON DELETE SET NULL,
    server_name       TEXT    NOT NULL,
    operation         TEXT    NOT NULL CHECK (operation IN ('start', 'stop', 'restart', 'delete',
                                                           'game-install', 'game-update', 'game-validate', 'game-check',
                                                           'game-workshop')),
    state             TEXT    NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    attempts          INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts      INTEGER NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
    requested_by      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    lease_until       INTEGER,
    heartbeat_at      INTEGER,
    cancel_requested  INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
    error             TEXT    NOT NULL DEFAULT '',
    log_truncated     INTEGER NOT NULL DEFAULT 0 CHECK (log_truncated IN (0, 1)),
    created_at        INTEGER NOT NULL,
    started_at        INTEGER,
    finished_at       INTEGER,
    options           TEXT    NOT NULL DEFAULT '',
    progress_phase    TEXT    NOT NULL DEFAULT '',
    progress_percent  REAL,
    progress_done     INTEGER,
    progress_total    INTEGER,
    prompt            TEXT    NOT NULL DEFAULT '',
    requested_by_name TEXT    NOT NULL DEFAULT '',
    CHECK ((state = 'running') = (lease_until IS NOT NULL)),
    CHECK ((server_name = '') = (operation LIKE 'game-%'))
);
INSERT INTO jobs_new (id, server_id, server_name, operation, state, attempts, max_attempts, requested_by,
                      lease_until, heartbeat_at, cancel_requested, error, log_truncated, created_at, started_at, finished_at,
                      options, progress_phase, progress_percent, progress_done, progress_total, prompt, requested_by_name)
SELECT id, server_id, server_name, operation, state, attempts, max_attempts, requested_by,
       lease_until, heartbeat_at, cancel_requested, error, log_truncated, created_at, started_at, finished_at,
       options, progress_phase, progress_percent, progress_done, progress_total, prompt, requested_by_name
FROM jobs;

CREATE TABLE job_lines_new (
    job_id     INTEGER NOT NULL REFERENCES jobs_new (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL CHECK (seq >= 1),
    stream     TEXT    NOT NULL CHECK (stream IN ('stdout', 'stderr', 'system')),
    text       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
INSERT INTO job_lines_new SELECT job_id, seq, stream, text, created_at FROM job_lines;

DROP TABLE job_lines;
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
ALTER TABLE job_lines_new RENAME TO job_lines;

CREATE INDEX jobs_active ON jobs (server_name, state, id) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_queued ON jobs (id) WHERE state = 'queued';
CREATE INDEX jobs_server ON jobs (server_id, id);
CREATE INDEX jobs_running ON jobs (server_name, lease_until) WHERE state = 'running';
CREATE INDEX jobs_server_name ON jobs (server_name, id);
