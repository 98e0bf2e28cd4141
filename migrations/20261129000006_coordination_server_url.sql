-- "Coordination server URL" in General settings: where the tailnet's devices join (Headscale,
-- which signs people in with Gatehouse). When set, the welcome page, the home page and invite
-- emails show how to join with it. NULL: not set.
ALTER TABLE tailnets ADD COLUMN coordination_server_url TEXT;
