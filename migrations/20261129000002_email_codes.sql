-- A typed email address is verified before an account is created for it: a one-time code
-- emailed to it (through the outbox) and entered on the invite page.

-- 0 when nobody could verify the address (an invite link accepted while no SMTP server was
-- configured): every place that shows the address says "Email not verified".
ALTER TABLE users ADD COLUMN email_verified BIGINT NOT NULL DEFAULT 1;

-- One code for one typed address on one invite. Only the SHA-256 of `id:code` is kept, and the
-- code itself sealed with the key file while its email waits. For an address that already has
-- an account no code exists (`code_hash` covers a random value nobody knows): its email tells
-- the owner to sign in instead, and the page's answer is the same either way.
CREATE TABLE email_codes (
    id TEXT PRIMARY KEY,
    invite_token_hash TEXT NOT NULL,
    email TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    sealed_code TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX email_codes_by_expiry ON email_codes (expires_at);

ALTER TABLE email_outbox ADD COLUMN email_code_id TEXT REFERENCES email_codes (id) ON DELETE CASCADE;
