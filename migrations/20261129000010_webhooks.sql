-- Webhooks ("Webhooks" page, /api/v2 webhooks): endpoints that receive signed JSON about the
-- tailnet's events, in Tailscale's format or a chat service's (`provider_type`: '' for
-- Tailscale's own, slack, mattermost, googlechat, discord). The signing secret must be used to
-- sign, so it is kept sealed with the server's key file, never in the clear. `subscriptions` is
-- a JSON array of event types. `leased_until`/`lease_id` make one server at a time deliver to
-- an endpoint, so its events go out one request at a time and each exactly once.
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    tailnet_id TEXT NOT NULL REFERENCES tailnets (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    provider_type TEXT NOT NULL,
    subscriptions TEXT NOT NULL,
    secret_sealed TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_modified_at BIGINT NOT NULL,
    lease_id TEXT,
    leased_until BIGINT
);
CREATE INDEX webhook_endpoints_by_tailnet ON webhook_endpoints (tailnet_id, created_at);

-- One event for one endpoint, written in the transaction of the change it reports (as the
-- audit event and the email are). `event` is the event object in Tailscale's shape. A row is
-- `pending` until delivered (`delivered`) or given up at `give_up_at` (`failed`); "Retry"
-- makes a failed one pending again. Only a short excerpt of a receiver's answer is kept.
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_type TEXT NOT NULL,
    event TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    give_up_at BIGINT NOT NULL,
    last_attempt_at BIGINT,
    last_status INTEGER,
    last_error TEXT,
    delivered_at BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at);
