-- Reading the configuration audit log. The page walks `audit_events_by_time` (tailnet, time,
-- id) newest first, and the "Event" filter walks one event name the same way. Retention walks
-- `audit_events_by_time` too, tailnet by tailnet, so no index on time alone is needed (on
-- PostgreSQL one would tempt the planner away from the tailnet's own index).
CREATE INDEX audit_events_by_name ON audit_events (tailnet_id, event_name, event_time, id);
