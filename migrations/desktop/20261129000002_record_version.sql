-- The server numbers records' versions (a desk's change is made on one; an older one is
-- refused). What desks hold now is the server's version 1, as the server's own migration
-- makes it. A change of this desk's that the server had already changed elsewhere is kept
-- in `conflict` beside the server's copy (要確認) instead of being lost or overwriting.
ALTER TABLE records ADD COLUMN conflict TEXT;
UPDATE records SET payload = json_set(payload, '$.version', 1);
