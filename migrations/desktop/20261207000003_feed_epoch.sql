-- The server's feed epoch as the desk last pulled under it: another one means the server was
-- restored from a backup, and the desk pulls everything again.
ALTER TABLE sync_state ADD COLUMN epoch INTEGER;

-- When the officer's token ends, as the feed last said: the status bar warns a month before.
ALTER TABLE sync_state ADD COLUMN token_expires_at TEXT;
