-- Officer tokens expire (one year by default), can be revoked or rotated, and record when
-- they were last used (to the five minutes). Tokens from before get a year from now.
ALTER TABLE officers ADD COLUMN expires_at TEXT NOT NULL DEFAULT '';
ALTER TABLE officers ADD COLUMN revoked_at TEXT;
ALTER TABLE officers ADD COLUMN last_used_at TEXT;
UPDATE officers SET expires_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+1 year');
