-- The queue flags applications whose notice bounced or failed: a notice's delivery changing
-- (it comes in the feed) changes what the queue shows.
CREATE TRIGGER notices_insert_bumps AFTER INSERT ON notices
BEGIN UPDATE queue_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER notices_update_bumps AFTER UPDATE ON notices
BEGIN UPDATE queue_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER notices_delete_bumps AFTER DELETE ON notices
BEGIN UPDATE queue_generation SET n = n + 1 WHERE id = 1; END;
CREATE INDEX notices_application ON notices (application_id, id);
