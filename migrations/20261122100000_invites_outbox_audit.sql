-- Invitations, the email outbox and the configuration audit log.

-- An invitation to join a tailnet with a role. `token_hash` finds it from a link;
-- `sealed_token` is the token encrypted under the server's key (not in the database), so the
-- same link can be copied again and emailed, while the database alone never gives a working link.
-- A used invite keeps its row (`accepted_at`) so the link stays one-time; a deleted one is gone.
CREATE TABLE invites (
    id TEXT PRIMARY KEY,
    tailnet_id TEXT NOT NULL REFERENCES tailnets (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    email TEXT,
    role TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    sealed_token TEXT NOT NULL,
    invited_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_sent_at BIGINT,
    accepted_at BIGINT,
    accepted_by TEXT REFERENCES users (id) ON DELETE SET NULL
);
-- At most one open invite per address and tailnet, enforced by the database.
CREATE UNIQUE INDEX invites_one_open_per_email
    ON invites (tailnet_id, email) WHERE accepted_at IS NULL AND email IS NOT NULL;
-- The Users page reads open invites newest first, optionally by role.
CREATE INDEX invites_open_by_created
    ON invites (tailnet_id, created_at, id) WHERE accepted_at IS NULL;
CREATE INDEX invites_open_by_role
    ON invites (tailnet_id, role, created_at, id) WHERE accepted_at IS NULL;

-- The Users page reads members newest first, optionally by status or role, and counts them.
CREATE INDEX memberships_by_joined ON memberships (tailnet_id, joined_at, user_id);
CREATE INDEX memberships_by_status ON memberships (tailnet_id, status, joined_at, user_id);
CREATE INDEX memberships_by_role ON memberships (tailnet_id, role, joined_at, user_id);

-- Email waiting to be delivered. A row is written in the same transaction as the change that
-- needs it; the worker leases due rows (`lease_id`, `leased_until`) so two servers never send
-- one row twice, and marks them `sent_at`. The message is rendered when it is sent, from the
-- invite, so no link is ever stored in the clear; deleting the invite drops its unsent email.
CREATE TABLE email_outbox (
    id TEXT PRIMARY KEY,
    template TEXT NOT NULL,
    invite_id TEXT REFERENCES invites (id) ON DELETE CASCADE,
    recipient TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_id TEXT,
    leased_until BIGINT,
    sent_at BIGINT,
    last_error TEXT
);
CREATE INDEX email_outbox_due ON email_outbox (next_attempt_at) WHERE sent_at IS NULL;
CREATE INDEX email_outbox_by_invite ON email_outbox (invite_id);

-- The configuration audit log. The app only ever inserts rows; retention deletes old ones.
-- Never holds a token, link or ceremony state.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    tailnet_id TEXT NOT NULL REFERENCES tailnets (id) ON DELETE CASCADE,
    event_time BIGINT NOT NULL,
    event_group_id TEXT NOT NULL,
    origin TEXT NOT NULL,
    actor_id TEXT,
    actor_type TEXT NOT NULL,
    actor_name TEXT,
    actor_email TEXT,
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    target_name TEXT,
    target_property TEXT,
    action TEXT NOT NULL,
    event_name TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    client_address TEXT
);
CREATE INDEX audit_events_by_time ON audit_events (tailnet_id, event_time, id);
