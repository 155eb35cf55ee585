-- 保存期間: how many applications and calls this desk has purged of personal data, for 設定.
CREATE TABLE retention (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    applications INTEGER NOT NULL DEFAULT 0,
    calls        INTEGER NOT NULL DEFAULT 0,
    last_run_at  TEXT
) STRICT;
INSERT INTO retention (id) VALUES (1);
