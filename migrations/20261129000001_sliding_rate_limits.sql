-- Rate limits count in a sliding window: the previous window's hits weigh in for the part of
-- it that still overlaps, so a burst at the end of one window and the start of the next gets
-- the limit once, not twice. `expires_at` lets limits of different windows (a minute for
-- look-ups, a day for invite emails) share the table.
ALTER TABLE rate_limits ADD COLUMN previous_hits BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rate_limits ADD COLUMN expires_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX rate_limits_by_expiry ON rate_limits (expires_at);
