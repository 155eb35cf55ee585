-- The changes feed's epoch: a restore from backup starts a new one, and a desk that pulled
-- under another forgets what it pulled and starts over (no change silently skipped).
CREATE TABLE feed_epoch (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    epoch      INTEGER NOT NULL,
    started_at TEXT
);
INSERT INTO feed_epoch (id, epoch) VALUES (1, 1);

-- What operators did to the server: officers' tokens, restores, retention runs, mail
-- released. Never a token or a personal value.
CREATE TABLE admin_audit (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    action     TEXT NOT NULL,
    prefecture TEXT,
    detail     TEXT NOT NULL
);

-- Mail health reads a prefecture's notices of the last eight days.
CREATE INDEX notices_by_prefecture_created ON notices (prefecture, created_at);
-- Readiness says when a notice was last handed to the relay.
CREATE INDEX delivery_audit_by_state ON delivery_audit (state, at);
