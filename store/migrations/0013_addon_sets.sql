-- Add-on sets: named directories of files (SourceMod, configs, maps) that
-- blueprints stack over the game, and each blueprint's ordered list of
-- them. The files live on disk under the state root
-- (addons/NAME/revs/REV/left4dead2/...); a row holds the set's current
-- revision, which a change replaces by a new one (package addons), and
-- the size and file count of that revision.
CREATE TABLE addon_sets (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 32),
    rev        INTEGER NOT NULL CHECK (rev >= 1),
    bytes      INTEGER NOT NULL DEFAULT 0 CHECK (bytes >= 0),
    files      INTEGER NOT NULL DEFAULT 0 CHECK (files >= 0),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- A blueprint's sets, lowest first (position 0 is stacked right over the
-- game; a later set wins over an earlier one). A set a blueprint lists
-- cannot be deleted; a deleted blueprint takes its list with it.
CREATE TABLE blueprint_addon_sets (
    blueprint_id INTEGER NOT NULL REFERENCES blueprints (id) ON DELETE CASCADE,
    set_id       INTEGER NOT NULL REFERENCES addon_sets (id) ON DELETE RESTRICT,
    position     INTEGER NOT NULL CHECK (position >= 0),
    PRIMARY KEY (blueprint_id, position),
    UNIQUE (blueprint_id, set_id)
);
CREATE INDEX blueprint_addon_sets_set ON blueprint_addon_sets (set_id);
