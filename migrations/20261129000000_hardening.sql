-- Hardening after the security review.

-- The signature counter as its own column, so recording a sign-in is conditional on it: of two
-- sign-ins presenting the same counter (a copied passkey used twice at once) only one records.
-- 0 until the next sign-in of a passkey from before.
ALTER TABLE passkeys ADD COLUMN sign_count BIGINT NOT NULL DEFAULT 0;

-- At most one unused recovery link per person, even when two admins issue one at the same
-- moment on PostgreSQL. Earlier duplicates (none should exist) keep only the newest.
DELETE FROM recovery_links WHERE used_at IS NULL AND EXISTS (
    SELECT 1 FROM recovery_links newer
    WHERE newer.user_id = recovery_links.user_id AND newer.used_at IS NULL
      AND (newer.created_at > recovery_links.created_at
           OR (newer.created_at = recovery_links.created_at AND newer.id > recovery_links.id))
);
CREATE UNIQUE INDEX recovery_links_one_open_per_user ON recovery_links (user_id)
    WHERE used_at IS NULL;
