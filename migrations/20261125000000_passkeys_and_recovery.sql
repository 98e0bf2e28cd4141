-- Passkeys managed by their owner: when each session last proved its passkey (deleting or
-- adding a passkey needs a recent proof), and one-time recovery links.

-- A person's passkeys in the order they were added (1, 2, …); "Passkey N" names use it.
ALTER TABLE passkeys ADD COLUMN ordinal BIGINT NOT NULL DEFAULT 1;

ALTER TABLE sessions ADD COLUMN verified_at BIGINT NOT NULL DEFAULT 0;
UPDATE sessions SET verified_at = created_at;
-- The passkey that signed the session in (or last confirmed it); deleting that passkey ends
-- the person's other sessions it signed in. NULL for sessions from before.
ALTER TABLE sessions ADD COLUMN passkey_id TEXT;

-- A one-time link that registers a new passkey for `user_id`. Only the SHA-256 of its token is
-- kept; `sealed_token` (the token encrypted with the server key) exists only while the link's
-- email waits in the outbox. `issued_by` and `tailnet_id` name the admin and the tailnet it was
-- issued in, and are NULL for `gatehouse recover`.
CREATE TABLE recovery_links (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    issued_by TEXT REFERENCES users (id) ON DELETE CASCADE,
    tailnet_id TEXT REFERENCES tailnets (id) ON DELETE CASCADE,
    sealed_token TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX recovery_links_by_user ON recovery_links (user_id);
CREATE INDEX recovery_links_by_expiry ON recovery_links (expires_at);

ALTER TABLE email_outbox ADD COLUMN recovery_link_id TEXT REFERENCES recovery_links (id) ON DELETE CASCADE;
