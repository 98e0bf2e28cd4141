-- "Email me when someone needs approval": people who may approve get an email when someone
-- starts waiting in their tailnet, unless they turn it off on the Account page (on by default).
ALTER TABLE users ADD COLUMN notify_needs_approval INTEGER NOT NULL DEFAULT 1;

-- The outbox row of such an email names the waiting membership; the email is rendered when it
-- is sent, and dropped when the person no longer waits.
ALTER TABLE email_outbox ADD COLUMN waiting_tailnet_id TEXT;
ALTER TABLE email_outbox ADD COLUMN waiting_user_id TEXT;
