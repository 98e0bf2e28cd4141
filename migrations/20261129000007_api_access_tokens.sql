-- Tailscale's API v2 numbers tailnets and people with integers (`tailnetId`, `inviterId`).
-- Each gets a stable `api_id` beside its UUID, from a counter per kind, allocated in the
-- transaction that creates the row; existing rows are numbered in the order they were made.
ALTER TABLE tailnets ADD COLUMN api_id BIGINT;
ALTER TABLE users ADD COLUMN api_id BIGINT;
UPDATE tailnets SET api_id = (
    SELECT COUNT(*) FROM tailnets earlier
    WHERE earlier.created_at < tailnets.created_at
       OR (earlier.created_at = tailnets.created_at AND earlier.id <= tailnets.id)
);
UPDATE users SET api_id = (
    SELECT COUNT(*) FROM users earlier
    WHERE earlier.created_at < users.created_at
       OR (earlier.created_at = users.created_at AND earlier.id <= users.id)
);
CREATE UNIQUE INDEX tailnets_by_api_id ON tailnets (api_id);
CREATE UNIQUE INDEX users_by_api_id ON users (api_id);
CREATE TABLE api_id_counters (
    kind TEXT PRIMARY KEY,
    last_id BIGINT NOT NULL
);
INSERT INTO api_id_counters (kind, last_id) SELECT 'tailnet', COALESCE(MAX(api_id), 0) FROM tailnets;
INSERT INTO api_id_counters (kind, last_id) SELECT 'user', COALESCE(MAX(api_id), 0) FROM users;

-- API access tokens ("Keys" page): `tskey-api-<id>-<secret>`, only the SHA-256 of the whole
-- token is kept. A token acts as its creator with the creator's role at the time of each call,
-- in its one tailnet; it stops at `expires_at` or when revoked, and with its creator's account.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    tailnet_id TEXT NOT NULL REFERENCES tailnets (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    description TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    last_used_at BIGINT
);
CREATE INDEX api_tokens_by_tailnet ON api_tokens (tailnet_id, created_at);
