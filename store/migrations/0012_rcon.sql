-- RCON: every server's own password, the commands people ran through the
-- panel, and the panel's own ban list per server.
--
-- The password reaches srcds through the server.cfg the start job writes
-- (never a command line) and is never shown. Servers made before this
-- migration get a random one here (64 hex digits: 32 random bytes); new
-- ones get theirs from store.CreateServer.
ALTER TABLE servers ADD COLUMN rcon_password TEXT NOT NULL DEFAULT '';
UPDATE servers SET rcon_password = lower(hex(randomblob(32))) WHERE rcon_password = '';

-- Every RCON command the panel ran for someone: the console's, a kick, a
-- ban or an unban. The server's and the user's names stay when either is
-- deleted. answer holds the first 4 KB of what the game said, error why
-- it said nothing.
CREATE TABLE rcon_commands (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    server_id   INTEGER REFERENCES servers (id) ON DELETE SET NULL,
    server_name TEXT    NOT NULL,
    user_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    user_name   TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    command     TEXT    NOT NULL,
    answer      TEXT    NOT NULL DEFAULT '',
    error       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX rcon_commands_server ON rcon_commands (server_id, id);

-- The panel's ban list: applied live when the server runs and at every
-- start through the generated server.cfg (banid), because srcds cannot
-- keep its own (the game directory is read-only to it). expires_at NULL
-- is a ban for ever; an expired ban is skipped, and a new ban of the
-- same player replaces it.
CREATE TABLE bans (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    server_id   INTEGER NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    steam_id    TEXT    NOT NULL,
    player_name TEXT    NOT NULL DEFAULT '',
    reason      TEXT    NOT NULL DEFAULT '',
    created_by  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER,
    UNIQUE (server_id, steam_id)
);
