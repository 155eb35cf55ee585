-- The server's feed epoch as the desk last pulled under it: another one means the server was
-- restored from a backup, and the desk pulls everything again.
ALTER TABLE sync_state ADD COLUMN epoch INTEGER;
