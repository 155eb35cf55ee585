-- An idempotency key is bound to the request it was first used for (application id + body,
-- hashed): the key again with another request is refused instead of answered with the first
-- answer. Stored answers are pruned after 7 days (created_at); older rows have none and go first.
ALTER TABLE idempotency ADD COLUMN request_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE idempotency ADD COLUMN created_at TEXT NOT NULL DEFAULT '';
