-- Gatehouse signs OpenID Connect ID tokens with these keys (RS256). The private key is sealed
-- with the key file (AES-256-GCM, bound to its kid), so several servers on one database share
-- it and a copy of the database alone signs nothing. The newest key without `retired_at`
-- signs; a retired key's public part stays published until every token it signed has expired.
CREATE TABLE oidc_signing_keys (
    kid TEXT PRIMARY KEY,
    algorithm TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    private_key_sealed TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);
