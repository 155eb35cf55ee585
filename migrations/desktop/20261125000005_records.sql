-- Records the desk writes whole and syncs both ways: 対応記録 (kind 'call') and the
-- prefecture's settings (kind 'prefecture_settings': 定期報告期間, 都道府県版の案内).
-- `dirty` 1: changed here, not yet accepted by the server; 2: refused by it (see the log).
CREATE TABLE records (
    kind           TEXT NOT NULL,
    id             TEXT NOT NULL,
    payload        TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    dirty          INTEGER NOT NULL DEFAULT 0 CHECK (dirty IN (0, 1, 2)),
    -- For an active call: since when the clock runs on its current node.
    running_since  TEXT,
    PRIMARY KEY (kind, id)
) STRICT;
CREATE INDEX records_dirty ON records (dirty) WHERE dirty = 1;
