-- The relying parties of a tailnet: coordination servers (Headscale) and other apps its members
-- sign in to with Gatehouse. `id` is the OAuth client_id. A confidential client has the SHA-256
-- of its secret (shown once, when added or regenerated); a public client has none and must use
-- PKCE. Callback URLs (JSON list, in the URL standard's normal form) match exactly. `allowed_roles` is a JSON list of the roles that may sign
-- in; an empty list means every role.
CREATE TABLE oidc_clients (
    id TEXT PRIMARY KEY,
    tailnet_id TEXT NOT NULL REFERENCES tailnets (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    callback_urls TEXT NOT NULL,
    public_client BIGINT NOT NULL,
    require_pkce BIGINT NOT NULL,
    allowed_roles TEXT NOT NULL,
    secret_hash TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX oidc_clients_by_tailnet ON oidc_clients (tailnet_id, created_at);
