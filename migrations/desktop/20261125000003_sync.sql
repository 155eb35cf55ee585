-- 同期: what the desk holds of the central server's data, and what it has yet to send.

ALTER TABLE desk_settings ADD COLUMN server_url TEXT;
ALTER TABLE desk_settings ADD COLUMN ca_cert_path TEXT;
ALTER TABLE desk_settings ADD COLUMN proxy_url TEXT;
ALTER TABLE desk_settings ADD COLUMN desk_name TEXT;

-- Applications as the server last sent them; `local_status` is the desk's own pending view.
CREATE TABLE applications (
    id            INTEGER PRIMARY KEY,
    prefecture    TEXT NOT NULL,
    status        TEXT NOT NULL,
    version       INTEGER NOT NULL,
    payload       TEXT NOT NULL,
    received_at   TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    local_status  TEXT
) STRICT;

CREATE TABLE notices (
    id             INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL,
    payload        TEXT NOT NULL
) STRICT;

CREATE TABLE accounts (
    id             INTEGER PRIMARY KEY,
    insurance_code TEXT,
    institution_code TEXT NOT NULL,
    login_id       TEXT NOT NULL,
    payload        TEXT NOT NULL
) STRICT;

-- Officer actions, written in the same transaction as their local effect, sent in order.
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    application_id   INTEGER NOT NULL,
    expected_version INTEGER NOT NULL,
    action           TEXT NOT NULL,
    note             TEXT,
    idempotency_key  TEXT NOT NULL UNIQUE,
    created_at       TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'rejected')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    answer           TEXT
) STRICT;
CREATE INDEX outbox_pending ON outbox (state, id);

CREATE TABLE sync_state (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    cursor        INTEGER NOT NULL,
    last_sync_at  TEXT,
    last_error    TEXT
) STRICT;
INSERT INTO sync_state (id, cursor) VALUES (1, 0);
