-- 申請キュー: the officer's saved views, and a counter the queue's cache is keyed on so a
-- filter change does not re-read and re-flag every application.

CREATE TABLE saved_views (
    name        TEXT PRIMARY KEY,
    filter      TEXT NOT NULL,
    saved_at    TEXT NOT NULL
) STRICT;

-- Bumped by every change to what the queue shows (applications, their local status, accounts).
CREATE TABLE queue_generation (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    n   INTEGER NOT NULL
) STRICT;
INSERT INTO queue_generation (id, n) VALUES (1, 0);

CREATE TRIGGER applications_insert_bumps AFTER INSERT ON applications
BEGIN UPDATE queue_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER applications_update_bumps AFTER UPDATE ON applications
BEGIN UPDATE queue_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER applications_delete_bumps AFTER DELETE ON applications
BEGIN UPDATE queue_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER accounts_insert_bumps AFTER INSERT ON accounts
BEGIN UPDATE queue_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER accounts_update_bumps AFTER UPDATE ON accounts
BEGIN UPDATE queue_generation SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER accounts_delete_bumps AFTER DELETE ON accounts
BEGIN UPDATE queue_generation SET n = n + 1 WHERE id = 1; END;
