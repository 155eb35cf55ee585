-- The intake's duplicate check (same institution, same address, still open) reads only the
-- prefecture's applications to that address, by index, instead of every open one (issue 27).
ALTER TABLE applications ADD COLUMN email_key TEXT;
UPDATE applications SET email_key = lower(trim(form::json->>'email'));
CREATE INDEX applications_by_email ON applications (prefecture, email_key);
