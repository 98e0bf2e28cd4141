-- Reading the configuration audit log. The page walks `audit_events_by_time` (tailnet, time,
-- id) newest first; the "Event" filter walks one event name the same way; retention deletes
-- the oldest events of every tailnet.
CREATE INDEX audit_events_by_name ON audit_events (tailnet_id, event_name, event_time, id);
CREATE INDEX audit_events_by_age ON audit_events (event_time);
