-- The address the server's notices come from, as its changes feed last said: the tree adds
-- it to the senders callers are told to allow.
ALTER TABLE sync_state ADD COLUMN server_sender TEXT;
