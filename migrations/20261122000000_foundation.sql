-- Tailnets, people, memberships, passkeys, sessions, setup links and passkey ceremonies.
-- Portable between SQLite and PostgreSQL: TEXT ids made by the app, BIGINT Unix seconds.

CREATE TABLE tailnets (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'organization',
    created_at BIGINT NOT NULL
);

-- A person. `home_tailnet_id` is the first tailnet they joined.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    webauthn_user_id TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    home_tailnet_id TEXT NOT NULL REFERENCES tailnets (id),
    created_at BIGINT NOT NULL
);

CREATE TABLE memberships (
    tailnet_id TEXT NOT NULL REFERENCES tailnets (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    joined_at BIGINT NOT NULL,
    last_seen_at BIGINT,
    PRIMARY KEY (tailnet_id, user_id)
);
-- One Owner per tailnet, enforced by the database.
CREATE UNIQUE INDEX memberships_one_owner ON memberships (tailnet_id) WHERE role = 'owner';
CREATE INDEX memberships_by_user ON memberships (user_id);

-- `credential` is webauthn-rs's serialised Passkey: public key, counter, backup state.
CREATE TABLE passkeys (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id TEXT NOT NULL UNIQUE,
    credential TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX passkeys_by_user ON passkeys (user_id);

-- Only the SHA-256 of a session token is stored.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_created ON sessions (created_at);
CREATE INDEX sessions_by_last_seen ON sessions (last_seen_at);

-- A link that creates a tailnet's first Owner. `tailnet_id` is NULL when the link also
-- creates the tailnet (the first run of a fresh database).
CREATE TABLE setup_links (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    tailnet_id TEXT REFERENCES tailnets (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

-- Server-side WebAuthn state between the two halves of a ceremony; consumed by DELETE.
CREATE TABLE webauthn_ceremonies (
    id_hash TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    state TEXT NOT NULL,
    context TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX webauthn_ceremonies_by_expiry ON webauthn_ceremonies (expires_at);
