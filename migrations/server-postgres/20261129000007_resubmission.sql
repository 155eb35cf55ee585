-- 再申請: a returned (差戻し) application comes back through a one-time link in its 差戻し
-- mail (stored hashed, until it expires or the corrected one arrives). The corrected
-- application names the one it corrects; the returned one, once replaced, names its successor.
ALTER TABLE applications ADD COLUMN resubmission_of BIGINT;
ALTER TABLE applications ADD COLUMN resubmitted_as BIGINT;
ALTER TABLE applications ADD COLUMN resubmit_token_hash TEXT;
ALTER TABLE applications ADD COLUMN resubmit_expires_at TEXT;
CREATE UNIQUE INDEX applications_resubmit_token ON applications (resubmit_token_hash);
