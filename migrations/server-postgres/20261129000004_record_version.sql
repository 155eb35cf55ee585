-- Records are ordered by a version the server assigns, never by desks' clocks: a desk sends
-- the version its change was made on, and a change made on an older one is refused (409).
-- What is held now becomes version 1, in the column and in the copy desks receive.
ALTER TABLE records ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
UPDATE records SET payload = (payload::jsonb || '{"version": 1}'::jsonb)::text;
