-- 疎通確認: an application from the open internet enters the queue only once its applicant
-- opened the one-time link mailed to the address given. Until then confirmed_at is NULL and
-- nothing of it reaches the feed; unconfirmed ones are purged after the link expires.
ALTER TABLE applications ADD COLUMN confirmed_at TEXT;
ALTER TABLE applications ADD COLUMN address_verified BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE applications ADD COLUMN confirm_token_hash TEXT;
ALTER TABLE applications ADD COLUMN confirm_expires_at TEXT;
-- Applications taken before the check were in the queue already.
UPDATE applications SET confirmed_at = received_at;
CREATE UNIQUE INDEX applications_confirm_token ON applications (confirm_token_hash);
CREATE INDEX applications_unconfirmed ON applications (confirm_expires_at) WHERE confirmed_at IS NULL;
