-- Authorization codes Gatehouse hands to an OIDC client's redirect URI: only the SHA-256 of a
-- code is stored. A code is bound to its client, redirect URI, PKCE challenge (S256), nonce,
-- person and tailnet, lives 60 seconds and is used once; `used_at` is kept until the tokens it
-- could have produced have expired, so a code presented twice is recognised and those tokens
-- revoked.
CREATE TABLE oidc_codes (
    code_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES oidc_clients (id) ON DELETE CASCADE,
    tailnet_id TEXT NOT NULL REFERENCES tailnets (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    nonce TEXT,
    code_challenge TEXT,
    auth_time BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX oidc_codes_by_expiry ON oidc_codes (expires_at);

-- Opaque access tokens for the userinfo endpoint (SHA-256 only), each from one code: reusing
-- the code deletes them. Deleting the client, the person or the tailnet deletes them too.
CREATE TABLE oidc_access_tokens (
    token_hash TEXT PRIMARY KEY,
    code_hash TEXT NOT NULL,
    client_id TEXT NOT NULL REFERENCES oidc_clients (id) ON DELETE CASCADE,
    tailnet_id TEXT NOT NULL REFERENCES tailnets (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX oidc_access_tokens_by_code ON oidc_access_tokens (code_hash);
CREATE INDEX oidc_access_tokens_by_expiry ON oidc_access_tokens (expires_at);
