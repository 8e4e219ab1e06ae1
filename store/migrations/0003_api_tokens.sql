-- Personal API tokens for the JSON API (/api/v1). The token itself is
-- shown once and never stored: token_hash is its SHA-256, hex.
-- last_used_at is refreshed at most once a minute per token, so that
-- API reads do not each cost a write. A revoked token keeps its row
-- (revoked_at set) so that the account page can say when.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    token_hash   TEXT    NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id, id);
