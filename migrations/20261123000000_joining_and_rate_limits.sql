-- Who may join: a tailnet's "User approval" and "Join external tailnets" settings, and the
-- counters that rate-limit invite look-ups per client address.

-- 1 when people who accept an invite wait for an admin's approval; off by default.
ALTER TABLE tailnets ADD COLUMN user_approval BIGINT NOT NULL DEFAULT 0;
-- The roles (comma-separated stored names) whose members may accept invites to other
-- tailnets; empty means nobody ("None (disable)"). By default only Admins (and the Owner).
ALTER TABLE tailnets ADD COLUMN join_external_roles TEXT NOT NULL DEFAULT 'owner,admin';

-- One fixed window per bucket (for example `invite:203.0.113.7`). Kept in the database so
-- every server behind a load balancer counts the same requests.
CREATE TABLE rate_limits (
    bucket TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL
);
CREATE INDEX rate_limits_by_window ON rate_limits (window_start);
