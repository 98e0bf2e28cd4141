-- OAuth clients ("Keys" page, "Generate OAuth client"): a client id and a `tskey-client-…`
-- secret (only its SHA-256 kept) that a script exchanges at /api/v2/oauth/token for one-hour
-- API access tokens limited to the client's scopes. A client belongs to its tailnet, not to
-- a person: it keeps working when its creator leaves, acting with `role`, the creator's role
-- when it was made (never the Owner's), and only within `scopes` (space-separated). `created_by`
-- is the email of the person who made it, or the OAuth client that did.
CREATE TABLE oauth_clients (
    id TEXT PRIMARY KEY,
    tailnet_id TEXT NOT NULL REFERENCES tailnets (id) ON DELETE CASCADE,
    description TEXT NOT NULL,
    scopes TEXT NOT NULL,
    role TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    last_used_at BIGINT
);
CREATE INDEX oauth_clients_by_tailnet ON oauth_clients (tailnet_id, created_at);

-- The one-hour `tskey-api-…` tokens a client was given; hashed like API access tokens.
CREATE TABLE oauth_access_tokens (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX oauth_access_tokens_by_client ON oauth_access_tokens (client_id);
