-- The intake's duplicate check (same institution, same address, still open) reads only the
-- applications to that address, by index, instead of every open one; and how many wait for
-- that address's check (issue 27).
ALTER TABLE applications ADD COLUMN email_key TEXT;
UPDATE applications SET email_key = lower(trim(form::json->>'email'));
CREATE INDEX applications_by_email ON applications (email_key);
